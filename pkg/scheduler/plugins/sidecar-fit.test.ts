// NodeResourcesFit with sidecars (restartable init containers): a pod reserves its app containers
// plus its sidecars, or what an init container needs with the sidecars started before it, as
// kube-scheduler's PodRequests does.
import { describe, expect, it } from 'vitest';
import type { Container, Node, Pod } from '../../api/types.js';
import { CycleState } from '../framework.js';
import { NodeInfo, podRequests } from '../node-info.js';
import { nodeResourcesFit } from './filters.js';

const node: Node = { metadata: { name: 'n' }, status: { allocatable: { cpu: '1', memory: '1Gi', pods: '10' } } };
const ctr = (name: string, cpu: string, restartPolicy?: string): Container => ({ name, image: 'x', resources: { requests: { cpu } }, ...(restartPolicy ? { restartPolicy } : {}) });
const pod = (name: string, initContainers: Container[], containers: Container[]): Pod => ({ metadata: { name, namespace: 'default' }, spec: { initContainers, containers } });
const fit = (p: Pod, n: NodeInfo) => {
  const s = new CycleState();
  nodeResourcesFit.preFilter(s, p, [n]);
  return nodeResourcesFit.filter(s, p, n);
};

describe('NodeResourcesFit with sidecars', () => {
  it('reserves app containers plus sidecars, and an init container plus the sidecars before it', () => {
    expect(podRequests(pod('a', [ctr('side', '300m', 'Always')], [ctr('app', '500m')])).milliCPU).toBe(800);
    expect(podRequests(pod('b', [ctr('side', '300m', 'Always'), ctr('init', '600m')], [ctr('app', '100m')])).milliCPU).toBe(900);
    // an ordinary init container before the sidecar runs alone
    expect(podRequests(pod('c', [ctr('init', '600m'), ctr('side', '300m', 'Always')], [ctr('app', '100m')])).milliCPU).toBe(600);
  });

  it('refuses a pod whose app containers fit but not with its sidecar', () => {
    const n = new NodeInfo(node);
    n.addPod(pod('placed', [ctr('side', '200m', 'Always')], [ctr('app', '300m')]), false);
    expect(n.requested.milliCPU).toBe(500);
    expect(fit(pod('fits', [], [ctr('app', '500m')]), n).ok).toBe(true);
    const st = fit(pod('too-big', [ctr('side', '100m', 'Always')], [ctr('app', '500m')]), n);
    expect(st.reasons).toEqual(['Insufficient cpu']);
  });
});
