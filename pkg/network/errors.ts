// Error kinds of pod networking, in containerd's spirit: a few named classes under one base,
// always wrapped with context (`pod network "abc": address pool 10.244.1.0/24 exhausted`).

export type NetworkErrorCode = 'NotFound' | 'AlreadyExists' | 'InvalidArgument' | 'Conflict' | 'Exhausted' | 'Unavailable' | 'Internal';

export class NetworkError extends Error {
  readonly code: NetworkErrorCode = 'Internal';
  /** True when retrying the same call later may succeed. */
  readonly retryable: boolean = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends NetworkError {
  override readonly code = 'NotFound';
}
export class AlreadyExistsError extends NetworkError {
  override readonly code = 'AlreadyExists';
}
export class InvalidArgumentError extends NetworkError {
  override readonly code = 'InvalidArgument';
}
/** The persisted state disagrees with the request (e.g. the IPAM store belongs to another podCIDR). */
export class ConflictError extends NetworkError {
  override readonly code = 'Conflict';
}
/** No free address (IPAM) or no free CIDR (node CIDR allocator). */
export class ExhaustedError extends NetworkError {
  override readonly code = 'Exhausted';
  override readonly retryable = true;
}
export class UnavailableError extends NetworkError {
  override readonly code = 'Unavailable';
  override readonly retryable = true;
}

export const errorsByCode: Record<NetworkErrorCode, new (m: string, o?: { cause?: unknown }) => NetworkError> = {
  NotFound: NotFoundError,
  AlreadyExists: AlreadyExistsError,
  InvalidArgument: InvalidArgumentError,
  Conflict: ConflictError,
  Exhausted: ExhaustedError,
  Unavailable: UnavailableError,
  Internal: NetworkError,
};

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
