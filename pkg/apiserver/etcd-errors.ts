// The errors of the apiserver's etcd client, shared by its HTTP/2 transports.

/** gRPC status codes we act on. */
export const GrpcCode = { OK: 0, CANCELLED: 1, DEADLINE_EXCEEDED: 4, OUT_OF_RANGE: 11, UNAVAILABLE: 14 } as const;

/** A failed etcd call. `transport`: the connection failed, not etcd; `sent`: the request may have reached etcd. */
export class EtcdError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly transport: boolean,
    readonly sent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EtcdError';
  }

  /** Whether the same call may be made again (on another endpoint). */
  retryable(idempotent: boolean): boolean {
    if (this.transport) return idempotent || !this.sent;
    return idempotent && this.code === GrpcCode.UNAVAILABLE;
  }
}

/** A watch cancelled by etcd because its start revision was compacted away. */
export class EtcdCompactedError extends EtcdError {
  constructor(readonly compactRevision: number) {
    super(`etcd watch: required revision has been compacted (compacted to ${compactRevision})`, GrpcCode.OUT_OF_RANGE, false, true);
    this.name = 'EtcdCompactedError';
  }
}
