// What a killed test run leaves behind. A test cluster cleans up after itself in stop(), but a
// run that is killed (a session's end, a CI timeout, ^C twice) never gets there: its bridge,
// iptables chains (the `kubernetes` Service DNAT among them), pod namespaces, mounts and cgroups
// stay, and the next run's pods can reach a dead apiserver through them. Each node cluster
// writes an owner record into its data dir; before a run, vitest's global setup sweeps the data
// dirs whose owner is gone, the way the cluster's own stop() would have.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown } from '../../pkg/lab/lab.js';
import { run } from '../../pkg/util/exec.js';
import { cleanupNode } from '../../pkg/network/pod-network.js';
import { cleanupAll } from '../../pkg/runtime/cleanup.js';
import { unmountAll } from '../../pkg/runtime/syscalls.js';

const OWNER_FILE = '.tskube-test-owner.json';
/** Where node clusters keep their data: mkdtemp(NODE_DIR_PREFIX). */
export const NODE_DIR_PREFIX = 'tskube-node-';

export interface NodeOwnerRecord {
  pid: number;
  /** The owner's start time in clock ticks since boot (/proc/PID/stat field 22): a reused pid does not pass for the owner. */
  started: string;
  bridge: string;
  chainPrefix: string;
}

/** The start time of a process, or undefined when it is gone. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Marks `dir` as this process's node cluster data. */
export function recordNodeOwner(dir: string, rec: Omit<NodeOwnerRecord, 'pid' | 'started'>): void {
  const own: NodeOwnerRecord = { pid: process.pid, started: processStart(process.pid) ?? '', ...rec };
  writeFileSync(join(dir, OWNER_FILE), JSON.stringify(own));
}

function readOwner(dir: string): NodeOwnerRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8')) as NodeOwnerRecord;
    return typeof r.pid === 'number' && typeof r.bridge === 'string' && typeof r.chainPrefix === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

export function ownerAlive(rec: NodeOwnerRecord): boolean {
  return processStart(rec.pid) === rec.started;
}

/** Removes a dead owner's node cluster: containers, pod namespaces, cgroups, mounts, bridge, veths, iptables chains, files. */
export async function removeNodeLeftovers(dir: string, rec: NodeOwnerRecord): Promise<void> {
  // (its pods cgroup, the harness's own, goes with cleanupAll, which finds it recorded in the runtime root)
  await cleanupAll(join(dir, 'runtime')).catch(() => {});
  await unmountAll(dir).catch(() => {});
  await cleanupNode({ bridgeName: rec.bridge, stateDir: join(dir, 'network'), chainPrefix: rec.chainPrefix });
  rmSync(dir, { recursive: true, force: true });
}

/** Sweeps the node clusters under `base` whose owner process is gone; returns the dirs it removed. */
export async function sweepNodeLeftovers(base = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  const dirs = existsSync(base) ? readdirSync(base).filter((d) => d.startsWith(NODE_DIR_PREFIX)) : [];
  for (const d of dirs) {
    const dir = join(base, d);
    const rec = readOwner(dir);
    if (!rec || ownerAlive(rec)) continue;
    // (one dir that cannot be removed does not keep the others)
    await removeNodeLeftovers(dir, rec).then(
      () => removed.push(dir),
      (e: Error) => console.log(JSON.stringify({ level: 'warn', component: 'test-setup', msg: 'could not remove a dead test cluster', dir, err: e.message })),
    );
  }
  return removed;
}

/** The lab test's data dir: tmpdir()/LAB_DIR_PREFIX + the test process's pid. */
export const LAB_DIR_PREFIX = 'tskube-lab-';

/**
 * Takes down labs (bridge, node namespaces, their components) left by lab tests whose process is
 * gone; returns their dirs. A lab's dir names its test process (a reused pid keeps it, harmlessly).
 */
export async function sweepLabLeftovers(base = tmpdir(), log: (line: string) => void = () => {}): Promise<string[]> {
  const removed: string[] = [];
  for (const d of existsSync(base) ? readdirSync(base) : []) {
    const pid = Number(/^tskube-lab-(\d+)$/.exec(d)?.[1]);
    if (!pid || processStart(pid) !== undefined) continue;
    await labDown({ dataDir: join(base, d), log }).then(
      () => removed.push(join(base, d)),
      (e: Error) => console.log(JSON.stringify({ level: 'warn', component: 'test-setup', msg: 'could not take down a dead test lab', dir: join(base, d), err: e.message })),
    );
  }
  return removed;
}

/** A network test's namespace: tsknt-<pid of the test process>-<random>-<role> (test/network/lab.ts). */
const NETWORK_TEST_NETNS = /^tsknt-(\d+)-[0-9a-f]+-/;

/**
 * Deletes the network namespaces of network tests whose process is gone, after killing what still
 * runs in them (their echo servers outlive a killed test); returns the names it deleted.
 */
export async function sweepNetworkTestLeftovers(): Promise<string[]> {
  const list = await run('ip', ['netns', 'list'], { allowFailure: true });
  const dead = list.stdout
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => {
      const pid = Number(NETWORK_TEST_NETNS.exec(n)?.[1]);
      return pid > 0 && processStart(pid) === undefined;
    });
  const removed: string[] = [];
  for (const name of dead) {
    const pids = await run('ip', ['netns', 'pids', name], { allowFailure: true });
    for (const pid of pids.stdout.split(/\s+/).filter(Boolean).map(Number)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    const del = await run('ip', ['netns', 'del', name], { allowFailure: true });
    if (del.code === 0) removed.push(name);
    else console.log(JSON.stringify({ level: 'warn', component: 'test-setup', msg: 'could not delete a dead network test namespace', netns: name, err: del.stderr.trim() }));
  }
  return removed;
}
