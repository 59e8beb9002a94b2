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
const SOCK_STREAM = 1;
const EINPROGRESS = 115;
const POLLOUT = 4;
const SOL_SOCKET = 1;
const SO_ERROR = 4;
/** The longest the event loop waits for a loopback handshake (a full listen backlog). */
const HANDSHAKE_WAIT_MS = 200;

/** How Go words a failed dial, which is what kubectl users see from the kubelet. */
export function dialReason(code: string | undefined, fallback: string): string {
  const why: Record<string, string> = { ECONNREFUSED: 'connect: connection refused', EHOSTUNREACH: 'connect: no route to host', ENETUNREACH: 'connect: network is unreachable', ETIMEDOUT: 'i/o timeout' };
  return (code && why[code]) || fallback;
}

function errnoError(errno: number, what: string): NodeJS.ErrnoException {
  return errnoException(errno, what, dialReason(errnoName(errno), errnoName(errno)));
}

/** A socket made while the calling thread is in the namespace at `netnsPath`. */
function socketIn(netnsPath: string): number {
  const l = lib();
  const own = openSync('/proc/thread-self/ns/net', 'r');
  const target = openSync(netnsPath, 'r');
  try {
    checkErrno(l.setns(target, CLONE_NEWNET), `setns ${netnsPath}`);
    try {
      return checkErrno(l.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), 'socket');
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
 * Connects to 127.0.0.1:`port` in the network namespace at `netnsPath`. Throws an
 * ErrnoException (ECONNREFUSED, ...) when the connection cannot be made.
 */
export function dialLoopbackIn(netnsPath: string, port: number): Socket {
  const l = lib();
  const fd = socketIn(netnsPath);
  try {
    const addr = Buffer.alloc(16);
    addr.writeUInt16LE(AF_INET, 0);
    addr.writeUInt16BE(port, 2);
    addr.set([127, 0, 0, 1], 4);
    if (l.connect(fd, addr, addr.length) < 0) {
      const e = koffi.errno();
      if (e !== EINPROGRESS) throw errnoError(e, `dial tcp 127.0.0.1:${port}`);
      const pfd = Buffer.alloc(8);
      pfd.writeInt32LE(fd, 0);
      pfd.writeInt16LE(POLLOUT, 4);
      if (l.poll(pfd, 1, HANDSHAKE_WAIT_MS) <= 0) throw errnoError(constants.errno.ETIMEDOUT, `dial tcp 127.0.0.1:${port}`);
      const err = [0];
      const len = [4];
      checkErrno(l.getsockopt(fd, SOL_SOCKET, SO_ERROR, err, len), 'getsockopt');
      if (err[0]) throw errnoError(err[0], `dial tcp 127.0.0.1:${port}`);
    }
  } catch (e) {
    l.close(fd);
    throw e;
  }
  return new Socket({ fd, readable: true, writable: true, allowHalfOpen: true });
}
