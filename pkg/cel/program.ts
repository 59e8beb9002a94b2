// Compiling and running CEL expressions. compile() parses and checks what can be known before
// evaluation: every identifier is a declared variable, a macro's variable or a type name; every
// function exists; field selections on a declared variable name fields its declared type has
// (through `resolveField`, e.g. a CRD's schema); the result of the expression can be a bool.
// Checking also resolves qualified function names (`sets.contains`) in the tree.
// Program.evaluate() runs it under a step budget.
import type { Expr } from './ast.js';
import { TYPE_NAMES } from './conversions.js';
import { CelCompileError, CelError, CelEvalError } from './errors.js';
import { Evaluation, type Scope } from './evaluator.js';
import { GLOBAL_FUNCTIONS, METHOD_NAMES } from './functions.js';
import { parse } from './parser.js';
import type { CelValue } from './values.js';

/** One step of a path from a variable: a field name, or '[]' for an index or a macro's element. */
export type PathStep = string;

export interface CompileOptions {
  /** The variables the expression may use. */
  variables: string[];
  /**
   * Checks `variable.path...` against the variable's type: returns an error detail
   * (`undefined field 'x'`) or undefined when the field may exist.
   */
  resolveField?: (variable: string, path: PathStep[]) => string | undefined;
  /** Whether the result must be a bool (validation rules): the checkable cases fail to compile. */
  expectBool?: boolean;
  /** Method names of the environment's extension values (the authorizer's `check`...), beyond the standard ones. */
  methods?: ReadonlySet<string>;
}

/** Default step budget of one evaluation (Kubernetes' per-call cost limit). */
export const DEFAULT_BUDGET = 1_000_000;

export class Program {
  constructor(
    readonly source: string,
    readonly ast: Expr,
    /** The declared variables the expression refers to. */
    readonly references: ReadonlySet<string>,
  ) {}

  /** Evaluates with `vars`; throws CelEvalError (a runtime error) or CelCostError (over budget). */
  evaluate(vars: Record<string, CelValue>, budget = DEFAULT_BUDGET): { value: CelValue; cost: number } {
    const scope = Object.assign(Object.create(null) as Scope, vars);
    const ev = new Evaluation(budget);
    try {
      const value = ev.eval(this.ast, scope);
      return { value, cost: ev.steps };
    } catch (e) {
      // Anything else (a string past V8's length limit, a stack overflow, a bug) is still a
      // failure of this expression on this input, not of the server: a CEL error.
      throw asCelError(e, (m) => new CelEvalError(m));
    }
  }
}

interface Checker {
  opts: CompileOptions;
  issues: { offset: number; detail: string }[];
  refs: Set<string>;
  declared: ReadonlySet<string>;
}

/** The variable and path of `self.a[0].b` (undefined when the chain does not start at a declared variable). */
function chainOf(e: Expr, locals: ReadonlySet<string>, declared: ReadonlySet<string>): { variable: string; path: PathStep[] } | undefined {
  const path: PathStep[] = [];
  let cur = e;
  for (;;) {
    if (cur.kind === 'select' || cur.kind === 'has') {
      path.push(cur.field);
      cur = cur.operand;
    } else if (cur.kind === 'index') {
      path.push('[]');
      cur = cur.operand;
    } else if (cur.kind === 'ident' && declared.has(cur.name) && !locals.has(cur.name)) {
      return { variable: cur.name, path: path.reverse() };
    } else {
      return undefined;
    }
  }
}

function check(c: Checker, e: Expr, locals: ReadonlySet<string>): void {
  const declared = c.declared;
  const issue = (offset: number, detail: string) => c.issues.push({ offset, detail });
  switch (e.kind) {
    case 'ident':
      if (locals.has(e.name)) return;
      if (declared.has(e.name)) c.refs.add(e.name);
      else if (!TYPE_NAMES.has(e.name)) issue(e.offset, `undeclared reference to '${e.name}' (in container '')`);
      return;
    case 'select':
    case 'has': {
      const chain = chainOf(e, locals, declared);
      if (chain && c.opts.resolveField) {
        const detail = c.opts.resolveField(chain.variable, chain.path);
        if (detail) {
          issue(e.offset, detail);
          return;
        }
      }
      check(c, e.operand, locals);
      return;
    }
    case 'call':
      // `sets.contains(...)`, `format.named(...)`: a qualified global function, not a method of a variable
      if (e.target?.kind === 'ident' && !locals.has(e.target.name) && !declared.has(e.target.name) && GLOBAL_FUNCTIONS.has(`${e.target.name}.${e.fn}`)) {
        e.fn = `${e.target.name}.${e.fn}`;
        delete e.target;
      }
      if (e.target) {
        if (!METHOD_NAMES.has(e.fn) && !c.opts.methods?.has(e.fn)) issue(e.offset, `undeclared reference to '${e.fn}' (in container '')`);
        check(c, e.target, locals);
      } else if (!GLOBAL_FUNCTIONS.has(e.fn)) {
        issue(e.offset, `undeclared reference to '${e.fn}' (in container '')`);
      }
      e.args.forEach((a) => check(c, a, locals));
      return;
    case 'comprehension': {
      check(c, e.range, locals);
      const inner = new Set(locals).add(e.variable);
      if (e.filter) check(c, e.filter, inner);
      check(c, e.body, inner);
      return;
    }
    case 'index':
      check(c, e.operand, locals);
      check(c, e.index, locals);
      return;
    case 'list':
      e.items.forEach((x) => check(c, x, locals));
      return;
    case 'map':
      e.entries.forEach((x) => (check(c, x.key, locals), check(c, x.value, locals)));
      return;
    case 'and':
    case 'or':
    case 'binary':
      check(c, e.left, locals);
      check(c, e.right, locals);
      return;
    case 'not':
    case 'negate':
      check(c, e.operand, locals);
      return;
    case 'conditional':
      check(c, e.cond, locals);
      check(c, e.then, locals);
      check(c, e.otherwise, locals);
      return;
    case 'literal':
      return;
  }
}

