// RuntimeClasses on a real node: a pod of a runc class runs, its pod cgroup limited to the sum of
// its limits plus the class's overhead (the kubelet's pod cgroup); a handler added with
// --runtime-handlers runs the pod's containers with its own binary; a handler the node does not
// have leaves the pod Pending with no sandbox and no containers, and the kubelet's
// FailedCreatePodSandBox event, retried; such a pod can still be deleted.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event, Pod, RuntimeClass } from '../../pkg/api/types.js';
import { Events, Pods, RuntimeClasses } from '../../pkg/client/rest-client.js';
import { cgroupLayout, podCgroupPath } from '../../pkg/runtime/cgroups.js';
import { RUNC } from '../../pkg/runtime/runc.js';
import { eventually, failure, sleep } from '../helpers/control-plane.js';
import { busyboxPod, ctr, podStatus, startCluster, type Cluster } from './harness.js';

let c: Cluster;
const tmp = mkdtempSync(join(tmpdir(), 'tskube-rc-'));
const wrapper = join(tmp, 'runc-logged');
const calls = join(tmp, 'calls');

beforeAll(async () => {
  // A runc-compatible handler: runc itself, behind a script that notes each call.
  writeFileSync(wrapper, `#!/bin/sh\necho "$@" >> ${calls}\nexec ${RUNC} "$@"\n`);
  chmodSync(wrapper, 0o755);
  c = await startCluster({ podCIDR: '10.199.2.0/25', runtimeHandlers: { logged: wrapper } });
}, 120_000);
afterAll(async () => {
  await c?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const rc = (name: string, handler: string, extra: Partial<RuntimeClass> = {}): RuntimeClass => ({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name }, handler, ...extra });

/** A value of the cgroup of a Guaranteed pod, in the node's pods cgroup (v1: under the controller's hierarchy; v2: the unified file). */
function podCgroupValue(uid: string, v1: [string, string], v2: string): string {
  const path = podCgroupPath(c.cfg.cgroupRoot, uid);
  const { mode, hierarchies } = cgroupLayout();
  if (mode === 'v2') return readFileSync(join('/sys/fs/cgroup', path, v2), 'utf8').trim();
  const mount = hierarchies.find((h) => h.controllers.includes(v1[0]))!.mount;
  return readFileSync(join(mount, path, v1[1]), 'utf8').trim();
}

const running = (name: string) =>
  eventually(async () => {
    const st = await podStatus(c, name);
    return st.phase === 'Running' && st.containerStatuses?.every((s) => s.state.running) ? st : undefined;
  }, { timeoutMs: 60_000, what: `${name} running` });

describe('RuntimeClass on the node', () => {
  it('runs a pod of a runc class with its pod cgroup limited to its limits plus the overhead', async () => {
    await c.cp.admin.create(RuntimeClasses, undefined, rc('standard', 'runc', { overhead: { podFixed: { cpu: '100m', memory: '32Mi' } } }));
    const created = await c.cp.admin.create<Pod>(
      Pods,
      'default',
      busyboxPod('with-overhead', { runtimeClassName: 'standard', containers: [ctr('main', 'exec sleep 3600', { resources: { limits: { cpu: '200m', memory: '64Mi' } } })] }),
    );
    expect(created.spec?.overhead).toEqual({ cpu: '100m', memory: '32Mi' });
    await running('with-overhead');
    const uid = created.metadata!.uid!;
    const v2 = cgroupLayout().mode === 'v2';
    // 64Mi + 32Mi; 200m + 100m of a 100 ms period
    expect(Number(podCgroupValue(uid, ['memory', 'memory.limit_in_bytes'], 'memory.max'))).toBe(96 * 1024 * 1024);
    if (v2) expect(podCgroupValue(uid, ['cpu', ''], 'cpu.max')).toBe('30000 100000');
    else expect(podCgroupValue(uid, ['cpu', 'cpu.cfs_quota_us'], '')).toBe('30000');
    // a pod of no class gets the sum of its limits alone
    const plain = await c.cp.admin.create<Pod>(Pods, 'default', busyboxPod('no-class', { containers: [ctr('main', 'exec sleep 3600', { resources: { limits: { cpu: '200m', memory: '64Mi' } } })] }));
    await running('no-class');
    expect(Number(podCgroupValue(plain.metadata!.uid!, ['memory', 'memory.limit_in_bytes'], 'memory.max'))).toBe(64 * 1024 * 1024);
    expect(existsSync(calls)).toBe(false);
  });

  // (the next two, each with a class and a pod of its own, run at once: one waits on its pod, the
  // other on the back-off of its failed sandbox)
  it.concurrent('runs the containers of a class whose handler --runtime-handlers maps with that binary', async () => {
    await c.cp.admin.create(RuntimeClasses, undefined, rc('logged', 'logged'));
    await c.cp.admin.create(Pods, 'default', busyboxPod('logged', { runtimeClassName: 'logged', containers: [ctr('main', 'exec sleep 3600')] }));
    const st = await running('logged');
    const id = st.containerStatuses![0]!.containerID!.replace(/^[a-z]+:\/\//, '');
    const log = readFileSync(calls, 'utf8');
    expect(log).toMatch(new RegExp(`create .*${id}`));
    expect(log).toMatch(new RegExp(`start ${id}`));
    // exec goes through the pod's handler too
    expect((await c.agent.runtime.execSync(id, ['echo', 'hi'])).stdout).toBe('hi\n');
    expect(readFileSync(calls, 'utf8')).toMatch(new RegExp(`exec --pid-file \\S+ ${id} echo hi`));
    await c.cp.admin.delete(Pods, 'default', 'logged');
    await eventually(async () => (await failure(c.cp.admin.get(Pods, 'default', 'logged'))).code === 404, { timeoutMs: 30_000, what: 'logged pod gone' });
  });

  it.concurrent('does not start a pod whose handler the node lacks: FailedCreatePodSandBox, retried, no containers', async () => {
    await c.cp.admin.create(RuntimeClasses, undefined, rc('kata', 'kata-fc'));
    const created = await c.cp.admin.create<Pod>(Pods, 'default', busyboxPod('no-handler', { runtimeClassName: 'kata', containers: [ctr('main', 'exec sleep 3600')] }));
    const uid = created.metadata!.uid!;
    const failed = async () => (await c.cp.admin.list<Event>(Events, 'default', { fieldSelector: 'involvedObject.name=no-handler,reason=FailedCreatePodSandBox' })).items;
    const first = await eventually(async () => ((await failed()).length ? (await failed())[0] : undefined), { timeoutMs: 30_000, what: 'FailedCreatePodSandBox' });
    expect(first!.type).toBe('Warning');
    expect(first!.message).toBe('Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox runtime: no runtime for "kata-fc" is configured');
    expect(first!.source?.component).toBe('kubelet');
    // retried with back-off (1 s doubling to 4 s here): the event is seen again
    await eventually(async () => ((await failed())[0]?.count ?? 0) >= 2, { timeoutMs: 30_000, what: 'a second attempt' });
    const st = await podStatus(c, 'no-handler');
    expect(st.phase).toBe('Pending');
    expect(st.containerStatuses?.[0]?.state).toEqual({ waiting: { reason: 'ContainerCreating' } });
    // nothing was made for it on the node
    expect(await c.agent.runtime.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': uid } })).toEqual([]);
    expect(await c.agent.runtime.listContainers({ labelSelector: { 'io.kubernetes.pod.uid': uid } })).toEqual([]);
    await c.cp.admin.delete(Pods, 'default', 'no-handler');
    await eventually(async () => (await failure(c.cp.admin.get(Pods, 'default', 'no-handler'))).code === 404, { timeoutMs: 30_000, what: 'pending pod deleted' });
  });

  it('reports a class deleted after the pod was admitted, as the kubelet does', async () => {
    await c.cp.admin.create(RuntimeClasses, undefined, rc('fleeting', 'runc'));
    // a scheduling gate keeps the scheduler away until the class is gone (admission wanted it then)
    await c.cp.admin.create(Pods, 'default', busyboxPod('orphan', { runtimeClassName: 'fleeting', schedulingGates: [{ name: 'example.com/wait' }], containers: [ctr('main', 'exec sleep 3600')] }));
    await c.cp.admin.delete(RuntimeClasses, undefined, 'fleeting');
    await sleep(200);
    // the gate lifted, the pod is scheduled and bound to a node whose agent finds no class
    await c.cp.admin.patch(Pods, 'default', 'orphan', [{ op: 'remove', path: '/spec/schedulingGates' }], 'json');
    const ev = await eventually(
      async () => (await c.cp.admin.list<Event>(Events, 'default', { fieldSelector: 'involvedObject.name=orphan,reason=FailedCreatePodSandBox' })).items[0],
      { timeoutMs: 30_000, what: 'FailedCreatePodSandBox for a missing class' },
    );
    expect(ev!.message).toBe('Failed to create pod sandbox: runtimeclass.node.k8s.io "fleeting" not found');
    await c.cp.admin.delete(Pods, 'default', 'orphan');
  });
});
