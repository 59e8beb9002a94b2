// The kubelet's critical pod admission: which pods are preempted for a critical pod short of
// resources, as pkg/kubelet/preemption's getPodsToPreempt chooses them (its test cases), and the
// admission result that asks for it.
import { describe, expect, it } from 'vitest';
import type { Node, Pod } from '../api/types.js';
import { admitPredicates } from './admit-predicates.js';
import { podsToPreempt, PreemptionError, type Requirement } from './critical-preemption.js';

type R = Record<string, string>;
const mk = (name: string, requests?: R, limits?: R, priority?: number): Pod =>
  ({
    metadata: { name, namespace: priority ? 'kube-system' : 'default', uid: name },
    spec: { ...(priority !== undefined ? { priority } : {}), containers: [{ name: `${name}-container`, image: 'busybox', resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } }] },
  }) as Pod;
const small = { cpu: '100m', memory: '100Mi' };
const big = { cpu: '300m', memory: '300Mi' };
const pods = {
  bestEffort: mk('bestEffort'),
  burstable: mk('burstable', small),
  highRequestBurstable: mk('high-request-burstable', big),
  guaranteed: mk('guaranteed', small, small),
  highRequestGuaranteed: mk('high-request-guaranteed', big, big),
  clusterCritical: mk('cluster-critical', small, undefined, 2_000_000_000),
  nodeCritical: mk('node-critical', small, undefined, 2_000_001_000),
};
const reqs = (cpu: number, memoryMi: number, n: number): Requirement[] => [
  ...(cpu ? [{ resource: 'cpu', quantity: cpu }] : []),
  ...(memoryMi ? [{ resource: 'memory', quantity: memoryMi * 1024 * 1024 }] : []),
  ...(n ? [{ resource: 'pods', quantity: n }] : []),
];
const names = (ps: Pod[]) => ps.map((p) => p.metadata!.name).sort();

describe('podsToPreempt (getPodsToPreempt)', () => {
  const { bestEffort, burstable, highRequestBurstable, guaranteed, highRequestGuaranteed, clusterCritical, nodeCritical } = pods;
  const all = [bestEffort, burstable, highRequestBurstable, guaranteed, highRequestGuaranteed];
  it.each([
    ['no requirements', clusterCritical, [], reqs(0, 0, 0), []],
    ['equal pods and resources requirements', clusterCritical, [burstable], reqs(100, 100, 1), ['burstable']],
    ['choose between bestEffort and burstable', clusterCritical, [burstable, bestEffort], reqs(0, 0, 1), ['bestEffort']],
    ['choose between burstable and guaranteed', clusterCritical, [burstable, guaranteed], reqs(0, 0, 1), ['burstable']],
    ['choose lower request burstable if it meets requirements', clusterCritical, [bestEffort, highRequestBurstable, burstable], reqs(100, 100, 0), ['burstable']],
    ['choose higher request burstable if lower does not meet requirements', clusterCritical, [bestEffort, burstable, highRequestBurstable], reqs(150, 150, 0), ['high-request-burstable']],
    ['multiple pods required', clusterCritical, all, reqs(350, 350, 0), ['burstable', 'high-request-burstable']],
    ["evict guaranteed when we have to, and dont evict the extra burstable", clusterCritical, [clusterCritical, ...all], reqs(0, 550, 0), ['high-request-burstable', 'high-request-guaranteed']],
    ['evict cluster critical pod for node critical pod', nodeCritical, [clusterCritical], reqs(100, 0, 0), ['cluster-critical']],
  ] as [string, Pod, Pod[], Requirement[], string[]][])('%s', (_name, preemptor, active, lacking, want) => {
    expect(names(podsToPreempt(preemptor, active, lacking))).toEqual([...want].sort());
  });

  it.each([
    ['no pods', clusterCritical, [], reqs(0, 0, 1)],
    ['higher requirements than pod requests', clusterCritical, [burstable], reqs(200, 200, 2)],
    ['critical pods cannot be preempted', clusterCritical, [clusterCritical], reqs(0, 0, 1)],
    ['best effort pods are not preempted when attempting to free resources', clusterCritical, [bestEffort], reqs(0, 1, 0)],
    ['can not evict node critical pod for cluster critical pod', clusterCritical, [nodeCritical], reqs(100, 0, 0)],
  ] as [string, Pod, Pod[], Requirement[]][])('fails: %s', (_name, preemptor, active, lacking) => {
    expect(() => podsToPreempt(preemptor, active, lacking)).toThrow(PreemptionError);
  });

  it('says what no pod can free, as the kubelet prints its requirement list', () => {
    expect(() => podsToPreempt(pods.clusterCritical, [pods.burstable], reqs(300, 0, 0))).toThrow('no set of running pods found to reclaim resources: [(res: cpu, q: 200), ]');
  });
});

describe('admitPredicates for a critical pod', () => {
  const node = { metadata: { name: 'vm', labels: { 'kubernetes.io/os': 'linux' } }, spec: {}, status: { allocatable: { cpu: '1', memory: '1Gi', pods: '110' } } } as Node;
  const onNode = (p: Pod, extra: Record<string, unknown> = {}) => ({ ...p, spec: { ...p.spec, nodeName: 'vm', ...extra } }) as Pod;
  it('asks to preempt what it lacks of each resource (GetInsufficientAmount) when resources are all it lacks', () => {
    const others = [onNode(mk('a', { cpu: '800m', memory: '900Mi' })), onNode(mk('b'))];
    const critical = onNode(mk('static', { cpu: '500m', memory: '200Mi' }, undefined, 2_000_001_000));
    expect(admitPredicates(critical, node, others)).toEqual({ preempt: [{ resource: 'cpu', quantity: 300 }, { resource: 'memory', quantity: 76 * 1024 * 1024 }] });
    // a pod that is not critical is refused for the first of them
    expect(admitPredicates(onNode(mk('plain', { cpu: '500m' })), node, others).failure?.reason).toBe('OutOfcpu');
    // one that fails another predicate too is refused for that one, the resource reasons left out
    expect(admitPredicates(onNode(critical, { nodeSelector: { disk: 'ssd' } }), node, others).failure?.reason).toBe('NodeAffinity');
  });
});
