// Pseudo-terminals on the host, for exec sessions with a TTY: open /dev/ptmx, unlock it, open
// the peer (slave) end by TIOCGPTPEER, and set or read the window size on the master. The
// ioctls and termios calls go through koffi; the opens are Node's own (which adds O_CLOEXEC,
// so a pty fd never leaks into an unrelated child).
import { closeSync, constants as fsc, openSync } from 'node:fs';
import { checkErrno, openLibc } from '../util/libc.js';
import { clearOutputFlags, makeRaw, ONLCR } from '../util/termios.js';
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

type Ioctl = (fd: number, req: number, ...rest: unknown[]) => number;
let ioctlFn: Ioctl | undefined;

function ioctl(fd: number, req: number, type: string, arg: unknown, what: string): number {
  ioctlFn ??= openLibc().func('int ioctl(int fd, unsigned long request, ...)') as Ioctl;
  return checkErrno(ioctlFn(fd, req, type, arg), what);
}

/**
 * A new pty in raw mode with window size `size` (when given). The master is non-blocking (it
 * is read and written through the event loop); the slave is meant to become a child's stdio.
 * Raw from the start: input written before the child has set its own mode is neither echoed
 * nor held back waiting for a newline. ONLCR is off too, so output stays untranslated should
 * the child turn output processing (OPOST) back on, as runc does.
 */
export function openPty(size?: TerminalSize): Pty {
  const master = openSync('/dev/ptmx', fsc.O_RDWR | fsc.O_NOCTTY | fsc.O_NONBLOCK);
  try {
    ioctl(master, TIOCSPTLCK, 'int *', [0], 'unlock pty');
    if (size) setWinSize(master, size);
    const slave = ioctl(master, TIOCGPTPEER, 'int', fsc.O_RDWR | fsc.O_NOCTTY | 0o2000000 /* O_CLOEXEC */, 'open pty peer');
    try {
      makeRaw(slave);
      clearOutputFlags(slave, ONLCR);
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
