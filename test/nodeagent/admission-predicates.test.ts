// The node agent's predicate admission on a real node: a pod its author bound with spec.nodeName
// (past the scheduler) that the scheduler's checks would have kept off the node is failed at
// admission, as the kubelet's predicateAdmitHandler fails it, instead of run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Events, Nodes, Pods } from '../../pkg/client/rest-client.js';
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

  it('admits a critical pod short of cpu by preempting a pod that frees it (CriticalPodAdmissionHandler); refuses one that nothing can make room for', async () => {
    const alloc = Number((await c.cp.admin.get<{ status?: { allocatable?: Record<string, string> } }>(Nodes, undefined, 'e2e-node')).status!.allocatable!.cpu);
    // all but 100m of the node's cpu, then a system-node-critical pod asking 500m
    await bound('adm-victim', { terminationGracePeriodSeconds: 4, containers: [ctr('main', 'exec sleep 3600', { resources: { requests: { cpu: `${alloc * 1000 - 100}m` } } })] });
    await eventually(async () => ((await podStatus(c, 'adm-victim')).phase === 'Running' ? true : undefined), { timeoutMs: 30_000, what: 'adm-victim Running' });
    await bound('adm-critical', { priorityClassName: 'system-node-critical', containers: [ctr('main', 'exec sleep 3600', { resources: { requests: { cpu: '500m' } } })] });
    const victim = await failedWith('adm-victim');
    expect(victim).toMatchObject({ reason: 'Preempting', message: 'Preempted in order to admit critical pod' });
    expect(victim.conditions?.find((x) => x.type === 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'TerminationByKubelet', message: 'Pod was preempted by Kubelet to accommodate a critical pod.' });
    await eventually(async () => (await c.cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=adm-victim,reason=Preempting' })).items.length === 1, { what: 'Preempting event' });
    const critical = await eventually(async () => {
      const st = await podStatus(c, 'adm-critical');
      return st.phase === 'Running' ? st : undefined;
    }, { timeoutMs: 30_000, what: 'adm-critical Running' });
    // (killPodFunc blocks: the critical pod is admitted, its startTime set, only once the victim,
    // which ignores SIGTERM for its 4 s of grace, has stopped)
    const stopped = await eventually(async () => ((await podStatus(c, 'adm-victim')).containerStatuses?.[0]?.state?.terminated as { finishedAt?: string } | undefined)?.finishedAt, { timeoutMs: 20_000, what: 'adm-victim stopped' });
    expect(Date.parse((critical as { startTime?: string }).startTime!)).toBeGreaterThanOrEqual(Date.parse(stopped));
    // more than all the node's cpu: no set of pods frees it
    await bound('adm-critical-huge', { priorityClassName: 'system-node-critical', containers: [ctr('main', 'exec sleep 3600', { resources: { requests: { cpu: '5000' } } })] });
    const huge = await failedWith('adm-critical-huge');
    expect(huge.reason).toBe('UnexpectedAdmissionError');
    expect(huge.message).toMatch(/^Pod was rejected: Unexpected error while attempting to recover from admission failure: preemption: error finding a set of pods to preempt: no set of running pods found to reclaim resources: \[\(res: cpu, q: \d+\), \]$/);
    expect((await podStatus(c, 'adm-critical')).phase).toBe('Running');
  });
});
