// A pod's own net, ipc and uts namespaces, made in-process: the calling thread unshares them,
// names the host, brings loopback up, bind-mounts each namespace onto its file so it outlives
// the thread's membership, and returns to its own namespaces — all in one synchronous stretch,
// so no other JavaScript runs while the thread is away (namespaces belong to threads, so libuv's
// pool threads never leave). That replaces a fork of the agent and three execs
// (`unshare ... sh -c 'hostname X && ip link set lo up'`) per pod.
import { openSync } from 'node:fs';
import { checkErrno, libcFunctions } from '../util/libc.js';
import { SOCK_CLOEXEC, socketCalls } from '../util/socket-calls.js';
import { MNT_DETACH, MS_BIND, mount, umount } from './syscalls.js';

export const CLONE_NEWUTS = 0x04000000;
export const CLONE_NEWIPC = 0x08000000;
export const CLONE_NEWNET = 0x40000000;

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SIOCGIFFLAGS = 0x8913;
const SIOCSIFFLAGS = 0x8914;
const IFF_UP = 0x1;
/** struct ifreq: a 16-byte name, then a union whose first member (ifr_flags) is a short. */
const IFREQ_SIZE = 40;

const nsCalls = libcFunctions({
  unshare: 'int unshare(int flags)',
  sethostname: 'int sethostname(const char *name, size_t len)',
  ioctl: 'int ioctl(int fd, unsigned long req, void *arg)',
});

/** unshare, sethostname and ioctl; socket, close and setns are socket-calls.ts's. */
function lib() {
  return { ...nsCalls(), ...socketCalls() };
}

const KINDS = [
  { flag: CLONE_NEWNET, name: 'net' },
  { flag: CLONE_NEWIPC, name: 'ipc' },
  { flag: CLONE_NEWUTS, name: 'uts' },
] as const;

/** The thread's own namespaces, opened once: where every stretch returns to. */
let home: Map<number, number> | undefined;

function homeFds(): Map<number, number> {
  home ??= new Map(KINDS.map((k) => [k.flag, openSync(`/proc/thread-self/ns/${k.name}`, 'r')]));
  return home;
}

export interface PodNamespaceFiles {
  /** Where each new namespace is pinned (an existing empty file); '' or absent: not made. */
  net?: string;
  ipc?: string;
  uts?: string;
  /** The hostname set in the new uts namespace. */
  hostname?: string;
}

/** Makes the namespaces named in `f` and pins each on its file. Throws (an ErrnoException naming the step) on failure, leaving nothing mounted. */
export function createPodNamespaces(f: PodNamespaceFiles): void {
  const want = KINDS.filter((k) => f[k.name]);
  if (want.length === 0) return;
  const l = lib();
  const homes = homeFds();
  const flags = want.reduce((a, k) => a | k.flag, 0);
  checkErrno(l.unshare(flags), 'unshare');
  const mounted: string[] = [];
  try {
    if (f.uts && f.hostname) {
      checkErrno(l.sethostname(f.hostname, Buffer.byteLength(f.hostname)), `sethostname ${f.hostname}`);
    }
    if (f.net) loopbackUp();
    for (const k of want) {
      mount(`/proc/thread-self/ns/${k.name}`, f[k.name]!, null, MS_BIND, null);
      mounted.push(f[k.name]!);
    }
  } catch (e) {
    // The namespaces die with the thread's membership once nothing pins them.
    for (const m of mounted) umount(m, MNT_DETACH);
    throw e;
  } finally {
    for (const k of want) {
      if (l.setns(homes.get(k.flag)!, k.flag) !== 0) {
        // The thread is stranded in a pod's namespace: every later socket would land there.
        process.stderr.write(`fatal: setns back to the agent's own ${k.name} namespace failed\n`);
        process.abort();
      }
    }
  }
}

/** `ip link set lo up` in the thread's current network namespace, by SIOCSIFFLAGS. */
function loopbackUp(): void {
  const l = lib();
  const fd = checkErrno(l.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), 'socket');
  try {
    const req = Buffer.alloc(IFREQ_SIZE);
    req.write('lo', 0, 'latin1');
    checkErrno(l.ioctl(fd, SIOCGIFFLAGS, req), 'SIOCGIFFLAGS lo');
    req.writeUInt16LE(req.readUInt16LE(16) | IFF_UP, 16);
    checkErrno(l.ioctl(fd, SIOCSIFFLAGS, req), 'SIOCSIFFLAGS lo up');
  } finally {
    l.close(fd);
  }
}
