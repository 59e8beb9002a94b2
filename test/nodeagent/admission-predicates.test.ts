// The node agent's predicate admission on a real node: a pod its author bound with spec.nodeName
// (past the scheduler) that the scheduler's checks would have kept off the node is failed at
// admission, as the kubelet's predicateAdmitHandler fails it, instead of run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Events, Pods } from '../../pkg/client/rest-client.js';
import { eventually } from '../helpers/control-plane.js';
import { busyboxPod, ctr, podStatus, startCluster, type Cluster } from './harness.js';

let c: Cluster;

beforeAll(async () => {
  c = await startCluster();
}, 120_000);
afterAll(async () => {
  await c?.stop();
});

const bound = (name: string, spec: Record<string, unknown>) => c.cp.admin.create(Pods, 'default', busyboxPod(name, { nodeName: 'e2e-node', ...spec }));
const failedWith = (name: string) =>
  eventually(async () => {
    const st = await podStatus(c, name);
    return st.phase === 'Failed' ? st : undefined;
  }, { timeoutMs: 20_000, what: `${name} Failed` });

describe('predicate admission', () => {
  it('fails a pod bound past its nodeSelector (NodeAffinity) or the node\'s cpu (OutOfcpu) with the kubelet\'s status and event; one that fits runs', async () => {
    await bound('adm-selector', { nodeSelector: { disk: 'ssd' }, containers: [ctr('main', 'sleep 3600')] });
    await bound('adm-cpu', { containers: [ctr('main', 'sleep 3600', { resources: { requests: { cpu: '5000' } } })] });
    await bound('adm-fits', { nodeSelector: { 'kubernetes.io/hostname': 'e2e-node' }, containers: [ctr('main', 'sleep 3600')] });

    const selector = await failedWith('adm-selector');
    expect(selector).toMatchObject({ reason: 'NodeAffinity', message: "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector" });
    const cpu = await failedWith('adm-cpu');
    expect(cpu.reason).toBe('OutOfcpu');
    expect(cpu.message).toMatch(/^Pod was rejected: Node didn't have enough resource: cpu, requested: 5000000, used: \d+, capacity: \d+$/);
    // (rejectPod: a Warning event with the handler's reason and message)
    await eventually(async () => (await c.cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=adm-selector,reason=NodeAffinity' })).items.length === 1, { what: 'NodeAffinity event' });
    await eventually(async () => ((await podStatus(c, 'adm-fits')).phase === 'Running' ? true : undefined), { timeoutMs: 30_000, what: 'adm-fits Running' });
  });
});
