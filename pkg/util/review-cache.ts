// What the components that delegate authentication and authorization to the apiserver (the node
// agent as a kubelet; the scheduler and controller manager as 1.32's delegating servers) share:
// the bearer token of a request, the user of a verified client certificate, and the caches that
// keep TokenReview and SubjectAccessReview answers for a while and share one review among
// concurrent asks.
import type { TLSSocket } from 'node:tls';

export interface UserInfo {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** POSTs a review object to the apiserver and returns the answer. */
export type ReviewPoster = (path: string, body: unknown) => Promise<unknown>;

/** The token of an `Authorization: Bearer` header, or '' without one. */
export function bearerToken(authorization: string | undefined): string {
  return /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1] ?? '';
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/**
 * The user of a verified client certificate, as apiserver's x509 authenticator makes it
 * (CommonNameUserConversion: the subject's CN the name, its O entries the groups, a certificate
 * without ExtKeyUsageClientAuth refused), with system:authenticated as the
 * AuthenticatedGroupAdder adds it; undefined without one the server's CA verified.
 */
export function x509User(socket: Pick<TLSSocket, 'authorized' | 'getPeerCertificate'>): UserInfo | undefined {
  if (!socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.subject) return undefined;
  const usages = (cert as { ext_key_usage?: string[] }).ext_key_usage;
  if (usages && !usages.includes(CLIENT_AUTH)) return undefined;
  const all = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const username = all(cert.subject.CN)[0];
  if (!username) return undefined;
  const groups = all(cert.subject.O);
  return { username, groups: groups.includes('system:authenticated') ? groups : [...groups, 'system:authenticated'] };
}

/** Past this many entries the oldest goes (tokens are the client's to invent). */
const MAX_ENTRIES = 1000;

/** Answers kept until their time is up. */
export class TtlCache<T> {
  private readonly m = new Map<string, { value: T; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  get(k: string): T | undefined {
    const e = this.m.get(k);
    if (!e) return undefined;
    if (e.until > this.now()) return e.value;
    this.m.delete(k);
    return undefined;
  }

  set(k: string, value: T, ttlMs: number): void {
    // (the oldest entry goes: a flood of invented tokens cannot flush what is cached for real callers at once)
    this.m.delete(k);
    if (this.m.size >= MAX_ENTRIES) this.m.delete(this.m.keys().next().value!);
    this.m.set(k, { value, until: this.now() + ttlMs });
  }
}

/** Concurrent asks for the same key share one review. */
export class Coalescer<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  run(k: string, fn: () => Promise<T>): Promise<T> {
    let p = this.inFlight.get(k);
    if (!p) {
      p = fn().finally(() => this.inFlight.delete(k));
      this.inFlight.set(k, p);
    }
    return p;
  }
}
