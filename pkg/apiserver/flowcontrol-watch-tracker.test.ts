import { describe, expect, it } from 'vitest';
import { WatchTracker } from './flowcontrol-watch-tracker.js';

describe('WatchTracker', () => {
  it('counts for a write the watches of its resource, of its namespace and of its object, until each is forgotten', () => {
    const t = new WatchTracker();
    const all = t.register('', 'pods', undefined, undefined);
    const ns = t.register('', 'pods', 'a', undefined);
    t.register('', 'pods', 'a', undefined);
    const one = t.register('', 'pods', 'a', 'web');
    t.register('', 'pods', 'b', undefined);
    t.register('apps', 'pods', undefined, undefined);
    expect(t.interested('', 'pods', 'a', undefined)).toBe(3);
    expect(t.interested('', 'pods', 'a', 'web')).toBe(4);
    expect(t.interested('', 'pods', 'a', 'other')).toBe(3);
    expect(t.interested('', 'pods', 'b', 'web')).toBe(2);
    expect(t.interested('', 'configmaps', 'a', undefined)).toBe(0);
    all();
    all();
    ns();
    one();
    expect(t.interested('', 'pods', 'a', 'web')).toBe(1);
    expect(t.interested('apps', 'pods', undefined, undefined)).toBe(1);
  });
});
