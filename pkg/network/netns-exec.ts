// Running iproute2/iptables/sysctl inside a network namespace given by path.
//
// Fast path: setns(2) on the main thread through koffi, spawn the child (libuv forks
// synchronously from the calling thread, so the child starts in the target namespace), then
// setns back — all in one synchronous stretch, so no other JavaScript ever runs while the
// thread is away. That saves the extra exec of `nsenter --net=PATH`, which is the fallback
// when koffi is unavailable (or TSKUBE_NETNS_EXEC=nsenter). Never `ip netns exec`: it remounts
// /sys in its child (see REFERENCES.md).
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { run, type RunOptions, type RunResult } from '../util/exec.js';
import { NetworkError } from './errors.js';
import { CLONE_NEWNET, errno, loadLibc } from './sys.js';

let homeFd: number | undefined;

function useSetns(): boolean {
  return process.env.TSKUBE_NETNS_EXEC !== 'nsenter' && loadLibc() !== null;
}

/**
 * Runs fn synchronously with the calling thread in the network namespace at path, then returns
 * the thread to where it was. fn must be synchronous (anything it starts, like a spawn, is
 * created in the namespace; anything it awaits would not be).
 */
export function inNetnsSync<T>(path: string, fn: () => T): T {
  const libc = loadLibc();
  if (!libc) throw new NetworkError(`setns ${path}: koffi could not load libc`);
  homeFd ??= openSync('/proc/thread-self/ns/net', 'r');
  const target = openSync(path, 'r');
  try {
    if (libc.setns(target, CLONE_NEWNET) !== 0) throw new NetworkError(`setns ${path}: errno ${errno()}`);
    try {
      return fn();
    } finally {
      if (libc.setns(homeFd, CLONE_NEWNET) !== 0) {
        // The thread is stranded in another namespace: every later socket would land there.
        process.stderr.write(`fatal: setns back to the home network namespace failed: errno ${errno()}\n`);
        process.abort();
      }
    }
  } finally {
    closeSync(target);
  }
}

/** Runs a command in the network namespace at netns (undefined: this process's own). */
export function runIn(netns: string | undefined, file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  if (!netns) return run(file, args, opts);
  if (useSetns()) return inNetnsSync(netns, () => run(file, args, opts));
  return run('nsenter', [`--net=${netns}`, '--', file, ...args], opts);
}

/**
 * Runs iproute2 commands (one per line, without the leading `ip`) in one `ip -batch -`. ip stops
 * at the first failing line (unless force); the error names it ("Command failed -:N").
 */
export function ipBatch(netns: string | undefined, lines: string[], opts: RunOptions & { force?: boolean } = {}): Promise<RunResult> {
  if (lines.length === 0) return Promise.resolve({ code: 0, stdout: '', stderr: '' });
  const { force, ...rest } = opts;
  return runIn(netns, 'ip', [...(force ? ['-force'] : []), '-batch', '-'], { ...rest, input: lines.join('\n') + '\n' });
}

/** `ip -json ...` parsed; an empty answer is []. */
export async function ipJson<T>(netns: string | undefined, args: string[]): Promise<T[]> {
  const res = await runIn(netns, 'ip', ['-json', ...args]);
  const out = res.stdout.trim();
  return out ? (JSON.parse(out) as T[]) : [];
}

/** Writes sysctls (keys like net.ipv4.ip_forward) in a network namespace. */
export async function setSysctls(netns: string | undefined, values: Record<string, string>, optional: string[] = []): Promise<void> {
  const write = () => {
    for (const [k, v] of Object.entries(values)) {
      try {
        writeFileSync(`/proc/sys/${k.replace(/\./g, '/')}`, v);
      } catch (e) {
        if (!optional.includes(k)) throw new NetworkError(`sysctl ${k}=${v}: ${(e as Error).message}`, { cause: e });
      }
    }
  };
  if (!netns) return write();
  if (useSetns()) return inNetnsSync(netns, write);
  for (const [k, v] of Object.entries(values)) {
    const res = await run('nsenter', [`--net=${netns}`, '--', 'sysctl', '-q', '-w', `${k}=${v}`], { allowFailure: true });
    if (res.code !== 0 && !optional.includes(k)) throw new NetworkError(`sysctl ${k}=${v} in ${netns}: ${res.stderr.trim()}`);
  }
}
