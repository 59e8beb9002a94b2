// NodeResourcesFit counts a pod's overhead (set from its RuntimeClass) with its requests, as
// kube-scheduler does, both for the pod being placed and for the pods already on the node.
import { describe, expect, it } from 'vitest';
import type { Node, Pod } from '../../api/types.js';
import { CycleState } from '../framework.js';
import { NodeInfo } from '../node-info.js';
import { nodeResourcesFit } from './filters.js';

const node = (cpu: string, memory: string): Node => ({ metadata: { name: 'n' }, status: { allocatable: { cpu, memory, pods: '10' } } });
const pod = (name: string, cpu: string, overhead?: Record<string, string>): Pod => ({
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu, memory: '100Mi' } } }], ...(overhead ? { overhead } : {}) },
});
const fit = (p: Pod, n: NodeInfo) => {
  const s = new CycleState();
  nodeResourcesFit.preFilter(s, p, [n]);
  return nodeResourcesFit.filter(s, p, n);
};

describe('NodeResourcesFit with pod overhead', () => {
  it('refuses a pod whose requests fit but whose requests plus overhead do not', () => {
    const n = new NodeInfo(node('1', '1Gi'));
    expect(fit(pod('plain', '900m'), n).ok).toBe(true);
    const st = fit(pod('heavy', '900m', { cpu: '200m' }), n);
    expect(st.ok).toBe(false);
    expect(st.reasons).toEqual(['Insufficient cpu']);
  });

  it('counts the overhead of the pods already on the node', () => {
    const n = new NodeInfo(node('1', '1Gi'));
    n.addPod(pod('placed', '400m', { cpu: '300m' }), false);
    expect(fit(pod('next', '300m'), n).ok).toBe(true);
    expect(fit(pod('bigger', '400m'), n).ok).toBe(false);
  });
});