/** Expressions whose type is known not to be bool without evaluating them. */
function surelyNotBool(e: Expr): boolean {
  switch (e.kind) {
    case 'literal':
      return typeof e.value !== 'boolean';
    case 'list':
    case 'map':
    case 'negate':
      return true;
    case 'binary':
      return ['+', '-', '*', '/', '%'].includes(e.op);
    case 'conditional':
      return surelyNotBool(e.then) && surelyNotBool(e.otherwise);
    case 'comprehension':
      return e.macro === 'map' || e.macro === 'filter';
    default:
      return false;
  }
}

/** What an expression surely evaluates to, when its shape alone says (no type checker): for the result-type checks. */
export type SureKind = 'bool' | 'string' | 'number' | 'list' | 'map' | 'null' | undefined;

export function sureKind(e: Expr): SureKind {
  switch (e.kind) {
    case 'literal':
      if (e.value === null) return 'null';
      if (typeof e.value === 'boolean') return 'bool';
      if (typeof e.value === 'string') return 'string';
      if (typeof e.value === 'number' || typeof e.value === 'bigint') return 'number';
      return undefined;
    case 'list':
      return 'list';
    case 'map':
      return 'map';
    case 'not':
    case 'and':
    case 'or':
    case 'has':
      return 'bool';
    case 'negate':
      return 'number';
    case 'binary':
      if (['==', '!=', '<', '<=', '>', '>=', 'in'].includes(e.op)) return 'bool';
      if (e.op === '+') {
        const l = sureKind(e.left);
        return l && l === sureKind(e.right) ? l : undefined;
      }
      return 'number';
    case 'conditional': {
      const t = sureKind(e.then);
      return t && t === sureKind(e.otherwise) ? t : undefined;
    }
    case 'comprehension':
      return e.macro === 'map' || e.macro === 'filter' ? 'list' : e.macro === 'all' || e.macro === 'exists' || e.macro === 'exists_one' ? 'bool' : undefined;
    default:
      return undefined;
  }
}

/** Parses and checks `source`; throws CelCompileError listing every problem with its position. */
export function compile(source: string, opts: CompileOptions): Program {
  try {
    return compileChecked(source, opts);
  } catch (e) {
    throw asCelError(e, (m) => new CelCompileError([{ offset: 0, detail: m }], source));
  }
}

/** `e` if it is a CEL error, else a CEL error made by `make` from its message. */
function asCelError(e: unknown, make: (message: string) => CelError): CelError {
  if (e instanceof CelError) return e;
  // A host's own signal through an extension value (the policy authorizer's "ask first") goes through as it is.
  if (e instanceof Error && (e as { celPassThrough?: boolean }).celPassThrough) return e as CelError;
  const message = e instanceof RangeError && /string length/i.test(e.message) ? 'string too long' : e instanceof RangeError && /call stack/i.test(e.message) ? 'expression nests too deeply' : `internal error: ${e instanceof Error ? e.message : String(e)}`;
  return make(message);
}

function compileChecked(source: string, opts: CompileOptions): Program {
  const ast = parse(source);
  const c: Checker = { opts, issues: [], refs: new Set(), declared: new Set(opts.variables) };
  check(c, ast, new Set());
  if (!c.issues.length && opts.expectBool && surelyNotBool(ast)) c.issues.push({ offset: 0, detail: 'cel expression must evaluate to a bool' });
  if (c.issues.length) throw new CelCompileError(c.issues, source);
  return new Program(source, ast, c.refs);
}
