// Sidecar containers (init containers with restartPolicy Always, KEP-753) on a real node:
// started in order before the next init container and the app containers, restarted whenever
// they exit whatever the pod's restartPolicy, part of readiness, stopped after the app containers
// (in reverse order) on deletion, and stopped when a Job-like pod's app containers are done.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pods, StatusError } from '../../pkg/client/rest-client.js';
import { podStatusReason } from '../../pkg/apiserver/rest/table.js';
import { run } from '../../pkg/tsctl/cli.js';
import { eventually } from '../helpers/control-plane.js';
import { busyboxPod, ctr, image, podStatus, startCluster, type Cluster, type PodView } from './harness.js';

/** Another tag of the same busybox, for image changes. */
const image2 = 'tskube.local/busybox:e2e-v2';

let c: Cluster;
let hostDir: string;

beforeAll(async () => {
  c = await startCluster({ podCIDR: '10.199.3.0/25', extraImages: [image2] });
  hostDir = mkdtempSync(join(tmpdir(), 'tskube-sidecars-'));
}, 120_000);
afterAll(async () => {
  await c?.stop();
  if (hostDir) rmSync(hostDir, { recursive: true, force: true });
});

type Status = PodView & { initContainerStatuses?: { name: string; restartCount: number; ready: boolean; started?: boolean; containerID?: string; image?: string; state: Record<string, { reason?: string; exitCode?: number; finishedAt?: string }> }[] };
const status = (name: string) => podStatus(c, name) as Promise<Status>;
const create = (name: string, spec: Record<string, unknown>) => c.cp.admin.create(Pods, 'default', busyboxPod(name, spec));
const sidecar = (name: string, command: string, extra: Record<string, unknown> = {}) => ctr(name, command, { restartPolicy: 'Always', ...extra });
const cond = (st: Status, type: string) => st.conditions?.find((x) => x.type === type);

async function waitFor<T>(name: string, what: string, check: (st: Status) => T | undefined, timeoutMs = 60_000): Promise<T> {
  let last: Status | undefined;
  try {
    return await eventually(async () => check((last = await status(name))), { timeoutMs, what });
  } catch (e) {
    throw new Error(`${name}: ${what}; last status ${JSON.stringify(last)}`, { cause: e });
  }
}

async function gone(name: string): Promise<void> {
  await eventually(async () => {
    try {
      await c.cp.admin.get(Pods, 'default', name);
      return false;
    } catch (e) {
      return e instanceof StatusError && e.code === 404;
    }
  }, { timeoutMs: 60_000, what: `${name} gone` });
}

async function tsctl(...args: string[]): Promise<string> {
  let out = '';
  await run(['--kubeconfig', c.cp.kubeconfig, ...args], { out: (s) => (out += s), err: (s) => (out += s) });
  return out;
}

/** A sidecar serving /www over http on 8080 after a delay; started once its startup probe reaches it. */
const server = (delaySec: number) =>
  sidecar('server', `sleep ${delaySec}; mkdir -p /www && echo served-by-sidecar > /www/index.html && exec httpd -f -p 8080 -h /www`, {
    startupProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1, failureThreshold: 30 },
  });

