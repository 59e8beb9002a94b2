// A TCP connection to 127.0.0.1:PORT inside another network namespace, as the kubelet's
// port-forward makes one ("localhost in the pod"). The socket is created with the calling
// thread switched into the namespace for that one syscall (setns is per thread, and no
// JavaScript runs in between), then connected without blocking: a loopback handshake is over
// within microseconds, so a short poll gives its result synchronously. The connected fd
// becomes an ordinary net.Socket.
import koffi from 'koffi';
import { closeSync, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import { checkErrno, errnoException, errnoName } from './libc.js';
import { SOCK_CLOEXEC, SOCK_NONBLOCK, socketCalls } from './socket-calls.js';

const lib = socketCalls;

const CLONE_NEWNET = 0x40000000;
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const EINPROGRESS = 115;
const POLLOUT = 4;
const SOL_SOCKET = 1;
const SO_ERROR = 4;
/** The longest the event loop waits for a loopback handshake (a full listen backlog). */
const HANDSHAKE_WAIT_MS = 200;

/** How Go words a failed dial, which is what kubectl users see from the kubelet. */
export function dialReason(code: string | undefined, fallback: string): string {
  const why: Record<string, string> = { ECONNREFUSED: 'connect: connection refused', EADDRNOTAVAIL: 'connect: cannot assign requested address', EHOSTUNREACH: 'connect: no route to host', ENETUNREACH: 'connect: network is unreachable', ETIMEDOUT: 'i/o timeout' };
  return (code && why[code]) || fallback;
}

function errnoError(errno: number, what: string): NodeJS.ErrnoException {
  return errnoException(errno, what, dialReason(errnoName(errno), errnoName(errno)));
}

/** A socket of `family` made while the calling thread is in the namespace at `netnsPath` (the node's own when empty). */
function socketIn(netnsPath: string, family = AF_INET): number {
  const l = lib();
  if (!netnsPath) return checkErrno(l.socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), 'socket');
  const own = openSync('/proc/thread-self/ns/net', 'r');
  const target = openSync(netnsPath, 'r');
  try {
    checkErrno(l.setns(target, CLONE_NEWNET), `setns ${netnsPath}`);
    try {
      return checkErrno(l.socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), 'socket');
    } finally {
      // Back to the thread's own namespace: on failure nothing this process does afterwards would be where it thinks.
      if (l.setns(own, CLONE_NEWNET) < 0) throw new Error('setns back to the node\'s network namespace failed');
    }
  } finally {
    closeSync(own);
    closeSync(target);
  }
}

/**
 * Connects to 127.0.0.1:`port` in the network namespace at `netnsPath` (the node's own when
 * empty). Throws an ErrnoException (ECONNREFUSED, ...) when the connection cannot be made, its
 * message in Go's words for the network `tcp` (or `tcp4`, as `network` says).
 */
export function dialLoopbackIn(netnsPath: string, port: number, network: 'tcp' | 'tcp4' = 'tcp'): Socket {
  const addr = Buffer.alloc(16);
  addr.writeUInt16LE(AF_INET, 0);
  addr.writeUInt16BE(port, 2);
  addr.set([127, 0, 0, 1], 4);
  return dialIn(netnsPath, AF_INET, addr, `dial ${network} 127.0.0.1:${port}`);
}

/** Connects to [::1]:`port` in the network namespace at `netnsPath` (the node's own when empty), as Go's net.Dial("tcp6", "localhost:PORT"). */
export function dialLoopback6In(netnsPath: string, port: number): Socket {
  const addr = Buffer.alloc(28); // sockaddr_in6: family, port, flowinfo, address, scope id
  addr.writeUInt16LE(AF_INET6, 0);
  addr.writeUInt16BE(port, 2);
  addr[23] = 1; // ::1
  return dialIn(netnsPath, AF_INET6, addr, `dial tcp6 [::1]:${port}`);
}

/**
 * A connection to localhost:`port` in the namespace at `netnsPath` (the node's own when empty)
 * as containerd's CRI port-forward makes it (internal/cri/server/sandbox_portforward_linux.go):
 * IPv4 first, then IPv6; when both fail, its error naming the sandbox `sandboxId` and both
 * failures: 'failed to connect to localhost:80 inside namespace "ID", IPv4: dial tcp4
 * 127.0.0.1:80: connect: connection refused IPv6 dial tcp6 [::1]:80: connect: connection refused '
 * (the trailing space is containerd's).
 */
export function dialLocalhostIn(netnsPath: string, port: number, sandboxId: string): Socket {
  let v4: Error;
  try {
    return dialLoopbackIn(netnsPath, port, 'tcp4');
  } catch (e) {
    v4 = e as Error;
  }
  try {
    return dialLoopback6In(netnsPath, port);
  } catch (v6) {
    throw new Error(`failed to connect to localhost:${port} inside namespace "${sandboxId}", IPv4: ${v4.message} IPv6 ${(v6 as Error).message} `, { cause: v6 });
  }
}

function dialIn(netnsPath: string, family: number, addr: Buffer, what: string): Socket {
  const l = lib();
  const fd = socketIn(netnsPath, family);
  try {
    if (l.connect(fd, addr, addr.length) < 0) {
      const e = koffi.errno();
      if (e !== EINPROGRESS) throw errnoError(e, what);
      const pfd = Buffer.alloc(8);
      pfd.writeInt32LE(fd, 0);
      pfd.writeInt16LE(POLLOUT, 4);
      if (l.poll(pfd, 1, HANDSHAKE_WAIT_MS) <= 0) throw errnoError(constants.errno.ETIMEDOUT, what);
      const err = [0];
      const len = [4];
      checkErrno(l.getsockopt(fd, SOL_SOCKET, SO_ERROR, err, len), 'getsockopt');
      if (err[0]) throw errnoError(err[0], what);
    }
  } catch (e) {
    l.close(fd);
    throw e;
  }
  return new Socket({ fd, readable: true, writable: true, allowHalfOpen: true });
}
