// The socket syscalls tskube makes through koffi, for sockets libuv cannot make or hold: conmon's
// SOCK_SEQPACKET attach socket, and a TCP socket created inside another network namespace.
// Bound on first use; each returns the C result (negative on failure, errno in koffi.errno()).
import { openLibc } from './libc.js';

type Fn = (...args: unknown[]) => number;
export interface SocketCalls {
  socket: Fn;
  connect: Fn;
  recv: Fn;
  send: Fn;
  shutdown: Fn;
  close: Fn;
  poll: Fn;
  getsockopt: Fn;
  setns: Fn;
}

let calls: SocketCalls | undefined;

export function socketCalls(): SocketCalls {
  if (!calls) {
    const l = openLibc();
    calls = {
      socket: l.func('int socket(int domain, int type, int protocol)') as Fn,
      connect: l.func('int connect(int fd, const void *addr, uint32_t len)') as Fn,
      recv: l.func('intptr_t recv(int fd, void *buf, size_t len, int flags)') as Fn,
      send: l.func('intptr_t send(int fd, const void *buf, size_t len, int flags)') as Fn,
      shutdown: l.func('int shutdown(int fd, int how)') as Fn,
      close: l.func('int close(int fd)') as Fn,
      poll: l.func('int poll(void *fds, unsigned long nfds, int timeout)') as Fn,
      getsockopt: l.func('int getsockopt(int fd, int level, int name, _Out_ int *value, _Inout_ uint32_t *len)') as Fn,
      setns: l.func('int setns(int fd, int nstype)') as Fn,
    };
  }
  return calls;
}

export const SOCK_CLOEXEC = 0o2000000;
export const SOCK_NONBLOCK = 0o4000;
