// spec.shareProcessNamespace on a real node: one PID namespace for the pod, held by the
// sandbox's init (our pause as PID 1, shown as `/pause` as in 1.32, reaping zombies), shared by
// init and app containers; a container sees,
// reaches (/proc/<pid>/root) and kills another's process, which the agent restarts; a pod
// without the flag stays isolated; teardown leaves no init behind.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pods, StatusError } from '../../pkg/client/rest-client.js';
import { RUNC } from '../../pkg/runtime/runc.js';
import { run } from '../../pkg/tsctl/cli.js';
import { eventually } from '../helpers/control-plane.js';
import { busyboxPod, ctr, image, podStatus, startCluster, type Cluster } from './harness.js';

let c: Cluster;

beforeAll(async () => {
  c = await startCluster({ podCIDR: '10.199.3.0/25' });
}, 120_000);
afterAll(async () => {
  await c?.stop();
});

async function tsctl(...args: string[]): Promise<string> {
  let out = '';
  await run(['--kubeconfig', c.cp.kubeconfig, ...args], { out: (s) => (out += s), err: (s) => (out += s) });
  return out;
}
/** The victim's pid, as a shell substitution (the image has ps and awk, no pgrep). */
const victimPid = `$(ps -o pid,args | awk '$2 == "sleep" && $3 == "3601" { print $1 }')`;
const sh = (pod: string, container: string, script: string) => tsctl('exec', pod, '-c', container, '--', 'sh', '-c', script);

const running = (name: string, n: number) =>
  eventually(async () => {
    const st = await podStatus(c, name);
    return st.phase === 'Running' && st.containerStatuses?.length === n && st.containerStatuses.every((s) => s.state.running) ? st : undefined;
  }, { timeoutMs: 60_000, what: `${name} running` });

/** The init records of the node's sandboxes, by pod name. */
function sandboxInits(): Map<string, { id: string; pid: number }> {
  const dir = join(c.cfg.dataDir, 'runtime', 'sandboxes');
  const out = new Map<string, { id: string; pid: number }>();
  for (const d of readdirSync(dir)) {
    try {
      const s = JSON.parse(readFileSync(join(dir, d, 'sandbox.json'), 'utf8')) as { config: { name: string }; init?: { id: string; pid: number } };
      if (s.init) out.set(s.config.name, s.init);
    } catch {
      // being written or removed
    }
  }
  return out;
}
const processAlive = (pid: number) => {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};
const runcIds = () => (JSON.parse(execFileSync(RUNC, ['--root', join(c.cfg.dataDir, 'runtime', 'runc'), 'list', '--format', 'json'], { encoding: 'utf8' }) || '[]') ?? []).map((s: { id: string }) => s.id) as string[];

