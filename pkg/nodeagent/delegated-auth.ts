// Who may use the agent's HTTPS endpoint, as the kubelet decides with x509 and webhook
// authentication and webhook authorization: its own node's token always (the apiserver proxies with
// it to a node joined the tskube way); a client certificate signed by --client-ca-file names its
// user as the kubelet's x509 authenticator does (CN the user, O the groups: the apiserver's
// kube-apiserver-kubelet-client); any other bearer token is reviewed by the apiserver
// (TokenReview). The user must be allowed the request on this Node (SubjectAccessReview): nodes/metrics for /metrics..., nodes/stats for
// /stats/..., nodes/log for /logs/..., nodes/proxy for the rest, with the HTTP method's verb.
// Answers are cached as the kubelet caches them (authenticated 2 min, authorized 5 min, denied 30 s).
import { createHash, timingSafeEqual } from 'node:crypto';
import { bearerToken, Coalescer, TtlCache, type ReviewPoster, type UserInfo } from '../util/review-cache.js';
import { DynamicClientCA } from './client-ca.js';

export { bearerToken, x509User, type ReviewPoster, type UserInfo } from '../util/review-cache.js';

export type AuthResult = { ok: true; user?: string } | { ok: false; code: 401 | 403; message: string };

const AUTHN_TTL_MS = 2 * 60_000;
const UNAUTHENTICATED_TTL_MS = 10_000;
const AUTHORIZED_TTL_MS = 5 * 60_000;
const UNAUTHORIZED_TTL_MS = 30_000;

const VERBS: Record<string, string> = { GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/**
 * Whether a presented token is `expected`, in constant time: digests of both are compared (any
 * bytes, any length; timingSafeEqual throws on buffers of different lengths). No token is ever
 * the empty one.
 */
export function sameToken(presented: string, expected: string): boolean {
  if (!expected) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * The CA whose client certificates the agent believes: --client-ca-file's (or the config file's
 * authentication.x509.clientCAFile), loaded and then kept up to date as the kubelet's BuildAuthn
 * loads it (client-ca.ts: Go's 'open FILE: no such file or directory', 'error loading CA bundle
 * for "client-ca-bundle::FILE": data does not contain any valid RSA or ECDSA certificates'), else
 * the cluster CA of its kubeconfig, as kubeadm points every kubelet's clientCAFile at the cluster CA.
 */
export function clientCAFor(file: string, kubeconfigCA: string | undefined): DynamicClientCA | string | undefined {
  return file ? new DynamicClientCA(file) : kubeconfigCA;
}

/** The kubelet's subresource for a path: metrics, stats, log, spec, or proxy. */
export function subresourceOf(path: string): string {
  const under = (p: string) => path === p || path.startsWith(`${p}/`);
  if (under('/stats')) return 'stats';
  if (under('/metrics')) return 'metrics';
  if (under('/logs')) return 'log';
  if (under('/spec')) return 'spec';
  return 'proxy';
}

export class DelegatedAuth {
  private readonly users = new TtlCache<UserInfo | null>();
  private readonly decisions = new TtlCache<boolean>();
  private readonly reviewing = new Coalescer<UserInfo | null>();
  private readonly deciding = new Coalescer<boolean>();

  constructor(
    private readonly nodeName: string,
    private readonly ownToken: string,
    private readonly post: ReviewPoster,
  ) {}

  /**
   * Whether the request with this Authorization header, over a connection whose verified client
   * certificate names `certUser` (x509User), may have `method path`.
   */
  async check(authorization: string | undefined, method: string, path: string, certUser?: UserInfo): Promise<AuthResult> {
    const token = bearerToken(authorization);
    if (token && sameToken(token, this.ownToken)) return { ok: true };
    // (the kubelet's union authenticator asks x509 before the token webhook)
    if (!token && !certUser) return { ok: false, code: 401, message: 'Unauthorized' };
    const user = certUser ?? (await this.authenticate(token));
    if (!user) return { ok: false, code: 401, message: 'Unauthorized' };
    const verb = VERBS[method.toUpperCase()] ?? method.toLowerCase();
    const subresource = subresourceOf(path);
    if (!(await this.authorize(user, verb, subresource))) {
      // (the kubelet's words)
      return { ok: false, code: 403, message: `Forbidden (user=${user.username}, verb=${verb}, resource=nodes, subresource=${subresource})` };
    }
    return { ok: true, user: user.username };
  }

  private async authenticate(token: string): Promise<UserInfo | null> {
    const key = createHash('sha256').update(token).digest('hex');
    const cached = this.users.get(key);
    if (cached !== undefined) return cached;
    return this.reviewing.run(key, () => this.reviewToken(key, token));
  }

  private async reviewToken(key: string, token: string): Promise<UserInfo | null> {
    const review = (await this.post('/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } })) as { status?: { authenticated?: boolean; user?: UserInfo } };
    const user = review.status?.authenticated && review.status.user?.username ? review.status.user : null;
    this.users.set(key, user, user ? AUTHN_TTL_MS : UNAUTHENTICATED_TTL_MS);
    return user;
  }

  private async authorize(user: UserInfo, verb: string, subresource: string): Promise<boolean> {
    const key = JSON.stringify([user.username, user.uid, user.groups, user.extra, verb, subresource]);
    const cached = this.decisions.get(key);
    if (cached !== undefined) return cached;
    return this.deciding.run(key, () => this.reviewAccess(key, user, verb, subresource));
  }

  private async reviewAccess(key: string, user: UserInfo, verb: string, subresource: string): Promise<boolean> {
    const review = (await this.post('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: user.username, uid: user.uid, groups: user.groups, extra: user.extra, resourceAttributes: { verb, resource: 'nodes', subresource, name: this.nodeName, version: 'v1' } },
    })) as { status?: { allowed?: boolean } };
    const allowed = review.status?.allowed === true;
    this.decisions.set(key, allowed, allowed ? AUTHORIZED_TTL_MS : UNAUTHORIZED_TTL_MS);
    return allowed;
  }
}
