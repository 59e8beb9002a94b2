// The local terminal of `tsctl exec -it`: raw mode while the session runs (keys, ^C included,
// go to the container's terminal, which does the echoing and line editing), its size and
// SIGWINCH changes for the resize channel, and the old mode back at the end.
import type { ReadStream, WriteStream } from 'node:tty';
import { makeRaw, setTermios } from '../util/termios.js';
import type { TerminalSizeSource } from './streams.js';

export interface LocalTerminal {
  size: TerminalSizeSource;
  restore(): void;
}

export function isTerminal(s: NodeJS.ReadableStream | NodeJS.WritableStream | undefined): boolean {
  return (s as { isTTY?: boolean } | undefined)?.isTTY === true;
}

/** Raw mode on `input` (a TTY); sizes from `output` when that is a TTY too. */
export function openTerminal(input: ReadStream, output: NodeJS.WritableStream): LocalTerminal {
  const out = isTerminal(output) ? (output as WriteStream) : undefined;
  // Not input.setRawMode(): libuv's raw mode keeps output processing (ONLCR), which would add a
  // second \r to every line the container's terminal has already ended with \r\n.
  // process.stdin carries its fd; another tty.ReadStream does not say, and is taken to be fd 0.
  const fd = (input as ReadStream & { fd?: number }).fd ?? 0;
  const saved = makeRaw(fd);
  let restored = false;
  return {
    size: {
      current: () => (out && out.columns > 0 && out.rows > 0 ? { width: out.columns, height: out.rows } : undefined),
      onChange(cb) {
        // Node turns SIGWINCH into 'resize' on a TTY stdout (columns and rows already updated).
        out?.on('resize', cb);
        return () => void out?.off('resize', cb);
      },
    },
    restore() {
      if (restored) return;
      restored = true;
      setTermios(fd, saved);
    },
  };
}
