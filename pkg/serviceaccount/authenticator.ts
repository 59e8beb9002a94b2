// The service account token authenticator (Kubernetes' JWT token authenticator with its bound
// and legacy validators): the signature must verify with one of the service account keys, the
// issuer must be one this apiserver accepts, the times and the audience must hold, and the
// objects the token names must still exist with the uids it names: the ServiceAccount always,
// the Pod or Secret a bound token is bound to, the Secret a legacy token lives in (holding that
// very token).
import type { KeyObject } from 'node:crypto';
import type { KubeObject } from '../api/types.js';
import { LEEWAY_SECONDS, LEGACY_CLAIMS, LEGACY_ISSUER, makeUsername, serviceAccountGroups, splitUsername, type KubernetesClaim } from './claims.js';
import { JwtError, unverifiedClaims, verifyJwt, type JwtClaims } from './jwt.js';

/** Reads the objects tokens refer to (the apiserver's watch caches, then etcd); undefined when absent. */
export interface ServiceAccountTokenGetter {
  serviceAccount(namespace: string, name: string): Promise<KubeObject | undefined>;
  pod(namespace: string, name: string): Promise<KubeObject | undefined>;
  secret(namespace: string, name: string): Promise<KubeObject | undefined>;
  node?(name: string): Promise<KubeObject | undefined>;
  /** Sets the legacy-token-last-used label of a Secret (its uid as a precondition). */
  markLegacyTokenUsed?(namespace: string, name: string, uid: string, day: string): Promise<void>;
}

/** The label the apiserver keeps on a legacy token Secret: the day (UTC) its token was last used (LegacyServiceAccountTokenTracking, GA). */
export const LEGACY_TOKEN_LAST_USED_LABEL = 'kubernetes.io/legacy-token-last-used';

/** A service account user: system:serviceaccount:NS:NAME with the SA's uid. */
export interface ServiceAccountUser {
  name: string;
  uid: string;
  groups: string[];
  extra: Record<string, string[]>;
}

export type AuthenticationResult = { user: ServiceAccountUser } | { error: string };

export interface AuthenticatorOptions {
  /** Issuers of bound tokens this apiserver accepts (--service-account-issuer). */
  issuers: string[];
  /** The API's audiences: a bound token must name one of them. */
  audiences: string[];
  /** Public keys that verify signatures. */
  keys: KeyObject[];
  getter: ServiceAccountTokenGetter;
  /** The clock, in milliseconds (tests move it). */
  now?: () => number;
}

/** user.Info extra keys Kubernetes sets for service account tokens. */
export const EXTRA = {
  podName: 'authentication.kubernetes.io/pod-name',
  podUID: 'authentication.kubernetes.io/pod-uid',
  nodeName: 'authentication.kubernetes.io/node-name',
  nodeUID: 'authentication.kubernetes.io/node-uid',
  credentialID: 'authentication.kubernetes.io/credential-id',
} as const;

const deletedBefore = (obj: KubeObject, limitMs: number) => {
  const ts = obj.metadata?.deletionTimestamp;
  return !!ts && Date.parse(ts) < limitMs;
};

const str = (v: unknown) => (typeof v === 'string' ? v : '');

const tokenAudiences = (claims: JwtClaims): string[] => (claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud.map(String) : [String(claims.aud)]);

export class ServiceAccountTokenAuthenticator {
  private readonly now: () => number;

  constructor(private readonly o: AuthenticatorOptions) {
    this.now = o.now ?? Date.now;
  }

  /**
   * The user of a service account token; `{ error }` for a token of ours that is not valid
   * (the request then gets 401); undefined for a token that is not one of ours (another
   * authenticator may know it).
   */
  async authenticate(token: string, audiences: string[] = this.o.audiences): Promise<AuthenticationResult | undefined> {
    const unverified = unverifiedClaims(token);
    if (!unverified) return undefined;
    const legacy = unverified.iss === LEGACY_ISSUER;
    if (!legacy && !this.o.issuers.includes(str(unverified.iss))) return undefined;
    let claims: JwtClaims;
    try {
      claims = verifyJwt(token, this.o.keys).claims;
    } catch (e) {
      if (e instanceof JwtError) return { error: e.message };
      throw e;
    }
    const aud = this.checkAudience(claims, audiences);
    if (aud) return { error: aud };
    return legacy ? this.validateLegacy(token, claims) : this.validateBound(claims);
  }

  /** A token without an audience counts for the API's own; otherwise one must be among `targets` (the API's, or a TokenReview's). */
  private checkAudience(claims: JwtClaims, targets: string[]): string | undefined {
    const auds = tokenAudiences(claims);
    if (!auds.length || auds.some((a) => targets.includes(a))) return undefined;
    return `token audiences ${JSON.stringify(auds)} is invalid for the target audiences ${JSON.stringify(targets)}`;
  }

  /** The audiences a valid token is good for among `targets` (TokenReview status.audiences). */
  audiencesOf(token: string, targets: string[] = this.o.audiences): string[] {
    const claims = unverifiedClaims(token);
    const auds = claims ? tokenAudiences(claims) : [];
    return auds.length ? targets.filter((t) => auds.includes(t)) : targets.filter((t) => this.o.audiences.includes(t));
  }

