// The kubelet's predicate admission: reasons and messages as pkg/kubelet/lifecycle/predicate.go gives them.
import { describe, expect, it } from 'vitest';
import type { Node, Pod } from '../api/types.js';
import { admitPredicatesFailure } from './admit-predicates.js';

const node = (o: { taints?: unknown[]; pods?: string; extra?: Record<string, string> } = {}): Node =>
  ({
    metadata: { name: 'vm', labels: { 'kubernetes.io/hostname': 'vm', 'kubernetes.io/os': 'linux' } },
    spec: { taints: o.taints ?? [] },
    status: { allocatable: { cpu: '2', memory: '4Gi', pods: o.pods ?? '110', 'ephemeral-storage': '10Gi', ...(o.extra ?? {}) } },
  }) as Node;

const pod = (name: string, spec: Record<string, unknown> = {}, requests?: Record<string, string>, labels?: Record<string, string>): Pod =>
  ({
    metadata: { name, namespace: 'default', uid: name, ...(labels ? { labels } : {}) },
    spec: { nodeName: 'vm', containers: [{ name: 'c', image: 'busybox', ...(requests ? { resources: { requests } } : {}) }], ...spec },
  }) as Pod;

describe('admitPredicatesFailure', () => {
  it('admits a pod that fits', () => {
    expect(admitPredicatesFailure(pod('p', {}, { cpu: '500m' }), node(), [pod('q', {}, { cpu: '1' })])).toBeUndefined();
  });

  it('refuses a pod bound past the node\'s cpu as OutOfcpu with the amounts in milli-cores (InsufficientResourceError)', () => {
    expect(admitPredicatesFailure(pod('p', {}, { cpu: '50' }), node(), [pod('q', {}, { cpu: '100m' })])).toEqual({
      reason: 'OutOfcpu',
      message: "Node didn't have enough resource: cpu, requested: 50000, used: 100, capacity: 2000",
    });
    expect(admitPredicatesFailure(pod('p', {}, { memory: '5Gi' }), node(), [])).toEqual({
      reason: 'OutOfmemory',
      message: "Node didn't have enough resource: memory, requested: 5368709120, used: 0, capacity: 4294967296",
    });
    expect(admitPredicatesFailure(pod('p'), node({ pods: '1' }), [pod('q')])).toEqual({ reason: 'OutOfpods', message: "Node didn't have enough resource: pods, requested: 1, used: 1, capacity: 1" });
  });

  it('tells only the first failure: resources before node affinity', () => {
    expect(admitPredicatesFailure(pod('p', { nodeSelector: { disk: 'ssd' } }, { cpu: '50' }), node(), [])?.reason).toBe('OutOfcpu');
  });

  it('leaves an extended resource the node has none of to the cluster (removeMissingExtendedResources), and checks one it has', () => {
    expect(admitPredicatesFailure(pod('p', {}, { 'example.com/foo': '1' }), node(), [])).toBeUndefined();
    expect(admitPredicatesFailure(pod('p', {}, { 'example.com/foo': '2' }), node({ extra: { 'example.com/foo': '1' } }), [])).toEqual({
      reason: 'OutOfexample.com/foo',
      message: "Node didn't have enough resource: example.com/foo, requested: 2, used: 0, capacity: 1",
    });
  });

  it('refuses a nodeSelector or required affinity the node does not match, a taken host port and an untolerated NoExecute taint (PredicateFailureError)', () => {
    expect(admitPredicatesFailure(pod('p', { nodeSelector: { disk: 'ssd' } }), node(), [])).toEqual({
      reason: 'NodeAffinity',
      message: "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector",
    });
    const withPort = (name: string, protocol = 'TCP') => pod(name, { containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 80, hostPort: 8080, protocol }] }] });
    expect(admitPredicatesFailure(withPort('p'), node(), [withPort('q')])).toEqual({ reason: 'NodePorts', message: "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports" });
    expect(admitPredicatesFailure(withPort('p', 'UDP'), node(), [withPort('q')])).toBeUndefined();
    const tainted = node({ taints: [{ key: 'maintenance', effect: 'NoExecute' }, { key: 'gpu', effect: 'NoSchedule' }] });
    expect(admitPredicatesFailure(pod('p'), tainted, [])).toEqual({ reason: 'TaintToleration', message: "Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate" });
    // (a NoSchedule taint is the scheduler's business only)
    expect(admitPredicatesFailure(pod('p', { tolerations: [{ key: 'maintenance', operator: 'Exists' }] }), tainted, [])).toBeUndefined();
  });

  it('refuses a pod labelled or declared for another OS first', () => {
    expect(admitPredicatesFailure(pod('p', {}, { cpu: '50' }, { 'kubernetes.io/os': 'windows' }), node(), [])).toEqual({
      reason: 'PodOSSelectorNodeLabelDoesNotMatch',
      message: "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label",
    });
    expect(admitPredicatesFailure(pod('p', { os: { name: 'windows' } }), node(), [])?.reason).toBe('PodOSNotSupported');
  });

  it('admits a critical pod short only of resources (the kubelet would make room for it)', () => {
    expect(admitPredicatesFailure(pod('p', { priority: 2000001000 }, { cpu: '50' }), node(), [])).toBeUndefined();
    expect(admitPredicatesFailure(pod('p', { priority: 2000001000, nodeSelector: { disk: 'ssd' } }), node(), [])?.reason).toBe('NodeAffinity');
  });
});
