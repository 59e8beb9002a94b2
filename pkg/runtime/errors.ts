// Error kinds shared by the runtime, in containerd's spirit: a few named classes under one
// base, always wrapped with context (`container "abc": not found`).
import { readFile } from 'node:fs/promises';

export type RuntimeErrorCode = 'NotFound' | 'AlreadyExists' | 'InvalidArgument' | 'FailedPrecondition' | 'Unavailable' | 'Internal';

export class RuntimeError extends Error {
  readonly code: RuntimeErrorCode = 'Internal';
  /** True when retrying the same call later may succeed. */
  readonly retryable: boolean = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends RuntimeError {
  override readonly code = 'NotFound';
}
export class AlreadyExistsError extends RuntimeError {
  override readonly code = 'AlreadyExists';
}
export class InvalidArgumentError extends RuntimeError {
  override readonly code = 'InvalidArgument';
}
export class FailedPreconditionError extends RuntimeError {
  override readonly code = 'FailedPrecondition';
}
export class UnavailableError extends RuntimeError {
  override readonly code = 'Unavailable';
  override readonly retryable = true;
}
/** An exec whose process never started (runc could not exec the command): not a command's exit. */
export class ExecStartError extends RuntimeError {}

/**
 * Whether runc failed to start an exec'd process, from the JSON log it was given (`--log FILE
 * --log-format json`): its error entries, as containerd words them (`OCI runtime exec failed: ...`),
 * or undefined when it logged none (the process ran and exited).
 */
export async function execStartFailure(logFile: string, execId: string): Promise<ExecStartError | undefined> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  const errors = text.split('\n').flatMap((line) => {
    try {
      const e = JSON.parse(line) as { level?: string; msg?: string };
      return e.level === 'error' && e.msg ? [e.msg] : [];
    } catch {
      return [];
    }
  });
  if (!errors.length) return undefined;
  return new ExecStartError(`failed to exec in container: failed to start exec "${execId}": OCI runtime exec failed: ${errors.join('; ')}: unknown`);
}

/** A blob whose content does not hash to the digest it was fetched or imported under. */
export class DigestMismatchError extends InvalidArgumentError {}

export const errorsByCode: Record<RuntimeErrorCode, new (m: string, o?: { cause?: unknown }) => RuntimeError> = {
  NotFound: NotFoundError,
  AlreadyExists: AlreadyExistsError,
  InvalidArgument: InvalidArgumentError,
  FailedPrecondition: FailedPreconditionError,
  Unavailable: UnavailableError,
  Internal: RuntimeError,
};

export function isNotFound(e: unknown): boolean {
  return e instanceof NotFoundError || (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
