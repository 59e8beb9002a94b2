// Preemption's dry runs with InterPodAffinity and PodTopologySpread: their PreFilterExtensions
// make removing a victim count, so the victims are exactly the pods in the way.
import { describe, expect, it } from 'vitest';
import { fakeLister, on, runFilter, snapshot, testNode, testPod } from '../../test/helpers/scheduler-fixtures.js';
import { interPodAffinity } from './plugins/inter-pod-affinity.js';
import { podTopologySpread } from './plugins/pod-topology-spread.js';
import { selectVictimsOnNode } from './preemption.js';

const host = 'kubernetes.io/hostname';
const zone = 'topology.kubernetes.io/zone';
const low = (name: string, labels: Record<string, string>, node: string) => on(testPod(name, labels, { priority: 0 }), node);

describe('preemption with inter-pod affinity and topology spread', () => {
  it('a high-priority pod with required anti-affinity evicts only the matching low-priority pod', () => {
    const pl = interPodAffinity(fakeLister());
    const nodes = snapshot([testNode('n1')], [low('web', { app: 'web' }, 'n1'), low('db', { app: 'db' }, 'n1')]);
    const pod = testPod('hi', { app: 'hi' }, { priority: 1000, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: host }] } } });
    const { state, byNode } = runFilter(pl, pod, nodes);
    expect(byNode.get('n1')!.ok).toBe(false);
    const victims = selectVictimsOnNode(state, pod, nodes[0]!, { preFilter: [pl], filter: [pl] });
    expect(victims?.map((p) => p.metadata!.name)).toEqual(['web']);
  });

  it('a pod refused by maxSkew evicts one matching pod of the crowded zone', () => {
    const pl = podTopologySpread(fakeLister());
    const nodes = snapshot([testNode('a1', { [zone]: 'a' }), testNode('b1', { [zone]: 'b' })], [low('w0', { app: 'w' }, 'a1'), low('w1', { app: 'w' }, 'a1'), low('other', { app: 'o' }, 'a1'), low('w2', { app: 'w' }, 'b1')]);
    // a=2, b=1: one more in a makes the skew 2.
    const pod = testPod('hi', { app: 'w' }, { priority: 1000, topologySpreadConstraints: [{ maxSkew: 1, topologyKey: zone, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'w' } } }] });
    const { state, byNode } = runFilter(pl, pod, nodes);
    expect(byNode.get('a1')!.ok).toBe(false);
    const victims = selectVictimsOnNode(state, pod, nodes[0]!, { preFilter: [pl], filter: [pl] });
    expect(victims).toHaveLength(1);
    expect(victims![0]!.metadata!.labels!.app).toBe('w');
  });
});
