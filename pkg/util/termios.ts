// Terminal modes through koffi: read and set a tty's termios, and make it raw (cfmakeraw: no
// echo, no line editing, no signals from keys, no output processing, as kubectl's raw mode).
// struct termios is handled as opaque bytes (60 on glibc; 64 leaves room).
import { checkErrno, libcFunctions } from './libc.js';

const lib = libcFunctions({
  tcgetattr: 'int tcgetattr(int fd, void *termios)',
  tcsetattr: 'int tcsetattr(int fd, int when, void *termios)',
  cfmakeraw: 'void cfmakeraw(void *termios)',
});

const TCSANOW = 0;
const TERMIOS_SIZE = 64;

/** The terminal's current modes, to hand back to setTermios later. */
export function getTermios(fd: number): Buffer {
  const t = Buffer.alloc(TERMIOS_SIZE);
  checkErrno(lib().tcgetattr(fd, t), `tcgetattr fd ${fd}`);
  return t;
}

export function setTermios(fd: number, t: Buffer): void {
  checkErrno(lib().tcsetattr(fd, TCSANOW, t), `tcsetattr fd ${fd}`);
}

/** c_oflag's offset in struct termios (after c_iflag), and its ONLCR bit (\n -> \r\n on output). */
const C_OFLAG = 4;
export const ONLCR = 0o4;

/** Clears bits of c_oflag. */
export function clearOutputFlags(fd: number, mask: number): void {
  const t = getTermios(fd);
  t.writeUInt32LE(t.readUInt32LE(C_OFLAG) & ~mask, C_OFLAG);
  setTermios(fd, t);
}

/** Puts the terminal in raw mode; returns the modes it had. */
export function makeRaw(fd: number): Buffer {
  const saved = getTermios(fd);
  const raw = Buffer.from(saved);
  lib().cfmakeraw(raw);
  setTermios(fd, raw);
  return saved;
}
