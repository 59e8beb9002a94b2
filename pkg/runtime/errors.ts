// Error kinds shared by the runtime, in containerd's spirit: a few named classes under one
// base, always wrapped with context (`container "abc": not found`).

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
