// Running RE2 patterns in linear time: the parsed pattern (re2-parse.ts) is compiled to a
// Thompson NFA program (char tests, splits with a preferred branch, jumps, assertions, match)
// and run as a Pike VM over the input's code points: all threads advance in lock step, at most
// one per instruction, so a search costs O(program size × input length) whatever the pattern
// (`^(a+)+$` on "aaaa…!" included). Threads are kept in priority order, which gives RE2's
// leftmost-first matches (the alternative or repetition count Perl would pick first).
import { CelEvalError } from './errors.js';
import { isWordChar, parseRE2, type AssertKind, type CharTest, type ReNode } from './re2-parse.js';

const enum Op {
  Char,
  Split,
  Jmp,
  Assert,
  Match,
}

/** Programs larger than this are refused (RE2 refuses patterns that compile too large too). */
const MAX_PROGRAM = 50_000;

const fastTests = new WeakMap<CharTest, CharTest>();

/** `test` answered from a table for ASCII code points (the common case), made once per test. */
function withAsciiTable(test: CharTest): CharTest {
  let fast = fastTests.get(test);
  if (!fast) {
    const table = new Uint8Array(128);
    for (let cp = 0; cp < 128; cp++) table[cp] = test(cp) ? 1 : 0;
    fast = (cp) => (cp < 128 ? table[cp] === 1 : test(cp));
    fastTests.set(test, fast);
  }
  return fast;
}

/** How often (in thread steps) a search reports its work, so a budget can stop it midway. */
const WORK_REPORT = 4096;

export class RE2 {
  /** Instruction i: op[i], its targets x[i]/y[i] (Split prefers x), its test or assertion. */
  private readonly op: Op[] = [];
  private readonly x: number[] = [];
  private readonly y: number[] = [];
  private readonly tests: (CharTest | undefined)[] = [];
  private readonly asserts: (AssertKind | undefined)[] = [];
  private gen = 0;
  private mark = new Int32Array(0);

  constructor(readonly pattern: string) {
    this.emitNode(parseRE2(pattern));
    this.emit(Op.Match);
  }

  /** Number of instructions (what one input code point can cost). */
  get size(): number {
    return this.op.length;
  }

  private emit(op: Op, x = 0, y = 0, test?: CharTest, kind?: AssertKind): number {
    if (this.op.length >= MAX_PROGRAM) throw new CelEvalError('error parsing regexp: expression too large');
    this.op.push(op);
    this.x.push(x);
    this.y.push(y);
    this.tests.push(test);
    this.asserts.push(kind);
    return this.op.length - 1;
  }

  /** A split whose preferred branch is the next instruction (greedy) or `other` (lazy); y/x patched later. */
  private emitNode(n: ReNode): void {
    switch (n.t) {
      case 'char':
        this.emit(Op.Char, 0, 0, withAsciiTable(n.test));
        return;
      case 'assert':
        this.emit(Op.Assert, 0, 0, undefined, n.kind);
        return;
      case 'cat':
        for (const x of n.xs) this.emitNode(x);
        return;
      case 'alt': {
        const jumps: number[] = [];
        n.xs.forEach((x, i) => {
          if (i < n.xs.length - 1) {
            const split = this.emit(Op.Split);
            this.x[split] = split + 1;
            this.emitNode(x);
            jumps.push(this.emit(Op.Jmp));
            this.y[split] = this.size;
          } else {
            this.emitNode(x);
          }
        });
        for (const j of jumps) this.x[j] = this.size;
        return;
      }
      case 'rep': {
        for (let i = 0; i < n.min; i++) this.emitNode(n.x);
        if (n.max < 0) {
          // L: split(body, out); body; jmp L
          const split = this.emit(Op.Split);
          this.emitNode(n.x);
          this.emit(Op.Jmp, split);
          this.branch(split, split + 1, this.size, n.greedy);
          return;
        }
        // (x(x(x)?)?)? for the optional max - min copies
        const splits: number[] = [];
        for (let i = n.min; i < n.max; i++) {
          splits.push(this.emit(Op.Split));
          this.emitNode(n.x);
        }
        for (const s of splits) this.branch(s, s + 1, this.size, n.greedy);
        return;
      }
    }
  }

  private branch(split: number, body: number, out: number, greedy: boolean): void {
    this.x[split] = greedy ? body : out;
    this.y[split] = greedy ? out : body;
  }

