import { describe, expect, it } from 'vitest';
import { dealHand, QueueSet, RequestPhase, type FlowRequestState, type QueueSetConfig, type RejectReason } from './flowcontrol-queueset.js';
import { FakeClock } from '../../test/helpers/fake-queueset-clock.js';

function setUp(config: Partial<QueueSetConfig>) {
  const clock = new FakeClock();
  const rejected: [string, RejectReason][] = [];
  const order: string[] = [];
  const released: string[] = [];
  const notAccommodated: string[] = [];
  const qs = new QueueSet({ exempt: false, concurrencyLimit: 1, queues: 8, handSize: 1, queueLengthLimit: 50, ...config }, clock, {
    queued: () => {},
    executing: (r, d) => void (d === 1 && order.push(r.flow as string)),
    released: (r) => void released.push(r.flow as string),
    notAccommodated: (r) => void notAccommodated.push(r.flow as string),
    rejected: (r, reason) => void rejected.push([r.flow as string, reason]),
  });
  return { clock, qs, rejected, order, released, notAccommodated };
}

describe('a priority level that rejects (no queues)', () => {
  it('executes while seats are free and rejects the rest for concurrency-limit', () => {
    const { qs, rejected } = setUp({ concurrencyLimit: 2, queues: 0 });
    const a = qs.start('a', undefined, 0);
    const b = qs.start('b', undefined, 0);
    const c = qs.start('c', undefined, 0);
    expect([a.phase, b.phase, c.phase]).toEqual([RequestPhase.Executing, RequestPhase.Executing, RequestPhase.Rejected]);
    expect(rejected).toEqual([['c', 'concurrency-limit']]);
    qs.finish(a);
    expect(qs.start('d', undefined, 0).phase).toBe(RequestPhase.Executing);
    expect(qs.seatsInUse).toBe(2);
  });
});

