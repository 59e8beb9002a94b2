import { describe, expect, it } from 'vitest';
import { countIndexes, formatIndexes, matchSuccessPolicy, parseIndexes } from './job-indexes.js';

describe('job index texts', () => {
  it('parses leniently, as the controller reads its own status', () => {
    expect([...parseIndexes('0,2-4,x,7', 6)]).toEqual([0, 2, 3, 4]);
    expect([...parseIndexes('1-9', 3)]).toEqual([1, 2]);
    expect(parseIndexes('', 3).size).toBe(0);
    expect(formatIndexes(parseIndexes('0-2,4,5', 10))).toBe('0-2,4,5');
  });

  it('validates as the apiserver does, with its messages', () => {
    expect(countIndexes('0,2-4', 5)).toEqual({ total: 4 });
    expect(countIndexes('0-1-2', 5)).toEqual({ error: `the fragment "0-1-2" violates the requirement that an index interval can have at most two parts separated by '-'` });
    expect(countIndexes('a', 5)).toEqual({ error: 'cannot convert string to integer for index: "a"' });
    expect(countIndexes('5', 5)).toEqual({ error: 'too large index: "5"' });
    expect(countIndexes('3-1', 5)).toEqual({ error: 'non-increasing order, previous: 3, current: 1' });
    expect(countIndexes('2,1', 5)).toEqual({ error: 'non-increasing order, previous: 2, current: 1' });
  });

  it('matches success policy rules in order', () => {
    const policy = { rules: [{ succeededIndexes: '0,4', succeededCount: 1 }, { succeededCount: 2 }] };
    expect(matchSuccessPolicy(policy, 5, new Set([2]))).toBeUndefined();
    expect(matchSuccessPolicy(policy, 5, new Set([4]))).toBe('Matched rules at index 0');
    expect(matchSuccessPolicy(policy, 5, new Set([1, 2]))).toBe('Matched rules at index 1');
    expect(matchSuccessPolicy(undefined, 5, new Set([1]))).toBeUndefined();
  });
});