// (each test has pods of its own and waits mostly on its containers' sleeps, probes and back-offs:
// they run at once)
describe.concurrent('sidecar containers', () => {
  it('start before the next init container and the app, which read from them; a restartPolicy Never pod ends Succeeded once its app is done', async () => {
    await create('job-like', {
      restartPolicy: 'Never',
      initContainers: [server(2), ctr('fetch', 'wget -qO- http://127.0.0.1:8080/')],
      containers: [ctr('app', 'wget -qO- http://127.0.0.1:8080/ && sleep 2')],
    });
    // The ordinary init container only ran once the sidecar had started: it succeeded at the first try.
    const running = await waitFor('job-like', 'app running with the sidecar started', (st) => (st.containerStatuses?.[0]?.state.running ? st : undefined));
    expect(running.initContainerStatuses?.map((s) => [s.name, s.restartCount])).toEqual([['server', 0], ['fetch', 0]]);
    expect(running.initContainerStatuses?.[0]).toMatchObject({ started: true, ready: true, state: { running: expect.anything() } });
    expect(running.initContainerStatuses?.[1]?.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(cond(running, 'Initialized')?.status).toBe('True');
    expect(running.phase).toBe('Running');
    expect(await tsctl('logs', 'job-like', '-c', 'fetch')).toBe('served-by-sidecar\n');

    // The app exits 0: the pod succeeds, and its sidecar is stopped rather than restarted.
    const done = await waitFor('job-like', 'Succeeded with the sidecar stopped', (st) => (st.phase === 'Succeeded' && st.initContainerStatuses?.[0]?.state.terminated ? st : undefined), 30_000);
    expect(done.containerStatuses?.[0]?.state.terminated).toMatchObject({ exitCode: 0 });
    expect(done.initContainerStatuses?.[0]).toMatchObject({ restartCount: 0, started: false, ready: false });
    expect(await tsctl('logs', 'job-like', '-c', 'app')).toBe('served-by-sidecar\n');
    await new Promise((r) => setTimeout(r, 3000));
    const later = await status('job-like');
    expect(later.phase).toBe('Succeeded');
    expect(later.initContainerStatuses?.[0]?.restartCount).toBe(0);
    await c.cp.admin.delete(Pods, 'default', 'job-like');
    await gone('job-like');
  });

  it('holds the next init container until a sidecar\'s postStart hook has finished', async () => {
    const mount = { volumeMounts: [{ name: 'data', mountPath: '/data' }] };
    await create('post-start', {
      restartPolicy: 'Never',
      volumes: [{ name: 'data', emptyDir: {} }],
      initContainers: [
        sidecar('side', 'exec sleep 3600', { ...mount, lifecycle: { postStart: { exec: { command: ['sh', '-c', 'sleep 2; touch /data/hooked'] } } } }),
        ctr('check', 'test -f /data/hooked', mount),
      ],
      containers: [ctr('app', 'exec sleep 3600')],
    });
    // (had the check run before the hook was done, it would have failed the Never pod)
    const st = await waitFor('post-start', 'app running', (s) => (s.containerStatuses?.[0]?.state.running || s.phase === 'Failed' ? s : undefined));
    expect(st.phase).toBe('Running');
    expect(st.initContainerStatuses?.[1]?.state.terminated).toMatchObject({ exitCode: 0 });
    await c.cp.admin.delete(Pods, 'default', 'post-start');
    await gone('post-start');
  });

  it('fails a restartPolicy Never pod whose init container after a sidecar fails, and stops the sidecar', async () => {
    await create('init-fails', {
      restartPolicy: 'Never',
      initContainers: [sidecar('side', 'exec sleep 3600'), ctr('broken', 'exit 7')],
      containers: [ctr('app', 'exec sleep 3600')],
    });
    const st = await waitFor('init-fails', 'Failed with the sidecar stopped', (s) => (s.phase === 'Failed' && s.initContainerStatuses?.[0]?.state.terminated ? s : undefined));
    expect(st.initContainerStatuses?.[1]?.state.terminated).toMatchObject({ exitCode: 7 });
    expect(st.initContainerStatuses?.[0]?.restartCount).toBe(0);
    expect(st.containerStatuses?.[0]?.state.waiting).toBeDefined();
    await c.cp.admin.delete(Pods, 'default', 'init-fails');
    await gone('init-fails');
  });

  it('restarts a sidecar that exits, whatever the pod\'s restartPolicy, while the app keeps running', async () => {
    await create('flaky', {
      restartPolicy: 'Never',
      initContainers: [sidecar('flaky', 'sleep 1; exit 3')],
      containers: [ctr('app', 'exec sleep 3600')],
    });
    const first = await waitFor('flaky', 'app running', (st) => (st.containerStatuses?.[0]?.state.running ? st : undefined));
    const appId = first.containerStatuses![0]!.containerID;
    const st = await waitFor('flaky', 'sidecar restarted twice', (s) => ((s.initContainerStatuses?.[0]?.restartCount ?? 0) >= 2 ? s : undefined), 60_000);
    expect(st.phase).toBe('Running');
    expect(st.containerStatuses?.[0]).toMatchObject({ containerID: appId, restartCount: 0, state: { running: expect.anything() } });
    expect(st.initContainerStatuses?.[0]?.state.terminated?.exitCode ?? 3).toBe(3);
    await c.cp.admin.delete(Pods, 'default', 'flaky');
    await gone('flaky');
  });

  it('makes a sidecar\'s readinessProbe part of the pod\'s readiness', async () => {
    await create('ready', {
      initContainers: [sidecar('side', 'exec sleep 3600', { readinessProbe: { exec: { command: ['test', '-f', '/tmp/ready'] }, periodSeconds: 1 } })],
      containers: [ctr('app', 'exec sleep 3600')],
    });
    const unready = await waitFor('ready', 'app running and ready', (st) => (st.containerStatuses?.[0]?.ready ? st : undefined));
    expect(unready.initContainerStatuses?.[0]).toMatchObject({ started: true, ready: false });
    expect(cond(unready, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [side]' });
    expect(cond(unready, 'Initialized')?.status).toBe('True');
    await tsctl('exec', 'ready', '-c', 'side', '--', 'touch', '/tmp/ready');
    const ready = await waitFor('ready', 'pod Ready', (st) => (cond(st, 'Ready')?.status === 'True' ? st : undefined), 30_000);
    expect(ready.initContainerStatuses?.[0]).toMatchObject({ started: true, ready: true });
    expect(podStatusReason(await c.cp.admin.get(Pods, 'default', 'ready'))).toMatchObject({ reason: 'Running', ready: 2, total: 2, restarts: 0 });
    await c.cp.admin.delete(Pods, 'default', 'ready');
    await gone('ready');
  });

  it('on deletion stops the app containers first, then the sidecars in reverse order', async () => {
    const out = join(hostDir, 'order');
    // Each writes a line when told to stop; the app takes a second to shut down.
    const onTerm = (line: string, delay = 0) => `trap '${delay ? `sleep ${delay}; ` : ''}echo ${line} >> /out/order; exit 0' TERM; while true; do sleep 0.2; done`;
    const mount = { volumeMounts: [{ name: 'out', mountPath: '/out' }] };
    await create('ordered', {
      terminationGracePeriodSeconds: 20,
      volumes: [{ name: 'out', hostPath: { path: hostDir, type: 'Directory' } }],
      initContainers: [sidecar('side-1', onTerm('side-1'), mount), sidecar('side-2', onTerm('side-2'), mount)],
      containers: [ctr('app', onTerm('app', 1), mount)],
    });
    await waitFor('ordered', 'all running', (st) => (st.containerStatuses?.[0]?.state.running && st.initContainerStatuses?.every((s) => s.state.running) ? st : undefined));
    await c.cp.admin.delete(Pods, 'default', 'ordered');
    await gone('ordered');
    expect(readFileSync(out, 'utf8').split('\n').filter(Boolean)).toEqual(['app', 'side-2', 'side-1']);
  });
  it("restarts an app container and a sidecar whose image a pod update changed (the kubelet's 'definition changed'), whatever the restart policy", async () => {
    await create('image-change', {
      restartPolicy: 'Never',
      initContainers: [sidecar('side', 'sleep 3600')],
      containers: [ctr('app', 'sleep 3600'), ctr('steady', 'sleep 3600')],
    });
    const before = await waitFor('image-change', 'every container running', (st) => (st.containerStatuses?.every((s) => s.state.running) && st.initContainerStatuses?.[0]?.state.running ? st : undefined));
    const pod = await c.cp.admin.get<{ spec: { containers: { name: string; image: string }[]; initContainers: { name: string; image: string }[] } }>(Pods, 'default', 'image-change');
    pod.spec.containers[0]!.image = image2;
    pod.spec.initContainers[0]!.image = image2;
    await c.cp.admin.update(Pods, 'default', 'image-change', pod);
    const after = await waitFor('image-change', 'app and sidecar restarted on the new image', (st) => {
      const app = st.containerStatuses?.find((s) => s.name === 'app');
      const side = st.initContainerStatuses?.[0];
      return app?.state.running && app.image === image2 && side?.state.running && side.image === image2 ? st : undefined;
    });
    const byName = (st: Status) => Object.fromEntries([...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])].map((s) => [s.name, s]));
    const a = byName(after);
    const b = byName(before);
    expect([a.app!.restartCount, a.side!.restartCount, a.steady!.restartCount]).toEqual([1, 1, 0]);
    // The untouched container kept running in the same container; the changed ones are new ones.
    expect(a.steady!.containerID).toBe(b.steady!.containerID);
    expect(a.app!.containerID).not.toBe(b.app!.containerID);
    expect((a.steady as { image?: string }).image).toBe(image);
    expect(after.phase).toBe('Running');
    const events = await tsctl('describe', 'pod', 'image-change');
    expect(events).toContain('Container app definition changed, will be restarted');
    expect(events).toContain('Container side definition changed, will be restarted');
    await c.cp.admin.delete(Pods, 'default', 'image-change', { gracePeriodSeconds: 0 }).catch(() => {});
  }, 120_000);
});
