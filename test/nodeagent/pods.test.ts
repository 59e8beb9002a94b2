// Pod behaviours Kubernetes' own node conformance tests check, on a real single-node cluster
// (apiserver + etcd, scheduler, node agent with runc and kernel networking).
import { closeSync, constants as fsc, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { get as httpsGet } from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { hostDevices } from '../../pkg/runtime/host-devices.js';
import { Channel, frame, parseFrame, resizeFrame, STREAM_PROTOCOLS, type TerminalSize } from '../../pkg/client/remote-command.js';
import { ClusterRoleBindings, ClusterRoles, core, Events, Pods, ServiceAccounts, StatusError } from '../../pkg/client/rest-client.js';
import { parseQuantity } from '../../pkg/api/quantity.js';
import { run } from '../../pkg/tsctl/cli.js';
import { setWinSize } from '../../pkg/runtime/pty.js';
import { MNT_DETACH, umount } from '../../pkg/runtime/syscalls.js';
import { exec } from '../../pkg/tsctl/streams.js';
import { hasKubectl } from '../helpers/kubectl.js';
import { eventually, sleep } from '../helpers/control-plane.js';
import { busyboxPod, ctr, image, podStatus, startCluster, watchPod, type Cluster } from './harness.js';
import { startRegistry } from '../runtime/helpers.js';
import { startGrpcHealthServer } from '../helpers/grpc-health.js';

let c: Cluster;

beforeAll(async () => {
  c = await startCluster();
}, 120_000);
afterAll(async () => {
  await c?.stop();
});

const create = (name: string, spec: Record<string, unknown>) => c.cp.admin.create(Pods, 'default', busyboxPod(name, spec));
/** Waits for a phase; a timeout says what the pod's status was last. */
async function phaseIs(name: string, phase: string, timeoutMs = 30_000): Promise<void> {
  let last: unknown;
  try {
    await eventually(async () => {
      const st = await podStatus(c, name);
      last = st;
      return st.phase === phase ? true : undefined;
    }, { timeoutMs, what: `${name} ${phase}` });
  } catch (e) {
    throw new Error(`${(e as Error).message}; last status: ${JSON.stringify(last)}`, { cause: e });
  }
}
const gone = (name: string, timeoutMs = 30_000) =>
  eventually(async () => {
    try {
      await c.cp.admin.get(Pods, 'default', name);
      return false;
    } catch (e) {
      return e instanceof StatusError && e.code === 404;
    }
  }, { timeoutMs, what: `${name} deleted` });

/** The stock kubectl, run asynchronously against the cluster; `input` is written to its stdin after half a second. */
const kubectl = (args: string[], input?: string) =>
  new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn('kubectl', ['--kubeconfig', c.cp.kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: join(c.cfg.dataDir, 'kubecache') } });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('close', (code) => resolve({ code, out }));
    if (input !== undefined) setTimeout(() => child.stdin.end(input), 500);
    else child.stdin.end();
  });

async function tsctl(...args: string[]): Promise<string> {
  let out = '';
  await run(['--kubeconfig', c.cp.kubeconfig, ...args], { out: (s) => (out += s), err: (s) => (out += s) });
  return out;
}

