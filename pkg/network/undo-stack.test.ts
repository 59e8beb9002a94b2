import { describe, expect, it } from 'vitest';
import { KeyedMutex, UndoStack } from './undo-stack.js';

describe('UndoStack', () => {
  it('unwinds newest first and collects undo failures without stopping', async () => {
    const done: string[] = [];
    const s = new UndoStack();
    s.push('a', async () => done.push('a'));
    s.push('b', async () => {
      throw new Error('boom');
    });
    s.push('c', async () => done.push('c'));
    const errors = await s.unwind();
    expect(done).toEqual(['c', 'a']);
    expect(errors.map((e) => e.message)).toEqual(['undo b: boom']);
    expect(s.size).toBe(0);
  });
});

describe('KeyedMutex', () => {
  it('serialises work per key, in call order, and lets other keys run alongside', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    const job = (key: string, name: string, ms: number) =>
      m.run(key, async () => {
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${name}`);
      });
    await Promise.all([job('x', 'x1', 20), job('x', 'x2', 1), job('y', 'y1', 5)]);
    expect(log.indexOf('end x1')).toBeLessThan(log.indexOf('start x2'));
    expect(log.indexOf('start y1')).toBeLessThan(log.indexOf('end x1'));
  });
  it('keeps going after a failed job', async () => {
    const m = new KeyedMutex();
    await expect(m.run('k', async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(await m.run('k', async () => 42)).toBe(42);
  });
});
