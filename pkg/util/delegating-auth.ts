// Who may read kube-scheduler's and kube-controller-manager's secure port, decided as 1.32's
// delegating servers decide it (apiserver/pkg/server/options authentication.go and
// authorization.go, authenticatorfactory/delegating.go, authorizerfactory/delegating.go):
//
// Authentication: a client certificate the client CA signed names its user (x509, CN and O); a
// bearer token is reviewed by the apiserver (TokenReview through --authentication-kubeconfig),
// the answer kept 10 s whether it vouched for the token or not (CacheTTL), and a token it refuses
// (or a review that fails) is 401 Unauthorized; a request with neither is system:anonymous, as the
// authenticator is unioned with anonymous (FailOnError). Without an authentication kubeconfig no
// token is reviewed: every request without a certificate is anonymous.
//
// Authorization, first allowing: a user in system:masters (AlwaysAllowGroups); a path of
// --authorization-always-allow-paths (/healthz, /readyz, /livez by default; a trailing * a prefix);
// the apiserver's SubjectAccessReview of the request as a non-resource one (its path, the HTTP
// method in lower case for the verb) through --authorization-kubeconfig, kept 10 s allowed or not.
// Anything else is 403 with the Forbidden Status of responsewriters.Forbidden (forbidden: User
// "system:anonymous" cannot get path "/metrics"); without an authorization kubeconfig, everything
// the first two do not allow.
import { createHash } from 'node:crypto';
import { bearerToken, Coalescer, TtlCache, type ReviewPoster, type UserInfo } from './review-cache.js';

export const DEFAULT_ALWAYS_ALLOW_PATHS = ['/healthz', '/readyz', '/livez'];
const ALWAYS_ALLOW_GROUPS = ['system:masters'];
/** NewDelegatingAuthenticationOptions' CacheTTL, for answers either way. */
const AUTHN_CACHE_TTL_MS = 10_000;
/** NewDelegatingAuthorizationOptions' AllowCacheTTL and DenyCacheTTL. */
const ALLOW_CACHE_TTL_MS = 10_000;
const DENY_CACHE_TTL_MS = 10_000;

const ANONYMOUS: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

export interface DelegatingAuthOptions {
  /** TokenReviews (--authentication-kubeconfig); none: tokens are not reviewed. */
  tokenReviews?: ReviewPoster;
  /** SubjectAccessReviews (--authorization-kubeconfig); none: only the always-allowed pass. */
  accessReviews?: ReviewPoster;
  /** --authorization-always-allow-paths. */
  alwaysAllowPaths?: string[];
  now?: () => number;
}

/** The answer for one request: served, or refused with its status code and body. */
export type AuthDecision = { ok: true; user: UserInfo } | { ok: false; code: 401 | 403 | 500; contentType: string; body: string };

const status = (code: number, reason: string, message: string) => `${JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(code === 403 ? { details: {} } : {}), code })}\n`;
const unauthorized = (): AuthDecision => ({ ok: false, code: 401, contentType: 'application/json', body: status(401, 'Unauthorized', 'Unauthorized') });

/** The path authorizer's matcher (authorization/path): exact paths, and prefixes ending in *; a leading / optional. */
export function pathMatcher(paths: string[]): (path: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const p of paths) {
    const withSlash = p.startsWith('/') ? p : `/${p}`;
    if (withSlash.endsWith('*')) prefixes.push(withSlash.slice(0, -1));
    else exact.add(withSlash);
  }
  return (path) => {
    const p = `/${path.replace(/^\/+/, '')}`;
    return exact.has(p) || prefixes.some((x) => p.startsWith(x));
  };
}

export class DelegatingAuth {
  private readonly users: TtlCache<UserInfo | null>;
  private readonly decisions: TtlCache<{ allowed: boolean; reason: string }>;
  private readonly reviewing = new Coalescer<UserInfo | null>();
  private readonly deciding = new Coalescer<{ allowed: boolean; reason: string }>();
  private readonly alwaysAllowed: (path: string) => boolean;

  constructor(private readonly o: DelegatingAuthOptions) {
    this.users = new TtlCache(o.now);
    this.decisions = new TtlCache(o.now);
    this.alwaysAllowed = pathMatcher(o.alwaysAllowPaths ?? DEFAULT_ALWAYS_ALLOW_PATHS);
  }

  /** Whether `method path` may be served to the request with this Authorization header (and verified client certificate's user). */
  async check(authorization: string | undefined, method: string, path: string, certUser?: UserInfo): Promise<AuthDecision> {
    let user: UserInfo | null = certUser ?? null;
    if (!user) {
      const token = this.o.tokenReviews ? bearerToken(authorization) : '';
      if (token) {
        try {
          user = await this.authenticate(token);
        } catch {
          user = null;
        }
        if (!user) return unauthorized();
        // (AuthenticatedGroupAdder)
        if (!user.groups?.includes('system:authenticated')) user = { ...user, groups: [...(user.groups ?? []), 'system:authenticated'] };
      } else user = ANONYMOUS;
    }
    if (user.groups?.some((g) => ALWAYS_ALLOW_GROUPS.includes(g))) return { ok: true, user };
    if (this.alwaysAllowed(path)) return { ok: true, user };
    const verb = method.toLowerCase();
    let reason = '';
    if (this.o.accessReviews) {
      let d: { allowed: boolean; reason: string };
      try {
        d = await this.authorize(user, verb, path);
      } catch (e) {
        // (WithAuthorization: an authorizer's error is an internal error, in plain text)
        return { ok: false, code: 500, contentType: 'text/plain; charset=utf-8', body: `Internal Server Error: ${JSON.stringify(path)}: ${(e as Error).message}\n` };
      }
      if (d.allowed) return { ok: true, user };
      reason = d.reason;
    }
    const message = `forbidden: User ${JSON.stringify(user.username)} cannot ${verb} path ${JSON.stringify(path)}${reason ? `: ${reason}` : ''}`;
    return { ok: false, code: 403, contentType: 'application/json', body: status(403, 'Forbidden', message) };
  }

  private authenticate(token: string): Promise<UserInfo | null> {
    const key = createHash('sha256').update(token).digest('hex');
    const cached = this.users.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    return this.reviewing.run(key, async () => {
      const review = (await this.o.tokenReviews!('/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } })) as { status?: { authenticated?: boolean; user?: UserInfo } };
      const user = review.status?.authenticated && review.status.user?.username ? review.status.user : null;
      this.users.set(key, user, AUTHN_CACHE_TTL_MS);
      return user;
    });
  }

  private authorize(user: UserInfo, verb: string, path: string): Promise<{ allowed: boolean; reason: string }> {
    const key = JSON.stringify([user.username, user.uid, user.groups, user.extra, verb, path]);
    const cached = this.decisions.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    return this.deciding.run(key, async () => {
      const review = (await this.o.accessReviews!('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: { user: user.username, uid: user.uid, groups: user.groups, extra: user.extra, nonResourceAttributes: { path, verb } },
      })) as { status?: { allowed?: boolean; reason?: string } };
      const d = { allowed: review.status?.allowed === true, reason: review.status?.reason ?? '' };
      this.decisions.set(key, d, d.allowed ? ALLOW_CACHE_TTL_MS : DENY_CACHE_TTL_MS);
      return d;
    });
  }
}
