// The C library through koffi, loaded once for every in-process syscall wrapper (mounts,
// terminals, ptys, malloc_trim), and the one way they turn a failed call into an error.
import koffi from 'koffi';
import { constants } from 'node:os';

let handle: ReturnType<typeof koffi.load> | undefined;

export function openLibc(): ReturnType<typeof koffi.load> {
  handle ??= koffi.load('libc.so.6');
  return handle;
}

/** A libc function as koffi binds it: the C result (negative on failure, errno in koffi.errno()). */
export type LibcFn = (...args: unknown[]) => number;

/**
 * The libc functions of `prototypes` (name: C prototype), bound together on the first call of the
 * returned getter and kept: each syscall wrapper's `lib()`. A prototype koffi cannot bind (a
 * function this glibc lacks) throws from that first call, and again from the next.
 */
export function libcFunctions<K extends string>(prototypes: Record<K, string>): () => Record<K, LibcFn> {
  let fns: Record<K, LibcFn> | undefined;
  return () => {
    if (!fns) {
      const l = openLibc();
      const bound: Partial<Record<K, LibcFn>> = {};
      for (const name of Object.keys(prototypes) as K[]) bound[name] = l.func(prototypes[name]) as LibcFn;
      fns = bound as Record<K, LibcFn>;
    }
    return fns;
  };
}

/** An errno's name (ECONNREFUSED, ...), or `errno N` for one Node does not name. */
export function errnoName(errno: number): string {
  return Object.entries(constants.errno).find(([, v]) => v === errno)?.[0] ?? `errno ${errno}`;
}

/** An ErrnoException `what: detail` for `errno`; detail defaults to the errno's name. */
export function errnoException(errno: number, what: string, detail = errnoName(errno)): NodeJS.ErrnoException {
  const err = new Error(`${what}: ${detail}`) as NodeJS.ErrnoException;
  err.code = errnoName(errno);
  err.errno = errno;
  return err;
}

/** Throws `what: ECODE` (an ErrnoException) for a failed libc call (rc < 0); returns rc otherwise. */
export function checkErrno(rc: number, what: string): number {
  if (rc < 0) throw errnoException(koffi.errno(), what);
  return rc;
}
