// Starting a child with glibc's posix_spawn through koffi, for processes the node agent starts
// once per container (conmon). Node's child_process forks the whole agent — page tables of a
// process of tens of MB, then copy-on-write faults in the agent until the child execs, ~5 ms of
// the event loop each — where posix_spawn shares the address space until exec (CLONE_VFORK).
// The child gets /dev/null on stdin and stdout, a pipe on stderr and on each extra fd (3, 4, ...),
// default signal dispositions and an empty signal mask (Node ignores SIGPIPE), its own session
// when detached, and nothing else: every fd this process opens is close-on-exec.
// Exits are collected with waitpid(WNOHANG) on a timer: libuv reaps only the children it made.
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { checkErrno, errnoException, libcFunctions } from './libc.js';

const spawnCalls = libcFunctions({
  posix_spawn: 'int posix_spawn(_Out_ int *pid, const char *path, void *fa, void *attr, const char **argv, const char **envp)',
  fa_init: 'int posix_spawn_file_actions_init(void *fa)',
  fa_destroy: 'int posix_spawn_file_actions_destroy(void *fa)',
  fa_adddup2: 'int posix_spawn_file_actions_adddup2(void *fa, int fd, int newfd)',
  fa_addopen: 'int posix_spawn_file_actions_addopen(void *fa, int fd, const char *path, int oflag, uint32_t mode)',
  fa_addchdir: 'int posix_spawn_file_actions_addchdir_np(void *fa, const char *path)',
  attr_init: 'int posix_spawnattr_init(void *attr)',
  attr_destroy: 'int posix_spawnattr_destroy(void *attr)',
  attr_setflags: 'int posix_spawnattr_setflags(void *attr, short flags)',
  attr_setsigdefault: 'int posix_spawnattr_setsigdefault(void *attr, void *set)',
  attr_setsigmask: 'int posix_spawnattr_setsigmask(void *attr, void *set)',
  sigemptyset: 'int sigemptyset(void *set)',
  pipe2: 'int pipe2(void *fds, int flags)',
  waitpid: 'int waitpid(int pid, _Out_ int *status, int options)',
});
type Calls = ReturnType<typeof spawnCalls>;
let calls: Calls | null | undefined;

function lib(): Calls | null {
  if (calls !== undefined) return calls;
  try {
    calls = spawnCalls();
  } catch {
    calls = null;
  }
  return calls;
}

/** Whether posix_spawn can be used here (koffi and a glibc with addchdir_np). */
export function posixSpawnAvailable(): boolean {
  return lib() !== null;
}

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_CLOEXEC = 0o2000000;
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;
const WNOHANG = 1;
/** Larger than glibc's posix_spawn_file_actions_t (80 bytes), posix_spawnattr_t (336) and sigset_t (128) on any arch. */
const OPAQUE = 512;

export interface SpawnedChild {
  pid: number;
  stderr: Socket;
  /** Read ends of the pipes on the child's fds 3, 4, ... */
  extra: Socket[];
  /** The child's exit status (code, or 128 + signal), once it has exited and been reaped. */
  exited: Promise<number>;
}

export interface PosixSpawnOptions {
  env: Record<string, string | undefined>;
  cwd?: string;
  /** A new session (setsid), as Node's `detached: true`. */
  detached?: boolean;
  /** How many extra pipes the child gets, on fds 3, 4, ... (the child writes them). */
  extraPipes?: number;
}

function pipe(l: Calls): [number, number] {
  const fds = new Int32Array(2);
  checkErrno(l.pipe2(fds, O_CLOEXEC), 'pipe2');
  return [fds[0]!, fds[1]!];
}

/** Starts `file` with `args` (argv[0] is `file`). Throws an ErrnoException when it cannot be started (ENOENT, EACCES...). */
export function posixSpawn(file: string, args: string[], o: PosixSpawnOptions): SpawnedChild {
  const l = lib();
  if (!l) throw new Error('posix_spawn: koffi could not load libc');
  const opened: number[] = [];
  const fa = Buffer.alloc(OPAQUE);
  const attr = Buffer.alloc(OPAQUE);
  const sigs = Buffer.alloc(OPAQUE);
  const chk = (rc: number, what: string) => {
    // posix_spawn and its helpers return the error number instead of setting errno.
    if (rc !== 0) throw errnoException(rc, what);
  };
  let child: number;
  const pipes: [number, number][] = [];
  chk(l.fa_init(fa), 'posix_spawn_file_actions_init');
  chk(l.attr_init(attr), 'posix_spawnattr_init');
  try {
    for (let i = 0; i < 1 + (o.extraPipes ?? 0); i++) {
      const p = pipe(l);
      opened.push(...p);
      pipes.push(p);
    }
    chk(l.fa_addopen(fa, 0, '/dev/null', O_RDONLY, 0), 'addopen stdin');
    chk(l.fa_addopen(fa, 1, '/dev/null', O_WRONLY, 0), 'addopen stdout');
    pipes.forEach(([, w], i) => chk(l.fa_adddup2(fa, w, i === 0 ? 2 : 2 + i), 'adddup2'));
    if (o.cwd) chk(l.fa_addchdir(fa, o.cwd), 'addchdir');
    // Every signal to its default, glibc's internal ones (32, 33) too: sigfillset leaves those
    // out, and glibc's child would then set them to SIG_IGN, which an exec keeps.
    sigs.fill(0xff);
    chk(l.attr_setsigdefault(attr, sigs), 'setsigdefault');
    l.sigemptyset(sigs);
    chk(l.attr_setsigmask(attr, sigs), 'setsigmask');
    chk(l.attr_setflags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | (o.detached ? POSIX_SPAWN_SETSID : 0)), 'setflags');
    const env = Object.entries(o.env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
    const pid = [0];
    chk(l.posix_spawn(pid, file, fa, attr, [file, ...args, null], [...env, null]), `posix_spawn ${file}`);
    child = pid[0]!;
  } catch (e) {
    for (const fd of opened) closeSync(fd);
    throw e;
  } finally {
    l.fa_destroy(fa);
    l.attr_destroy(attr);
  }
  // The child holds the write ends now.
  for (const [, w] of pipes) closeSync(w);
  const [stderr, ...extra] = pipes.map(([r]) => new Socket({ fd: r, readable: true, writable: false }));
  return { pid: child, stderr: stderr!, extra, exited: reap(l, child) };
}

function reap(l: Calls, pid: number): Promise<number> {
  return new Promise((resolve) => {
    let delay = 5;
    const poll = () => {
      const st = [0];
      const rc = l.waitpid(pid, st, WNOHANG);
      if (rc === pid) {
        const s = st[0]!;
        return resolve((s & 0x7f) === 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f));
      }
      if (rc < 0) return resolve(-1); // not ours any more (reaped elsewhere)
      delay = Math.min(delay * 2, 1000);
      setTimeout(poll, delay).unref();
    };
    setTimeout(poll, delay).unref();
  });
}
