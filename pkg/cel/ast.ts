// The CEL abstract syntax tree. Macros (has, all, exists, exists_one, map, filter, cel.bind)
// are expanded by the parser into `has` and `comprehension` nodes; `a.?b` and `a[?k]` are
// optional selections; every node keeps the offset of its source for error positions.
import type { CelValue } from './values.js';

export type BinaryOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | '+' | '-' | '*' | '/' | '%';

export type Macro = 'all' | 'exists' | 'exists_one' | 'map' | 'filter' | 'bind';

export type Expr =
  | { kind: 'literal'; offset: number; value: CelValue }
  | { kind: 'ident'; offset: number; name: string }
  | { kind: 'select'; offset: number; operand: Expr; field: string; optional?: boolean }
  | { kind: 'has'; offset: number; operand: Expr; field: string }
  | { kind: 'index'; offset: number; operand: Expr; index: Expr; optional?: boolean }
  | { kind: 'call'; offset: number; fn: string; target?: Expr; args: Expr[] }
  | { kind: 'list'; offset: number; items: Expr[] }
  | { kind: 'map'; offset: number; entries: { key: Expr; value: Expr }[] }
  | { kind: 'and' | 'or'; offset: number; left: Expr; right: Expr }
  | { kind: 'not' | 'negate'; offset: number; operand: Expr }
  | { kind: 'binary'; offset: number; op: BinaryOp; left: Expr; right: Expr }
  | { kind: 'conditional'; offset: number; cond: Expr; then: Expr; otherwise: Expr }
  | { kind: 'comprehension'; offset: number; macro: Macro; range: Expr; variable: string; body: Expr; filter?: Expr };

/** Calls `visit` on `e` and every expression below it. */
export function walk(e: Expr, visit: (e: Expr) => void): void {
  visit(e);
  switch (e.kind) {
    case 'select':
    case 'has':
    case 'not':
    case 'negate':
      walk(e.operand, visit);
      break;
    case 'index':
      walk(e.operand, visit);
      walk(e.index, visit);
      break;
    case 'call':
      if (e.target) walk(e.target, visit);
      e.args.forEach((a) => walk(a, visit));
      break;
    case 'list':
      e.items.forEach((a) => walk(a, visit));
      break;
    case 'map':
      e.entries.forEach((x) => (walk(x.key, visit), walk(x.value, visit)));
      break;
    case 'and':
    case 'or':
    case 'binary':
      walk(e.left, visit);
      walk(e.right, visit);
      break;
    case 'conditional':
      walk(e.cond, visit);
      walk(e.then, visit);
      walk(e.otherwise, visit);
      break;
    case 'comprehension':
      walk(e.range, visit);
      if (e.filter) walk(e.filter, visit);
      walk(e.body, visit);
      break;
    default:
      break;
  }
}
