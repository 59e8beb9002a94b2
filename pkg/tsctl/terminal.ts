// The local terminal of `tsctl exec -it`: raw mode while the session runs (keys, ^C included,
// go to the container's terminal, which does the echoing and line editing), its size and
// SIGWINCH changes for the resize channel, and the old mode back at the end.
import type { ReadStream, WriteStream } from 'node:tty';
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
  const wasRaw = input.isRaw;
  input.setRawMode(true);
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
      input.setRawMode(wasRaw);
    },
  };
}
