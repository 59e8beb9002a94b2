import { describe, expect, it } from 'vitest';
import { formatFieldError } from './field-error.js';
import { logsSince, parsePodLogOptions, validatePodLogOptions, LogOptionsParseError } from './pod-log-options.js';

const parse = (q: string) => parsePodLogOptions(new URLSearchParams(q));
const problems = (q: string) => validatePodLogOptions(parse(q)).map(formatFieldError);

describe('PodLogOptions from a pods/log query', () => {
  it('reads every option kubectl logs sends', () => {
    expect(parse('follow=true&previous=true&timestamps=true&tailLines=5&limitBytes=100&sinceTime=2026-12-01T02:00:00Z')).toEqual({
      follow: true, previous: true, timestamps: true, tailLines: 5, limitBytes: 100, sinceSeconds: undefined, sinceTime: Date.parse('2026-12-01T02:00:00Z'),
    });
    expect(parse('')).toEqual({ follow: false, previous: false, timestamps: false, tailLines: undefined, limitBytes: undefined, sinceSeconds: undefined, sinceTime: undefined });
  });

  it('refuses values of the wrong type', () => {
    expect(() => parse('tailLines=abc')).toThrow(LogOptionsParseError);
    expect(() => parse('sinceTime=yesterday')).toThrow(/couldn't parse sinceTime "yesterday"/);
    expect(() => parse('follow=maybe')).toThrow(/couldn't parse follow/);
  });

  it('validates as Kubernetes does, with its messages', () => {
    expect(problems('tailLines=-1')).toEqual(['tailLines: Invalid value: -1: must be greater than or equal to 0']);
    expect(problems('limitBytes=0')).toEqual(['limitBytes: Invalid value: 0: must be greater than 0']);
    expect(problems('sinceSeconds=0')).toEqual(['sinceSeconds: Invalid value: 0: must be greater than 0']);
    expect(problems('sinceSeconds=5&sinceTime=2026-12-01T02:00:00Z')).toEqual([': Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified']);
    expect(problems('tailLines=0&limitBytes=1&sinceSeconds=1')).toEqual([]);
  });

  it('since: sinceTime as given, sinceSeconds back from now', () => {
    expect(logsSince(parse('sinceTime=2026-12-01T02:00:00.5Z'))?.toISOString()).toBe('2026-12-01T02:00:00.500Z');
    expect(logsSince(parse('sinceSeconds=10'), 100_000)?.getTime()).toBe(90_000);
    expect(logsSince(parse(''))).toBeUndefined();
  });
});