describe('a priority level that queues', () => {
  it('queues past its seats, rejects queue-full at queueLengthLimit, and dispatches in order as seats free', () => {
    const { qs, rejected, order } = setUp({ concurrencyLimit: 1, queueLengthLimit: 2 });
    const reqs = ['a1', 'a2', 'a3', 'a4'].map((f) => qs.start(f, [3], 10_000));
    expect(reqs.map((r) => r.phase)).toEqual([RequestPhase.Executing, RequestPhase.Waiting, RequestPhase.Waiting, RequestPhase.Rejected]);
    expect(rejected).toEqual([['a4', 'queue-full']]);
    const decided: boolean[] = [];
    reqs[1]!.decided = (x) => decided.push(x);
    qs.finish(reqs[0]!);
    expect(decided).toEqual([true]);
    expect(order).toEqual(['a1', 'a2']);
    expect(qs.requestsWaiting).toBe(1);
  });

  it('does not let one flow starve another: a newcomer goes before the flood queued ahead of it', () => {
    const { qs, clock, order } = setUp({ concurrencyLimit: 1 });
    const flood: FlowRequestState[] = [];
    for (let i = 0; i < 10; i++) flood.push(qs.start(`a${i}`, [0], 60_000));
    clock.advance(500);
    const b = qs.start('b', [1], 60_000);
    expect(b.phase).toBe(RequestPhase.Waiting);
    clock.advance(500);
    qs.finish(flood[0]!);
    expect(b.phase).toBe(RequestPhase.Executing);
    expect(order).toEqual(['a0', 'b']);
    // and the flood goes on once b is done
    clock.advance(100);
    qs.finish(b);
    expect(order).toEqual(['a0', 'b', 'a1']);
  });

  it('shares seats between two busy flows alternately, whichever queued first', () => {
    const { qs, clock, order } = setUp({ concurrencyLimit: 1 });
    const all: FlowRequestState[] = [];
    for (let i = 0; i < 4; i++) all.push(qs.start(`a${i}`, [2], 60_000));
    for (let i = 0; i < 4; i++) all.push(qs.start(`b${i}`, [5], 60_000));
    for (let i = 0; i < 7; i++) {
      clock.advance(10);
      qs.finish(all.find((r) => r.phase === RequestPhase.Executing)!);
    }
    expect(order).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2', 'a3', 'b3']);
  });

  it('puts a request in the shortest queue of its hand', () => {
    const { qs } = setUp({ concurrencyLimit: 1 });
    qs.start('x', [4], 60_000);
    const waiting = [qs.start('y', [4, 6], 60_000), qs.start('z', [4, 6], 60_000), qs.start('w', [4, 6], 60_000)];
    // x executes from queue 4; y and z wait one in each of 4 and 6 (the emptier first), w joins one of them
    expect(new Set(waiting.slice(0, 2).map((r) => r.queue?.index))).toEqual(new Set([4, 6]));
  });

  it('rejects a request still waiting when its wait limit passes (time-out), and its seat-holders are unaffected', () => {
    const { qs, clock, rejected } = setUp({ concurrencyLimit: 1 });
    const first = qs.start('a', [0], 1000);
    const second = qs.start('b', [1], 1000);
    const decided: boolean[] = [];
    second.decided = (x) => decided.push(x);
    clock.advance(999);
    expect(second.phase).toBe(RequestPhase.Waiting);
    clock.advance(1);
    expect(second.phase).toBe(RequestPhase.Rejected);
    expect(decided).toEqual([false]);
    expect(rejected).toEqual([['b', 'time-out']]);
    expect(qs.requestsWaiting).toBe(0);
    expect(first.phase).toBe(RequestPhase.Executing);
    // a dispatched request's timer no longer fires
    const third = qs.start('c', [1], 1000);
    qs.finish(first);
    clock.advance(5000);
    expect(third.phase).toBe(RequestPhase.Executing);
  });

  it('gives a wide request its seats: it waits until they are all free, and holds them while it runs', () => {
    const { qs, order, notAccommodated } = setUp({ concurrencyLimit: 4 });
    const wide = qs.start('wide', [0], 60_000, 3);
    expect(wide.phase).toBe(RequestPhase.Executing);
    expect(qs.seatsInUse).toBe(3);
    const two = qs.start('two', [1], 60_000, 2);
    expect(two.phase).toBe(RequestPhase.Waiting);
    // (the head of the queue picked waits for its seats: nothing jumps it)
    const one = qs.start('one', [2], 60_000, 1);
    expect(one.phase).toBe(RequestPhase.Executing);
    qs.finish(one);
    expect(two.phase).toBe(RequestPhase.Waiting);
    qs.finish(wide);
    expect(two.phase).toBe(RequestPhase.Executing);
    expect(qs.seatsInUse).toBe(2);
    expect(order).toEqual(['wide', 'one', 'two']);
    // (each dispatch attempt that found a seat free but not two: request_dispatch_no_accommodation_total)
    expect(notAccommodated).toEqual(['two', 'two']);
    // (a Reject level refuses a request whose seats do not fit)
    const reject = setUp({ concurrencyLimit: 4, queues: 0 });
    reject.qs.start('a', undefined, 0, 3);
    expect(reject.qs.start('b', undefined, 0, 2).phase).toBe(RequestPhase.Rejected);
    expect(reject.qs.start('c', undefined, 0, 1).phase).toBe(RequestPhase.Executing);
  });

  it('holds a write\'s final-phase seats for its additional latency after it finishes, then dispatches into them', () => {
    const { qs, clock, released } = setUp({ concurrencyLimit: 3 });
    const write = qs.start('write', [0], 60_000, 1, { seats: 3, ms: 5 });
    expect([write.phase, write.seats, qs.seatsInUse]).toEqual([RequestPhase.Executing, 3, 3]);
    const next = qs.start('next', [1], 60_000);
    expect(next.phase).toBe(RequestPhase.Waiting);
    qs.finish(write);
    // (done executing, its seats still held while its watchers' events go out)
    expect([write.phase, qs.requestsExecuting, qs.seatsInUse, next.phase]).toEqual([RequestPhase.Done, 0, 3, RequestPhase.Waiting]);
    expect(released).toEqual([]);
    clock.advance(5);
    expect(released).toEqual(['write']);
    expect([next.phase, qs.seatsInUse]).toEqual([RequestPhase.Executing, 1]);
  });

  it('adds queues when the configuration asks for more and dispatches into a raised limit at once', () => {
    const { qs } = setUp({ concurrencyLimit: 1, queues: 1 });
    qs.start('a', [0], 60_000);
    const b = qs.start('b', [0], 60_000);
    qs.setConfig({ exempt: false, concurrencyLimit: 2, queues: 4, handSize: 2, queueLengthLimit: 50 });
    expect(b.phase).toBe(RequestPhase.Executing);
    expect(qs.start('c', [3], 60_000).queue?.index).toBe(3);
  });
});

describe('dealHand (shufflesharding.Dealer)', () => {
  it('deals handSize distinct queues within the deck, the same for the same hash', () => {
    for (const hash of [0n, 1n, 12345678901234567890n, 2n ** 64n - 1n]) {
      const hand = dealHand(hash, 64, 6);
      expect(hand).toHaveLength(6);
      expect(new Set(hand).size).toBe(6);
      expect(hand.every((c) => c >= 0 && c < 64)).toBe(true);
      expect(dealHand(hash, 64, 6)).toEqual(hand);
    }
    // (the first card is the hash modulo the deck; the second, of the rest, skips the first)
    expect(dealHand(5n + 64n * 5n, 64, 2)).toEqual([5, 6]);
  });
});