  private holds(kind: AssertKind, cps: number[], pos: number): boolean {
    switch (kind) {
      case 'bot':
        return pos === 0;
      case 'eot':
        return pos === cps.length;
      case 'bol':
        return pos === 0 || cps[pos - 1] === 0x0a;
      case 'eol':
        return pos === cps.length || cps[pos] === 0x0a;
      case 'wordb':
        return isWordChar(cps[pos - 1]) !== isWordChar(cps[pos]);
      case 'nwordb':
        return isWordChar(cps[pos - 1]) === isWordChar(cps[pos]);
    }
  }

  /**
   * The leftmost-first match in `cps` starting at or after `from`: [start, end) in code points,
   * or undefined. `firstOnly` stops at the first match found (enough to answer "does it match").
   * `work` hears of the thread steps taken (at most program size × positions), every few
   * thousand and at the end; it may throw to stop the search.
   */
  exec(cps: number[], from: number, firstOnly = false, work?: (threadSteps: number) => void): [number, number] | undefined {
    const size = this.size;
    if (this.mark.length < size || this.gen > 0x3fff0000) {
      this.mark = new Int32Array(size);
      this.gen = 0;
    }
    const { op, x, y, tests, asserts, mark } = this;
    let cPc = new Int32Array(size);
    let cSt = new Int32Array(size);
    let nPc = new Int32Array(size);
    let nSt = new Int32Array(size);
    const stack = new Int32Array(2 * size + 2);
    let clen = 0;
    let found: [number, number] | undefined;
    /** Adds the thread at `pc0` and everything reachable without input to (pcs, starts). */
    const add = (pcs: Int32Array, starts: Int32Array, len: number, pc0: number, start: number, pos: number, gen: number): number => {
      let sp = 0;
      stack[sp++] = pc0;
      while (sp > 0) {
        const pc = stack[--sp]!;
        if (mark[pc] === gen) continue;
        mark[pc] = gen;
        switch (op[pc]) {
          case Op.Jmp:
            stack[sp++] = x[pc]!;
            break;
          case Op.Split:
            stack[sp++] = y[pc]!;
            stack[sp++] = x[pc]!;
            break;
          case Op.Assert:
            if (this.holds(asserts[pc]!, cps, pos)) stack[sp++] = pc + 1;
            break;
          default:
            pcs[len] = pc;
            starts[len++] = start;
        }
      }
      return len;
    };
    const base = this.gen + 1;
    let pos = from;
    let steps = 0;
    for (; pos <= cps.length; pos++) {
      steps += clen;
      if (steps >= WORK_REPORT && work) {
        this.gen = base + (pos - from) + 2; // (if work throws, the next search starts clean)
        work(steps);
        steps = 0;
      }
      const gen = base + (pos - from);
      if (!found) clen = add(cPc, cSt, clen, 0, pos, pos, gen);
      let nlen = 0;
      const cp = cps[pos];
      for (let i = 0; i < clen; i++) {
        const pc = cPc[i]!;
        if (op[pc] === Op.Match) {
          found = [cSt[i]!, pos];
          if (firstOnly) {
            clen = 0;
            nlen = 0;
          }
          break; // lower-priority threads are cut
        }
        if (cp !== undefined && tests[pc]!(cp)) nlen = add(nPc, nSt, nlen, pc + 1, cSt[i]!, pos + 1, gen + 1);
      }
      [cPc, nPc] = [nPc, cPc];
      [cSt, nSt] = [nSt, cSt];
      clen = nlen;
      if (found && clen === 0) break;
    }
    this.gen = base + (pos - from) + 2;
    work?.(steps + 1);
    return found;
  }
}

const cache = new Map<string, RE2 | CelEvalError>();
const CACHE_SIZE = 256;

/** The compiled pattern (least recently used patterns leave a bounded cache); bad patterns throw CelEvalError. */
export function compileRE2(pattern: string): RE2 {
  let re = cache.get(pattern);
  if (re) {
    cache.delete(pattern);
  } else {
    try {
      re = new RE2(pattern);
    } catch (e) {
      if (!(e instanceof CelEvalError)) throw e;
      re = e;
    }
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  }
  cache.set(pattern, re);
  if (re instanceof CelEvalError) throw new CelEvalError(re.message);
  return re;
}

/**
 * Whether RE2 pattern `pattern` matches anywhere in `s` (uncharged: for OpenAPI `pattern`,
 * which Kubernetes also checks with RE2); throws CelEvalError for a pattern RE2 refuses.
 */
export function re2Test(pattern: string, s: string): boolean {
  return compileRE2(pattern).exec(Array.from(s, (c) => c.codePointAt(0)!), 0, true) !== undefined;
}
