import { describe, expect, it } from 'vitest';
import { EventSink } from './event-sink.js';

describe('EventSink', () => {
  it('writes one event at a time, in order, and goes on after a failed write', async () => {
    const sink = new EventSink();
    const order: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    for (let i = 0; i < 20; i++) {
      sink.enqueue(async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 1));
        inFlight--;
        order.push(i);
        if (i === 3) throw new Error('apiserver said no');
      });
    }
    await sink.flush();
    expect(order).toEqual([...Array(20).keys()]);
    expect(maxInFlight).toBe(1);
  });

  it('drops new events while the queue is full, and takes them again once it drains', async () => {
    let dropped = 0;
    const sink = new EventSink(3, () => dropped++);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const written: string[] = [];
    const write = (name: string) => async () => {
      await gate;
      written.push(name);
    };
    // The first is taken off the queue at once (in flight); three more fill the queue.
    expect(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => sink.enqueue(write(n)))).toEqual([true, true, true, true, false, false]);
    expect(dropped).toBe(2);
    release();
    await sink.flush();
    expect(written).toEqual(['a', 'b', 'c', 'd']);
    expect(sink.enqueue(write('g'))).toBe(true);
    await sink.flush();
    expect(written).toEqual(['a', 'b', 'c', 'd', 'g']);
  });
});
