// A lock that serialises a critical section across async callers in this process (a promise
// queue per path) and across processes (flock(2) on a lock file, run on the libuv thread pool so
// the event loop never blocks). flock dies with its owner, so a crashed holder never leaves a
// stale lock behind.
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { UnavailableError } from './errors.js';
import { LOCK_EX, LOCK_UN, loadLibc } from './sys.js';

const queues = new Map<string, Promise<void>>();

/** Runs fn while holding the lock at path (created if missing). */
export async function withFileLock<T>(path: string, fn: () => Promise<T> | T): Promise<T> {
  const prev = queues.get(path) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const tail = prev.then(() => mine);
  queues.set(path, tail);
  await prev;
  try {
    const fd = await acquire(path);
    try {
      return await fn();
    } finally {
      loadLibc()?.flock(fd, LOCK_UN);
      closeSync(fd);
    }
  } finally {
    release();
    if (queues.get(path) === tail) queues.delete(path);
  }
}

async function acquire(path: string): Promise<number> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, 'a', 0o600);
  const libc = loadLibc();
  if (!libc) {
    closeSync(fd);
    throw new UnavailableError(`lock ${path}: flock is unavailable (koffi could not load libc)`);
  }
  for (let attempt = 0; ; attempt++) {
    const rc = await libc.flockAsync(fd, LOCK_EX);
    if (rc === 0) return fd;
    if (attempt >= 100) {
      closeSync(fd);
      throw new UnavailableError(`lock ${path}: flock failed`);
    }
  }
}
