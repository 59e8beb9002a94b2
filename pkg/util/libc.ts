// The C library through koffi, loaded once for every in-process syscall wrapper (mounts,
// terminals, ptys, malloc_trim), and the one way they turn a failed call into an error.
import koffi from 'koffi';
import { constants } from 'node:os';

let handle: ReturnType<typeof koffi.load> | undefined;

export function openLibc(): ReturnType<typeof koffi.load> {
  handle ??= koffi.load('libc.so.6');
  return handle;
}

/** Throws `what: ECODE` (an ErrnoException) for a failed libc call (rc < 0); returns rc otherwise. */
export function checkErrno(rc: number, what: string): number {
  if (rc < 0) {
    const errno = koffi.errno();
    const name = Object.entries(constants.errno).find(([, v]) => v === errno)?.[0] ?? `errno ${errno}`;
    const err = new Error(`${what}: ${name}`) as NodeJS.ErrnoException;
    err.code = name;
    err.errno = errno;
    throw err;
  }
  return rc;
}
