// conmon's attach socket, through which the kubelet's attach reaches a running container's stdio
// (CRI-O does the same). conmon listens on `<container dir>/attach`, a SOCK_SEQPACKET unix
// socket: every message it sends is one byte naming the stream (2 stdout, 3 stderr) and then
// the data; every message it receives is data for the container's stdin. A shutdown of our
// write side is how stdin is closed.
//
// libuv holds only stream sockets (net.Socket refuses a SEQPACKET fd), so the socket is driven
// through koffi: non-blocking recv and send, polled by a timer that runs every 2 ms while data
// flows and backs off to 40 ms when it stops. An attach is a person at a terminal or a test, so
// the polling costs little and the worst added echo delay is a frame or two.
import koffi from 'koffi';
import { closeSync, constants as fsc, openSync } from 'node:fs';
import { PassThrough, Writable, type Readable } from 'node:stream';
import { checkErrno } from '../util/libc.js';
import { SOCK_CLOEXEC, socketCalls } from '../util/socket-calls.js';

const lib = socketCalls;

const AF_UNIX = 1;
const SOCK_SEQPACKET = 5;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
const SHUT_WR = 1;
const EAGAIN = 11;
const EINTR = 4;

/** conmon's pipe numbers, the first byte of each message it sends. */
const PIPE_STDOUT = 2;
const PIPE_STDERR = 3;
/** conmon reads stdin in messages of up to this many bytes. */
const MAX_MESSAGE = 8192;

const FAST_POLL_MS = 2;
const SLOW_POLL_MS = 40;

/** One client of a container's attach socket. */
export interface AttachConnection {
  stdout: Readable;
  stderr: Readable;
  /** Data for the container's stdin; ending it closes our side of stdin. */
  stdin: Writable;
  /** Settles when conmon closes the socket (the container exited) or close() was called. */
  closed: Promise<void>;
  /** Detach: stop reading and close the socket. The container runs on. */
  close(): void;
}

/**
 * Connects to the attach socket in `containerDir`. The path goes through /proc/self/fd, as
 * conmon's own bind does: `<data dir>/runtime/containers/<64 hex>/attach` can be longer than a
 * socket address holds (107 bytes).
 */
export function connectAttachSocket(containerDir: string): AttachConnection {
  const l = lib();
  const dirFd = openSync(containerDir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  let fd = -1;
  try {
    const path = `/proc/self/fd/${dirFd}/attach`;
    const addr = Buffer.alloc(2 + 108);
    addr.writeUInt16LE(AF_UNIX, 0);
    addr.write(path, 2);
    fd = checkErrno(l.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), 'attach: socket');
    checkErrno(l.connect(fd, addr, 2 + Buffer.byteLength(path) + 1), `attach: connect to ${containerDir}/attach`);
  } catch (e) {
    if (fd >= 0) l.close(fd);
    throw e;
  } finally {
    closeSync(dirFd);
  }
  return new SeqpacketAttach(fd);
}

/** Invariants: `fd` is -1 once closed; `timer` is set while open; `pending` holds stdin messages send() refused with EAGAIN, in order. */
class SeqpacketAttach implements AttachConnection {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly stdin: Writable;
  readonly closed: Promise<void>;
  private fd: number;
  private timer: NodeJS.Timeout | undefined;
  private delay = FAST_POLL_MS;
  private readonly buf = Buffer.alloc(MAX_MESSAGE + 1);
  private pending: { chunk: Buffer; done: (e?: Error | null) => void }[] = [];
  /** stdin ended: our write side is shut down once `pending` is sent. */
  private shutdownPending = false;
  private resolveClosed!: () => void;

  constructor(fd: number) {
    this.fd = fd;
    this.closed = new Promise((r) => (this.resolveClosed = r));
    this.stdin = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        for (let i = 0; i < chunk.length; i += MAX_MESSAGE) this.pending.push({ chunk: chunk.subarray(i, i + MAX_MESSAGE), done: i + MAX_MESSAGE >= chunk.length ? done : () => {} });
        this.flush();
        this.poll(FAST_POLL_MS); // an answer (an echo) is likely
      },
      final: (done) => {
        this.shutdownPending = true;
        this.flush();
        done();
      },
    });
    this.stdin.on('error', () => {}); // a write after close: the session is over anyway
    this.poll(FAST_POLL_MS);
  }

  close(): void {
    if (this.fd < 0) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    lib().close(this.fd);
    this.fd = -1;
    for (const p of this.pending.splice(0)) p.done(new Error('attach: the container closed the connection'));
    this.stdout.end();
    this.stderr.end();
    this.resolveClosed();
  }

  private poll(ms: number): void {
    if (this.fd < 0) return;
    if (this.timer && ms >= this.delay) return;
    clearTimeout(this.timer);
    this.delay = ms;
    this.timer = setTimeout(() => this.tick(), ms);
  }

  private tick(): void {
    this.timer = undefined;
    if (this.fd < 0) return;
    let got = false;
    for (;;) {
      const n = lib().recv(this.fd, this.buf, this.buf.length, MSG_DONTWAIT);
      if (n < 0) {
        const errno = koffi.errno();
        if (errno === EINTR) continue;
        if (errno === EAGAIN) break;
        return this.close();
      }
      if (n === 0) return this.close(); // conmon is gone: the container exited
      got = true;
      const data = Buffer.from(this.buf.subarray(1, n));
      if (this.buf[0] === PIPE_STDOUT) this.stdout.write(data);
      else if (this.buf[0] === PIPE_STDERR) this.stderr.write(data);
    }
    this.flush();
    if (this.fd < 0) return;
    this.poll(got || this.pending.length ? FAST_POLL_MS : Math.min(this.delay * 2, SLOW_POLL_MS));
  }

  /** Sends what stdin holds, as far as the socket takes it; then the shutdown if stdin ended. */
  private flush(): void {
    while (this.fd >= 0 && this.pending.length) {
      const p = this.pending[0]!;
      const n = lib().send(this.fd, p.chunk, p.chunk.length, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0) {
        const errno = koffi.errno();
        if (errno === EINTR) continue;
        if (errno === EAGAIN) return; // the timer tries again
        return this.close();
      }
      this.pending.shift();
      p.done();
    }
    if (this.fd >= 0 && this.shutdownPending && !this.pending.length) {
      this.shutdownPending = false;
      lib().shutdown(this.fd, SHUT_WR);
    }
  }
}