describe('pod lifecycle', () => {
  it('is submitted, runs and is removed, each step seen on a watch', async () => {
    const seen: string[] = [];
    // With no readiness probe a running container is ready: no status may say Running but not Ready.
    const runningUnready: unknown[] = [];
    const w = await watchPod(c, 'life', (e) => {
      const st = e.object.status as { phase?: string; conditions?: { type: string; status: string }[] } | undefined;
      seen.push(`${e.type}:${st?.phase ?? ''}`);
      if (e.type !== 'DELETED' && !e.object.metadata?.deletionTimestamp && st?.phase === 'Running' && !st.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')) runningUnready.push(st);
    });
    await create('life', { containers: [ctr('main', 'sleep 3600')] });
    await phaseIs('life', 'Running');
    const st = await podStatus(c, 'life');
    expect(st.podIP).toMatch(/^10\.199\.0\.\d+$/);
    expect(st.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'True' }));
    expect(st.qosClass).toBe('BestEffort');
    await c.cp.admin.delete(Pods, 'default', 'life');
    await gone('life');
    await eventually(() => seen.some((s) => s.startsWith('DELETED')));
    w.stop();
    expect(seen[0]).toBe('ADDED:Pending');
    expect(seen).toContain('MODIFIED:Running');
    expect(runningUnready).toEqual([]);
  });

  it('logs print what the container wrote; a termination reason is reported', async () => {
    await create('echo', { restartPolicy: 'Never', containers: [ctr('main', 'echo hello from the pod; echo to stderr >&2; exit 3')] });
    await phaseIs('echo', 'Failed');
    const st = await podStatus(c, 'echo');
    expect(st.containerStatuses![0]!.state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(st.containerStatuses![0]!.restartCount).toBe(0);
    expect(await tsctl('logs', 'echo')).toBe('hello from the pod\nto stderr\n');
  });

  it('reports the termination message, from the file or (FallbackToLogsOnError) from the logs', async () => {
    await create('term-msg', { restartPolicy: 'Never', containers: [ctr('main', 'echo -n "DONE: all good" > /dev/termination-log; exit 0')] });
    await create('term-logs', { restartPolicy: 'Never', containers: [ctr('main', 'echo first; echo last words; exit 2', { terminationMessagePolicy: 'FallbackToLogsOnError' })] });
    await phaseIs('term-msg', 'Succeeded');
    await phaseIs('term-logs', 'Failed');
    expect((await podStatus(c, 'term-msg')).containerStatuses![0]!.state.terminated?.message).toBe('DONE: all good');
    // (the log's tail as it was written)
    expect((await podStatus(c, 'term-logs')).containerStatuses![0]!.state.terminated?.message).toBe('first\nlast words\n');
    await c.cp.admin.delete(Pods, 'default', 'term-msg');
    await c.cp.admin.delete(Pods, 'default', 'term-logs');
  });

  it('a long termination message keeps the file\'s last 4096 bytes, each of the pod\'s messages its share of 12 KiB', async () => {
    // (10 bytes a line: 600 lines are 6000 bytes; of a pod of four containers each keeps 3072)
    const lines = 'i=0; while [ $i -lt 600 ]; do printf "line %04d\\n" $i; i=$((i+1)); done > /dev/termination-log; exit 1';
    await create('term-big', { restartPolicy: 'Never', containers: [ctr('main', lines)] });
    await create('term-shared', { restartPolicy: 'Never', containers: ['a', 'b', 'c', 'd'].map((n) => ctr(n, lines)) });
    await phaseIs('term-big', 'Failed');
    await phaseIs('term-shared', 'Failed');
    const big = (await podStatus(c, 'term-big')).containerStatuses![0]!.state.terminated!.message!;
    expect(big.length).toBe(4096);
    expect(big.endsWith('line 0599\n')).toBe(true);
    const shared = (await podStatus(c, 'term-shared')).containerStatuses!.map((s) => s.state.terminated?.message);
    expect(shared).toEqual(Array(4).fill(big.slice(0, 3072)));
    await c.cp.admin.delete(Pods, 'default', 'term-big');
    await c.cp.admin.delete(Pods, 'default', 'term-shared');
  });

  it('restart policies: Never ends Succeeded, OnFailure restarts failures, Always restarts exits', async () => {
    await create('never-ok', { restartPolicy: 'Never', containers: [ctr('main', 'exit 0')] });
    await create('onfailure', { restartPolicy: 'OnFailure', containers: [ctr('main', 'exit 1')] });
    await create('always', { restartPolicy: 'Always', containers: [ctr('main', 'exit 0')] });
    await phaseIs('never-ok', 'Succeeded');
    expect((await podStatus(c, 'never-ok')).containerStatuses![0]!.state.terminated?.reason).toBe('Completed');
    await eventually(async () => ((await podStatus(c, 'onfailure')).containerStatuses?.[0]?.restartCount ?? 0) >= 2, { timeoutMs: 30_000 });
    await eventually(async () => ((await podStatus(c, 'always')).containerStatuses?.[0]?.restartCount ?? 0) >= 2, { timeoutMs: 30_000 });
    const always = await podStatus(c, 'always');
    expect(always.phase).toBe('Running');
    expect(always.containerStatuses![0]!.lastState.terminated?.reason).toBe('Completed');
    await eventually(async () => (await podStatus(c, 'onfailure')).containerStatuses?.[0]?.state.waiting?.reason === 'CrashLoopBackOff', { timeoutMs: 20_000 });
    const evs = await c.cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=onfailure,reason=BackOff' });
    expect(evs.items.length).toBeGreaterThan(0);
    for (const n of ['never-ok', 'onfailure', 'always', 'echo']) await c.cp.admin.delete(Pods, 'default', n);
  });

  it('a command that does not exist is a StartError (exit 128): a Never pod fails, an Always pod backs off', async () => {
    await create('no-cmd-never', { restartPolicy: 'Never', containers: [ctr('main', '', { command: ['no-such-command'] })] });
    await create('no-cmd-always', { restartPolicy: 'Always', containers: [ctr('main', '', { command: ['no-such-command'] })] });
    await phaseIs('no-cmd-never', 'Failed');
    const want = 'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "no-such-command": executable file not found in $PATH: unknown';
    const t = (await podStatus(c, 'no-cmd-never')).containerStatuses![0]!.state.terminated;
    expect(t).toMatchObject({ exitCode: 128, reason: 'StartError', message: want, startedAt: '1970-01-01T00:00:00Z' });
    const evs = (await c.cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=no-cmd-never' })).items.map((e) => `${e.reason}: ${e.message}`);
    expect(evs).toContain('Created: Created container main');
    expect(evs).toContain(`Failed: Error: ${want}`);
    await eventually(async () => ((await podStatus(c, 'no-cmd-always')).containerStatuses?.[0]?.restartCount ?? 0) >= 1, { timeoutMs: 30_000, what: 'a second attempt' });
    const always = (await podStatus(c, 'no-cmd-always')).containerStatuses![0]!;
    expect(always.lastState.terminated?.reason).toBe('StartError');
    expect(['RunContainerError', 'CrashLoopBackOff']).toContain(always.state.waiting?.reason);
    for (const n of ['no-cmd-never', 'no-cmd-always']) await c.cp.admin.delete(Pods, 'default', n);
  });

  it('init containers run in order before app containers', async () => {
    await create('init-ok', {
      volumes: [{ name: 'work', emptyDir: {} }],
      initContainers: [ctr('first', 'echo 1 >> /work/order', { volumeMounts: [{ name: 'work', mountPath: '/work' }] }), ctr('second', 'echo 2 >> /work/order', { volumeMounts: [{ name: 'work', mountPath: '/work' }] })],
      containers: [ctr('main', 'echo 3 >> /work/order; cat /work/order; sleep 3600', { volumeMounts: [{ name: 'work', mountPath: '/work' }] })],
    });
    await phaseIs('init-ok', 'Running');
    await eventually(async () => (await tsctl('logs', 'init-ok', '-c', 'main')) === '1\n2\n3\n');
    const st = await podStatus(c, 'init-ok');
    expect(st.conditions).toContainEqual(expect.objectContaining({ type: 'Initialized', status: 'True' }));
    expect(st.initContainerStatuses!.map((s) => s.state.terminated?.reason)).toEqual(['Completed', 'Completed']);
    await c.cp.admin.delete(Pods, 'default', 'init-ok');
  });

  it('a failing init container fails a Never pod without starting app containers, and is retried for Always', async () => {
    await create('init-never', { restartPolicy: 'Never', initContainers: [ctr('bad', 'exit 1')], containers: [ctr('main', 'sleep 3600')] });
    await create('init-always', { restartPolicy: 'Always', initContainers: [ctr('bad', 'exit 1')], containers: [ctr('main', 'sleep 3600')] });
    await phaseIs('init-never', 'Failed');
    const never = await podStatus(c, 'init-never');
    expect(never.containerStatuses![0]!.state.waiting?.reason).toBe('PodInitializing');
    await eventually(async () => ((await podStatus(c, 'init-always')).initContainerStatuses?.[0]?.restartCount ?? 0) >= 2, { timeoutMs: 30_000 });
    const always = await podStatus(c, 'init-always');
    expect(always.phase).toBe('Pending');
    expect(always.containerStatuses![0]!.state.waiting?.reason).toBe('PodInitializing');
    await c.cp.admin.delete(Pods, 'default', 'init-never');
    await c.cp.admin.delete(Pods, 'default', 'init-always');
  });
});

// (its pods wait out their deadlines, pods of its own: it runs at once with the probes and hooks
// below, a concurrent block next to it)
describe.concurrent('activeDeadlineSeconds', () => {
  it('fails a pod active longer than its deadline (DeadlineExceeded) and stops its containers; a pod that ends first keeps its phase', async () => {
    // (counted from the start time, which the node sets before it makes the sandbox, as the kubelet's
    // status manager: long enough for the container to be seen running first)
    await create('deadline', { activeDeadlineSeconds: 6, terminationGracePeriodSeconds: 1, containers: [ctr('main', 'trap "exit 0" TERM; while true; do sleep 0.1; done')] });
    // (and meanwhile, a pod that succeeds before its deadline: checked once that has passed, below)
    await create('quick', { activeDeadlineSeconds: 5, restartPolicy: 'Never', containers: [ctr('main', 'true')] });
    await phaseIs('quick', 'Succeeded');
    const quickEndedAt = Date.now();
    await phaseIs('deadline', 'Running');
    await phaseIs('deadline', 'Failed', 15_000);
    const st = await podStatus(c, 'deadline');
    expect(st).toMatchObject({ reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' });
    await eventually(async () => !!(await podStatus(c, 'deadline')).containerStatuses?.[0]?.state?.terminated, { what: 'the container stopped' });
    // Not restarted, though its policy is Always.
    await sleep(1500);
    expect((await podStatus(c, 'deadline')).containerStatuses?.[0]).toMatchObject({ restartCount: 0, state: { terminated: expect.anything() } });
    const events = await c.cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=deadline' });
    expect(events.items.map((e) => (e as { reason?: string }).reason)).toContain('DeadlineExceeded');
    // A pod that succeeded before its deadline stays Succeeded after it.
    await sleep(quickEndedAt + 5500 - Date.now());
    expect((await podStatus(c, 'quick')).phase).toBe('Succeeded');
  });
});

// (these tests wait mostly on probe periods, back-offs and grace periods, each with pods of its
// own: they run at once)
describe.concurrent('probes and hooks', () => {
  it('a failing exec liveness probe restarts the container with a rising restartCount', async () => {
    await create('live-exec', { containers: [ctr('main', 'touch /tmp/health; sleep 2; rm /tmp/health; sleep 3600', { livenessProbe: { exec: { command: ['cat', '/tmp/health'] }, periodSeconds: 1, failureThreshold: 1 } })] });
    await eventually(async () => ((await podStatus(c, 'live-exec')).containerStatuses?.[0]?.restartCount ?? 0) >= 1, { timeoutMs: 30_000 });
    const first = (await podStatus(c, 'live-exec')).containerStatuses![0]!.restartCount;
    await eventually(async () => ((await podStatus(c, 'live-exec')).containerStatuses?.[0]?.restartCount ?? 0) > first, { timeoutMs: 30_000 });
    const evs = await c.cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=live-exec,reason=Unhealthy' });
    expect(evs.items.length).toBeGreaterThan(0);
    // Worded as the kubelet words it (the probe's output), as in Kubernetes' own liveness tutorial.
    expect(evs.items.map((e) => (e as { message?: string }).message)).toContain("Liveness probe failed: cat: can't open '/tmp/health': No such file or directory\n");
    await c.cp.admin.delete(Pods, 'default', 'live-exec');
  });

  it('an http liveness probe on a healthy server does not restart; readiness waits for initialDelaySeconds', async () => {
    const created = Date.now();
    await create('http-ok', {
      containers: [
        ctr('web', 'mkdir -p /www && echo ok > /www/healthz && httpd -f -p 8080 -h /www', {
          // Generous thresholds: a loaded CI machine may be slow to start httpd, not unhealthy.
          livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, initialDelaySeconds: 1, periodSeconds: 1, timeoutSeconds: 3, failureThreshold: 5 },
          readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, initialDelaySeconds: 3, periodSeconds: 1 },
        }),
      ],
    });
    const readyAt = await eventually(async () => ((await podStatus(c, 'http-ok')).containerStatuses?.[0]?.ready ? Date.now() : undefined), { timeoutMs: 30_000 });
    expect(readyAt - created).toBeGreaterThanOrEqual(3000);
    await sleep(3000);
    const st = await podStatus(c, 'http-ok');
    expect(st.containerStatuses![0]!.restartCount).toBe(0);
    expect(st.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'True' }));
    await c.cp.admin.delete(Pods, 'default', 'http-ok');
  });

  it('a failing http liveness probe restarts; a failing readiness probe turns Ready false', async () => {
    await create('http-bad', {
      containers: [
        // (httpd starts once /www exists: started beside the mkdir, it could exit at once, and a
        // crash loop passed for the liveness restart)
        ctr('web', 'mkdir -p /www && echo ok > /www/healthz && { (sleep 4; rm /www/healthz) & exec httpd -f -p 8080 -h /www; }', {
          livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 2 },
        }),
        ctr('side', 'mkdir -p /r && touch /r/ready && sleep 3600', { readinessProbe: { exec: { command: ['cat', '/r/ready'] }, periodSeconds: 1, failureThreshold: 1 } }),
      ],
    });
    await eventually(async () => (await podStatus(c, 'http-bad')).conditions?.some((x) => x.type === 'Ready' && x.status === 'True'), { timeoutMs: 30_000, what: 'ready' });
    await tsctl('exec', 'http-bad', '-c', 'side', '--', 'rm', '/r/ready');
    await eventually(async () => {
      const st = await podStatus(c, 'http-bad');
      return st.containerStatuses?.find((x) => x.name === 'side')?.ready === false && st.conditions?.some((x) => x.type === 'Ready' && x.status === 'False');
    }, { timeoutMs: 15_000, what: 'Ready false while the readiness probe fails' });
    await eventually(async () => ((await podStatus(c, 'http-bad')).containerStatuses?.find((x) => x.name === 'web')?.restartCount ?? 0) >= 1, { timeoutMs: 30_000, what: 'http liveness restart' });
    const killing = await c.cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=http-bad,reason=Killing' });
    expect(killing.items.map((e) => e.message)).toContain('Container web failed liveness probe, will be restarted');
    // The kubelet's /metrics/probes counted them, by result; the series go with the pod.
    // (an empty page once no probe series is left, as client_golang writes a registry with none: the client reads no body)
    const probes = async () => (await c.cp.admin.request<string | undefined>(`/api/v1/nodes/${c.cfg.nodeName}/proxy/metrics/probes`, { accept: 'text/plain' })) ?? '';
    const count = (text: string, type: string, container: string, result: string) =>
      Number(new RegExp(`^prober_probe_total\\{(?=[^}]*probe_type="${type}")(?=[^}]*container="${container}")(?=[^}]*pod="http-bad")(?=[^}]*result="${result}")[^}]*\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    const text = await probes();
    // (a loaded machine may start httpd after the first liveness probes: only failures are sure there)
    expect(count(text, 'Liveness', 'web', 'failed')).toBeGreaterThanOrEqual(2);
    expect(count(text, 'Readiness', 'side', 'successful')).toBeGreaterThan(0);
    expect(count(text, 'Readiness', 'side', 'failed')).toBeGreaterThan(0);
    expect(text).toMatch(/^prober_probe_duration_seconds_count\{[^}]*container="side"[^}]*probe_type="Readiness"[^}]*\} [1-9]/m);
    await c.cp.admin.delete(Pods, 'default', 'http-bad');
    await gone('http-bad', 20_000);
    await eventually(async () => !(await probes()).includes('pod="http-bad"'), { timeoutMs: 10_000, what: 'probe series removed' });
  });

  it('a gRPC readiness probe asks the pod\'s health service (grpc.health.v1) and follows its answers', async () => {
    await create('grpc-probe', {
      containers: [ctr('app', 'sleep 3600', { readinessProbe: { grpc: { port: 9555 }, periodSeconds: 1, failureThreshold: 1, timeoutSeconds: 1 }, livenessProbe: { grpc: { port: 9555, service: 'liveness' }, initialDelaySeconds: 600 } })],
    });
    await phaseIs('grpc-probe', 'Running');
    const podIP = (await podStatus(c, 'grpc-probe')).podIP!;
    const unhealthy = async () => (await c.cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=grpc-probe,reason=Unhealthy' })).items.map((e) => e.message ?? '');
    // Nothing listens yet: the kubelet's connect timeout.
    await eventually(async () => (await unhealthy()).includes(`Readiness probe failed: timeout: failed to connect service "${podIP}:9555" within 1s: context deadline exceeded`), { timeoutMs: 20_000, what: 'the connect-timeout event' });
    // The app's health server, in the pod's network namespace as the app's own would be.
    const netns = [...c.agent.workers.values()].find((w) => w.pod.metadata?.name === 'grpc-probe')?.sandbox?.netnsPath;
    if (!netns) throw new Error('grpc-probe has no sandbox');
    const server = await startGrpcHealthServer(9555, { netns });
    const ready = async (want: boolean) => (await podStatus(c, 'grpc-probe')).conditions?.some((x) => x.type === 'Ready' && x.status === (want ? 'True' : 'False'));
    try {
      await server.set('', 'SERVING');
      await eventually(() => ready(true), { timeoutMs: 15_000, what: 'Ready once the health service says SERVING' });
      await server.set('', 'NOT_SERVING');
      await eventually(() => ready(false), { timeoutMs: 15_000, what: 'not Ready on NOT_SERVING' });
      await eventually(async () => (await unhealthy()).includes('Readiness probe failed: service unhealthy (responded with "NOT_SERVING")'), { timeoutMs: 10_000, what: 'the NOT_SERVING event' });
      expect(server.checks.some((x) => x.startsWith('- ua=kube-probe/1.32'))).toBe(true);
    } finally {
      // (before the pod goes: the server holds its network namespace)
      await server.stop();
    }
    await c.cp.admin.delete(Pods, 'default', 'grpc-probe');
    await gone('grpc-probe', 20_000);
  });

  it('a readiness gate holds Ready until another controller sets its condition True', async () => {
    await create('gated', { readinessGates: [{ conditionType: 'example.com/lb-registered' }], containers: [ctr('app', 'sleep 3600')] });
    const conds = async () => new Map(((await podStatus(c, 'gated')).conditions ?? []).map((x) => [x.type, x]));
    await eventually(async () => (await conds()).get('ContainersReady')?.status === 'True', { timeoutMs: 30_000, what: 'containers ready' });
    expect((await conds()).get('Ready')).toMatchObject({ status: 'False', reason: 'ReadinessGatesNotReady', message: 'corresponding condition of pod readiness gate "example.com/lb-registered" does not exist.' });
    // The load balancer's controller registers the pod (a status patch, as kubectl patch --subresource=status).
    await c.cp.admin.patch(Pods, 'default', 'gated', { status: { conditions: [{ type: 'example.com/lb-registered', status: 'True' }] } }, 'strategic', 'status');
    await eventually(async () => (await conds()).get('Ready')?.status === 'True', { timeoutMs: 15_000, what: 'Ready once the gate is True' });
    expect((await conds()).get('example.com/lb-registered')?.status).toBe('True');
    await c.cp.admin.delete(Pods, 'default', 'gated');
    await gone('gated', 20_000);
  });

  it('setHostnameAsFQDN gives the pod\'s kernel hostname its FQDN', async () => {
    await create('fqdn', { hostname: 'db', subdomain: 'sub', setHostnameAsFQDN: true, restartPolicy: 'Never', containers: [ctr('app', 'hostname; cat /etc/hostname')] });
    await phaseIs('fqdn', 'Succeeded');
    expect(await tsctl('logs', 'fqdn')).toBe('db.sub.default.svc.cluster.local\ndb.sub.default.svc.cluster.local\n');
    await c.cp.admin.delete(Pods, 'default', 'fqdn');
    await gone('fqdn', 20_000);
  });

  it('preStop runs on delete and the container is killed after the grace period', async () => {
    await create('prestop', {
      terminationGracePeriodSeconds: 3,
      volumes: [{ name: 'out', emptyDir: {} }],
      containers: [ctr('main', 'trap "" TERM; sleep 3600', { lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo prestop ran > /proc/1/fd/1'] } } } })],
    });
    await phaseIs('prestop', 'Running');
    const t0 = Date.now();
    await c.cp.admin.delete(Pods, 'default', 'prestop');
    await gone('prestop', 20_000);
    // SIGTERM is ignored: the pod goes only after its 3 s grace period.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2500);
    const evs = await c.cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=prestop,reason=Killing' });
    expect(evs.items.length).toBeGreaterThan(0);
  });

  it('a failing postStart hook kills the container (gracefully, as killContainer), which starts again; its events do not carry what the hook printed', async () => {
    const main = 'trap "echo got TERM; exit 0" TERM; echo up; while true; do sleep 1; done';
    await create('hookfail', { terminationGracePeriodSeconds: 5, containers: [ctr('main', main, { lifecycle: { postStart: { exec: { command: ['sh', '-c', 'sleep 1; echo secret-token; exit 3'] } } } })] });
    await eventually(async () => ((await podStatus(c, 'hookfail')).containerStatuses?.[0]?.restartCount ?? 0) >= 1, { timeoutMs: 30_000, what: 'a restart after the failed hook' });
    // (SIGTERM first: the killed container had time to say so)
    expect(await tsctl('logs', 'hookfail', '--previous')).toBe('up\ngot TERM\n');
    const evs = (await c.cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=hookfail' })).items as { reason?: string; message?: string }[];
    // As the kubelet's: the hook's output stays out of the API (it may hold secrets).
    expect(evs.filter((e) => e.reason === 'FailedPostStartHook').map((e) => e.message)).toContain('PostStartHook failed');
    expect(evs.filter((e) => e.reason === 'Killing').map((e) => e.message)).toContain('FailedPostStartHook');
    expect(evs.some((e) => e.message?.includes('secret-token'))).toBe(false);
    await c.cp.admin.delete(Pods, 'default', 'hookfail', { gracePeriodSeconds: 0 });
  });
});

describe('ConfigMaps and Secrets in pods', () => {
  const ConfigMaps = core('configmaps');
  const Secrets = core('secrets');

  it('env, envFrom and volumes (configMap, secret, downwardAPI) reach the container; API volumes are read-only', async () => {
    await c.cp.admin.create(ConfigMaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config' }, data: { LEVEL: 'debug', 'app.conf': 'x=1\n', '1st': 'not a variable name' } });
    await c.cp.admin.create(Secrets, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app-secret' }, stringData: { password: 'hunter2' } });
    const script = 'echo "$LEVEL $PASS $CM_LEVEL $CPU_M $MEM_MI"; cat /etc/cfg/app.conf /etc/sec/password; echo; stat -Lc %a /etc/sec/password; cat /etc/pod/name; echo; touch /etc/cfg/new 2>/dev/null || echo read-only; stat -fc %T /etc/sec /etc/cfg; tr \\\\0 \\\\n < /proc/1/environ | grep -e ^1st= -e ^CM_1st=';
    await create('cfgpod', {
      restartPolicy: 'Never',
      volumes: [
        { name: 'cfg', configMap: { name: 'app-config' } },
        { name: 'sec', secret: { secretName: 'app-secret', defaultMode: 0o400 } },
        { name: 'pod', downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
      ],
      containers: [
        ctr('main', script, {
          env: [
            { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'LEVEL' } } },
            { name: 'PASS', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'password' } } },
            // (the downward API: a limit the container does not set is the node's allocatable amount)
            { name: 'CPU_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
            { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
          ],
          resources: { requests: { cpu: '250m' } },
          envFrom: [{ configMapRef: { name: 'app-config' }, prefix: 'CM_' }, { configMapRef: { name: 'app-config' } }],
          volumeMounts: [
            { name: 'cfg', mountPath: '/etc/cfg' },
            { name: 'sec', mountPath: '/etc/sec' },
            { name: 'pod', mountPath: '/etc/pod' },
          ],
        }),
      ],
    });
    await phaseIs('cfgpod', 'Succeeded');
    // The secret volume is a tmpfs, as the kubelet mounts it (the secret never reaches the node's disk); the ConfigMap's is not.
    const allocatableMi = Math.ceil(parseQuantity(((await c.cp.admin.get(core('nodes'), undefined, 'e2e-node')).status as { allocatable: { memory: string } }).allocatable.memory) / 2 ** 20);
    // ('1st' is a variable name since 1.32's relaxed validation: printable ASCII but '='; a shell
    // passes no such name on, so it is read from the container's first process)
    const env = (await tsctl('logs', 'cfgpod')).split('\n');
    expect(env.slice(0, 8).join('\n')).toBe(`debug hunter2 debug 250 ${allocatableMi}\nx=1\nhunter2\n400\ncfgpod\nread-only\ntmpfs\next2/ext3`);
    expect(env.slice(8).sort()).toEqual(['', '1st=not a variable name', 'CM_1st=not a variable name']);
    const uid = (await c.cp.admin.get(Pods, 'default', 'cfgpod')).metadata!.uid!;
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).toContain(`${uid}/volumes/sec `);
    // The pod's end takes its tmpfs with it.
    await c.cp.admin.delete(Pods, 'default', 'cfgpod');
    await gone('cfgpod');
    await eventually(async () => !readFileSync('/proc/self/mountinfo', 'utf8').includes(uid), { what: 'the secret volume unmounted' });
  });

  it('a running pod\'s volumes follow changes to its ConfigMap and its labels (the agent here refreshes every second)', async () => {
    await c.cp.admin.create(ConfigMaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'live' }, data: { mode: 'one' } });
    await create('follows', {
      volumes: [
        { name: 'cfg', configMap: { name: 'live' } },
        { name: 'pod', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } }] } },
      ],
      containers: [ctr('main', 'sleep 3600', { volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }, { name: 'pod', mountPath: '/pod' }] })],
    });
    await phaseIs('follows', 'Running');
    expect(await tsctl('exec', 'follows', '--', 'cat', '/cfg/mode')).toBe('one');
    // (the kubelet's own annotations of its copy of the pod, which the downward API reads)
    expect(await tsctl('exec', 'follows', '--', 'cat', '/pod/annotations')).toMatch(/^kubernetes\.io\/config\.seen="\d{4}-\d\d-\d\dT[\d:.]+Z"\nkubernetes\.io\/config\.source="api"$/);
    await c.cp.admin.patch(ConfigMaps, 'default', 'live', { data: { mode: 'two', added: 'yes' } }, 'merge');
    await eventually(async () => (await tsctl('exec', 'follows', '--', 'cat', '/cfg/mode', '/cfg/added')) === 'twoyes', { what: 'the new ConfigMap data in the volume' });
    await c.cp.admin.patch(Pods, 'default', 'follows', { metadata: { labels: { tier: 'gold' } } }, 'merge');
    await eventually(async () => (await tsctl('exec', 'follows', '--', 'cat', '/pod/labels')) === 'tier="gold"', { what: 'the new label in the downward API volume' });
  });

  it('a missing ConfigMap holds the pod (FailedMount, CreateContainerConfigError) until it exists; a node reads only what its pods refer to', async () => {
    await create('waits', { restartPolicy: 'Never', volumes: [{ name: 'v', configMap: { name: 'later' } }], containers: [ctr('main', 'cat /v/k', { volumeMounts: [{ name: 'v', mountPath: '/v' }] })] });
    await eventually(async () => {
      const evs = await c.cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=waits' });
      return evs.items.some((e) => (e as { reason?: string; message?: string }).reason === 'FailedMount' && (e as { message?: string }).message === 'MountVolume.SetUp failed for volume "v" : configmap "later" not found');
    }, { what: 'a FailedMount event' });
    expect((await podStatus(c, 'waits')).phase).toBe('Pending');
    // (the volumes come before the sandbox, as the kubelet waits for them: no sandbox yet)
    const readyToStart = async (name: string) => (await podStatus(c, name)).conditions?.find((x) => x.type === 'PodReadyToStartContainers')?.status;
    expect(await readyToStart('waits')).toBe('False');
    await create('envwaits', { restartPolicy: 'Never', containers: [ctr('main', 'echo $K', { env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 'later-secret', key: 'k' } } }] })] });
    await eventually(async () => (await podStatus(c, 'envwaits')).containerStatuses?.[0]?.state?.waiting?.message === 'secret "later-secret" not found', { what: 'CreateContainerConfigError' });
    expect((await podStatus(c, 'envwaits')).containerStatuses?.[0]?.state?.waiting?.reason).toBe('CreateContainerConfigError');
    // (a variable's missing Secret is found when the container is made, in the sandbox)
    expect(await readyToStart('envwaits')).toBe('True');
    // The node's own credentials: a Secret its pods refer to, yes; another, no.
    await c.cp.admin.create(Secrets, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'later-secret' }, stringData: { k: 'v' } });
    await c.cp.admin.create(Secrets, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'unrelated' }, stringData: { k: 'v' } });
    expect((await c.nodeClient.get(Secrets, 'default', 'later-secret')).metadata?.name).toBe('later-secret');
    await expect(c.nodeClient.get(Secrets, 'default', 'unrelated')).rejects.toMatchObject({ code: 403 });
    await expect(c.nodeClient.list(Secrets, 'default')).rejects.toMatchObject({ code: 403 });
    await c.cp.admin.create(ConfigMaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'later' }, data: { k: 'arrived\n' } });
    await phaseIs('waits', 'Succeeded', 30_000);
    await phaseIs('envwaits', 'Succeeded', 30_000);
    expect(await tsctl('logs', 'waits')).toBe('arrived\n');
    expect(await tsctl('logs', 'envwaits')).toBe('v\n');
  });
});

describe('imagePullSecrets', () => {
  it('pulls from a registry that wants credentials with those of a kubernetes.io/dockerconfigjson Secret; without them, ErrImagePull', async () => {
    // A token server that issues tokens to lab:s3cret only, in front of a registry that trusts its tokens.
    const tokens = createHttpServer((req, res) => {
      const ok = req.headers.authorization === `Basic ${Buffer.from('lab:s3cret').toString('base64')}`;
      res.writeHead(ok ? 200 : 401, { 'Content-Type': 'application/json' }).end(ok ? JSON.stringify({ token: 'lab-token', access_token: 'lab-token' }) : '{}');
    });
    await new Promise<void>((r) => tokens.listen(0, '127.0.0.1', r));
    const registry = await startRegistry({ tokenRealm: `http://127.0.0.1:${(tokens.address() as AddressInfo).port}/token` });
    try {
      const private_ = `${registry.host}/private/busybox:1`;
      await c.agent.runtime.pushImage(image, private_, { auth: { username: 'lab', password: 's3cret' } });
      await create('noauth', { restartPolicy: 'Never', containers: [{ ...ctr('main', 'echo pulled'), image: private_ }] });
      await eventually(async () => ['ErrImagePull', 'ImagePullBackOff'].includes((await podStatus(c, 'noauth')).containerStatuses?.[0]?.state?.waiting?.reason ?? ''), { what: 'ErrImagePull without credentials' });
      const dockerconfig = { auths: { [registry.host]: { username: 'lab', password: 's3cret' } } };
      await c.cp.admin.create(core('secrets'), 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'regcred' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from(JSON.stringify(dockerconfig)).toString('base64') } });
      await create('withauth', { restartPolicy: 'Never', imagePullSecrets: [{ name: 'regcred' }], containers: [{ ...ctr('main', 'echo pulled'), image: private_ }] });
      await phaseIs('withauth', 'Succeeded');
      expect(await tsctl('logs', 'withauth')).toBe('pulled\n');
    } finally {
      await registry.stop();
      tokens.close();
    }
  });
});

