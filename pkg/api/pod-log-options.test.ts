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

  it('refuses values of the wrong type with the conversion\'s own error, the first field\'s in PodLogOptions order', () => {
    expect(() => parse('tailLines=abc')).toThrow(LogOptionsParseError);
    expect(() => parse('tailLines=abc')).toThrow(/^strconv\.ParseInt: parsing "abc": invalid syntax$/);
    expect(() => parse('limitBytes=%201')).toThrow(/^strconv\.ParseInt: parsing " 1": invalid syntax$/);
    expect(() => parse('sinceSeconds=99999999999999999999')).toThrow(/^strconv\.ParseInt: parsing "99999999999999999999": value out of range$/);
    expect(() => parse('sinceTime=yesterday')).toThrow(/^parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"$/);
    expect(() => parse('tailLines=x&sinceTime=bad')).toThrow(/^parsing time "bad"/);
  });

  it('reads booleans as Convert_Slice_string_To_bool: only "0" and "false" are false, an empty value is true', () => {
    expect(parse('follow=maybe&previous=&timestamps=FALSE')).toMatchObject({ follow: true, previous: true, timestamps: false });
    expect(parse('follow=0&previous=t')).toMatchObject({ follow: false, previous: true });
  });

  it('reads an empty or "null" sinceTime as the zero time, still a sinceTime (UnmarshalQueryParameter)', () => {
    expect(parse('sinceTime=').sinceTime).toBe(Date.parse('0001-01-01T00:00:00Z'));
    expect(problems('sinceTime=null&sinceSeconds=5')).toEqual([': Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified']);
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
