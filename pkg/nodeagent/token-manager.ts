// Service account tokens for projected volumes, as the kubelet's token manager keeps them: one
// TokenRequest per pod, account, audience and lifetime, bound to the pod (by uid), kept while
// it is fresh and requested again once 80% of its life has gone (or it is 24 hours old), with up
// to 10 s of jitter so that tokens do not all renew at once. When the apiserver cannot be
// reached, a token that has not expired yet keeps serving.
import type { Pod, TokenRequest } from '../api/types.js';
import { logger } from '../util/log.js';

const log = logger('token-manager');

const MAX_TTL_MS = 24 * 3600_000;
const MAX_JITTER_MS = 10_000;

/** A projected volume's serviceAccountToken source. */
export interface TokenProjection {
  audience?: string;
  expirationSeconds?: number;
}

/** Sends a TokenRequest for a service account (POST serviceaccounts/NAME/token); returns the answer. */
export type RequestToken = (namespace: string, serviceAccount: string, req: TokenRequest) => Promise<TokenRequest>;

interface Cached {
  token: string;
  /** When the token was issued and when it expires (ms), per the answer and the lifetime asked for. */
  issuedAt: number;
  expiresAt: number;
  podUID: string;
}

/** The key of a pod's token of one audience and lifetime (the kubelet's keyFunc). */
export function tokenKey(pod: Pod, p: TokenProjection): string {
  const m = pod.metadata ?? {};
  return `${m.namespace}/${pod.spec?.serviceAccountName ?? ''}/${p.audience ?? ''}/${p.expirationSeconds ?? 3600}/${m.uid}`;
}

/** Whether a token issued at `issuedAt` and expiring at `expiresAt` should be renewed at `now` (requiresRefresh). */
export function requiresRefresh(issuedAt: number, expiresAt: number, now: number, jitterMs: number): boolean {
  if (now > issuedAt + MAX_TTL_MS - jitterMs) return true;
  return now > expiresAt - (expiresAt - issuedAt) * 0.2 - jitterMs;
}

export class TokenManager {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly request: RequestToken,
    private readonly now: () => number = Date.now,
    private readonly jitter: () => number = () => Math.random() * MAX_JITTER_MS,
  ) {}

  /** The pod's token for a projection: the cached one while fresh, else a new one. */
  async get(pod: Pod, p: TokenProjection): Promise<string> {
    const key = tokenKey(pod, p);
    const cached = this.cache.get(key);
    const now = this.now();
    if (cached && !requiresRefresh(cached.issuedAt, cached.expiresAt, now, this.jitter())) return cached.token;
    const expirationSeconds = p.expirationSeconds ?? 3600;
    const m = pod.metadata!;
    try {
      const tr = await this.request(m.namespace!, pod.spec?.serviceAccountName ?? 'default', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          ...(p.audience ? { audiences: [p.audience] } : {}),
          expirationSeconds,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: m.name!, uid: m.uid! },
        },
      });
      const token = tr.status?.token;
      if (!token) throw new Error('the TokenRequest came back without a token');
      const expiresAt = tr.status?.expirationTimestamp ? Date.parse(tr.status.expirationTimestamp) : now + expirationSeconds * 1000;
      const issuedAt = expiresAt - (tr.spec?.expirationSeconds ?? expirationSeconds) * 1000;
      this.cache.set(key, { token, issuedAt, expiresAt, podUID: m.uid! });
      return token;
    } catch (e) {
      if (cached && now < cached.expiresAt) {
        log.warn('could not renew a service account token; the current one is still valid', { pod: `${m.namespace}/${m.name}`, err: (e as Error).message });
        return cached.token;
      }
      throw e;
    }
  }

  /** Drops a pod's tokens (it is gone). */
  forgetPod(uid: string): void {
    for (const [k, v] of this.cache) if (v.podUID === uid) this.cache.delete(k);
  }

  get size(): number {
    return this.cache.size;
  }
}
