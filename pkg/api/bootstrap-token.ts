// Bootstrap tokens (k8s.io/cluster-bootstrap, as kubeadm join uses them): a bearer token
// `<id>.<secret>` whose Secret `bootstrap-token-<id>` of type bootstrap.kubernetes.io/token lives
// in kube-system. Shared by the apiserver's authenticator and the controller manager's token
// cleaner: the Secret's keys, the token's form, its expiry and its extra groups, read as
// cluster-bootstrap's util/secrets and util/tokens read them.
import type { KubeObject } from './types.js';

export const BOOTSTRAP_TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export const BOOTSTRAP_TOKEN_SECRET_PREFIX = 'bootstrap-token-';
export const BOOTSTRAP_TOKEN_ID_KEY = 'token-id';
export const BOOTSTRAP_TOKEN_SECRET_KEY = 'token-secret';
export const BOOTSTRAP_TOKEN_EXPIRATION_KEY = 'expiration';
export const BOOTSTRAP_TOKEN_EXTRA_GROUPS_KEY = 'auth-extra-groups';
export const BOOTSTRAP_TOKEN_USAGE_AUTHENTICATION = 'usage-bootstrap-authentication';
export const BOOTSTRAP_USER_PREFIX = 'system:bootstrap:';
export const BOOTSTRAP_DEFAULT_GROUP = 'system:bootstrappers';
/** The patterns as cluster-bootstrap spells them (Go's \A and \z), for the messages that quote them. */
export const BOOTSTRAP_TOKEN_PATTERN = '\\A([a-z0-9]{6})\\.([a-z0-9]{16})\\z';
export const BOOTSTRAP_GROUP_PATTERN = '\\Asystem:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]\\z';

const TOKEN_RE = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const GROUP_RE = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;

export type SecretLike = Pick<KubeObject, 'metadata'> & { type?: string; data?: Record<string, string> | null };

/** tokens.ParseToken: the id and secret of a token of the form `<id>.<secret>`, else undefined. */
export function parseBootstrapToken(token: string): { id: string; secret: string } | undefined {
  const m = TOKEN_RE.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

/** secrets.GetData: the decoded value of `key` in the Secret's data, "" when absent. */
export function secretData(secret: SecretLike, key: string): string {
  const v = secret.data?.[key];
  return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : '';
}

/**
 * Go's time.Parse(time.RFC3339, s) in ms since the epoch, or undefined when it cannot parse it
 * (a fraction of a second is accepted after the seconds, as Go accepts one).
 */
export function parseRFC3339(s: string): number | undefined {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|([+-])(\d\d):(\d\d))$/.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac = '', , sign, oh, om] = m;
  if (Number(mo) < 1 || Number(mo) > 12 || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59 || Number(oh ?? 0) > 23 || Number(om ?? 0) > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  if (date.getUTCDate() !== Number(d)) return undefined; // (Go: "day out of range")
  const offset = sign ? (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60) * 1000 : 0;
  return date.getTime() + ((Number(h) * 60 + Number(mi)) * 60 + Number(sec)) * 1000 + Math.floor(Number(`0${frac || '.0'}`) * 1000) - offset;
}

/**
 * secrets.GetExpiration: how long until the token expires (0 when it names no expiration) and
 * whether it already has; an expiration that does not parse counts as expired. `log` hears
 * the V(3) lines Kubernetes writes for both.
 */
export function bootstrapTokenExpiration(secret: SecretLike, now: number, log?: (msg: string) => void): { remainingMs: number; expired: boolean } {
  const expiration = secretData(secret, BOOTSTRAP_TOKEN_EXPIRATION_KEY);
  if (!expiration) return { remainingMs: 0, expired: false };
  const at = parseRFC3339(expiration);
  const where = `${secret.metadata?.namespace ?? ''}/${secret.metadata?.name ?? ''}`;
  if (at === undefined) {
    log?.(`Unparseable expiration time (${expiration}) in ${where} Secret: cannot parse ${JSON.stringify(expiration)} as RFC 3339. Treating as expired.`);
    return { remainingMs: 0, expired: true };
  }
  const remainingMs = at - now;
  if (remainingMs <= 0) {
    log?.(`Expired bootstrap token in ${where} Secret: ${expiration}`);
    return { remainingMs: 0, expired: true };
  }
  return { remainingMs, expired: false };
}

/**
 * secrets.GetGroups: system:bootstrappers and the Secret's auth-extra-groups, deduplicated and
 * sorted; an error naming the first extra group that is not system:bootstrappers:<something>.
 */
export function bootstrapTokenGroups(secret: SecretLike): { groups: string[] } | { error: string } {
  const groups = new Set([BOOTSTRAP_DEFAULT_GROUP]);
  const extra = secretData(secret, BOOTSTRAP_TOKEN_EXTRA_GROUPS_KEY);
  if (extra) {
    for (const g of extra.split(',')) {
      if (!GROUP_RE.test(g)) return { error: `bootstrap group ${JSON.stringify(g)} is invalid (must match ${BOOTSTRAP_GROUP_PATTERN})` };
      groups.add(g);
    }
  }
  // (Go's sets.String.List sorts by bytes, as JavaScript's default sort of ASCII strings does)
  return { groups: [...groups].sort() };
}

export const BOOTSTRAP_TOKEN_USAGE_SIGNING = 'usage-bootstrap-signing';

/** secrets.ParseName: the token id of a Secret named bootstrap-token-<id>, else undefined. */
export function bootstrapTokenSecretId(name: string): string | undefined {
  return /^bootstrap-token-([a-z0-9]{6})$/.exec(name)?.[1];
}
