// The socket syscalls tskube makes through koffi, for sockets libuv cannot make or hold: conmon's
// SOCK_SEQPACKET attach socket, and a TCP socket created inside another network namespace.
// Bound on first use; each returns the C result (negative on failure, errno in koffi.errno()).
import { libcFunctions } from './libc.js';

/** socket, connect, recv, send, shutdown, close, poll, getsockopt and setns, bound on first use. */
export const socketCalls = libcFunctions({
  socket: 'int socket(int domain, int type, int protocol)',
  connect: 'int connect(int fd, const void *addr, uint32_t len)',
  recv: 'intptr_t recv(int fd, void *buf, size_t len, int flags)',
  send: 'intptr_t send(int fd, const void *buf, size_t len, int flags)',
  shutdown: 'int shutdown(int fd, int how)',
  close: 'int close(int fd)',
  poll: 'int poll(void *fds, unsigned long nfds, int timeout)',
  getsockopt: 'int getsockopt(int fd, int level, int name, _Out_ int *value, _Inout_ uint32_t *len)',
  setns: 'int setns(int fd, int nstype)',
});

export const SOCK_CLOEXEC = 0o2000000;
export const SOCK_NONBLOCK = 0o4000;
