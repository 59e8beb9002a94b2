// The claims of service account tokens, as Kubernetes writes them (pkg/serviceaccount): bound
// tokens (TokenRequest) carry a `kubernetes.io` claim naming the namespace, the service account
// and the object the token is bound to; legacy tokens (kubernetes.io/service-account-token
// Secrets) carry four flat `kubernetes.io/serviceaccount/...` claims and never expire.
import { randomUUID } from 'node:crypto';
import type { JwtClaims } from './jwt.js';

/** kubeadm's default --service-account-issuer; also the default API audience. */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** The issuer of legacy Secret-based tokens. */
export const LEGACY_ISSUER = 'kubernetes/serviceaccount';
/**
 * The lifetime the ServiceAccount admission plugin asks for (one hour and 7 s): a pod-bound
 * token requested with it is made valid for a year, with a `warnafter` claim at the hour, so
 * that clients which never reload their token keep working (--service-account-extend-token-expiration).
 */
export const WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 3607;
export const EXPIRATION_EXTENSION_SECONDS = 365 * 24 * 3600;
/** Clock skew allowed on exp, nbf and iat, and how long after its deletion a bound object still counts (go-jose's DefaultLeeway). */
export const LEEWAY_SECONDS = 60;

/** The ConfigMap of the cluster CA in every namespace (root CA publisher), projected into every pod's token volume. */
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';

export const SERVICE_ACCOUNT_USER_PREFIX = 'system:serviceaccount:';
export const ALL_SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';

export const makeUsername = (namespace: string, name: string) => `${SERVICE_ACCOUNT_USER_PREFIX}${namespace}:${name}`;

/** `system:serviceaccount:NS:NAME` → [NS, NAME]; undefined for any other user name. */
export function splitUsername(user: string): [string, string] | undefined {
  if (!user.startsWith(SERVICE_ACCOUNT_USER_PREFIX)) return undefined;
  const parts = user.slice(SERVICE_ACCOUNT_USER_PREFIX.length).split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return [parts[0], parts[1]];
}

/** The groups of a service account user (system:authenticated is added by the apiserver, as for every user). */
export const serviceAccountGroups = (namespace: string) => [ALL_SERVICE_ACCOUNTS_GROUP, `${ALL_SERVICE_ACCOUNTS_GROUP}:${namespace}`];

export interface ObjectRef {
  name: string;
  uid: string;
}

/** The `kubernetes.io` private claim of a bound token. */
export interface KubernetesClaim {
  namespace: string;
  serviceaccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
  /** After this time (seconds since the epoch) the token is stale, though still accepted until exp. */
  warnafter?: number;
}

export interface BoundTokenOptions {
  issuer: string;
  serviceAccount: { namespace: string; name: string; uid: string };
  /** The object the token is bound to: a pod (and the node it runs on), a secret or a node. */
  pod?: ObjectRef;
  node?: ObjectRef;
  secret?: ObjectRef;
  audiences: string[];
  /** Seconds the token is valid for. */
  expirationSeconds: number;
  /** Seconds after which the token is stale (an extended token's requested lifetime). */
  warnAfterSeconds?: number;
  /** Now, in milliseconds since the epoch. */
  now: number;
}

/** The claims of a bound token (serviceaccount.Claims). */
export function boundClaims(o: BoundTokenOptions): JwtClaims {
  const now = Math.floor(o.now / 1000);
  const k8s: KubernetesClaim = {
    namespace: o.serviceAccount.namespace,
    serviceaccount: { name: o.serviceAccount.name, uid: o.serviceAccount.uid },
  };
  if (o.pod) {
    k8s.pod = o.pod;
    if (o.node) k8s.node = o.node;
  } else if (o.secret) k8s.secret = o.secret;
  else if (o.node) k8s.node = o.node;
  if (o.warnAfterSeconds) k8s.warnafter = now + o.warnAfterSeconds;
  return {
    aud: o.audiences,
    exp: now + o.expirationSeconds,
    iat: now,
    iss: o.issuer,
    jti: randomUUID(),
    'kubernetes.io': k8s,
    nbf: now,
    sub: makeUsername(o.serviceAccount.namespace, o.serviceAccount.name),
  };
}

/** The claim names of legacy tokens. */
export const LEGACY_CLAIMS = {
  namespace: 'kubernetes.io/serviceaccount/namespace',
  secretName: 'kubernetes.io/serviceaccount/secret.name',
  serviceAccountName: 'kubernetes.io/serviceaccount/service-account.name',
  serviceAccountUID: 'kubernetes.io/serviceaccount/service-account.uid',
} as const;

/** The claims of a legacy token for the service account, stored in the Secret `secretName` (serviceaccount.LegacyClaims). */
export function legacyClaims(sa: { namespace: string; name: string; uid: string }, secretName: string): JwtClaims {
  return {
    iss: LEGACY_ISSUER,
    [LEGACY_CLAIMS.namespace]: sa.namespace,
    [LEGACY_CLAIMS.secretName]: secretName,
    [LEGACY_CLAIMS.serviceAccountName]: sa.name,
    [LEGACY_CLAIMS.serviceAccountUID]: sa.uid,
    sub: makeUsername(sa.namespace, sa.name),
  };
}
