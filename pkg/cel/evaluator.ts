// The CEL interpreter: evaluates an expression tree against variables, charging one step per
// node, per comprehension iteration and per ten elements or characters a function reads (all of
// what join, format, the sets library and == read, to any depth); past
// the budget it stops with CelCostError. && and || are commutative over errors (an error on
// one side is absorbed when the other side decides the result), as are the all/exists macros.
import type { Expr } from './ast.js';
import { TYPE_NAMES } from './conversions.js';
import { CelCostError, CelEvalError, noSuchKey, noSuchOverload } from './errors.js';
import { callGlobal, callMethod } from './functions.js';
import { binary, binaryCost, negate } from './operators.js';
import { CelMap, CelOptional, CelType, CelUint, traversalCost, type CelValue } from './values.js';

export type Scope = Record<string, CelValue>;

const isEvalError = (e: unknown): e is CelEvalError => e instanceof CelEvalError;

/** Runs `f`, returning its value or the CEL error it threw (other throws pass through). */
function attempt(f: () => CelValue): CelValue | CelEvalError {
  try {
    return f();
  } catch (e) {
    if (isEvalError(e)) return e;
    throw e;
  }
}

function sizeCost(v: CelValue): number {
  if (typeof v === 'string' || Array.isArray(v)) return Math.floor(v.length / 10);
  if (v instanceof CelMap) return Math.floor(v.size / 10);
  return 0;
}

export class Evaluation {
  /** Steps taken so far; never more than budget + the last charge. */
  steps = 0;
  constructor(private readonly budget: number) {}

  /** Steps left of the budget. */
  private left(): number {
    return this.budget - this.steps;
  }

  /**
   * What functions that read their arguments through (join, format, the sets library, a list's
   * indexOf) cost beyond the shallow size charge: the size of what they read, counted no
   * further than the budget left.
   */
  private deepCallCost(fn: string, target: CelValue | undefined, args: CelValue[]): number {
    const limit = this.left();
    if (fn === 'join' || fn === 'format' || fn.startsWith('sets.')) return [target ?? null, ...args].reduce<number>((n, v) => n + traversalCost(v, limit), 0);
    if ((fn === 'indexOf' || fn === 'lastIndexOf') && Array.isArray(target)) return target.length * (1 + traversalCost(args[0] ?? null, limit));
    return 0;
  }

  private charge(n: number): void {
    this.steps += n;
    if (this.steps > this.budget) throw new CelCostError();
  }

  eval(e: Expr, scope: Scope): CelValue {
    this.charge(1);
    switch (e.kind) {
      case 'literal':
        return e.value;
      case 'ident':
        if (e.name in scope) return scope[e.name]!;
        if (TYPE_NAMES.has(e.name)) return new CelType(e.name);
        throw new CelEvalError(`no such attribute: ${e.name}`);
      case 'select': {
        const v = this.eval(e.operand, scope);
        return this.optionally(v, e.optional, (x) => this.select(x, e.field), (x) => (x instanceof CelMap ? x.get(e.field) : this.select(x, e.field)));
      }
      case 'has': {
        const v = this.eval(e.operand, scope);
        if (v instanceof CelMap) return v.has(e.field);
        throw noSuchOverload();
      }
      case 'index': {
        const v = this.eval(e.operand, scope);
        const i = this.eval(e.index, scope);
        return this.optionally(v, e.optional, (x) => this.index(x, i), (x) => this.tryIndex(x, i));
      }
      case 'list':
        return e.items.map((x) => this.eval(x, scope));
      case 'map': {
        const m = new CelMap();
        for (const { key, value } of e.entries) {
          const k = this.eval(key, scope);
          if (typeof k === 'number') throw new CelEvalError('unsupported key type: double');
          if (m.has(k)) throw new CelEvalError(`Failed with repeated key: ${String(k)}`);
          m.set(k, this.eval(value, scope));
        }
        return m;
      }
      case 'and':
      case 'or':
        return this.logical(e.kind, e.left, e.right, scope);
      case 'not': {
        const v = this.eval(e.operand, scope);
        if (typeof v !== 'boolean') throw noSuchOverload();
        return !v;
      }
      case 'negate':
        return negate(this.eval(e.operand, scope));
      case 'binary': {
        const l = this.eval(e.left, scope);
        const r = this.eval(e.right, scope);
        this.charge(binaryCost(e.op, l, r, this.left()));
        return binary(e.op, l, r);
      }
      case 'conditional': {
        const c = this.eval(e.cond, scope);
        if (typeof c !== 'boolean') throw noSuchOverload();
        return this.eval(c ? e.then : e.otherwise, scope);
      }
      case 'call': {
        const target = e.target ? this.eval(e.target, scope) : undefined;
        const args = e.args.map((a) => this.eval(a, scope));
        this.charge([target ?? null, ...args].reduce<number>((n, v) => n + sizeCost(v), 0));
        this.charge(this.deepCallCost(e.fn, target, args));
        const charge = (n: number) => this.charge(n);
        const result = target === undefined ? callGlobal(e.fn, args, charge) : callMethod(e.fn, target, args, charge);
        // what a call makes is charged too (replace and split can make far more than they read;
        // V8 builds such strings as ropes, so this comes before anything reads them)
        this.charge(sizeCost(result));
        return result;
      }
      case 'comprehension':
        return this.comprehension(e, scope);
    }
  }

