import { describe, expect, it } from 'vitest';
import { CelCostError, CelEvalError } from './errors.js';
import { regexFindAll, regexMatches } from './lib-strings.js';
import { compile } from './program.js';

const matches = (s: string, re: string) => regexMatches(s, re);
const findAll = (s: string, re: string, n = -1) => regexFindAll(s, re, n);
const errorOf = (re: string) => {
  try {
    matches('', re);
    return 'no error';
  } catch (e) {
    expect(e).toBeInstanceOf(CelEvalError);
    return (e as Error).message;
  }
};

describe('RE2 engine', () => {
  it('matches what RE2 matches', () => {
    const cases: [string, string, boolean][] = [
      ['abc-123', '^[a-z]+-\\d+$', true],
      ['abc', 'b', true],
      ['ABC', '(?i)^abc$', true],
      ['Foo.Bar', '^(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*$', true],
      ['xAb', 'x(?i:ab)', true],
      ['XAb', 'x(?i:ab)', false],
      ['ab', '(?P<first>a)b\\z', true],
      ['ab', '(?<first>a)b$', true],
      ['a]b', '[\\]]', true],
      ['a\nb', 'a.b', false],
      ['a\nb', '(?s)a.b', true],
      ['x\ny', '^y$', false],
      ['x\ny', '(?m)^y$', true],
      ['ab\n', 'ab$', false],
      ['a-b', 'a\\-b', true],
      ['a@b', 'a\\@b', true],
      ['a_b', 'a\\_b', true],
      ['é', '^\\pL$', true],
      ['1', '^\\pL$', false],
      ['1', '^\\PL$', true],
      ['Ω', '^\\p{Greek}$', true],
      ['b', '^[[:alpha:]]$', true],
      ['1', '^[[:alpha:]]$', false],
      ['1', '^[[:^alpha:]]$', true],
      ['\n', '^[^a]$', true],
      ['a', '^[^a]$', false],
      ['-', '^[a-c-e]$', true],
      ['d', '^[a-c-e]$', false],
      ['aaa', '^a{3}$', true],
      ['aa', '^a{3}$', false],
      ['aaaa', '^a{2,3}$', false],
      ['aaaa', '^a{2,}$', true],
      ['a{', '^a{$', true],
      ['a{,2}', '^a{,2}$', true],
      ['foo bar', '\\bbar\\b', true],
      ['foobar', '\\bbar', false],
      ['foobar', '\\Bbar', true],
      ['\u{1F600}', '^.$', true],
      ['\u{1F600}x', '^[\\x{1F600}]x$', true],
      ['A', '^\\x41$', true],
      ['A', '^\\101$', true],
      ['a.b', '^\\Qa.b\\E$', true],
      ['axb', '^\\Qa.b\\E$', false],
      ['K', '(?i)k', true],
      ['k', '(?i)[A-Z]', true],
      ['k', '(?i)[^A-Z]', false],
      ['aB', '(?i)a(?-i)B', true],
      ['ab', '(?i)a(?-i)B', false],
      ['', '^$', true],
      ['', 'a*', true],
      ['x', '(a|b|)x', true],
    ];
    for (const [s, re, want] of cases) expect([s, re, matches(s, re)]).toEqual([s, re, want]);
  });

  it('finds leftmost-first matches as Go does', () => {
    const cases: [string, string, number, string[]][] = [
      ['a1b22', '[0-9]+', -1, ['1', '22']],
      ['a1b22', '[0-9]+', 1, ['1']],
      ['a1b22', '[0-9]+', 0, []],
      ['abc', '', -1, ['', '', '', '']],
      ['abc', 'b*', -1, ['', 'b', '']],
      ['aaa', 'a*?', -1, ['', '', '', '']],
      ['aaa', 'a+?', -1, ['a', 'a', 'a']],
      ['samwise', 'sam|samwise', -1, ['sam']],
      ['samwise', 'samwise|sam', -1, ['samwise']],
      ['<a><b>', '<.*>', -1, ['<a><b>']],
      ['<a><b>', '<.*?>', -1, ['<a>', '<b>']],
      ['<a><b>', '(?U)<.*>', -1, ['<a>', '<b>']],
      ['\u{1F600}a\u{1F600}', '.', -1, ['\u{1F600}', 'a', '\u{1F600}']],
      ['one two', '^\\w+', -1, ['one']],
      ['x\ny', '(?m)^\\w', -1, ['x', 'y']],
    ];
    for (const [s, re, n, want] of cases) expect([s, re, n, findAll(s, re, n)]).toEqual([s, re, n, want]);
  });

  it('refuses what RE2 refuses, in its words', () => {
    const cases: [string, string][] = [
      ['(', 'error parsing regexp: missing closing ): `(`'],
      ['a)', 'error parsing regexp: unexpected ): `a)`'],
      ['[a', 'error parsing regexp: missing closing ]: `[a`'],
      ['(a)\\1', 'error parsing regexp: invalid escape sequence: `\\1`'],
      ['(?=a)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?=`'],
      ['(?!a)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?!`'],
      ['*a', 'error parsing regexp: missing argument to repetition operator: `*`'],
      ['a**', 'error parsing regexp: invalid nested repetition operator: `**`'],
      ['a*+', 'error parsing regexp: invalid nested repetition operator: `*+`'],
      ['a{1001}', 'error parsing regexp: invalid repeat count: `{1001}`'],
      ['a{3,2}', 'error parsing regexp: invalid repeat count: `{3,2}`'],
      ['[z-a]', 'error parsing regexp: invalid character class range: `z-a`'],
      ['\\q', 'error parsing regexp: invalid escape sequence: `\\q`'],
      ['a\\', 'error parsing regexp: trailing backslash at end of expression: ``'],
      ['\\Z', 'error parsing regexp: invalid escape sequence: `\\Z`'],
      ['(?P<n>a)(?P<n>b)', 'error parsing regexp: duplicate capture group name: `n`'],
      ['((a{1000}){1000}){1000}', 'error parsing regexp: expression too large'],
    ];
    for (const [re, want] of cases) expect([re, errorOf(re)]).toEqual([re, want]);
  });

  it('runs catastrophic patterns in linear time', { timeout: 30_000 }, () => {
    const cases: [string, string][] = [
      [`${'a'.repeat(60)}!`, '^(a+)+$'],
      [`${'a'.repeat(60)}!`, '^(\\w+\\s?)*$'],
      [`${'a'.repeat(5000)}!`, '^(a|aa)*$'],
      [`${'a'.repeat(5000)}`, '(a*)*b'],
    ];
    // The inputs are sized so that a backtracking (exponential) matcher would take hours and a
    // quadratic parser tens of seconds, while the linear ones take milliseconds (matching) and
    // about 0.6 s (parsing, here): the bounds sit far from both, so a machine loaded by other work
    // does not fail the test and a regression does not pass it.
    // parsing is linear too: many '[:' in a class used to look at the whole rest each time
    const t0 = performance.now();
    expect(matches('x', `[${'[:a'.repeat(60_000)}]`)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(5000);
    for (const [s, re] of cases) {
      const t = performance.now();
      expect(matches(s, re)).toBe(false);
      expect(performance.now() - t).toBeLessThan(3000);
    }
  });

  it('charges the step budget by input length × program size', () => {
    const p = compile('s.matches(re)', { variables: ['s', 're'] });
    const small = p.evaluate({ s: 'abc', re: 'b' }).cost;
    const big = p.evaluate({ s: 'x'.repeat(10_000), re: '[a-z]{100}' }).cost;
    expect(big).toBeGreaterThan(small + 10_000);
    expect(() => p.evaluate({ s: 'x'.repeat(100_000), re: '(x{1,999}){1,20}' })).toThrow(CelCostError);
    // work beyond what cel-go's formula paid for is charged as the search goes, and stops it
    const dense = { s: 'a'.repeat(100_000), re: '[a-q][^u-z]{13}x' };
    expect(() => p.evaluate(dense, 100_000)).toThrow(CelCostError);
    expect(p.evaluate(dense, 1_000_000).cost).toBeGreaterThan(150_000);
    // findAll pays for rescanning: many scans of a long tail cost more than one pass
    const fa = compile('s.findAll(re).size()', { variables: ['s', 're'] });
    expect(() => fa.evaluate({ s: 'a'.repeat(20_000), re: '(?:a*b)|a' })).toThrow(CelCostError);
  });
});
