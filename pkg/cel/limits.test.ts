import { describe, expect, it } from 'vitest';
import { CelCompileError, CelCostError, CelEvalError } from './errors.js';
import { compile } from './program.js';
import { display, markUnordered, type CelValue } from './values.js';

/** Each case's result as a display string, or `error: <message>` for a runtime error. */
const table = (cases: [string, string][], vars: Record<string, CelValue> = {}) => {
  for (const [src, want] of cases) {
    let got: string;
    try {
      const { value } = compile(src, { variables: Object.keys(vars) }).evaluate(vars);
      got = typeof value === 'string' ? JSON.stringify(value) : display(value);
    } catch (e) {
      got = e instanceof CelEvalError ? `error: ${e.message}` : String(e);
    }
    expect([src, got]).toEqual([src, want]);
  }
};
const run = (src: string, vars: Record<string, CelValue>) => {
  try {
    return display(compile(src, { variables: Object.keys(vars) }).evaluate(vars).value);
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
};

describe('CEL work proportional to sizes', () => {
  it('compares large set lists in linear time and charges list work by its size', () => {
    const n = 50_000;
    const a = markUnordered(Array.from({ length: n }, (_, i) => BigInt(i)), 'set');
    const b = markUnordered(Array.from({ length: n }, (_, i) => BigInt(n - 1 - i)), 'set');
    const t = performance.now();
    const eq = compile('a == b', { variables: ['a', 'b'] }).evaluate({ a, b });
    expect(eq.value).toBe(true);
    expect(performance.now() - t).toBeLessThan(1000); // (pairwise: 2.5e9 comparisons)
    expect(eq.cost).toBeGreaterThanOrEqual(n);
    const list = Array.from({ length: 1000 }, (_, i) => BigInt(i));
    // 1000 lookups in a list of 1000 are a million element comparisons: over the budget
    expect(() => compile('l.exists(x, (x + 1000) in l)', { variables: ['l'] }).evaluate({ l: list })).toThrow(CelCostError);
    expect(compile('1 in l', { variables: ['l'] }).evaluate({ l: list }).cost).toBeGreaterThanOrEqual(1000);
    // sets.* library functions: linear, not pairwise (20 000 × 20 000 comparisons took seconds)
    const big = Array.from({ length: 20_000 }, (_, i) => `item-${i}`);
    const t2 = performance.now();
    expect(compile('sets.equivalent(a, b) && sets.contains(a, b) && sets.intersects(a, ["item-7"])', { variables: ['a', 'b'] }).evaluate({ a: big, b: [...big].reverse() }).value).toBe(true);
    expect(performance.now() - t2).toBeLessThan(1000);
    table([['sets.contains([1.0, 2u], [1, 2])', 'true'], ['sets.equivalent([[1], [2]], [[2], [1]])', 'true'], ['sets.intersects([double("NaN")], [double("NaN")])', 'false']]);
    // reading a big value through many references is charged by what is read, before it is
    // read: 400 references to a 1 MB string joined would be 400 MB
    const s = 'x'.repeat(1_000_000);
    expect(() => compile('l.map(x, s).join("").size() > 0', { variables: ['l', 's'] }).evaluate({ l: list.slice(0, 400), s })).toThrow(CelCostError);
    expect(() => compile('l.map(x, l).map(y, l) == l.map(x, l).map(y, l)', { variables: ['l'] }).evaluate({ l: list })).toThrow(CelCostError);
    expect(() => compile('[l, l, l, l, l, l, l, l, l, l].indexOf(l) >= 0', { variables: ['l'] }).evaluate({ l: list }, 5000)).toThrow(CelCostError);
    // what a call makes is charged: 20 000 copies of a 20 000-character string are 400 M characters
    const w = 'y'.repeat(20_000);
    expect(() => compile('w.replace("", w).size() > 0', { variables: ['w'] }).evaluate({ w })).toThrow(CelCostError);
    // concatenation grows with its operands: doubling a list 20 times is not free
    expect(() => compile('[1].map(x, l + l + l + l).map(y, y + y + y + y + y + y + y + y).size() > 0', { variables: ['l'] }).evaluate({ l: list }, 20_000)).toThrow(CelCostError);
  });

});

describe('CEL limits: no rule crashes or freezes the server', () => {
  const fails = (src: string, vars: Record<string, CelValue> = {}, budget?: number): Error => {
    try {
      compile(src, { variables: Object.keys(vars) }).evaluate(vars, budget);
    } catch (e) {
      return e as Error;
    }
    throw new Error(`${src.slice(0, 40)} did not fail`);
  };

  it('builds && and || chains as balanced trees: 2000 terms evaluate', () => {
    const and = compile(Array(2000).fill('x').join(' && '), { variables: ['x'] });
    expect(and.evaluate({ x: true }).value).toBe(true);
    expect(compile(Array(2000).fill('x').join(' || '), { variables: ['x'] }).evaluate({ x: false }).value).toBe(false);
    table([['false && (1 / 0 == 1) && true', 'false'], ['(1 / 0 == 1) || true || false', 'true'], ['true && true && (1 / 0 == 1)', 'error: division by zero']]);
  });

  it('limits nesting on member, index, call and operator chains, and the size of the source', () => {
    const t = performance.now();
    expect(fails(`self${'.b'.repeat(20_000)} == 1`, { self: 1n })).toBeInstanceOf(CelCompileError);
    expect(performance.now() - t).toBeLessThan(1000); // (was 68 s, then a stack overflow)
    expect(fails(`self${'.b'.repeat(300)} == 1`, { self: 1n }).message).toMatch(/recursion limit exceeded: 250/);
    expect(fails(`self${'[0]'.repeat(300)} == 1`, { self: 1n }).message).toMatch(/recursion limit exceeded: 250/);
    expect(fails(`"a"${'.lowerAscii()'.repeat(300)} == "a"`).message).toMatch(/recursion limit exceeded: 250/);
    expect(fails(`1${' + 1'.repeat(300)} == 1`).message).toMatch(/recursion limit exceeded: 250/);
    expect(run(`self${'.b'.repeat(100)}`, { self: 1n })).toBe('error: no such overload');
    // a compile error lists at most 100 issues (30 000, each with the 90 000-character source
    // line, ran out of memory)
    const t2 = performance.now();
    const many = fails(`[${Array(30_000).fill('x').join(',')}] == []`);
    expect(performance.now() - t2).toBeLessThan(2000);
    expect(many.message.split('\n').filter((l) => l.startsWith('ERROR: '))).toHaveLength(100);
    expect(many.message).toMatch(/\n29900 more errors were truncated$/);
    const big = fails(`"${'a'.repeat(100_001)}" == ""`);
    expect(big).toBeInstanceOf(CelCompileError);
    expect(big.message).toContain('expression code point size exceeds limit: size: 100009, limit 100000');
  });

  it('formats doubles at any precision Go accepts, rounding as Go does', () => {
    table([
      ['"%.200f".format([1.0]).size()', '202'],
      ['"%.120f".format([0.1]).substring(0, 60)', '"0.1000000000000000055511151231257827021181583404541015625000"'],
      ['"%.0f %.0f %.0f %.1f".format([0.5, 1.5, 2.5, 0.25])', '"0 2 2 0.2"'],
      ['"%.3f".format([-1.0005])', '"-1.000"'],
      ['"%f".format([1e21])', '"1000000000000000000000.000000"'],
      ['"%.150e".format([1.0]).size()', '156'],
      ['"%.2e %e %.0e".format([9.999, 0.0, 12345.0])', '"1.00e+01 0.000000e+00 1e+04"'],
      ['"%.3e".format([1.0e-10])', '"1.000e-10"'],
      ['"%.2f".format([double("NaN")])', '"NaN"'],
      ['"%.9999999f".format([1.0])', 'error: error during formatting: precision 9999999 too large'],
    ]);
  });

  it('turns any unexpected failure into a CEL error', () => {
    // a string doubled past V8's length limit (within budget: a list of the same string joined)
    const e = fails('l.join("").size() > 0', { l: Array(600).fill('x'.repeat(1_000_000)) }, 1e12);
    expect(e).toBeInstanceOf(CelEvalError);
    expect(e.message).toBe('string too long');
  });
});

describe('CEL details as cel-go has them', () => {
  it('replaces an empty string as Go does, compares strings by code point, refuses double map keys', () => {
    table([
      ['"abc".replace("", "-")', '"-a-b-c-"'],
      ['"abc".replace("", "-", 2)', '"-a-bc"'],
      ['"a😀".replace("", "-")', '"-a-😀-"'],
      ['"".replace("", "-")', '"-"'],
      ['"abc".replace("b", "x", 0)', '"abc"'],
      ['"\\uffff" < "\\U00010000"', 'true'],
      ['"\\U00010000" > "\\uffff"', 'true'],
      ['"a" < "b" && "ab" > "a" && !("b" < "a")', 'true'],
      ['{1.0: "x"}', 'error: unsupported key type: double'],
      ['{1: "x"}[1.0]', '"x"'],
    ]);
  });

  it('accepts the RE2 patterns JavaScript refused', () => {
    table([
      ['"a-b".matches("^a\\\\-b$")', 'true'],
      ['"a@b".matches("^a\\\\@b$")', 'true'],
      ['"a_b".matches("^a\\\\_b$")', 'true'],
      ['"é".matches("^\\\\pL$")', 'true'],
      ['"q".matches("^[[:alpha:]]+$")', 'true'],
      ['"x1y".find("[[:digit:]]")', '"1"'],
    ]);
  });
});
