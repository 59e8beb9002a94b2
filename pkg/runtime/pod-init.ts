// The sandbox's init for pods that share one PID namespace (shareProcessNamespace, CRI's
// NamespaceMode POD): a tiny runc container, the role of the kubelet's pause container. It is
// PID 1 of the pod's PID namespace, so it holds the namespace while app containers come and go
// and reaps the zombies they leave (orphans are re-parented to it); the containers join it by
// /proc/<pid>/ns/pid. It runs our pause (pause.c, built static into dist/bin/pause by
// scripts/build-pause.sh) as /pause, bound read-only from the host, so a container's `ps ax`
// shows `1 65535 0:00 /pause` and nothing else of the sandbox, as in 1.32; when the binary was
// not built it runs busybox sh's reaping loop instead, with a warning. Either way in a read-only
// root of its own (pivot_root, new mount namespace, no capabilities, uid 65535): another
// container that may read /proc/1/root sees that empty root and nothing of the node's.
// It is a runc container detached from the node agent, so it outlives an agent restart; runc's
// state under our root and the pod cgroup find it at teardown and in cleanupAll.
import { constants as fsc, promises as fsp, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { logger } from '../util/log.js';
import { RuntimeError } from './errors.js';
import { HOST_BUSYBOX } from './image-build.js';
import { readPid } from './monitor.js';
import type { OciSpec } from './oci-spec.js';
import type { Runc } from './runc.js';
import { writeJson } from './state.js';

/** A running pod init: its runc id, host pid and that pid's start time (so a reused pid is not taken for it). */
export interface PodInit {
  id: string;
  pid: number;
  startTime: string;
}

const log = logger('runtime');

/** dist/ root: this file is dist/pkg/runtime/pod-init.js when built, pkg/runtime/pod-init.ts under vite-node. */
const twoUp = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** The pause binary scripts/build-pause.sh builds (the install script runs it after the TypeScript build). */
export const PAUSE_BINARY = join(basename(twoUp) === 'dist' ? twoUp : join(twoUp, 'dist'), 'bin', 'pause');

/** What the init runs: our pause (its host path), or busybox sh's loop when pause was not built. */
export type InitProgram = { pause: string } | { busybox: string };

/**
 * The fallback PID 1's program (no pause binary): wait for any child forever. busybox ash's
 * `wait` blocks in waitpid(-1), so it reaps every child it has, the orphans of the containers
 * included, not only its sleep. Signals from inside the namespace are ignored by a PID 1
 * without handlers (none are set), where pause ends on SIGTERM and SIGINT.
 */
export const INIT_SCRIPT = 'while :; do sleep 2147483647 & wait; done';

/** The uid and gid of the init (the pause image's 65535). */
const INIT_USER = 65535;

/** The start time of `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat); undefined when gone or a zombie. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

/** True while the init runs (the same process: a pid reused after a reboot does not count). */
export function podInitAlive(init: PodInit): boolean {
  return processStartTime(init.pid) === init.startTime;
}

/** The PID namespace the pod's containers join. */
export function podPidNamespace(init: PodInit): string {
  return `/proc/${init.pid}/ns/pid`;
}

/** The pause binary when it is there and executable, else busybox with a warning (the build step failed or was skipped). */
export async function initProgram(pause = PAUSE_BINARY, busybox = HOST_BUSYBOX): Promise<InitProgram> {
  try {
    await fsp.access(pause, fsc.X_OK);
    return { pause };
  } catch (e) {
    log.warn('pause binary missing (scripts/build-pause.sh builds it); the shared PID namespace\'s init runs busybox sh instead', { pause, error: (e as Error).message });
    return { busybox };
  }
}

/** The files the program is bound onto in the init's root, by path in it. */
function programFiles(program: InitProgram): Record<string, string> {
  return 'pause' in program ? { '/pause': program.pause } : { '/bin/sh': program.busybox, '/bin/sleep': program.busybox };
}

/** The init's OCI spec: the pod's net/ipc/uts namespaces ('' is the node's: left out), a PID and mount namespace of its own. */
export function podInitSpec(rootfs: string, cgroupsPath: string, ns: { network: string; ipc: string; uts: string }, program: InitProgram = { pause: PAUSE_BINARY }): OciSpec {
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: INIT_USER, gid: INIT_USER },
      args: 'pause' in program ? ['/pause'] : ['/bin/sh', '-c', INIT_SCRIPT],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      cwd: '/',
      capabilities: { bounding: [], effective: [], permitted: [] },
      noNewPrivileges: true,
    },
    root: { path: rootfs, readonly: true },
    mounts: [
      // runc closes the init's inherited fds through /proc/self/fd before it execs the program.
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'noexec', 'strictatime', 'mode=755', 'size=64k'] },
      ...Object.entries(programFiles(program)).map(([destination, source]) => ({ destination, type: 'bind', source, options: ['rbind', 'ro', 'nosuid', 'nodev'] })),
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'mount' }, ...(['network', 'ipc', 'uts'] as const).filter((t) => ns[t]).map((t) => ({ type: t, path: ns[t] }))],
      cgroupsPath,
      resources: {},
    },
  };
}

/**
 * Start the init of sandbox `sandboxId` under `dir` (its bundle: config.json, rootfs, pid, log)
 * in cgroup `cgroupsPath`. `runc run --detach` with no stdio of ours: the container keeps
 * nothing open towards the agent.
 */
export async function startPodInit(runc: Runc, sandboxId: string, dir: string, cgroupsPath: string, ns: { network: string; ipc: string; uts: string }): Promise<PodInit> {
  const id = `${sandboxId}-init`;
  const rootfs = join(dir, 'rootfs');
  const program = await initProgram();
  for (const d of ['dev', 'proc']) await fsp.mkdir(join(rootfs, d), { recursive: true });
  // (the mount points of the program's files: empty files in the root, read-only once started)
  for (const f of Object.keys(programFiles(program))) {
    await fsp.mkdir(join(rootfs, f, '..'), { recursive: true });
    await fsp.writeFile(join(rootfs, f), '', { flag: 'a' });
  }
  await writeJson(join(dir, 'config.json'), podInitSpec(rootfs, cgroupsPath, ns, program));
  const pidFile = join(dir, 'pid');
  const logFile = join(dir, 'runc.log');
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(runc.binary, [...runc.globalArgs(), '--log', logFile, 'run', '--detach', '--pid-file', pidFile, '--bundle', dir, id], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (c) => resolve(c));
  });
  const pid = await readPid(pidFile);
  const startTime = pid ? processStartTime(pid) : undefined;
  if (code !== 0 || !pid || !startTime) {
    const why = (await fsp.readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').pop() ?? '';
    await runc.delete(id, true).catch(() => {});
    throw new RuntimeError(`sandbox ${sandboxId}: pod init (shared PID namespace) did not start: ${why || `runc exited with ${code}`}`);
  }
  return { id, pid, startTime };
}

/** Kill the init (and so every process left in the pod's PID namespace) and remove its runc state. Idempotent. */
export async function stopPodInit(runc: Runc, init: PodInit): Promise<void> {
  if (podInitAlive(init)) {
    try {
      process.kill(init.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  await runc.delete(init.id, true);
}