describe('ephemeral containers (kubectl debug)', () => {
  it('kubectl debug adds one to a running pod: it shares the target\'s PID namespace, runs once, and is attachable with -i', async () => {
    if (!hasKubectl) return;
    await create('dbgpod', { containers: [ctr('main', 'sleep 3600')] });
    await phaseIs('dbgpod', 'Running');
    const r = await kubectl(['debug', 'dbgpod', `--image=${image}`, '--image-pull-policy=IfNotPresent', '-c', 'dbg', '--target=main', '--profile=general', '--', 'sh', '-c', 'ps -o args']);
    expect(r.code).toBe(0);
    await eventually(async () => (await podStatus(c, 'dbgpod')).ephemeralContainerStatuses?.[0]?.state?.terminated?.exitCode === 0, { what: 'the debug container ran' });
    const st = await podStatus(c, 'dbgpod');
    expect(st.ephemeralContainerStatuses![0]).toMatchObject({ name: 'dbg', ready: false, restartCount: 0 });
    expect(st.phase).toBe('Running');
    expect(await tsctl('logs', 'dbgpod', '-c', 'dbg')).toContain('sleep 3600');
    // -i: kubectl waits for it to run, then attaches its stdin
    const i = await kubectl(['debug', 'dbgpod', '-i', `--image=${image}`, '--image-pull-policy=IfNotPresent', '-c', 'dbg2', '--profile=general', '--', 'sh', '-c', 'read l; echo got:$l'], 'hello\n');
    expect(i.out).toContain('got:hello');
    expect(i.code).toBe(0);
    // not restarted after it ended
    await sleep(1000);
    expect((await podStatus(c, 'dbgpod')).ephemeralContainerStatuses?.map((e) => e.restartCount)).toEqual([0, 0]);
  });

  it('kubectl debug node/NAME runs a pod on the node with its root at /host; the sysadmin profile is privileged', async () => {
    if (!hasKubectl) return;
    // (kubectl sends this pod as protobuf; a privileged container gets every capability the node agent holds)
    // a device of the node's that no unprivileged container gets (privileged ones get them all)
    const dev = (await hostDevices()).find((d) => d.type === 'b') ?? (await hostDevices()).find((d) => !['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty', '/dev/ptmx'].includes(d.path))!;
    for (const profile of ['general', 'sysadmin']) {
      const r = await kubectl(['debug', `node/${c.cfg.nodeName}`, '-i', `--image=${image}`, '--image-pull-policy=IfNotPresent', `--profile=${profile}`, '--', 'sh', '-c', `read l; cat /host/etc/hostname; grep CapEff /proc/self/status; [ -e ${dev.path} ] && echo has-host-device; echo got:$l`], 'hello\n');
      expect(r.out.includes('has-host-device')).toBe(profile === 'sysadmin');
      expect(r.out, `kubectl debug exited ${r.code}`).toContain('got:hello');
      expect(r.out).toContain(readFileSync('/etc/hostname', 'utf8').trim());
      const capEff = /CapEff:\s+([0-9a-f]+)/.exec(r.out)?.[1];
      if (profile === 'sysadmin') expect(capEff).toBe(/CapBnd:\s+([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
      else expect(capEff).toBe('00000000a80425fb'); // Docker's default set
    }
    const pods = await c.cp.admin.list(Pods, 'default');
    const debuggers = pods.items.filter((p) => p.metadata!.name!.startsWith(`node-debugger-${c.cfg.nodeName}-`));
    expect(debuggers).toHaveLength(2);
    expect(debuggers[0]!.spec).toMatchObject({ hostPID: true, hostIPC: true, hostNetwork: true, nodeName: c.cfg.nodeName, volumes: expect.arrayContaining([{ name: 'host-root', hostPath: { path: '/', type: '' } }]), tolerations: expect.arrayContaining([{ operator: 'Exists' }]) });
  });
});

describe('kubectl top (metrics.k8s.io from the node agents)', () => {
  it('shows a CPU-bound container busy and held at its limit, every pod\'s memory, and the node', async () => {
    if (!hasKubectl) return;
    // (requests as well as limits: without a request its cpu.shares would be 2, and under the
    // load of the rest of the suite it could get next to nothing)
    await create('busy', { containers: [ctr('spin', 'while :; do :; done', { resources: { requests: { cpu: '200m' }, limits: { cpu: '200m' } } }), ctr('calm', 'sleep 3600')] });
    await phaseIs('busy', 'Running');
    const pods = await kubectl(['top', 'pod', 'busy', '--containers']);
    expect(pods.code).toBe(0);
    const spin = /busy\s+spin\s+(\d+)m\s+(\d+)Mi/.exec(pods.out);
    expect(spin, pods.out).not.toBeNull();
    // busy, and held at its limit (the lower bound is loose: the suite shares two cores)
    expect(Number(spin![1])).toBeGreaterThan(20);
    expect(Number(spin![1])).toBeLessThan(300);
    expect(pods.out).toMatch(/busy\s+calm\s+0m\s+\d+Mi/);
    const nodes = await kubectl(['top', 'node']);
    expect(nodes.code).toBe(0);
    expect(nodes.out).toMatch(new RegExp(`${c.cfg.nodeName}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%`));
    // (times as metav1.Time writes them: whole seconds)
    const raw = JSON.parse((await kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/busy'])).out) as { timestamp: string; window: string; metadata: { creationTimestamp: string } };
    expect(raw.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(raw.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(raw.window).toMatch(/^\d+(\.\d+)?s$/);
    const missing = await kubectl(['top', 'pod', 'no-such-pod']);
    expect(missing.code).toBe(1);
    // (metrics-server's PodMetrics.Get: a pod that does not exist is the pod lister's NotFound)
    expect(missing.out).toContain('Error from server (NotFound): pods "no-such-pod" not found');
  });

  it('the agent serves cAdvisor\'s container metrics and the kubelet\'s resource metrics, through the apiserver\'s nodes/proxy too', async () => {
    await create('metered', { containers: [ctr('spin', 'while :; do :; done', { resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { cpu: '50m', memory: '64Mi' } } })] });
    await phaseIs('metered', 'Running');
    const scrape = (path: string) => c.cp.admin.request<string>(`/api/v1/nodes/${c.cfg.nodeName}/proxy/metrics/${path}`, { accept: 'text/plain' });
    /** The value of the one series of `name` whose labels include `match`. */
    const value = (text: string, name: string, match: Record<string, string>) => {
      const lines = text.split('\n').filter((l) => l.startsWith(`${name}{`) && Object.entries(match).every(([k, v]) => l.includes(`${k}="${v}"`)));
      expect(lines, `${name} ${JSON.stringify(match)}`).toHaveLength(1);
      const [, v, ts] = /\} (\S+) (\d+)$/.exec(lines[0]!)!;
      expect(Math.abs(Number(ts) - Date.now())).toBeLessThan(60_000); // (the sample's time, in ms)
      return Number(v);
    };
    const spin = { container: 'spin', namespace: 'default', pod: 'metered' };
    // A CPU-bound container held at 50m is throttled in most of its periods.
    await eventually(async () => value(await scrape('cadvisor'), 'container_cpu_cfs_throttled_periods_total', spin) > 5, { timeoutMs: 15_000, what: 'throttled periods' });
    const cadvisor = await scrape('cadvisor');
    expect(cadvisor).toContain('# TYPE container_cpu_usage_seconds_total counter');
    expect(value(cadvisor, 'container_cpu_usage_seconds_total', { ...spin, cpu: 'total' })).toBeGreaterThan(0);
    expect(value(cadvisor, 'container_spec_cpu_quota', spin)).toBe(5000);
    expect(value(cadvisor, 'container_spec_cpu_period', spin)).toBe(100000);
    expect(value(cadvisor, 'container_spec_memory_limit_bytes', spin)).toBe(64 << 20);
    expect(value(cadvisor, 'container_memory_working_set_bytes', spin)).toBeGreaterThan(0);
    expect(value(cadvisor, 'container_start_time_seconds', spin)).toBeGreaterThan(Date.now() / 1000 - 600);
    // The pod's network, on its own (container="") series.
    expect(value(cadvisor, 'container_network_receive_bytes_total', { container: '', namespace: 'default', pod: 'metered', interface: 'eth0' })).toBeGreaterThanOrEqual(0);
    const resource = await scrape('resource');
    expect(value(resource, 'container_cpu_usage_seconds_total', spin)).toBeGreaterThan(0);
    expect(value(resource, 'pod_memory_working_set_bytes', { namespace: 'default', pod: 'metered' })).toBeGreaterThan(0);
    expect(resource).toMatch(/^node_cpu_usage_seconds_total \d+(\.\d+)?(e[+-]?\d+)? \d+$/m);
    expect(resource).toMatch(/^resource_scrape_error 0 \d+$/m);
    // The Summary API (/stats/summary) and the node's pods (/pods), as the kubelet serves them.
    type Summary = { node: { nodeName: string; cpu: { usageNanoCores: number }; memory: { workingSetBytes: number }; fs: { capacityBytes: number; usedBytes: number }; rlimit: { maxpid: number } }; pods: { podRef: { name: string; uid: string }; containers: { name: string; cpu: { usageNanoCores: number; usageCoreNanoSeconds: number }; memory: { workingSetBytes: number; availableBytes: number } }[]; network?: { name: string } }[] };
    const summary = await c.cp.admin.request<Summary>(`/api/v1/nodes/${c.cfg.nodeName}/proxy/stats/summary`);
    expect(summary.node.nodeName).toBe(c.cfg.nodeName);
    expect(summary.node.cpu.usageNanoCores).toBeGreaterThan(0);
    expect(summary.node.fs.capacityBytes).toBeGreaterThan(summary.node.fs.usedBytes);
    const metered = summary.pods.find((p) => p.podRef.name === 'metered')!;
    expect(metered.podRef.uid).toBe((await c.cp.admin.get(Pods, 'default', 'metered')).metadata?.uid);
    expect(metered.network?.name).toBe('eth0');
    const spinStats = metered.containers.find((x) => x.name === 'spin')!;
    // (held at 50m: a rate between 20m and 100m, its memory under its 64Mi limit)
    expect(spinStats.cpu.usageNanoCores).toBeGreaterThan(20e6);
    expect(spinStats.cpu.usageNanoCores).toBeLessThan(100e6);
    expect(spinStats.cpu.usageCoreNanoSeconds).toBeGreaterThan(0);
    expect(spinStats.memory.workingSetBytes + spinStats.memory.availableBytes).toBe(64 << 20);
    const nodePods = await c.cp.admin.request<{ kind: string; items: { metadata: { name: string } }[] }>(`/api/v1/nodes/${c.cfg.nodeName}/proxy/pods`);
    expect(nodePods.kind).toBe('PodList');
    expect(nodePods.items.map((p) => p.metadata.name)).toContain('metered');
    // Its configuration (/configz), in KubeletConfiguration's names.
    const configz = await c.cp.admin.request<{ kubeletconfig: Record<string, unknown> }>(`/api/v1/nodes/${c.cfg.nodeName}/proxy/configz`);
    expect(configz.kubeletconfig).toMatchObject({ enableServer: true, maxPods: c.cfg.maxPods, clusterDomain: 'cluster.local', evictionPressureTransitionPeriod: expect.stringMatching(/^\d+(m\d+)?s$/) });
    await c.cp.admin.delete(Pods, 'default', 'metered', { gracePeriodSeconds: 0 });
  });

  it('Prometheus scrapes the agent with a service account\'s token: RBAC\'s nodes/metrics lets it in; 403 without, 401 for a bad token', async () => {
    const admin = c.cp.admin;
    for (const name of ['prom', 'nobody']) await admin.create(ServiceAccounts, 'default', { metadata: { name } });
    await admin.create(ClusterRoles, undefined, { metadata: { name: 'node-metrics-reader' }, rules: [{ apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] }] });
    await admin.create(ClusterRoleBindings, undefined, { metadata: { name: 'prom-node-metrics' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'node-metrics-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'prom', namespace: 'default' }] });
    const token = async (sa: string) => (await admin.createSubresource<{ status: { token: string } }>(ServiceAccounts, 'default', sa, 'token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} })).status.token;
    const scrape = (path: string, bearer: string) =>
      new Promise<{ code: number; body: string }>((resolve, reject) => {
        httpsGet({ host: '127.0.0.1', port: c.cfg.port, path, headers: { Authorization: `Bearer ${bearer}` }, rejectUnauthorized: false }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({ code: res.statusCode ?? 0, body }));
        }).on('error', reject);
      });
    const prom = await token('prom');
    const ok = await scrape('/metrics/resource', prom);
    expect(ok.code).toBe(200);
    expect(ok.body).toMatch(/^node_cpu_usage_seconds_total /m);
    expect((await scrape('/metrics/cadvisor', prom)).code).toBe(200);
    expect(await scrape('/stats/usage', prom)).toEqual({ code: 403, body: 'Forbidden (user=system:serviceaccount:default:prom, verb=get, resource=nodes, subresource=stats)' });
    expect(await scrape('/metrics', await token('nobody'))).toEqual({ code: 403, body: 'Forbidden (user=system:serviceaccount:default:nobody, verb=get, resource=nodes, subresource=metrics)' });
    expect(await scrape('/metrics', 'not-a-token')).toEqual({ code: 401, body: 'Unauthorized' });
  });
});

// (the five blocks from here run at once, each test with pods of its own that need little CPU;
// kubectl top above, which measures a CPU-bound container, runs alone before them)
describe.concurrent('security context', () => {
  it('runAsNonRoot refuses a container that would run as root (CreateContainerConfigError); a non-root uid runs, with fsGroup among its groups and owning its volumes', async () => {
    await create('rootish', { securityContext: { runAsNonRoot: true }, containers: [ctr('main', 'sleep 3600')] });
    await eventually(async () => (await podStatus(c, 'rootish')).containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError', { what: 'CreateContainerConfigError' });
    const waiting = (await podStatus(c, 'rootish')).containerStatuses![0]!.state!.waiting!;
    expect(waiting.message).toMatch(/^container has runAsNonRoot and image will run as root \(pod: "rootish_default\(.+\)", container: main\)$/);
    expect((await podStatus(c, 'rootish')).phase).toBe('Pending');
    // A secret of mode 0400 is the fsGroup's to read (the kubelet's volume ownership), not root's alone.
    await c.cp.admin.create(core('secrets'), 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'fsgroup-key' }, stringData: { 'key.pem': 'private' } });
    await create('nonroot', {
      securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000 },
      restartPolicy: 'Never',
      volumes: [{ name: 'key', secret: { secretName: 'fsgroup-key', defaultMode: 0o400 } }, { name: 'data', emptyDir: {} }, { name: 'mem', emptyDir: { medium: 'Memory' } }],
      containers: [
        ctr('main', 'id -u; id -G; cat /key/key.pem; echo; stat -L -c "%g %a" /key/key.pem; touch /data/f /mem/f; stat -c "%n %g %a" /data /data/f /mem /mem/f; stat -L -c "%u %g %a" /var/run/secrets/kubernetes.io/serviceaccount/token', {
          volumeMounts: [{ name: 'key', mountPath: '/key' }, { name: 'data', mountPath: '/data' }, { name: 'mem', mountPath: '/mem' }],
        }),
      ],
    });
    await phaseIs('nonroot', 'Succeeded');
    // emptyDirs are the fsGroup's too, setgid: what the container makes there is the group's, not its own gid 3000's.
    expect(await tsctl('logs', 'nonroot')).toBe('1000\n3000 2000\nprivate\n2000 440\n/data 2000 2777\n/data/f 2000 644\n/mem 2000 3777\n/mem/f 2000 644\n1000 2000 640\n');
    // (the last line: the service account token is the fsUser's, 0600 and the fsGroup's read, as 1.32's projected volume makes it)
  });
});

describe.concurrent('subPath and subPathExpr', () => {
  it('mount a volume\'s subdirectory, made when missing; subPathExpr expands the container\'s variables', async () => {
    const logs = mkdtempSync(join(tmpdir(), 'tskube-subpath-'));
    try {
      await create('subpaths', {
        restartPolicy: 'Never',
        volumes: [{ name: 'data', emptyDir: {} }, { name: 'logs', hostPath: { path: logs, type: 'Directory' } }],
        initContainers: [ctr('writer', 'echo in-sub > /sub/f; echo in-logs > /logs/f', {
          env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          volumeMounts: [{ name: 'data', mountPath: '/sub', subPath: 'a/b' }, { name: 'logs', mountPath: '/logs', subPathExpr: '$(POD_NAME)/app' }],
        })],
        containers: [ctr('reader', 'cat /data/a/b/f', { volumeMounts: [{ name: 'data', mountPath: '/data' }] })],
      });
      await phaseIs('subpaths', 'Succeeded');
      expect(await tsctl('logs', 'subpaths', '-c', 'reader')).toBe('in-sub\n');
      expect(readFileSync(join(logs, 'subpaths/app/f'), 'utf8')).toBe('in-logs\n');
      // A variable without a value: CreateContainerConfigError, with the kubelet's message.
      await create('subpath-missing', { containers: [ctr('main', 'sleep 3600', { volumeMounts: [{ name: 'data', mountPath: '/x', subPathExpr: '$(NOPE)' }] })], volumes: [{ name: 'data', emptyDir: {} }] });
      await eventually(async () => (await podStatus(c, 'subpath-missing')).containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError', { what: 'CreateContainerConfigError' });
      expect((await podStatus(c, 'subpath-missing')).containerStatuses![0]!.state.waiting!.message).toBe('missing value for NOPE');
      await c.cp.admin.delete(Pods, 'default', 'subpath-missing', { gracePeriodSeconds: 0 }).catch(() => undefined);
    } finally {
      rmSync(logs, { recursive: true, force: true });
    }
  });
});

describe.concurrent('sysctls', () => {
  it('a safe sysctl is set in the pod\'s namespaces, in every container; an unsafe one rejects the pod (SysctlForbidden)', async () => {
    await create('sysctl-safe', {
      restartPolicy: 'Never',
      securityContext: { sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '80' }, { name: 'kernel.shm_rmid_forced', value: '1' }] },
      containers: [ctr('a', 'cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shm_rmid_forced'), ctr('b', 'sleep 1; cat /proc/sys/net/ipv4/ip_unprivileged_port_start')],
    });
    await phaseIs('sysctl-safe', 'Succeeded');
    expect(await tsctl('logs', 'sysctl-safe', '-c', 'a')).toBe('80\n1\n');
    expect(await tsctl('logs', 'sysctl-safe', '-c', 'b')).toBe('80\n');
    // (the node's own stays as it was)
    expect(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim()).not.toBe('80');
    await create('sysctl-unsafe', { securityContext: { sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] }, containers: [ctr('main', 'sleep 3600')] });
    await phaseIs('sysctl-unsafe', 'Failed');
    expect(await podStatus(c, 'sysctl-unsafe')).toMatchObject({ reason: 'SysctlForbidden', message: 'Pod was rejected: forbidden sysctl: "net.core.somaxconn" not allowlisted' });
    // (a net sysctl with hostNetwork is refused by the apiserver already, as ValidateHostSysctl does)
    const hostnet = await create('sysctl-hostnet', { hostNetwork: true, securityContext: { sysctls: [{ name: 'net.ipv4.tcp_syncookies', value: '1' }] }, containers: [ctr('main', 'sleep 3600')] }).then(() => undefined, (e: Error) => e);
    expect(hostnet?.message).toBe(`Pod "sysctl-hostnet" is invalid: spec.securityContext.sysctls[0].name: Invalid value: "net.ipv4.tcp_syncookies": may not be specified when 'hostNetwork' is true`);
  });
});

describe.concurrent('host namespaces', () => {
  it('hostNetwork, hostIPC and hostPID: the node\'s namespaces and hostname, the node\'s address as the pod IP', async () => {
    await create('hostns', { hostNetwork: true, hostIPC: true, hostPID: true, restartPolicy: 'Never', containers: [ctr('main', 'for n in net ipc pid uts; do readlink /proc/self/ns/$n; done; hostname; grep -c "^nameserver" /etc/resolv.conf')] });
    await phaseIs('hostns', 'Succeeded');
    const own = ['net', 'ipc', 'pid', 'uts'].map((n) => readlinkSync(`/proc/self/ns/${n}`));
    const resolvServers = (readFileSync('/etc/resolv.conf', 'utf8').match(/^nameserver/gm) ?? []).length;
    expect(await tsctl('logs', 'hostns')).toBe(`${own.join('\n')}\n${hostname()}\n${resolvServers}\n`);
    const st = await podStatus(c, 'hostns');
    expect(st.podIP).toBe(st.hostIP);
    // A pod of its own namespaces, for contrast.
    await create('podns', { restartPolicy: 'Never', containers: [ctr('main', 'for n in net ipc pid uts; do readlink /proc/self/ns/$n; done')] });
    await phaseIs('podns', 'Succeeded');
    const theirs = (await tsctl('logs', 'podns')).trim().split('\n');
    theirs.forEach((ns, i) => expect(ns).not.toBe(own[i]));
  });
});

describe.concurrent('pod networking and volumes', () => {
  it('containers of a pod share an emptyDir and talk over localhost', async () => {
    await create('shared', {
      volumes: [{ name: 'data', emptyDir: {} }],
      containers: [
        ctr('web', 'echo shared-page > /data/index.html; httpd -f -p 8081 -h /data', { volumeMounts: [{ name: 'data', mountPath: '/data' }] }),
        ctr('client', 'sleep 3600', { volumeMounts: [{ name: 'data', mountPath: '/data' }] }),
      ],
    });
    await phaseIs('shared', 'Running');
    await eventually(async () => (await tsctl('exec', 'shared', '-c', 'client', '--', 'wget', '-qO-', 'http://127.0.0.1:8081/index.html')) === 'shared-page\n', { timeoutMs: 15_000 });
    expect(await tsctl('exec', 'shared', '-c', 'client', '--', 'cat', '/data/index.html')).toBe('shared-page\n');
    // And by pod IP from the node.
    const ip = (await podStatus(c, 'shared')).podIP!;
    const res = await fetch(`http://${ip}:8081/index.html`);
    expect(await res.text()).toBe('shared-page\n');
    await c.cp.admin.delete(Pods, 'default', 'shared');
  });

  it('qosClass and an OOMKilled container are reported', async () => {
    await create('oom', {
      restartPolicy: 'Never',
      containers: [ctr('hog', 'head -c 200m /dev/zero | tail', { resources: { requests: { cpu: '500m', memory: '32Mi' }, limits: { cpu: '500m', memory: '32Mi' } } })],
    });
    await phaseIs('oom', 'Failed', 60_000);
    await eventually(async () => (await podStatus(c, 'oom')).containerStatuses?.[0]?.state.terminated?.reason === 'OOMKilled', { timeoutMs: 10_000, what: 'OOMKilled reported' });
    const st = await podStatus(c, 'oom');
    expect(st.qosClass).toBe('Guaranteed');
    expect(st.containerStatuses![0]!.state.terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
    await c.cp.admin.delete(Pods, 'default', 'oom');
  });
});

describe('exec with a terminal (tsctl exec -it, kubectl exec -it)', () => {
  // The agent runs in this process: any pty it leaks shows up among our own fds.
  const ptyFds = () =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return /^\/dev\/(ptmx|pts\/\d+)$/.test(readlinkSync(`/proc/self/fd/${fd}`));
      } catch {
        return false;
      }
    }).length;
  let ptysBefore: number;

  beforeAll(async () => {
    ptysBefore = ptyFds();
    await create('tty', { containers: [ctr('main', 'sleep 3600')] });
    await phaseIs('tty', 'Running');
  });
  afterAll(async () => {
    await c.cp.admin.delete(Pods, 'default', 'tty').catch(() => {});
  });

  /** A tty session through the apiserver with tsctl's client, a scripted terminal on our side. */
  function session(command: string[], size: TerminalSize, withStdin = true) {
    const stdin = new PassThrough();
    const listeners = new Set<() => void>();
    let current = size;
    let out = '';
    const code = exec(c.cp.admin, 'default', 'tty', command, {
      tty: true,
      stdin: withStdin ? stdin : undefined,
      terminal: { current: () => current, onChange: (cb) => (listeners.add(cb), () => void listeners.delete(cb)) },
      stdout: (b) => (out += b.toString()),
      stderr: (b) => (out += `[stderr]${b}`),
    });
    return {
      code,
      get out() {
        return out;
      },
      type: (s: string) => stdin.write(s),
      end: () => stdin.end(),
      resize(s: TerminalSize) {
        current = s;
        for (const l of listeners) l();
      },
      until: (re: RegExp, what: string) =>
        eventually(() => re.test(out), { timeoutMs: 10_000, what }).catch((e: Error) => {
          throw new Error(`${e.message}; output so far: ${JSON.stringify(out)}`);
        }),
    };
  }

  it('runs the command on a pty of the size the client sent; resizes reach it', async () => {
    const once = session(['sh', '-c', 'tty; stty size; echo "TERM=$TERM"; echo to-stderr >&2; exit 3'], { width: 91, height: 17 }, false);
    expect(await once.code).toBe(3);
    // One terminal: stderr arrives on stdout, and the tty turns \n into \r\n.
    expect(once.out).toMatch(/^\/dev\/pts\/\d+\r\n17 91\r\nTERM=xterm\r\nto-stderr\r\n$/);

    const s = session(['sh', '-c', 'while read x; do stty size; done'], { width: 80, height: 24 });
    s.type('\n');
    await s.until(/24 80\r\n/, 'first size');
    s.resize({ width: 120, height: 40 });
    // The resize and the next line travel separately through runc: ask until the new size shows.
    await eventually(async () => {
      s.type('\n');
      await sleep(100);
      return /40 120\r\n/.test(s.out);
    }, { timeoutMs: 10_000, what: 'resized' });
    s.end(); // ^D: read fails, the loop ends
    expect(await s.code).toBe(0);
  });

  it('an interactive shell: the terminal echoes what is typed, ^C interrupts, ^D ends it', async () => {
    const s = session(['sh'], { width: 80, height: 24 });
    await s.until(/\/ # /, 'prompt');
    s.type('echo $((6*7))\n');
    await s.until(/echo \$\(\(6\*7\)\)\r\n42\r\n/, 'echoed command and its output');
    s.type('sleep 77\n');
    await eventually(async () => (await tsctl('exec', 'tty', '--', 'ps')).includes('sleep 77'), { what: 'sleep running' });
    s.type('\x03');
    await s.until(/\^C/, '^C echoed');
    s.type('echo after-$((1+1))\n');
    await s.until(/\r\nafter-2\r\n/, 'shell back after ^C');
    expect(await tsctl('exec', 'tty', '--', 'ps')).not.toContain('sleep 77');
    s.end();
    expect(await s.code).toBe(0);
  });

  // kubectl (and tsctl) use a tty only when their stdin is one: script(1) runs them on a pty of
  // its own, fed from our pipe. tsctl is the built binary, as in test/tsctl.
  const clients = [
    { name: 'kubectl', argv: 'kubectl', skip: !hasKubectl },
    { name: 'tsctl', argv: `${process.execPath} ${resolve('dist/cmd/tsctl/main.js')}`, skip: !existsSync('dist/cmd/tsctl/main.js') },
  ];
  it.each(clients)('$name exec -i -t on a terminal made by script(1): size, resize, echo, exit code', async ({ name, argv, skip }) => {
    if (skip || !existsSync('/usr/bin/script')) return;
    const cmd = `stty rows 13 cols 77; exec ${argv} --kubeconfig ${c.cp.kubeconfig} exec -i -t tty -- sh -c 'tty; stty size; while read x; do echo "got $x"; stty size; done; exit 4'`;
    const child = spawn('/usr/bin/script', ['-q', '-e', '-c', cmd, '/dev/null'], { env: { ...process.env, KUBECACHEDIR: join(c.cfg.dataDir, 'kubecache') } });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const code = new Promise<number | null>((r) => child.on('close', r));
    try {
      const seen = (re: RegExp, what: string) =>
        eventually(() => re.test(out), { what }).catch((e: Error) => {
          throw new Error(`${e.message}; output so far: ${JSON.stringify(out)}`);
        });
      await seen(/^\/dev\/pts\/\d+\r\n13 77\r\n/, 'tty and initial size');
      child.stdin.write('hello\r');
      // Typed in raw mode on the client's side; the container's terminal echoes and turns \r into \n.
      await seen(/hello\r\ngot hello\r\n13 77\r\n/, 'echo and output');
      // Resize the client's terminal as a window manager would: the kernel sends the client SIGWINCH.
      const clientPid = readdirSync('/proc').find((p) => /^\d+$/.test(p) && readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.split(' ')[1] === String(child.pid));
      const pts = openSync(readlinkSync(`/proc/${clientPid}/fd/0`), fsc.O_RDWR | fsc.O_NOCTTY);
      try {
        setWinSize(pts, { width: 100, height: 20 });
      } finally {
        closeSync(pts);
      }
      await eventually(async () => {
        child.stdin.write('\r');
        await sleep(100);
        return out.includes('20 100\r\n');
      }, { what: 'resized' });
      child.stdin.write('\x04'); // ^D
      expect(await code).toBe(4);
      if (name === 'kubectl') expect(out).toContain('command terminated with exit code 4');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      child.stdin.end();
    }
  });

  it('a client that goes away takes the process with it, and nothing is left open', async () => {
    const client = c.cp.admin;
    const q = new URLSearchParams([['command', 'sleep'], ['command', '78'], ['stdin', 'true'], ['stdout', 'true'], ['tty', 'true']]);
    const ws = new WebSocket(`wss://${client.url.host}${client.path(Pods, 'default', 'tty', 'exec')}?${q}`, [...STREAM_PROTOCOLS], {
      headers: { Authorization: `Bearer ${client.config.token}` },
      ca: client.config.caCert,
      rejectUnauthorized: !client.config.insecureSkipTLSVerify,
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    expect(ws.protocol).toBe('v5.channel.k8s.io');
    ws.send(resizeFrame({ width: 50, height: 10 }));
    ws.send(frame(Channel.Stdin, 'x'));
    let echoed = '';
    ws.on('message', (m: Buffer) => parseFrame(m)?.channel === Channel.Stdout && (echoed += parseFrame(m)!.payload.toString()));
    await eventually(async () => (await tsctl('exec', 'tty', '--', 'ps')).includes('sleep 78'), { what: 'sleep running' });
    await eventually(() => echoed === 'x', { what: 'stdin sent before the process started is echoed' }).catch((e: Error) => {
      throw new Error(`${e.message}: got ${JSON.stringify(echoed)}`);
    });
    ws.terminate();
    await eventually(async () => !(await tsctl('exec', 'tty', '--', 'ps')).includes('sleep 78'), { what: 'sleep killed' });
    await eventually(() => ptyFds() === ptysBefore, { what: `pty fds back to ${ptysBefore}` });
    const containers = join(c.cfg.dataDir, 'runtime', 'containers');
    expect(readdirSync(containers).flatMap((d) => readdirSync(join(containers, d)).filter((f) => f.startsWith('exec-')))).toEqual([]);
  });

});

describe('attach (kubectl attach, kubectl run -i)', () => {
  /** A websocket to pods/NAME/attach through the apiserver, with its frames collected by channel. */
  async function attachSocket(pod: string, params: [string, string][]) {
    const client = c.cp.admin;
    const q = new URLSearchParams(params);
    const ws = new WebSocket(`wss://${client.url.host}${client.path(Pods, 'default', pod, 'attach')}?${q}`, [...STREAM_PROTOCOLS], {
      headers: { Authorization: `Bearer ${client.config.token}` },
      ca: client.config.caCert,
      rejectUnauthorized: !client.config.insecureSkipTLSVerify,
    });
    const got: Record<number, string> = {};
    ws.on('message', (m: Buffer) => {
      const f = parseFrame(m);
      if (f) got[f.channel] = (got[f.channel] ?? '') + f.payload.toString();
    });
    const closed = new Promise<void>((r) => ws.once('close', () => r()));
    await new Promise((res, rej) => ws.once('open', res).once('error', rej));
    const seen = (ch: number, re: RegExp, what: string) =>
      eventually(() => re.test(got[ch] ?? ''), { what }).catch((e: Error) => {
        throw new Error(`${e.message}; channels so far: ${JSON.stringify(got)}`);
      });
    return { ws, got, closed, seen };
  }

  it('attach: stdin in, stdout and stderr out on their channels; a client that leaves detaches, the container runs on', async () => {
    await create('attach', { containers: [ctr('main', 'while read l; do echo out:$l; echo err:$l >&2; [ "$l" = bye ] && exit 3; done', { stdin: true })] });
    await phaseIs('attach', 'Running');
    const a = await attachSocket('attach', [['container', 'main'], ['stdin', 'true'], ['stdout', 'true'], ['stderr', 'true']]);
    expect(a.ws.protocol).toBe('v5.channel.k8s.io');
    a.ws.send(frame(Channel.Stdin, 'one\n'));
    await a.seen(Channel.Stdout, /^out:one\n$/, 'stdout');
    await a.seen(Channel.Stderr, /^err:one\n$/, 'stderr');
    a.ws.close();
    await a.closed;
    // Detached: the container runs on, stdin still open; a new client ends it.
    const b = await attachSocket('attach', [['container', 'main'], ['stdin', 'true'], ['stdout', 'true'], ['stderr', 'true']]);
    b.ws.send(frame(Channel.Stdin, 'two\nbye\n'));
    await b.closed;
    expect(b.got[Channel.Stdout]).toBe('out:two\nout:bye\n');
    expect(JSON.parse(b.got[Channel.Error]!)).toMatchObject({ status: 'Success' });
    await eventually(async () => (await podStatus(c, 'attach')).containerStatuses?.[0]?.restartCount === 1, { what: 'the container restarted after exit 3' });
    // stdin asked of a container without it is not wired (as containerd's attach): output still streams.
    await create('noattach', { containers: [ctr('main', 'while :; do echo tick; sleep 1; done')] });
    await phaseIs('noattach', 'Running');
    const n = await attachSocket('noattach', [['container', 'main'], ['stdin', 'true'], ['stdout', 'true']]);
    n.ws.send(frame(Channel.Stdin, 'ignored\n'));
    await n.seen(Channel.Stdout, /tick\n/, 'output though stdin is not wired');
    n.ws.close();
    await n.closed;
    expect(n.got[Channel.Error]).toBeUndefined();
  });

  it('tsctl attach -i: input in, output out, the session ends with the container; a refusal is said', async () => {
    await create('tattach', { containers: [ctr('main', 'while read l; do echo out:$l; [ "$l" = bye ] && exit 0; done', { stdin: true })], restartPolicy: 'Never' });
    await phaseIs('tattach', 'Running');
    const input = new PassThrough();
    let out = '';
    const code = run(['--kubeconfig', c.cp.kubeconfig, 'attach', 'tattach', '-i'], { out: (s) => (out += s), err: (s) => (out += s) }, { stdinStream: input });
    input.write('hello\n');
    await eventually(() => out.includes('out:hello\n'), { what: 'the echo' });
    input.end('bye\n');
    expect(await code).toBe(0);
    expect(out).toBe('out:hello\nout:bye\n');
    await phaseIs('tattach', 'Succeeded');
    // stdin asked of a container without it is not wired: its output comes, and the session ends with it
    await create('tattach2', { containers: [ctr('main', 'sleep 2; echo done-without-stdin')], restartPolicy: 'Never' });
    await phaseIs('tattach2', 'Running');
    let out2 = '';
    const ended = await run(['--kubeconfig', c.cp.kubeconfig, 'attach', 'tattach2', '-i'], { out: (s) => (out2 += s), err: (s) => (out2 += s) }, { stdinStream: new PassThrough() });
    expect(ended).toBe(0);
    expect(out2).toContain('done-without-stdin\n');
  });

  it('kubectl run -i --rm: stdin reaches the container, its end ends it (stdinOnce), the pod is deleted', async () => {
    if (!hasKubectl) return;
    const child = spawn('kubectl', ['--kubeconfig', c.cp.kubeconfig, 'run', 'runi', '-i', '--rm', '--restart=Never', `--image=${image}`, '--image-pull-policy=IfNotPresent', '--', 'sh', '-c', 'cat; echo eof-seen'], { env: { ...process.env, KUBECACHEDIR: join(c.cfg.dataDir, 'kubecache') } });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const code = new Promise<number | null>((r) => child.on('close', r));
    try {
      // kubectl attaches once the pod runs; what is written before is kept in the pipe.
      child.stdin.end('from-stdin\n');
      expect(await code).toBe(0);
      expect(out).toContain('from-stdin\neof-seen\n');
      expect(out).toContain('pod "runi" deleted');
      expect(out).not.toContain('falling back to streaming logs');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await gone('runi');
  });

  it('kubectl run -i --rm of a quick command shows all its output, though it is written before kubectl attaches', async () => {
    if (!hasKubectl) return;
    // Output at once, then a pause: the container still runs when kubectl attaches, after the lines were written.
    const script = 'for i in 1 2 3; do echo line-$i; done; echo to-stderr >&2; printf no-newline; sleep 2; echo after-attach';
    const child = spawn('kubectl', ['--kubeconfig', c.cp.kubeconfig, 'run', 'quick-output', '-i', '--rm', '--restart=Never', `--image=${image}`, '--image-pull-policy=IfNotPresent', '--', 'sh', '-c', script], { env: { ...process.env, KUBECACHEDIR: join(c.cfg.dataDir, 'kubecache') } });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const code = new Promise<number | null>((r) => child.on('close', r));
    try {
      child.stdin.end();
      expect(await code, `kubectl said:\n${out}\n${err}`).toBe(0);
      // Each stream whole and in order, nothing twice.
      expect(out).toMatch(/^(If you don't see a command prompt, try pressing enter\.\n)?line-1\nline-2\nline-3\nno-newlineafter-attach\npod "quick-output" deleted\n$/);
      expect(err).toContain('to-stderr\n');
      expect(err).not.toContain('falling back to streaming logs');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await gone('quick-output');
  });
});

describe('agent restarts', () => {
  it('kill the agent: containers keep running, nothing restarts, and pods deleted meanwhile are torn down', async () => {
    await create('survivor', { containers: [ctr('main', 'sleep 3600')] });
    await create('doomed', { containers: [ctr('main', 'sleep 3600')] });
    await phaseIs('survivor', 'Running');
    await phaseIs('doomed', 'Running');
    const before = (await podStatus(c, 'survivor')).containerStatuses![0]!.containerID;
    await c.stopAgent();
    // While the agent is down: the pod is deleted (force, as nobody can confirm).
    await c.cp.admin.delete(Pods, 'default', 'doomed', { gracePeriodSeconds: 0 });
    await sleep(500);
    await c.startAgent();
    await sleep(2000);
    const st = await podStatus(c, 'survivor');
    expect(st.phase).toBe('Running');
    expect(st.containerStatuses![0]!.containerID).toBe(before);
    expect(st.containerStatuses![0]!.restartCount).toBe(0);
    await eventually(async () => (await c.agent.runtime.listPodSandbox()).every((s) => s.metadata.name !== 'doomed'), { timeoutMs: 15_000, what: 'doomed torn down' });
    await c.cp.admin.delete(Pods, 'default', 'survivor');
    await gone('survivor');
  });

  it('after a reboot (processes, namespaces and mounts gone, records on disk kept) the pod runs again in a new sandbox, its restart count going on, the attempt before it its previous logs', async () => {
    await create('rebooted', { containers: [ctr('main', 'echo "attempt $(cat /proc/sys/kernel/random/uuid)"; sleep 3600')] });
    await phaseIs('rebooted', 'Running');
    const firstLog = await eventually(async () => ((await tsctl('logs', 'rebooted')).startsWith('attempt ') ? tsctl('logs', 'rebooted') : undefined), { timeoutMs: 10_000, what: 'the first attempt\'s log' });
    const before = await podStatus(c, 'rebooted');
    const rt = c.agent.runtime;
    const [sandbox] = (await rt.listPodSandbox()).filter((s) => s.metadata.name === 'rebooted');
    const containers = (await rt.listContainers()).filter((x) => x.labels['io.kubernetes.pod.name'] === 'rebooted');
    await c.stopAgent();
    // What a power loss does to this pod: its processes die at once, their monitors (conmon)
    // with them, so no exit code is written; and every mount goes.
    const monitors = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && containers.some((x) => {
      try {
        const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
        return argv[0]!.endsWith('conmon') && argv.includes(x.id);
      } catch {
        return false;
      }
    }));
    expect(monitors).toHaveLength(containers.length);
    for (const pid of monitors) process.kill(Number(pid), 'SIGKILL');
    for (const x of containers) if (x.pid) process.kill(x.pid, 'SIGKILL');
    for (const f of [sandbox!.netnsPath, sandbox!.ipcnsPath, sandbox!.utsnsPath]) umount(f, MNT_DETACH);
    await sleep(300);
    await c.startAgent();
    const after = await eventually(async () => {
      const st = await podStatus(c, 'rebooted');
      return st.containerStatuses?.[0]?.state.running && st.podIP !== before.podIP ? st : undefined;
    }, { timeoutMs: 30_000, what: 'rebooted running in a new sandbox' });
    expect(after.phase).toBe('Running');
    expect(after.containerStatuses![0]!.restartCount).toBe(1);
    expect(after.containerStatuses![0]!.containerID).not.toBe(before.containerStatuses![0]!.containerID);
    // As the kubelet shows a container after a reboot: exited 255 for reason Unknown (containerd's words).
    expect(after.containerStatuses![0]!.lastState.terminated).toMatchObject({ exitCode: 255, reason: 'Unknown' });
    expect((after.containerStatuses![0]!.lastState.terminated as { message?: string }).message).toBeUndefined();
    // The status the apiserver accepted names the new address alone.
    const pod = await c.cp.admin.get<{ status: { podIP: string; podIPs: { ip: string }[] } }>(Pods, 'default', 'rebooted');
    expect(pod.status.podIPs).toEqual([{ ip: pod.status.podIP }]);
    expect((await c.agent.runtime.listPodSandbox()).filter((s) => s.metadata.name === 'rebooted').map((s) => s.id)).not.toContain(sandbox!.id);
    // kubectl logs --previous shows the attempt the reboot cut off, as the kubelet serves its
    // /var/log/pods file after a reboot; the current attempt's log is its own.
    expect(await tsctl('logs', 'rebooted', '--previous')).toBe(firstLog);
    const secondLog = await eventually(async () => ((await tsctl('logs', 'rebooted')).startsWith('attempt ') ? tsctl('logs', 'rebooted') : undefined), { timeoutMs: 10_000, what: 'the second attempt\'s log' });
    expect(secondLog).not.toBe(firstLog);
    // The agent restarts after the reboot: the cut-off attempt is still the previous one, its last
    // state and its logs, as the kubelet finds the dead sandbox's container in the runtime again.
    await c.stopAgent();
    await c.startAgent();
    await sleep(2000);
    const again = await podStatus(c, 'rebooted');
    expect(again.containerStatuses![0]!.containerID).toBe(after.containerStatuses![0]!.containerID);
    expect(again.containerStatuses![0]!.lastState).toEqual(after.containerStatuses![0]!.lastState);
    expect(await tsctl('logs', 'rebooted', '--previous')).toBe(firstLog);
    await c.cp.admin.delete(Pods, 'default', 'rebooted');
    await gone('rebooted');
  });
});
