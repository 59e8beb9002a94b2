// Real ptys (no privileges needed): the sizes set on the master are what the slave reports.
import { closeSync, fstatSync, readSync, readlinkSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getWinSize, openPty, setWinSize } from './pty.js';

/** Reads a non-blocking fd, waiting up to 1 s for data (the tty layer hands it over asynchronously). */
function readWhenReady(fd: number, buf: Buffer): string {
  for (let i = 0; ; i++) {
    try {
      return buf.subarray(0, readSync(fd, buf)).toString();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN' || i >= 200) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

describe('pty', () => {
  it('opens a pair with the initial size, and resizes it', () => {
    const p = openPty({ width: 100, height: 30 });
    try {
      expect(readlinkSync(`/proc/self/fd/${p.slave}`)).toMatch(/^\/dev\/pts\/\d+$/);
      expect(fstatSync(p.slave).isCharacterDevice()).toBe(true);
      expect(getWinSize(p.slave)).toEqual({ width: 100, height: 30 });
      setWinSize(p.master, { width: 132, height: 43 });
      expect(getWinSize(p.slave)).toEqual({ width: 132, height: 43 });
    } finally {
      closeSync(p.slave);
      closeSync(p.master);
    }
  });

  it('is raw from the start: input is passed on at once and not echoed', () => {
    const p = openPty();
    try {
      writeSync(p.master, 'x');
      const buf = Buffer.alloc(16);
      // Nothing echoed back to the (non-blocking) master; checked first, as a cooked slave would block the read below.
      expect(() => readSync(p.master, buf)).toThrow(/EAGAIN/);
      expect(buf.subarray(0, readSync(p.slave, buf)).toString()).toBe('x');
      // Output is not translated (no ONLCR): \n stays \n.
      writeSync(p.slave, 'y\n');
      expect(readWhenReady(p.master, buf)).toBe('y\n');
    } finally {
      closeSync(p.slave);
      closeSync(p.master);
    }
  });

  it('reports a bad fd with its errno', () => {
    expect(() => setWinSize(1 << 30, { width: 1, height: 1 })).toThrow(/set window size 1x1: EBADF/);
  });
});
