// authentication.k8s.io/v1 TokenReview: "whose token is this?", answered by the apiserver's own
// authenticators and never stored, as webhook servers and proxies with delegated authentication
// (kube-rbac-proxy, metrics-server) ask it. spec.audiences, when given, replace the API's own:
// a service account token must name one of them; a static token knows no audience and counts
// only for the API's audiences (Kubernetes' audience-agnostic wrapper).
import type { KubeObject } from '../api/types.js';
import { AUTHENTICATED_GROUP } from './impersonation.js';
import * as errors from './errors.js';
import type { UserInfo } from './registry/store.js';
import type { ServiceAccountTokenAuthenticator } from '../serviceaccount/authenticator.js';
import { looksLikeJwt } from '../serviceaccount/jwt.js';

export interface TokenReviewResult {
  user?: UserInfo;
  /** The requested audiences the token is good for. */
  audiences?: string[];
  /** Why a token one of the authenticators knows was refused. */
  error?: string;
}

export interface TokenAuthenticators {
  /** The API's audiences (--api-audiences, or the first issuer). */
  apiAudiences: string[];
  serviceAccounts?: ServiceAccountTokenAuthenticator;
  /** The token file's users. */
  staticToken(token: string): UserInfo | undefined;
  /** Bootstrap tokens, when --enable-bootstrap-token-auth is on. */
  bootstrapToken?: (token: string) => Promise<UserInfo | undefined>;
}

export type TokenReviewer = (token: string, audiences: string[]) => Promise<TokenReviewResult>;

export function tokenReviewer(a: TokenAuthenticators): TokenReviewer {
  return async (token, requested) => {
    const auds = requested.length ? requested : a.apiAudiences;
    if (looksLikeJwt(token) && a.serviceAccounts) {
      const res = await a.serviceAccounts.authenticate(token, auds);
      if (res && 'user' in res) return { user: res.user, audiences: a.serviceAccounts.audiencesOf(token, auds) };
      if (res) return { error: res.error };
    }
    // (bootstrap tokens know no audience either: Kubernetes wraps both audience-agnostic)
    const user = a.staticToken(token) ?? (await a.bootstrapToken?.(token));
    if (!user) return {};
    const implicit = auds.filter((x) => a.apiAudiences.includes(x));
    if (!implicit.length) return { error: `token audiences ${JSON.stringify(a.apiAudiences)} is invalid for the target audiences ${JSON.stringify(auds)}` };
    return { user, audiences: implicit };
  };
}

/** Answers a TokenReview: the request with its status filled in. */
export async function answerTokenReview(body: unknown, review: TokenReviewer): Promise<KubeObject> {
  const tr = (body ?? {}) as { spec?: { token?: string; audiences?: string[] } };
  const spec = tr.spec ?? {};
  if (!spec.token) throw errors.badRequest('token is required for TokenReview in authentication');
  const r = await review(spec.token, spec.audiences ?? []);
  const status: Record<string, unknown> = { authenticated: !!r.user, user: {} };
  if (r.user) {
    const groups = r.user.groups.includes(AUTHENTICATED_GROUP) ? r.user.groups : [...r.user.groups, AUTHENTICATED_GROUP];
    status.user = { username: r.user.name, ...(r.user.uid ? { uid: r.user.uid } : {}), groups, ...(r.user.extra && Object.keys(r.user.extra).length ? { extra: r.user.extra } : {}) };
    if (r.audiences?.length) status.audiences = r.audiences;
  }
  if (r.error) status.error = r.error;
  return { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: { creationTimestamp: null } as never, spec: spec as never, status: status as never };
}
