// Errors of the Common Expression Language: a compile error carries the position in the
// expression and prints as cel-go does (`ERROR: <input>:1:6: Syntax error: ...` with the source
// line and a caret); an evaluation error is a CEL error value (`no such key: x`,
// `integer overflow`, `division by zero`) that && and || may absorb; running out of the step
// budget is not absorbable and stops the evaluation.

/** Base of the errors this package throws. */
export class CelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CelError';
  }
}

/** A rule that does not parse or check: `ERROR: <input>:line:col: detail` (one per issue). */
export class CelCompileError extends CelError {
  constructor(
    readonly issues: { offset: number; detail: string }[],
    readonly source: string,
  ) {
    super(formatIssues(issues, source));
    this.name = 'CelCompileError';
  }
}

/** A runtime error value: absorbed by `false && err`, `true || err`, else the result. */
export class CelEvalError extends CelError {
  constructor(message: string) {
    super(message);
    this.name = 'CelEvalError';
  }
}

/** The evaluation took more steps than its budget allowed (never absorbed). */
export class CelCostError extends CelError {
  constructor() {
    super('operation cancelled: actual cost limit exceeded');
    this.name = 'CelCostError';
  }
}

/** 1-based line and column (in code points) of `offset` in `source`. */
export function lineColumn(source: string, offset: number): { line: number; column: number; text: string } {
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  const start = before.lastIndexOf('\n') + 1;
  const end = source.indexOf('\n', offset);
  return { line, column: [...source.slice(start, offset)].length + 1, text: source.slice(start, end < 0 ? undefined : end) };
}

/** cel-go reports at most this many errors of an expression (`N more errors were truncated`). */
const MAX_ERRORS_TO_REPORT = 100;

function formatIssues(issues: { offset: number; detail: string }[], source: string): string {
  const sorted = [...issues].sort((a, b) => a.offset - b.offset);
  const shown = sorted.slice(0, MAX_ERRORS_TO_REPORT).map((i) => formatIssue(source, i.offset, i.detail));
  if (sorted.length > MAX_ERRORS_TO_REPORT) shown.push(`${sorted.length - MAX_ERRORS_TO_REPORT} more errors were truncated`);
  return shown.join('\n');
}

function formatIssue(source: string, offset: number, detail: string): string {
  const { line, column, text } = lineColumn(source, offset);
  return `ERROR: <input>:${line}:${column}: ${detail}\n | ${text}\n | ${'.'.repeat(column - 1)}^`;
}

export const noSuchOverload = (): CelEvalError => new CelEvalError('no such overload');
export const noSuchKey = (key: unknown): CelEvalError => new CelEvalError(`no such key: ${typeof key === 'string' ? key : String(key)}`);
export const overflow = (): CelEvalError => new CelEvalError('integer overflow');
