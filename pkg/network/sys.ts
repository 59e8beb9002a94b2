// The few libc calls pod networking makes through koffi: setns (enter a network namespace on
// the calling thread) and flock (cross-process locks that die with their owner). Loaded lazily;
// callers fall back to spawning nsenter when koffi or libc cannot be loaded.
import koffi from 'koffi';

export const CLONE_NEWNET = 0x40000000;
export const LOCK_EX = 2;
export const LOCK_UN = 8;

interface Libc {
  setns(fd: number, nstype: number): number;
  flockAsync(fd: number, op: number): Promise<number>;
  flock(fd: number, op: number): number;
}

let libc: Libc | null | undefined;

export function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  try {
    const lib = koffi.load('libc.so.6');
    const setns = lib.func('int setns(int fd, int nstype)');
    const flock = lib.func('int flock(int fd, int operation)');
    libc = {
      setns: (fd, t) => setns(fd, t) as number,
      flock: (fd, op) => flock(fd, op) as number,
      flockAsync: (fd, op) =>
        new Promise((resolve, reject) => {
          flock.async(fd, op, (err: unknown, res: number) => (err ? reject(err) : resolve(res)));
        }),
    };
  } catch {
    libc = null;
  }
  return libc;
}

export function errno(): number {
  return koffi.errno();
}
