// The container half of the runtime conformance suite, against real runc, conmon, cgroups and
// namespaces: run, exec, logs, stop, remove; pod-shared namespaces and volumes; limits and
// security; and nothing left behind.
import { execFileSync } from 'node:child_process';
import { promises as fsp, readlinkSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerState, Runtime, SandboxState, cleanupAll, cpuUsageNs, type ContainerConfig, type PodSandboxConfig } from '../../pkg/runtime/index.js';
import { cgroupExists, cgroupPids, removeCgroup } from '../../pkg/runtime/cgroups.js';
import { hostSnapshot, isRoot, tempRoot, waitFor } from './helpers.js';

const IMAGE = 'busybox:conformance';
let seq = 0;


/**
 * The cgroup the pods' cgroups go under: the test's own, as test clusters' /tskube-e2e-*, removed
 * after it. The default /tskube is a running cluster's pods cgroup (whose agent kills what runs in
 * a pod cgroup it has no sandbox for), and the test left it behind, empty, on a machine without one.
 */
const CGROUP_PARENT = `/tskube-e2e-containers-${process.pid}`;

describe.skipIf(!isRoot)('runtime containers (root: runc, conmon, cgroups v1, namespaces)', () => {
  let root: string;
  let rt: Runtime;

  beforeAll(async () => {
    root = await tempRoot();
    rt = await Runtime.open({ root });
    await rt.buildBusybox(IMAGE);
  });
  afterAll(async () => {
    if (root) await cleanupAll(root);
    await removeCgroup(CGROUP_PARENT).catch(() => {});
  });

  function pod(over: Partial<PodSandboxConfig> = {}): PodSandboxConfig {
    const n = ++seq;
    return { name: `pod${n}`, namespace: 'default', uid: `uid-${process.pid}-${n}`, hostname: `pod${n}`, cgroupParent: CGROUP_PARENT, ...over };
  }
  async function run(sandboxId: string, c: Partial<ContainerConfig> & { command: string[] }): Promise<string> {
    const id = await rt.createContainer(sandboxId, { name: `c${++seq}`, image: IMAGE, ...c });
    await rt.startContainer(id);
    return id;
  }
  async function exited(id: string, timeoutMs = 20_000) {
    return waitFor(async () => {
      const s = await rt.containerStatus(id);
      return s.state === ContainerState.Exited ? s : undefined;
    }, timeoutMs, `container ${id} to exit`);
  }
  async function logText(id: string): Promise<string> {
    let s = '';
    for await (const l of rt.readLogs(id)) s += l;
    return s;
  }

  it('runs a container: status, CRI log lines, exec, exit code and reason', async () => {
    const sb = await rt.runPodSandbox(pod());
    const st = await rt.podSandboxStatus(sb);
    expect(st.state).toBe(SandboxState.Ready);
    expect(st.netnsPath).toMatch(/^\/run\/netns\/tsk-[a-f0-9]{16}$/);
    const id = await run(sb, { command: ['sh', '-c', 'echo out; echo err >&2; exec sleep 60'], env: [{ key: 'GREETING', value: 'hi' }] });
    const s = await rt.containerStatus(id);
    expect(s.state).toBe(ContainerState.Running);
    expect(s.pid).toBeGreaterThan(1);
    expect(s.imageRef).toMatch(/^docker\.io\/library\/busybox@sha256:/);
    await waitFor(async () => (await logText(id)).includes('err'), 5000, 'logs');
    const raw = await fsp.readFile(s.logPath, 'utf8');
    expect(raw).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) stdout F out$/m);
    expect(raw).toMatch(/ stderr F err$/m);
    expect((await logText(id)).split('\n').sort()).toEqual(['', 'err', 'out']);

    const ex = await rt.execSync(id, ['sh', '-c', 'echo $GREETING; hostname; echo oops >&2; exit 4']);
    expect(ex).toEqual({ stdout: `hi\n${st.metadata.name}\n`, stderr: 'oops\n', exitCode: 4 });
    // A command that cannot be started is no exit code of its own: runc's reason, in containerd's words.
    await expect(rt.exec(id, ['nosuchcmd']).then((x) => x.exitCode)).rejects.toThrow(/^failed to exec in container: failed to start exec "exec-\d+-\d+": OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuchcmd": executable file not found in \$PATH: unknown$/);
    expect(await rt.execSync(id, ['sh', '-c', 'exit 255'])).toEqual({ stdout: '', stderr: '', exitCode: 255 });
    expect((await rt.execSync(id, ['cat', '/etc/hosts'])).stdout).toMatch(/127\.0\.0\.1\s+localhost/);
    expect((await rt.execSync(id, ['cat', '/etc/hostname'])).stdout).toBe(`${st.metadata.name}\n`);
    // Own pid namespace: the container's command is pid 1.
    expect((await rt.execSync(id, ['cat', '/proc/1/cmdline'])).stdout).toBe('sleep\x0060\x00');
    // A command past its timeout is killed in the container, not only its runc client.
    const slow = await rt.execSync(id, ['sleep', '47'], 1);
    expect(slow).toMatchObject({ timedOut: true, exitCode: 137 });
    await waitFor(async () => !(await rt.execSync(id, ['ps', '-o', 'args'])).stdout.includes('sleep 47'), 5000, 'the timed-out command gone');

    const session = await rt.exec(id, ['sh', '-c', 'read line; echo got:$line'], { stdin: true });
    let out = '';
    session.stdout.on('data', (b: Buffer) => (out += b.toString()));
    session.stdin!.end('ping\n');
    expect(await session.exitCode).toBe(0);
    expect(out).toBe('got:ping\n');
    // Input for a process that has closed its stdin, or exited (yes | kubectl exec -i ... -- head -1),
    // is dropped: its EPIPE once ended the node agent as an unhandled 'error' event
    const closer = await rt.exec(id, ['sh', '-c', 'exec 0<&-; sleep 1'], { stdin: true });
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 4; i++) closer.stdin!.write(Buffer.alloc(256 * 1024, 'y'));
    expect(typeof (await closer.exitCode)).toBe('number');

    const ok = await run(sb, { command: ['true'] });
    const bad = await run(sb, { command: ['sh', '-c', 'exit 3'] });
    expect(await exited(ok)).toMatchObject({ exitCode: 0, reason: 'Completed' });
    const b = await exited(bad);
    expect(b).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(Date.parse(b.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(b.startedAt!));
    expect((await rt.listContainers({ sandboxId: sb })).length).toBe(3);
    expect((await rt.listContainers({ sandboxId: sb, state: ContainerState.Exited })).map((c) => c.id).sort()).toEqual([ok, bad].sort());
    await rt.removePodSandbox(sb);
    await expect(rt.containerStatus(id)).rejects.toThrow(/not found/);
  });

  it('starts through runc\'s exec FIFO: runc sees the container running; one whose init died is refused, not waited on', async () => {
    const sb = await rt.runPodSandbox(pod());
    const id = await rt.createContainer(sb, { name: `c${++seq}`, image: IMAGE, command: ['sleep', '60'] });
    expect((await rt.runc.state(id))?.status).toBe('created');
    await rt.startContainer(id);
    expect((await rt.runc.state(id))?.status).toBe('running');
    expect((await rt.execSync(id, ['cat', '/proc/1/cmdline'])).stdout).toBe('sleep\x0060\x00');

    const doomed = await rt.createContainer(sb, { name: `c${++seq}`, image: IMAGE, command: ['sleep', '60'] });
    const pid = (await rt.runc.state(doomed))!.pid;
    process.kill(pid, 'SIGKILL');
    const t0 = Date.now();
    await expect(rt.startContainer(doomed)).rejects.toThrow(/cannot start a container that has stopped/);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await exited(doomed)).state).toBe(ContainerState.Exited);
    await rt.stopPodSandbox(sb);
    await rt.removePodSandbox(sb);
  });

  it('stops with the stop signal, and SIGKILLs after the timeout', async () => {
    const sb = await rt.runPodSandbox(pod());
    const graceful = await run(sb, { command: ['sh', '-c', 'trap "echo bye; exit 0" USR1; while :; do sleep 0.1; done'], stopSignal: 'SIGUSR1' });
    const stubborn = await run(sb, { command: ['sh', '-c', 'trap "" TERM; while :; do sleep 0.1; done'] });
    await new Promise((r) => setTimeout(r, 300));
    let t = Date.now();
    await rt.stopContainer(graceful, 10);
    expect(Date.now() - t).toBeLessThan(5000);
    expect(await rt.containerStatus(graceful)).toMatchObject({ state: ContainerState.Exited, exitCode: 0, reason: 'Completed' });
    expect(await logText(graceful)).toContain('bye');
    t = Date.now();
    await rt.stopContainer(stubborn, 1);
    expect(Date.now() - t).toBeGreaterThanOrEqual(900);
    expect(await rt.containerStatus(stubborn)).toMatchObject({ state: ContainerState.Exited, exitCode: 137 });
    await rt.removePodSandbox(sb);
  });

  it('follows logs until the container exits, tails, and rotates at the size limit', async () => {
    const sb = await rt.runPodSandbox(pod());
    const id = await run(sb, { command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; sleep 0.1; done'] });
    const lines: string[] = [];
    for await (const l of rt.readLogs(id, { follow: true })) lines.push(l.trim());
    expect(lines).toEqual(['line1', 'line2', 'line3', 'line4', 'line5']);
    const tail: string[] = [];
    for await (const l of rt.readLogs(id, { tail: 2, timestamps: true })) tail.push(l);
    expect(tail).toHaveLength(2);
    expect(tail[1]).toMatch(/^\S+ line5\n$/);

    const big = await run(sb, { command: ['sh', '-c', 'i=0; while [ $i -lt 400 ]; do echo "line $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; i=$((i+1)); done'], logSizeMax: 4096 });
    await exited(big);
    const st = await rt.containerStatus(big);
    expect((await fsp.stat(st.logPath)).size).toBeLessThanOrEqual(4096);
    expect(await logText(big)).toContain('line 399');
    await rt.removePodSandbox(sb);
  });

  it('shows a last line without its newline as it is (printf), with and without follow', async () => {
    const sb = await rt.runPodSandbox(pod());
    const id = await run(sb, { command: ['sh', '-c', 'printf "whole\\npart"'] });
    await exited(id);
    expect(await logText(id)).toBe('whole\npart');
    let followed = '';
    for await (const l of rt.readLogs(id, { follow: true })) followed += l;
    expect(followed).toBe('whole\npart');
    await rt.removePodSandbox(sb);
  });

  it('shares net, ipc and uts between the containers of a pod, and emptyDir volumes (disk and Memory)', async () => {
    const own = Object.fromEntries(['net', 'ipc', 'uts'].map((n) => [n, readlinkSync(`/proc/thread-self/ns/${n}`)]));
    const sb = await rt.runPodSandbox(pod({ emptyDirs: [{ name: 'www' }, { name: 'cache', medium: 'Memory', sizeLimit: 8 << 20 }] }));
    const server = await run(sb, {
      command: ['sh', '-c', 'echo hello-from-httpd > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www'],
      volumeMounts: [{ name: 'www', containerPath: '/www' }],
    });
    const client = await run(sb, { command: ['sleep', '60'], volumeMounts: [{ name: 'cache', containerPath: '/cache' }, { name: 'www', containerPath: '/shared', readonly: true }] });
    const body = await waitFor(async () => {
      const r = await rt.execSync(client, ['wget', '-q', '-O', '-', 'http://127.0.0.1:8080/index.html'], 5);
      return r.exitCode === 0 ? r.stdout : undefined;
    }, 10_000, 'httpd on localhost');
    expect(body).toBe('hello-from-httpd\n');
    expect((await rt.execSync(client, ['cat', '/shared/index.html'])).stdout).toBe('hello-from-httpd\n');
    expect((await rt.execSync(client, ['touch', '/shared/x'])).exitCode).not.toBe(0);
    expect((await rt.execSync(client, ['sh', '-c', 'grep " /cache " /proc/mounts'])).stdout).toMatch(/^tmpfs \/cache tmpfs /);
    expect((await rt.execSync(client, ['hostname'])).stdout).toBe((await rt.execSync(server, ['hostname'])).stdout);
    const ns = async (id: string, n: string) => (await rt.execSync(id, ['readlink', `/proc/self/ns/${n}`])).stdout;
    for (const n of ['net', 'ipc', 'uts']) expect(await ns(client, n)).toBe(await ns(server, n));
    for (const n of ['pid', 'mnt']) expect(await ns(client, n)).not.toBe(await ns(server, n));
    // The namespaces were made by this process's own thread, which is back in its own ones.
    for (const n of ['net', 'ipc', 'uts']) {
      expect(readlinkSync(`/proc/thread-self/ns/${n}`)).toBe(own[n]);
      expect((await ns(client, n)).trim()).not.toBe(readlinkSync(`/proc/thread-self/ns/${n}`));
    }
    expect(osHostname()).not.toBe((await rt.execSync(client, ['hostname'])).stdout.trim());
    // One /dev/shm for the pod, as its IPC namespace is one: what one container puts there the other sees.
    expect((await rt.execSync(client, ['sh', '-c', 'echo shared-memory > /dev/shm/seg'])).exitCode).toBe(0);
    expect((await rt.execSync(server, ['cat', '/dev/shm/seg'])).stdout).toBe('shared-memory\n');
    expect((await rt.execSync(server, ['sh', '-c', 'grep " /dev/shm " /proc/mounts'])).stdout).toMatch(/^shm \/dev\/shm tmpfs rw,nosuid,nodev,noexec,.*size=65536k/);
    await rt.removePodSandbox(sb);
  });

  it('gives a tty: true container a terminal and keeps a stdin: true container\'s stdin open', async () => {
    const sb = await rt.runPodSandbox(pod());
    const tty = await run(sb, { command: ['sh', '-c', 'tty; sleep 60'], tty: true, stdin: true });
    await waitFor(async () => /^\/dev\/pts\/\d+\r\n$/.test(await logText(tty)) || undefined, 10_000, 'the tty container to print its terminal');
    // stdin: true is an open pipe: a read waits instead of seeing end-of-file; without it, it ends at once.
    const open = await run(sb, { command: ['sh', '-c', 'read x || echo eof'], stdin: true });
    const closed = await run(sb, { command: ['sh', '-c', 'read x || echo eof'] });
    await exited(closed);
    expect(await logText(closed)).toBe('eof\n');
    expect((await rt.containerStatus(open)).state).toBe(ContainerState.Running);
    expect(await logText(open)).toBe('');
    await rt.removePodSandbox(sb);
  });

  function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  /** Collects a stream's text; `until` waits for a pattern in it. */
  function collect(r: NodeJS.ReadableStream) {
    let text = '';
    r.on('data', (b: Buffer) => (text += b.toString()));
    return { text: () => text, until: (re: RegExp, what: string) => waitFor(async () => re.test(text) || undefined, 10_000, `${what} (got ${JSON.stringify(text)})`) };
  }

  it('attaches to a running container: stdin in, stdout and stderr out; detaching leaves it running', async () => {
    const sb = await rt.runPodSandbox(pod());
    const id = await run(sb, { command: ['sh', '-c', 'while read l; do echo out:$l; echo err:$l >&2; done'], stdin: true });
    const a = await rt.attach(id, { stdin: true });
    expect(a.tty).toBe(false);
    const out = collect(a.stdout);
    const err = collect(a.stderr);
    a.stdin!.write('hello\n');
    await out.until(/out:hello\n/, 'the echo on stdout');
    await err.until(/err:hello\n/, 'the echo on stderr');
    expect(out.text()).not.toContain('err:');
    // A second client sees what is written from now on.
    const b = await rt.attach(id, { stdin: true });
    const out2 = collect(b.stdout);
    b.stdin!.write('again\n');
    await out2.until(/out:again\n/, 'the second client\'s echo');
    a.detach();
    b.detach();
    await Promise.all([a.closed, b.closed]);
    // Detached, the container runs on and its stdin stays open (no stdinOnce).
    const c = await rt.attach(id, { stdin: true });
    const out3 = collect(c.stdout);
    c.stdin!.write('third\n');
    await out3.until(/out:third\n/, 'the echo after a re-attach');
    c.detach();
    expect((await rt.containerStatus(id)).state).toBe(ContainerState.Running);
    // stdin asked of a container made without it is not wired (containerd's attach ignores it).
    const plain = await run(sb, { command: ['sleep', '60'] });
    const noStdin = await rt.attach(plain, { stdin: true });
    expect(noStdin.stdin).toBeNull();
    noStdin.detach();
    await rt.removePodSandbox(sb);
  });

  it('attaches to a tty: one stream, resized through conmon; the session ends when the container exits', async () => {
    const sb = await rt.runPodSandbox(pod());
    const id = await run(sb, { command: ['sh'], tty: true, stdin: true });
    const a = await rt.attach(id, { stdin: true });
    expect(a.tty).toBe(true);
    const out = collect(a.stdout);
    a.resize({ width: 123, height: 45 });
    a.stdin!.write('stty size; echo to-stderr >&2\n');
    await out.until(/45 123\r\n/, 'the terminal size');
    await out.until(/to-stderr\r\n/, 'stderr on the terminal');
    a.stdin!.write('exit 4\n');
    await within(a.closed, 15_000, 'the session to end with the container');
    expect((await exited(id)).exitCode).toBe(4);
    await rt.removePodSandbox(sb);
  });

  it('closes a stdinOnce container\'s stdin when the client ends it', async () => {
    const sb = await rt.runPodSandbox(pod());
    const id = await run(sb, { command: ['sh', '-c', 'cat; echo eof-seen'], stdin: true, stdinOnce: true });
    const a = await rt.attach(id, { stdin: true });
    const out = collect(a.stdout);
    a.stdin!.end('some input\n');
    await within(a.closed, 15_000, 'the session to end with the container');
    expect(out.text()).toBe('some input\neof-seen\n');
    expect((await exited(id)).exitCode).toBe(0);
    await rt.removePodSandbox(sb);
  });

  it('joins a running container\'s PID namespace when asked (an ephemeral container\'s target)', async () => {
    const sb = await rt.runPodSandbox(pod());
    const target = await run(sb, { command: ['sleep', '600'] });
    const debug = await run(sb, { command: ['sh', '-c', 'readlink /proc/self/ns/pid; ps -o args'], pidNamespaceOf: target });
    await exited(debug);
    const out = await logText(debug);
    expect(out.split('\n')[0]).toBe((await rt.execSync(target, ['readlink', '/proc/self/ns/pid'])).stdout.trim());
    expect(out).toContain('sleep 600');
    // Without it, a namespace of its own
    const alone = await run(sb, { command: ['sh', '-c', 'ps -o args'] });
    await exited(alone);
    expect(await logText(alone)).not.toContain('sleep 600');
    await rt.stopContainer(target, 0);
    await expect(run(sb, { command: ['true'], pidNamespaceOf: target })).rejects.toThrow(/not running/);
    await rt.removePodSandbox(sb);
  });

  it('applies seccomp profiles: RuntimeDefault and Localhost filter, Unconfined (the default) does not', async () => {
    const sb = await rt.runPodSandbox(pod());
    const plain = await run(sb, { command: ['sleep', '60'] });
    const def = await run(sb, { command: ['sleep', '60'], securityContext: { seccomp: { type: 'RuntimeDefault' } } });
    await fsp.mkdir(rt.seccompDir, { recursive: true });
    await fsp.writeFile(join(rt.seccompDir, 'no-mkdir.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }));
    const local = await run(sb, { command: ['sleep', '60'], securityContext: { seccomp: { type: 'Localhost', localhostProfile: 'no-mkdir.json' } } });
    const mode = async (id: string) => (await rt.execSync(id, ['grep', '^Seccomp:', '/proc/self/status'])).stdout.trim();
    expect(await mode(plain)).toBe('Seccomp:\t0');
    expect(await mode(def)).toBe('Seccomp:\t2');
    expect(await mode(local)).toBe('Seccomp:\t2');
    // A user namespace needs no capability: only the filter stops it.
    expect(await rt.execSync(plain, ['unshare', '-U', 'true'])).toMatchObject({ exitCode: 0, stderr: '' });
    const u = await rt.execSync(def, ['unshare', '-U', 'true']);
    expect(u.exitCode).not.toBe(0);
    expect(u.stderr).toMatch(/not permitted/i);
    expect((await rt.execSync(def, ['sh', '-c', 'mkdir /tmp/d && echo made'])).stdout).toBe('made\n');
    const m = await rt.execSync(local, ['mkdir', '/tmp/d']);
    expect(m.exitCode).not.toBe(0);
    expect(m.stderr).toMatch(/not permitted/i);
    // A profile that is not there fails the container's creation, naming the file.
    await expect(rt.createContainer(sb, { name: 'bad', image: IMAGE, command: ['true'], securityContext: { seccomp: { type: 'Localhost', localhostProfile: 'missing.json' } } })).rejects.toThrow(/cannot load seccomp profile ".*missing\.json"/);
    await rt.removePodSandbox(sb);
  });

  it('drops capabilities, holds readOnlyRootFilesystem, runs as the asked user, sets no_new_privs', async () => {
    const sb = await rt.runPodSandbox(pod({ emptyDirs: [{ name: 'scratch' }] }));
    const plain = await run(sb, { command: ['sleep', '60'] });
    const r = await rt.execSync(plain, ['ip', 'link', 'add', 'tsk0x', 'type', 'bridge']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/not permitted/i);
    // Docker's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP.
    expect((await rt.execSync(plain, ['grep', 'CapEff', '/proc/self/status'])).stdout).toMatch(/00000000a80425fb/);
    expect((await rt.execSync(plain, ['cat', '/proc/kcore'])).stdout).toBe('');
    expect((await rt.execSync(plain, ['sh', '-c', 'echo 1 > /proc/sys/kernel/domainname'])).exitCode).not.toBe(0);

    const locked = await run(sb, {
      command: ['sleep', '60'],
      volumeMounts: [{ name: 'scratch', containerPath: '/scratch' }],
      securityContext: { readOnlyRootFilesystem: true, runAsUser: 65534, runAsGroup: 65534, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    });
    const t = await rt.execSync(locked, ['touch', '/newfile']);
    expect(t.exitCode).not.toBe(0);
    expect(t.stderr).toMatch(/Read-only file system/);
    expect((await rt.execSync(locked, ['sh', '-c', 'echo ok > /scratch/f && cat /scratch/f'])).stdout).toBe('ok\n');
    expect((await rt.execSync(locked, ['id'])).stdout).toMatch(/^uid=65534\(nobody\) gid=65534\(nobody\)/);
    expect((await rt.execSync(locked, ['grep', 'NoNewPrivs', '/proc/self/status'])).stdout).toMatch(/1$/m);
    expect((await rt.execSync(locked, ['grep', 'CapBnd', '/proc/self/status'])).stdout).toMatch(/0000000000000000/);

    const added = await run(sb, { command: ['sleep', '60'], securityContext: { capabilities: { add: ['NET_ADMIN'] } } });
    expect(await rt.execSync(added, ['ip', 'link', 'add', 'tsk0x', 'type', 'bridge'])).toMatchObject({ exitCode: 0, stderr: '' });
    await rt.removePodSandbox(sb);
  });

  it('propagates host mounts into an rslave mount (HostToContainer), and a privileged container\'s out of an rshared one (Bidirectional)', async () => {
    const dir = await fsp.mkdtemp(join(root, 'propagation-'));
    await fsp.mkdir(join(dir, 'in'));
    await fsp.mkdir(join(dir, 'out'));
    // The host side is a shared mount, as / is under systemd: mounts under it propagate to its peers and slaves.
    const sh = (cmd: string) => execFileSync('sh', ['-c', cmd]);
    sh(`mount --bind ${dir} ${dir} && mount --make-shared ${dir}`);
    const sb = await rt.runPodSandbox(pod());
    try {
      const slave = await run(sb, { command: ['sleep', '60'], mounts: [{ containerPath: '/host', hostPath: dir, propagation: 'rslave' }] });
      const isolated = await run(sb, { command: ['sleep', '60'], mounts: [{ containerPath: '/host', hostPath: dir }] });
      sh(`mount -t tmpfs tmpfs ${dir}/in && echo from-the-host > ${dir}/in/marker`);
      expect((await rt.execSync(slave, ['cat', '/host/in/marker'])).stdout).toBe('from-the-host\n');
      expect((await rt.execSync(isolated, ['cat', '/host/in/marker'])).exitCode).not.toBe(0);
      const shared = await run(sb, { command: ['sleep', '60'], securityContext: { privileged: true }, mounts: [{ containerPath: '/host', hostPath: dir, propagation: 'rshared' }] });
      expect(await rt.execSync(shared, ['sh', '-c', 'mount -t tmpfs tmpfs /host/out && echo from-the-container > /host/out/marker'])).toMatchObject({ exitCode: 0 });
      expect(await fsp.readFile(join(dir, 'out', 'marker'), 'utf8')).toBe('from-the-container\n');
      // (and the host passes it on to the HostToContainer mount)
      expect((await rt.execSync(slave, ['cat', '/host/out/marker'])).stdout).toBe('from-the-container\n');
    } finally {
      await rt.removePodSandbox(sb);
      sh(`umount -l ${dir}/out 2>/dev/null; umount -l ${dir}/in 2>/dev/null; umount -l ${dir}; true`);
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('ends a memory hog OOMKilled', async () => {
    const sb = await rt.runPodSandbox(pod());
    const id = await run(sb, { command: ['sh', '-c', 'x=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; while :; do x=$x$x; done'], resources: { memoryLimitInBytes: 32 << 20 } });
    const s = await exited(id, 30_000);
    expect(s).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
    await rt.removePodSandbox(sb);
  });

  it("sets the container's oom_score_adj, a Guaranteed container's below zero", async () => {
    const sb = await rt.runPodSandbox(pod());
    const ids = [await run(sb, { name: 'be', command: ['sleep', '60'], resources: { oomScoreAdj: 1000 } }), await run(sb, { name: 'g', command: ['sleep', '60'], resources: { oomScoreAdj: -997 } })];
    const adj = async (id: string) => {
      const [pid] = await cgroupPids(`${(await rt.podSandboxStatus(sb)).cgroupParent}/${id}`);
      return (await fsp.readFile(`/proc/${pid}/oom_score_adj`, 'utf8')).trim();
    };
    // (without CAP_SYS_RESOURCE, as on this machine, no lower than the runtime's own, as containerd's restrict_oom_score_adj)
    const canLower = (BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(await fsp.readFile('/proc/self/status', 'utf8'))![1]}`) >> 24n) & 1n;
    const own = (await fsp.readFile('/proc/self/oom_score_adj', 'utf8')).trim();
    expect([await adj(ids[0]!), await adj(ids[1]!)]).toEqual(['1000', canLower ? '-997' : own]);
    await rt.removePodSandbox(sb);
  });

  it('holds a fork bomb at the pids limit', async () => {
    const sb = await rt.runPodSandbox(pod());
    // A subshell forks sleepers until fork fails; pid 1 of the container must survive it.
    const id = await run(sb, { command: ['sh', '-c', '(while :; do sleep 60 & done) 2>/dev/null; echo held; exec sleep 60'], resources: { pidsLimit: 32 } });
    const cg = `${(await rt.podSandboxStatus(sb)).cgroupParent}/${id}`;
    await waitFor(async () => (await logText(id)).includes('held'), 15_000, 'the bomb to be held');
    const n = (await cgroupPids(cg)).length;
    expect(n).toBeGreaterThan(20);
    expect(n).toBeLessThanOrEqual(32);
    expect((await rt.containerStatus(id)).state).toBe(ContainerState.Running);
    expect(Number(await fsp.readFile(`/sys/fs/cgroup/pids${cg}/pids.events`, 'utf8').then((t) => /max (\d+)/.exec(t)![1]))).toBeGreaterThan(0);
    await rt.stopContainer(id, 0);
    await rt.removePodSandbox(sb);
  });

  it('keeps a busy loop near its CPU limit (cpuacct usage)', async () => {
    const sb = await rt.runPodSandbox(pod());
    const id = await run(sb, { command: ['sh', '-c', 'while :; do :; done'], resources: { cpuQuota: 20_000, cpuPeriod: 100_000, cpuShares: 204 } });
    const cg = `${(await rt.podSandboxStatus(sb)).cgroupParent}/${id}`;
    expect((await fsp.readFile(`/sys/fs/cgroup/cpu${cg}/cpu.shares`, 'utf8')).trim()).toBe('204');
    await new Promise((r) => setTimeout(r, 300));
    const u0 = await cpuUsageNs(cg);
    const t0 = process.hrtime.bigint();
    await new Promise((r) => setTimeout(r, 2000));
    const used = (await cpuUsageNs(cg)) - u0;
    const wall = Number(process.hrtime.bigint() - t0);
    const ratio = used / wall;
    expect(ratio).toBeGreaterThan(0.1);
    expect(ratio).toBeLessThan(0.26);
    await rt.removePodSandbox(sb);
  });

  it('leaves nothing behind after removal: mounts, cgroups, netns, runc state, processes', async () => {
    const before = hostSnapshot(root, CGROUP_PARENT);
    const sb = await rt.runPodSandbox(pod({ emptyDirs: [{ name: 'm', medium: 'Memory' }] }));
    const st = await rt.podSandboxStatus(sb);
    const ids = [await run(sb, { command: ['sleep', '60'], volumeMounts: [{ name: 'm', containerPath: '/m' }] }), await run(sb, { command: ['sh', '-c', 'sleep 60 & sleep 60'] })];
    expect(hostSnapshot(root).mountsUnder.length).toBeGreaterThan(before.mountsUnder.length);
    await rt.removeContainer(ids[0]);
    expect(await rt.runc.state(ids[0])).toBeUndefined();
    expect(await cgroupExists(`${st.cgroupParent}/${ids[0]}`)).toEqual([]);
    await rt.stopPodSandbox(sb);
    expect((await rt.podSandboxStatus(sb)).state).toBe(SandboxState.NotReady);
    await rt.removePodSandbox(sb);
    expect(await cgroupExists(st.cgroupParent)).toEqual([]);
    await expect(fsp.access(st.netnsPath)).rejects.toThrow();
    expect((await rt.runc.list()).filter((c) => ids.includes(c.id))).toEqual([]);
    expect(st.cgroupParent.startsWith(`${CGROUP_PARENT}/pod`)).toBe(true);
    const after = hostSnapshot(root, CGROUP_PARENT);
    expect(after.mountsUnder).toEqual(before.mountsUnder);
    expect(after.mounts).toBe(before.mounts);
    expect(after.netns).toEqual(before.netns);
    expect(after.podCgroups).toEqual(before.podCgroups);
    expect(after.monitors.filter((p) => !before.monitors.includes(p))).toEqual([]);
    for (const id of ids) await expect(fsp.access(join(root, 'containers', id))).rejects.toThrow();
    await expect(fsp.access(join(root, 'sandboxes', sb))).rejects.toThrow();
  });

  it('cleanupAll removes every trace, even of running pods', async () => {
    const other = await tempRoot();
    const pre = hostSnapshot(other, CGROUP_PARENT);
    const r2 = await Runtime.open({ root: other });
    await r2.importImage(await exportBusybox());
    const sb = await r2.runPodSandbox(pod({ emptyDirs: [{ name: 'm', medium: 'Memory' }] }));
    const cgroup = (await r2.podSandboxStatus(sb)).cgroupParent;
    await r2.startContainer(await r2.createContainer(sb, { name: 'x', image: IMAGE, command: ['sleep', '60'] }));
    await cleanupAll(other);
    const post = hostSnapshot(other, CGROUP_PARENT);
    expect(post.mountsUnder).toEqual([]);
    expect(post.mounts).toBe(pre.mounts);
    expect(post.netns).toEqual(pre.netns);
    expect(post.podCgroups).toEqual(pre.podCgroups);
    expect(await cgroupExists(cgroup)).toEqual([]);
    expect(post.monitors.filter((p) => !pre.monitors.includes(p))).toEqual([]);
    await expect(fsp.access(other)).rejects.toThrow();
  });

  async function exportBusybox(): Promise<string> {
    const dest = join(root, 'busybox-layout');
    await fsp.rm(dest, { recursive: true, force: true });
    await rt.exportImage(IMAGE, dest);
    return dest;
  }
});
