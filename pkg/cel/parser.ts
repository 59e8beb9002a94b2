// The CEL parser: recursive descent over CEL's grammar (ternary, ||, &&, relations, + -, * / %,
// unary ! and -, member access, calls, indexing, list and map literals), expanding the standard
// macros. Errors name the position as cel-go does: `ERROR: <input>:1:6: Syntax error: ...`.
import type { BinaryOp, Expr, Macro } from './ast.js';
import { CelCompileError } from './errors.js';
import { tokenize, type Token } from './lexer.js';
import { CelUint, INT64_MAX, UINT64_MAX } from './values.js';

const MAX_DEPTH = 250;
const RELATIONS = new Set(['==', '!=', '<', '<=', '>', '>=', 'in']);
const RESERVED = new Set(['as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while']);

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(
    private readonly src: string,
    private readonly toks: Token[],
  ) {}

  private get tok(): Token {
    return this.toks[this.pos]!;
  }
  private fail(t: Token, detail: string): never {
    throw new CelCompileError([{ offset: t.offset, detail: `Syntax error: ${detail}` }], this.src);
  }
  private isOp(text: string): boolean {
    return (this.tok.kind === 'op' || (text === 'in' && this.tok.kind === 'ident')) && this.tok.text === text;
  }
  private accept(text: string): boolean {
    if (!this.isOp(text)) return false;
    this.pos++;
    return true;
  }
  private expect(text: string): Token {
    const t = this.tok;
    if (!this.accept(text)) this.fail(t, t.kind === 'eof' ? `mismatched input '<EOF>' expecting '${text}'` : `mismatched input '${t.text}' expecting '${text}'`);
    return t;
  }
  private enter(): void {
    if (++this.depth > MAX_DEPTH) this.fail(this.tok, `expression recursion limit exceeded: ${MAX_DEPTH}`);
  }

  parseAll(): Expr {
    const e = this.expr();
    if (this.tok.kind !== 'eof') this.fail(this.tok, `extraneous input '${this.tok.text}' expecting <EOF>`);
    return e;
  }

  expr(): Expr {
    this.enter();
    const cond = this.or();
    let out = cond;
    if (this.isOp('?')) {
      const q = this.tok;
      this.pos++;
      const then = this.or();
      this.expect(':');
      const otherwise = this.expr();
      out = { kind: 'conditional', offset: q.offset, cond, then, otherwise };
    }
    this.depth--;
    return out;
  }

  /** A left-associative chain of `next` joined by any of `ops`. */
  private chain(next: () => Expr, ops: string[], make: (op: string, offset: number, left: Expr, right: Expr) => Expr): Expr {
    let left = next();
    for (;;) {
      const t = this.tok;
      if (!((t.kind === 'op' || t.text === 'in') && ops.includes(t.text))) return left;
      this.pos++;
      left = make(t.text, t.offset, left, next());
    }
  }

  private or(): Expr {
    return this.logicalChain('or', '||', () => this.and());
  }

  private and(): Expr {
    return this.logicalChain('and', '&&', () => this.relation());
  }

  /**
   * `a && b && c ...` as a balanced tree, as cel-go builds it (a left-deep one would make every
   * evaluation of a long chain recurse once per term).
   */
  private logicalChain(kind: 'and' | 'or', op: string, next: () => Expr): Expr {
    const terms = [next()];
    const offsets: number[] = [];
    while (this.isOp(op)) {
      offsets.push(this.tok.offset);
      this.pos++;
      terms.push(next());
    }
    const balance = (lo: number, hi: number): Expr => {
      if (lo === hi) return terms[lo]!;
      const mid = (lo + hi) >> 1;
      return { kind, offset: offsets[mid]!, left: balance(lo, mid), right: balance(mid + 1, hi) };
    };
    return balance(0, terms.length - 1);
  }

  /** A left-deep chain of binary operators: each operator nests one level deeper (as in cel-go's grammar). */
  private binaryChain(next: () => Expr, ops: string[]): Expr {
    const depth = this.depth;
    const e = this.chain(next, ops, (op, offset, left, right) => {
      this.enter();
      return { kind: 'binary', offset, op: op as BinaryOp, left, right };
    });
    this.depth = depth;
    return e;
  }

  private relation(): Expr {
    return this.binaryChain(() => this.addition(), [...RELATIONS]);
  }

  private addition(): Expr {
    return this.binaryChain(() => this.multiplication(), ['+', '-']);
  }

  private multiplication(): Expr {
    return this.binaryChain(() => this.unary(), ['*', '/', '%']);
  }

  private unary(): Expr {
    const t = this.tok;
    if (this.accept('!')) {
      this.enter();
      const operand = this.unary();
      this.depth--;
      return { kind: 'not', offset: t.offset, operand };
    }
    if (this.accept('-')) {
      // -9223372036854775808 is an int literal, not the negation of an out-of-range one.
      if (this.tok.kind === 'int' || this.tok.kind === 'double') {
        const lit = this.tok;
        if (this.toks[this.pos + 1]?.text !== '.' && this.toks[this.pos + 1]?.text !== '[') {
          this.pos++;
          const v = lit.value as bigint | number;
          if (typeof v === 'bigint' && -v < -INT64_MAX - 1n) this.fail(lit, `invalid int literal`);
          return this.member({ kind: 'literal', offset: t.offset, value: typeof v === 'bigint' ? -v : -v });
        }
      }
      this.enter();
      const operand = this.unary();
      this.depth--;
      return { kind: 'negate', offset: t.offset, operand };
    }
    return this.member(this.primary());
  }

  /** Selections, calls and indexes on `e`: each nests one level deeper (`a.b.c...` is depth-limited). */
  private member(e: Expr): Expr {
    const depth = this.depth;
    try {
      return this.memberChain(e);
    } finally {
      this.depth = depth;
    }
  }

  private memberChain(e: Expr): Expr {
    for (;;) {
      const t = this.tok;
      if (this.isOp('.') || this.isOp('[')) this.enter();
      if (this.accept('.')) {
        const optional = this.accept('?');
        const name = this.tok;
        if (name.kind !== 'ident') this.fail(name, `mismatched input '${name.text}' expecting IDENTIFIER`);
        this.pos++;
        if (this.isOp('(') && !optional) {
          this.pos++;
          const args = this.args(')');
          e = this.methodCall(e, name, args);
        } else {
          e = { kind: 'select', offset: t.offset, operand: e, field: name.text, ...(optional ? { optional } : {}) };
        }
      } else if (this.accept('[')) {
        const optional = this.accept('?');
        const index = this.expr();
        this.expect(']');
        e = { kind: 'index', offset: t.offset, operand: e, index, ...(optional ? { optional } : {}) };
      } else {
        return e;
      }
    }
  }

  private args(close: string): Expr[] {
    const out: Expr[] = [];
    if (this.accept(close)) return out;
    do {
      if (this.isOp(close)) break; // trailing comma
      out.push(this.expr());
    } while (this.accept(','));
    this.expect(close);
    return out;
  }

  private methodCall(target: Expr, name: Token, args: Expr[]): Expr {
    const fn = name.text;
    const macro = fn === 'existsOne' ? 'exists_one' : fn;
    if ((['all', 'exists', 'exists_one', 'filter'].includes(macro) && args.length === 2) || (macro === 'map' && (args.length === 2 || args.length === 3))) {
      const v = args[0]!;
      if (v.kind !== 'ident') this.fail(name, 'argument must be a simple name');
      return {
        kind: 'comprehension',
        offset: name.offset,
        macro: macro as Macro,
        range: target,
        variable: v.name,
        body: args[args.length - 1]!,
        filter: args.length === 3 ? args[1] : undefined,
      };
    }
    if (target.kind === 'ident' && target.name === 'cel' && fn === 'bind' && args.length === 3) {
      const v = args[0]!;
      if (v.kind !== 'ident') this.fail(name, 'cel.bind() variable name must be a simple identifier');
      return { kind: 'comprehension', offset: name.offset, macro: 'bind', range: args[1]!, variable: v.name, body: args[2]! };
    }
    return { kind: 'call', offset: name.offset, fn, target, args };
  }

  private primary(): Expr {
    const t = this.tok;
    switch (t.kind) {
      case 'int':
        this.pos++;
        if ((t.value as bigint) > INT64_MAX) this.fail(t, `invalid int literal`);
        return { kind: 'literal', offset: t.offset, value: t.value as bigint };
      case 'uint':
        this.pos++;
        if ((t.value as bigint) > UINT64_MAX) this.fail(t, `invalid uint literal`);
        return { kind: 'literal', offset: t.offset, value: new CelUint(t.value as bigint) };
      case 'double':
      case 'string':
      case 'bytes':
        this.pos++;
        return { kind: 'literal', offset: t.offset, value: t.value as number | string | Uint8Array };
      case 'eof':
        return this.fail(t, `mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}`);
      case 'ident':
        return this.identOrCall();
      default:
        break;
    }
    if (this.accept('(')) {
      const e = this.expr();
      this.expect(')');
      return e;
    }
    if (this.accept('[')) return { kind: 'list', offset: t.offset, items: this.args(']') };
    if (this.accept('{')) {
      const entries: { key: Expr; value: Expr }[] = [];
      if (!this.accept('}')) {
        do {
          if (this.isOp('}')) break;
          const key = this.expr();
          this.expect(':');
          entries.push({ key, value: this.expr() });
        } while (this.accept(','));
        this.expect('}');
      }
      return { kind: 'map', offset: t.offset, entries };
    }
    if (this.isOp('.') && this.toks[this.pos + 1]?.kind === 'ident') {
      this.pos++;
      return this.identOrCall();
    }
    return this.fail(t, `mismatched input '${t.text}' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}`);
  }

  private identOrCall(): Expr {
    const t = this.tok;
    this.pos++;
    if (t.text === 'true' || t.text === 'false') return { kind: 'literal', offset: t.offset, value: t.text === 'true' };
    if (t.text === 'null') return { kind: 'literal', offset: t.offset, value: null };
    if (t.text === 'in' || RESERVED.has(t.text)) this.fail(t, `reserved identifier: ${t.text}`);
    if (!this.accept('(')) return { kind: 'ident', offset: t.offset, name: t.text };
    const args = this.args(')');
    if (t.text === 'has') {
      const a = args[0];
      if (args.length !== 1 || a?.kind !== 'select') this.fail(t, 'invalid argument to has() macro');
      return { kind: 'has', offset: t.offset, operand: a.operand, field: a.field };
    }
    return { kind: 'call', offset: t.offset, fn: t.text, args };
  }
}

/** cel-go's (and Kubernetes') limit on the size of an expression, in code points. */
export const MAX_SOURCE_CODE_POINTS = 100_000;

/** Parses `src`; throws CelCompileError with the position of the first problem. */
export function parse(src: string): Expr {
  if (src.length > MAX_SOURCE_CODE_POINTS) {
    const size = [...src].length;
    if (size > MAX_SOURCE_CODE_POINTS) throw new CelCompileError([{ offset: 0, detail: `expression code point size exceeds limit: size: ${size}, limit ${MAX_SOURCE_CODE_POINTS}` }], '');
  }
  return new Parser(src, tokenize(src)).parseAll();
}
