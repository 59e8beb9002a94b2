import { describe, expect, it } from 'vitest';
import { finalPhase, levelMaxSeats, listSeats } from './flowcontrol-work-estimate.js';

const q = (s = '') => new URLSearchParams(s);

describe('a list\'s seats (listWorkEstimator)', () => {
  it('is one per 100 stored objects when served from the watch cache, between 1 and the level\'s max', () => {
    expect(listSeats('list', undefined, q(), 250, 0)).toBe(3);
    expect(listSeats('list', undefined, q(), 0, 0)).toBe(1);
    expect(listSeats('list', undefined, q(), 10_000, 0)).toBe(10);
    expect(listSeats('list', undefined, q(), 10_000, 8)).toBe(8);
    expect(listSeats('list', undefined, q(), 10_000, 25)).toBe(10);
    // (a limit does not shorten a list from the cache, which goes through every object)
    expect(listSeats('list', undefined, q('limit=50'), 450, 0)).toBe(5);
  });

  it('reads twice its limit, or all plus its limit with a selector, when it goes to etcd', () => {
    expect(listSeats('list', undefined, q('limit=200&continue=abc'), 10_000, 0)).toBe(4);
    expect(listSeats('list', undefined, q('limit=200&continue=abc&labelSelector=a%3Db'), 300, 0)).toBe(5);
    expect(listSeats('list', undefined, q('limit=100&resourceVersion=55'), 1000, 0)).toBe(2);
    expect(listSeats('list', undefined, q('resourceVersion=55&resourceVersionMatch=Exact'), 120, 0)).toBe(3);
    expect(listSeats('list', undefined, q('resourceVersion=0&limit=100'), 1000, 0)).toBe(10);
  });

  it('is 1 for a named object, a watch without initial events, or a resource not counted here', () => {
    expect(listSeats('list', 'one', q(), 10_000, 0)).toBe(1);
    expect(listSeats('watch', undefined, q(), 10_000, 0)).toBe(1);
    expect(listSeats('watch', undefined, q('sendInitialEvents=true'), 700, 0)).toBe(7);
    expect(listSeats('list', undefined, q(), undefined, 0)).toBe(1);
    expect(listSeats('list', undefined, q(), () => 450, 0)).toBe(5);
  });

  it('is 1 for a list or watch whose fieldSelector names one object, as RequestInfoFactory gives it that name', () => {
    expect(listSeats('list', undefined, q('fieldSelector=metadata.name%3Dcsr-xxs4m'), 10_000, 0)).toBe(1);
    expect(listSeats('list', undefined, q('fieldSelector=metadata.namespace%3Da,metadata.name%3D%3Dweb&limit=500&resourceVersion=0'), 10_000, 0)).toBe(1);
    expect(listSeats('watch', undefined, q('fieldSelector=metadata.name%3Dweb&sendInitialEvents=true'), 10_000, 0)).toBe(1);
    // (not a name: a != term, an invalid path segment, another field)
    expect(listSeats('list', undefined, q('fieldSelector=metadata.name!%3Dweb'), 10_000, 0)).toBe(10);
    expect(listSeats('list', undefined, q('fieldSelector=metadata.name%3D..'), 10_000, 0)).toBe(10);
    expect(listSeats('list', undefined, q('fieldSelector=spec.nodeName%3Dn1'), 10_000, 0)).toBe(10);
    // (the count is not asked for when it does not matter)
    expect(listSeats('list', 'one', q(), () => { throw new Error('asked'); }, 0)).toBe(1);
  });

  it('takes at most 15% of a queuing level\'s nominal seats, no more than nominal/handSize, at least 1', () => {
    expect(levelMaxSeats(49, 6)).toBe(8);
    expect(levelMaxSeats(245, 6)).toBe(37);
    expect(levelMaxSeats(25, 4)).toBe(4);
    expect(levelMaxSeats(3, 1)).toBe(1);
    expect(levelMaxSeats(1, 8)).toBe(1);
    expect(levelMaxSeats(13, undefined)).toBe(0);
  });

  it('gives a write its watchers\' final phase, a seat per 10 for 5 ms, narrower and longer past the level\'s max (mutatingWorkEstimator)', () => {
    expect(finalPhase(0, 0)).toBeUndefined();
    expect(finalPhase(9, 0)).toBeUndefined();
    expect(finalPhase(10, 0)).toEqual({ seats: 1, ms: 5 });
    expect(finalPhase(95, 0)).toEqual({ seats: 10, ms: 5 });
    expect(finalPhase(250, 8)).toEqual({ seats: 8, ms: 15.625 });
    expect(finalPhase(250, 0)).toEqual({ seats: 10, ms: 12.5 });
  });
});