describe('shareProcessNamespace', () => {
  it('puts init and app containers in one PID namespace whose PID 1 is the pod init; a killed process is restarted alone', async () => {
    await c.cp.admin.create(Pods, 'default', busyboxPod('shared', {
      shareProcessNamespace: true,
      volumes: [{ name: 'data', emptyDir: {} }],
      initContainers: [ctr('setup', 'tr "\\0" " " < /proc/1/cmdline > /data/init-pid1; readlink /proc/self/ns/pid > /data/init-ns', { volumeMounts: [{ name: 'data', mountPath: '/data' }] })],
      containers: [
        // A child of its own (sleep 3700) that outlives its main process unless the runtime kills it.
        ctr('victim', 'echo secret > /tmp/victim-file; sleep 3700 & exec sleep 3601'),
        // SYS_PTRACE lets it into any process's /proc/<pid>/root, the init's (another uid) included.
        ctr('killer', 'exec sleep 3602', { volumeMounts: [{ name: 'data', mountPath: '/data' }], securityContext: { capabilities: { add: ['SYS_PTRACE'] } } }),
      ],
    }));
    const before = await running('shared', 2);
    const killerId = before.containerStatuses!.find((s) => s.name === 'killer')!.containerID;

    // One namespace: the killer sees the victim's process, and PID 1 is the pod's init, not a container's command.
    const ps = await sh('shared', 'killer', 'ps -o pid,args');
    expect(ps).toMatch(/sleep 3601/);
    expect(ps).toMatch(/sleep 3602/);
    const pid1 = await sh('shared', 'killer', 'tr "\\0" " " < /proc/1/cmdline');
    expect(pid1).toBe('/pause ');
    // The init container ran in the same namespace, under the same PID 1.
    expect(await sh('shared', 'killer', 'cat /data/init-pid1')).toBe(pid1);
    expect((await sh('shared', 'killer', 'cat /data/init-ns')).trim()).toBe((await sh('shared', 'killer', 'readlink /proc/self/ns/pid')).trim());
    expect((await sh('shared', 'victim', 'readlink /proc/self/ns/pid')).trim()).toBe((await sh('shared', 'killer', 'readlink /proc/self/ns/pid')).trim());

    // Another container's filesystem through /proc/<pid>/root; the init's root holds nothing of the node's.
    expect(await sh('shared', 'killer', `cat /proc/${victimPid}/root/tmp/victim-file`)).toBe('secret\n');
    expect((await sh('shared', 'killer', 'ls /proc/1/root/')).split(/\s+/).filter(Boolean).sort()).toEqual(['dev', 'pause', 'proc']);
    expect(await sh('shared', 'killer', 'touch /proc/1/root/pause 2>&1 || echo refused')).toMatch(/refused/);

    // Orphans are re-parented to the init, which reaps them: no zombie is left.
    await sh('shared', 'killer', '(sleep 0.2 &); sleep 1');
    expect(await sh('shared', 'killer', 'ps -o stat,pid,args | grep "^Z" || true')).toBe('');

    // The killer kills the victim; the agent restarts the victim only.
    await sh('shared', 'killer', `kill ${victimPid}`);
    const after = await eventually(async () => {
      const st = await podStatus(c, 'shared');
      const v = st.containerStatuses?.find((s) => s.name === 'victim');
      return v?.restartCount === 1 && v.state.running ? st : undefined;
    }, { timeoutMs: 30_000, what: 'victim restarted' });
    const k = after.containerStatuses!.find((s) => s.name === 'killer')!;
    expect(k.restartCount).toBe(0);
    expect(k.containerID).toBe(killerId);
    // The restarted victim is back in the same namespace, and its first attempt's child is gone
    // with it (killed when its main process exited), not left running beside the new one's.
    const after1 = await sh('shared', 'killer', 'ps -o args');
    expect(after1).toMatch(/sleep 3601/);
    expect(after1.split('\n').filter((l) => l.trim() === 'sleep 3700')).toHaveLength(1);
  }, 120_000);

  it('shows the sandbox as 1.32 does, `/pause` as PID 1 (uid 65535) and nothing else of it, and pause reaps an orphaned zombie', async () => {
    await c.cp.admin.create(Pods, 'default', busyboxPod('paused', { shareProcessNamespace: true, containers: [ctr('one', 'exec sleep 3611'), ctr('two', 'exec sleep 3612')] }));
    await running('paused', 2);
    // busybox's ps (the image's, built without the TIME column): PID 1 is pause; the other
    // processes are the containers' own and ps itself, no sh loop nor sleep of the sandbox.
    const lines = (await tsctl('exec', 'paused', '-c', 'two', '--', 'ps', 'ax')).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\s*PID\s+USER\s+COMMAND$/);
    expect(lines[1]).toMatch(/^\s*1 65535\s+\/pause$/);
    expect(lines.slice(1).map((l) => l.trim().split(/\s+/).slice(2).join(' ')).sort()).toEqual(['/pause', 'ps ax', 'sleep 3611', 'sleep 3612']);

    // A zombie whose parent dies goes to PID 1, which must reap it: `sleep 2` (an orphan of
    // PID 1 at once, its subshell gone) leaves its ended child unreaped until it exits itself.
    const before = await sh('paused', 'one', `(sh -c 'sleep 0 & exec sleep 2' &); sleep 1; ps -o stat,pid,ppid,args`);
    const row = (args: string) => before.split('\n').map((l) => l.trim().split(/\s+/)).find((f) => f.slice(3).join(' ') === args);
    const parent = row('sleep 2');
    expect(parent?.[2]).toBe('1');
    expect(row('[sleep]')?.slice(0, 3)).toEqual(['Z', expect.stringMatching(/^\d+$/), parent![1]]);
    await eventually(async () => {
      const now = await sh('paused', 'one', 'ps -o stat,args');
      return !/^Z/m.test(now) && !now.includes('sleep 2');
    }, { timeoutMs: 10_000, what: 'the orphan and its zombie reaped by pause' });
    await c.cp.admin.delete(Pods, 'default', 'paused');
  }, 90_000);

  it('keeps the namespace across a node agent restart', async () => {
    const init = sandboxInits().get('shared');
    expect(init).toBeDefined();
    await c.restartAgent();
    expect(processAlive(init!.pid)).toBe(true);
    await sh('shared', 'killer', `kill ${victimPid}`);
    await eventually(async () => {
      const v = (await podStatus(c, 'shared')).containerStatuses?.find((s) => s.name === 'victim');
      return v?.restartCount === 2 && !!v.state.running;
    }, { timeoutMs: 30_000, what: 'victim restarted after the agent restart' });
    expect(sandboxInits().get('shared')?.pid).toBe(init!.pid);
    expect(await sh('shared', 'victim', 'ps -o args')).toMatch(/sleep 3602/);
  }, 90_000);

  it('puts an ephemeral container without a target (kubectl debug) in the pod namespace too', async () => {
    await c.cp.admin.patch(Pods, 'default', 'shared', { spec: { ephemeralContainers: [{ name: 'dbg', image, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3609'] }] } }, 'strategic', 'ephemeralcontainers');
    await eventually(async () => (await podStatus(c, 'shared')).ephemeralContainerStatuses?.[0]?.state.running, { timeoutMs: 30_000, what: 'debug container running' });
    const ps = await sh('shared', 'dbg', 'ps -o args');
    expect(ps).toMatch(/sleep 3601/);
    expect(ps).toMatch(/^\/pause$/m);
  }, 60_000);

  it('leaves a pod without the flag isolated: each container is PID 1 of its own namespace', async () => {
    await c.cp.admin.create(Pods, 'default', busyboxPod('isolated', { containers: [ctr('one', 'exec sleep 3603'), ctr('two', 'exec sleep 3604')] }));
    await running('isolated', 2);
    const ps = await sh('isolated', 'two', 'ps -o pid,args');
    expect(ps).toMatch(/^\s*1 sleep 3604/m);
    expect(ps).not.toMatch(/sleep 3603/);
    expect(sandboxInits().has('isolated')).toBe(false);
  }, 90_000);

  it('tears the init down with the pod, its pod cgroup included', async () => {
    const init = sandboxInits().get('shared')!;
    expect(runcIds()).toContain(init.id);
    const uid = (await c.cp.admin.get(Pods, 'default', 'shared')).metadata!.uid!;
    const podCgroups = () => execFileSync('find', ['/sys/fs/cgroup', '-maxdepth', '4', '-type', 'd', '-name', `pod${uid.replace(/[^A-Za-z0-9_-]/g, '_')}`], { encoding: 'utf8' }).trim();
    expect(podCgroups()).not.toBe('');
    await c.cp.admin.delete(Pods, 'default', 'shared');
    await eventually(async () => {
      try {
        await c.cp.admin.get(Pods, 'default', 'shared');
        return false;
      } catch (e) {
        return e instanceof StatusError && e.code === 404;
      }
    }, { timeoutMs: 30_000, what: 'shared deleted' });
    await eventually(async () => !processAlive(init.pid) && !runcIds().includes(init.id), { timeoutMs: 10_000, what: 'init gone' });
    await eventually(async () => podCgroups() === '', { timeoutMs: 10_000, what: 'pod cgroups removed' });
  }, 60_000);

  it('remakes the sandbox when its init dies, as the kubelet does for a dead pause container', async () => {
    await c.cp.admin.create(Pods, 'default', busyboxPod('orphaned', { shareProcessNamespace: true, containers: [ctr('app', 'exec sleep 3605')] }));
    const first = await running('orphaned', 1);
    const init = sandboxInits().get('orphaned')!;
    process.kill(init.pid, 'SIGKILL');
    await eventually(async () => {
      const again = sandboxInits().get('orphaned');
      const st = await podStatus(c, 'orphaned');
      return again && again.pid !== init.pid && st.containerStatuses?.[0]?.state.running && st.containerStatuses[0].containerID !== first.containerStatuses![0]!.containerID;
    }, { timeoutMs: 60_000, what: 'a new sandbox with a new init' });
    expect(await sh('orphaned', 'app', 'ps -o args')).toMatch(/^\/pause$/m);
    await c.cp.admin.delete(Pods, 'default', 'orphaned');
  }, 90_000);
});