  private async validateBound(claims: JwtClaims): Promise<AuthenticationResult> {
    const now = this.now() / 1000;
    if (typeof claims.exp === 'number' && now - LEEWAY_SECONDS > claims.exp) return { error: 'service account token has expired' };
    if (typeof claims.nbf === 'number' && now + LEEWAY_SECONDS < claims.nbf) return { error: 'service account token is not valid yet' };
    if (typeof claims.iat === 'number' && now + LEEWAY_SECONDS < claims.iat) return { error: 'service account token is issued in the future' };
    const k = claims['kubernetes.io'] as KubernetesClaim | undefined;
    if (!k || typeof k !== 'object' || !k.namespace || !k.serviceaccount?.name) return { error: 'service account token claims could not be validated' };
    const ns = k.namespace;
    // Objects deleted before now - leeway no longer vouch for the token.
    const invalidIfDeletedBefore = this.now() - LEEWAY_SECONDS * 1000;
    const sa = await this.o.getter.serviceAccount(ns, k.serviceaccount.name);
    if (!sa) return { error: `serviceaccounts "${k.serviceaccount.name}" not found` };
    if (sa.metadata?.uid !== k.serviceaccount.uid) return { error: `service account UID (${sa.metadata?.uid}) does not match claim (${k.serviceaccount.uid})` };
    if (deletedBefore(sa, invalidIfDeletedBefore)) return { error: `service account ${ns}/${k.serviceaccount.name} has been deleted` };
    if (k.secret) {
      const secret = await this.o.getter.secret(ns, k.secret.name);
      if (!secret) return { error: 'service account token has been invalidated' };
      if (secret.metadata?.uid !== k.secret.uid) return { error: `secret UID (${secret.metadata?.uid}) does not match service account secret ref claim (${k.secret.uid})` };
      if (deletedBefore(secret, invalidIfDeletedBefore)) return { error: 'service account token has been invalidated' };
    }
    const extra: Record<string, string[]> = {};
    if (k.pod) {
      const pod = await this.o.getter.pod(ns, k.pod.name);
      if (!pod) return { error: 'service account token has been invalidated' };
      if (pod.metadata?.uid !== k.pod.uid) return { error: `pod UID (${pod.metadata?.uid}) does not match service account pod ref claim (${k.pod.uid})` };
      if (deletedBefore(pod, invalidIfDeletedBefore)) return { error: 'service account token has been invalidated' };
      extra[EXTRA.podName] = [k.pod.name];
      extra[EXTRA.podUID] = [k.pod.uid];
      if (k.node) {
        extra[EXTRA.nodeName] = [k.node.name];
        if (k.node.uid) extra[EXTRA.nodeUID] = [k.node.uid];
      }
    } else if (k.node) {
      // A token bound to a Node lives as long as that Node (ServiceAccountTokenNodeBindingValidation).
      const node = await this.o.getter.node?.(k.node.name);
      if (!node || (k.node.uid && node.metadata?.uid !== k.node.uid) || deletedBefore(node, invalidIfDeletedBefore)) return { error: 'service account token has been invalidated' };
      extra[EXTRA.nodeName] = [k.node.name];
      extra[EXTRA.nodeUID] = [node.metadata!.uid!];
    }
    if (typeof claims.jti === 'string' && claims.jti) extra[EXTRA.credentialID] = [`JTI=${claims.jti}`];
    return { user: { name: makeUsername(ns, k.serviceaccount.name), uid: k.serviceaccount.uid, groups: serviceAccountGroups(ns), extra } };
  }

  private async validateLegacy(token: string, claims: JwtClaims): Promise<AuthenticationResult> {
    const ns = str(claims[LEGACY_CLAIMS.namespace]);
    const secretName = str(claims[LEGACY_CLAIMS.secretName]);
    const saName = str(claims[LEGACY_CLAIMS.serviceAccountName]);
    const saUID = str(claims[LEGACY_CLAIMS.serviceAccountUID]);
    if (!claims.sub) return { error: 'sub claim is missing' };
    if (!ns) return { error: 'namespace claim is missing' };
    if (!secretName) return { error: 'secretName claim is missing' };
    if (!saName) return { error: 'serviceAccountName claim is missing' };
    if (!saUID) return { error: 'serviceAccountUID claim is missing' };
    const subject = splitUsername(claims.sub);
    if (!subject || subject[0] !== ns || subject[1] !== saName) return { error: 'sub claim is invalid' };
    // The token is valid only while its Secret holds it.
    const secret = await this.o.getter.secret(ns, secretName);
    if (!secret || secret.metadata?.deletionTimestamp) return { error: 'Token has been invalidated' };
    const stored = ((secret.data ?? {}) as Record<string, string>).token;
    if (!stored || Buffer.from(stored, 'base64').toString('utf8') !== token) return { error: "Token does not match server's copy" };
    const sa = await this.o.getter.serviceAccount(ns, saName);
    if (!sa) return { error: `serviceaccounts "${saName}" not found` };
    if (sa.metadata?.deletionTimestamp) return { error: `ServiceAccount ${ns}/${saName} has been deleted` };
    if (sa.metadata?.uid !== saUID) return { error: `ServiceAccount UID (${sa.metadata?.uid}) does not match claim (${saUID})` };
    // The Secret says the day its token was last used (today or, across midnight, tomorrow is left as it is).
    const now = Date.now();
    const [today, tomorrow] = [now, now + 86_400_000].map((t) => new Date(t).toISOString().slice(0, 10));
    const lastUsed = secret.metadata?.labels?.[LEGACY_TOKEN_LAST_USED_LABEL];
    if (lastUsed !== today && lastUsed !== tomorrow && this.o.getter.markLegacyTokenUsed) {
      void this.o.getter.markLegacyTokenUsed(ns, secretName, secret.metadata!.uid!, today!).catch(() => {});
    }
    return { user: { name: makeUsername(ns, saName), uid: saUID, groups: serviceAccountGroups(ns), extra: {} } };
  }
}