  /**
   * Selection on `v` that may be optional: `a.?b` (optional: none when absent, found by `lookup`),
   * and any selection on an optional value (none stays none, a value is selected and wrapped).
   */
  private optionally(v: CelValue, optional: boolean | undefined, strict: (v: CelValue) => CelValue, lookup: (v: CelValue) => CelValue | undefined): CelValue {
    if (v instanceof CelOptional) {
      if (v.value === undefined) return CelOptional.NONE;
      v = v.value;
      if (!optional) return new CelOptional(strict(v));
    }
    if (!optional) return strict(v);
    const x = lookup(v);
    return x === undefined ? CelOptional.NONE : new CelOptional(x);
  }

  private tryIndex(v: CelValue, i: CelValue): CelValue | undefined {
    try {
      return this.index(v, i);
    } catch (e) {
      if (isEvalError(e) && /^(no such key|index out of bounds)/.test(e.message)) return undefined;
      throw e;
    }
  }

  private select(v: CelValue, field: string): CelValue {
    if (v instanceof CelMap) {
      const x = v.get(field);
      if (x === undefined) throw noSuchKey(field);
      return x;
    }
    throw noSuchOverload();
  }

  private index(v: CelValue, i: CelValue): CelValue {
    if (Array.isArray(v)) {
      let n: bigint;
      if (typeof i === 'bigint') n = i;
      else if (i instanceof CelUint) n = i.v;
      else if (typeof i === 'number' && Number.isInteger(i)) n = BigInt(i);
      else throw noSuchOverload();
      if (n < 0n || n >= BigInt(v.length)) throw new CelEvalError(`index out of bounds: ${n}`);
      return v[Number(n)]!;
    }
    if (v instanceof CelMap) {
      const x = v.get(i);
      if (x === undefined) throw noSuchKey(typeof i === 'string' ? i : String(i instanceof CelUint ? i.v : i));
      return x;
    }
    throw noSuchOverload();
  }

  private logical(kind: 'and' | 'or', left: Expr, right: Expr, scope: Scope): CelValue {
    const decisive = kind === 'or';
    const l = attempt(() => this.eval(left, scope));
    if (l === decisive) return decisive;
    const r = attempt(() => this.eval(right, scope));
    if (r === decisive) return decisive;
    if (l instanceof CelEvalError) throw l;
    if (r instanceof CelEvalError) throw r;
    if (typeof l !== 'boolean' || typeof r !== 'boolean') throw noSuchOverload();
    return !decisive;
  }

  private comprehension(e: Extract<Expr, { kind: 'comprehension' }>, scope: Scope): CelValue {
    const range = this.eval(e.range, scope);
    const bind = (v: CelValue): Scope => {
      const inner = Object.create(scope) as Scope;
      inner[e.variable] = v;
      return inner;
    };
    if (e.macro === 'bind') return this.eval(e.body, bind(range));
    let items: CelValue[];
    if (Array.isArray(range)) items = range;
    else if (range instanceof CelMap) items = range.keys();
    else throw noSuchOverload();
    const bool = (v: CelValue): boolean => {
      if (typeof v !== 'boolean') throw noSuchOverload();
      return v;
    };
    switch (e.macro) {
      case 'all':
      case 'exists': {
        const decisive = e.macro === 'exists';
        let err: CelEvalError | undefined;
        for (const x of items) {
          this.charge(1);
          const r = attempt(() => bool(this.eval(e.body, bind(x))));
          if (r === decisive) return decisive;
          if (r instanceof CelEvalError) err ??= r;
        }
        if (err) throw err;
        return !decisive;
      }
      case 'exists_one': {
        let n = 0;
        for (const x of items) {
          this.charge(1);
          if (bool(this.eval(e.body, bind(x)))) n++;
        }
        return n === 1;
      }
      case 'map':
      case 'filter': {
        const out: CelValue[] = [];
        for (const x of items) {
          this.charge(1);
          const s = bind(x);
          if (e.macro === 'filter') {
            if (bool(this.eval(e.body, s))) out.push(x);
          } else if (!e.filter || bool(this.eval(e.filter, s))) {
            out.push(this.eval(e.body, s));
          }
        }
        return out;
      }
    }
  }
}
