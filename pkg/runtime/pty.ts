// Pseudo-terminals on the host, for exec sessions with a TTY: open /dev/ptmx, unlock it, open
// the peer (slave) end by TIOCGPTPEER, and set or read the window size on the master. The
// ioctls go through koffi; the opens are Node's own (which adds O_CLOEXEC, so a pty fd never
// leaks into an unrelated child).
import koffi from 'koffi';
import { closeSync, constants as fsc, openSync } from 'node:fs';
import { constants } from 'node:os';
import type { TerminalSize } from './types.js';

// asm-generic/ioctls.h (x86_64, arm64 and riscv64 share these numbers).
const TIOCGWINSZ = 0x5413;
const TIOCSWINSZ = 0x5414;
const TIOCSPTLCK = 0x40045431;
const TIOCGPTPEER = 0x5441;

/** Both ends of a pty; the caller owns (and must close) the fds. */
export interface Pty {
  master: number;
  slave: number;
}

type Fn = (...args: unknown[]) => number;
let libc: { ioctl: Fn; tcgetattr: Fn; tcsetattr: Fn; cfmakeraw: Fn } | undefined;

function lib() {
  if (!libc) {
    const l = koffi.load('libc.so.6');
    libc = {
      ioctl: l.func('int ioctl(int fd, unsigned long request, ...)') as Fn,
      // struct termios is treated as opaque bytes (60 on glibc; 64 leaves room).
      tcgetattr: l.func('int tcgetattr(int fd, void *termios)') as Fn,
      tcsetattr: l.func('int tcsetattr(int fd, int when, void *termios)') as Fn,
      cfmakeraw: l.func('void cfmakeraw(void *termios)') as Fn,
    };
  }
  return libc;
}

function ioctl(fd: number, req: number, type: string, arg: unknown, what: string): number {
  return check(lib().ioctl(fd, req, type, arg), what);
}

function check(rc: number, what: string): number {
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

/**
 * A new pty in raw mode with window size `size` (when given). The master is non-blocking (it
 * is read and written through the event loop); the slave is meant to become a child's stdio.
 * Raw from the start: input written before the child has set its own mode is neither echoed
 * nor held back waiting for a newline.
 */
export function openPty(size?: TerminalSize): Pty {
  const master = openSync('/dev/ptmx', fsc.O_RDWR | fsc.O_NOCTTY | fsc.O_NONBLOCK);
  try {
    ioctl(master, TIOCSPTLCK, 'int *', [0], 'unlock pty');
    if (size) setWinSize(master, size);
    const slave = ioctl(master, TIOCGPTPEER, 'int', fsc.O_RDWR | fsc.O_NOCTTY | 0o2000000 /* O_CLOEXEC */, 'open pty peer');
    try {
      makeRaw(slave);
    } catch (e) {
      closeSync(slave);
      throw e;
    }
    return { master, slave };
  } catch (e) {
    closeSync(master);
    throw new Error(`open pty: ${(e as Error).message}`, { cause: e });
  }
}

export function makeRaw(fd: number): void {
  const t = Buffer.alloc(64);
  check(lib().tcgetattr(fd, t), 'tcgetattr');
  lib().cfmakeraw(t);
  check(lib().tcsetattr(fd, 0 /* TCSANOW */, t), 'tcsetattr');
}

/** struct winsize: rows, cols (then two unused pixel fields). */
export function setWinSize(fd: number, size: TerminalSize): void {
  const ws = Buffer.alloc(8);
  ws.writeUInt16LE(clampDim(size.height), 0);
  ws.writeUInt16LE(clampDim(size.width), 2);
  ioctl(fd, TIOCSWINSZ, 'void *', ws, `set window size ${size.width}x${size.height}`);
}

export function getWinSize(fd: number): TerminalSize {
  const ws = Buffer.alloc(8);
  ioctl(fd, TIOCGWINSZ, 'void *', ws, 'get window size');
  return { height: ws.readUInt16LE(0), width: ws.readUInt16LE(2) };
}

function clampDim(n: number): number {
  return Math.max(0, Math.min(0xffff, Math.trunc(n)));
}
