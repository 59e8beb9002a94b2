// The bootstrap token authenticator (kube-apiserver's --enable-bootstrap-token-auth, Kubernetes'
// plugin/pkg/auth/authenticator/token/bootstrap): a bearer token `<id>.<secret>` whose Secret
// kube-system/bootstrap-token-<id> is of type bootstrap.kubernetes.io/token, holds that id and
// secret, has not expired and is marked usage-bootstrap-authentication=true authenticates as
// system:bootstrap:<id> in system:bootstrappers and the Secret's auth-extra-groups: the
// identity kubeadm join asks for its node's client certificate with. A token it does not match is
// no error, only not this authenticator's: the others may still know it. Each refusal of a
// Secret that matched the token's form is logged at debug level in Kubernetes' V(3) words.
import { timingSafeEqual } from 'node:crypto';
import {
  BOOTSTRAP_TOKEN_EXTRA_GROUPS_KEY,
  BOOTSTRAP_TOKEN_ID_KEY,
  BOOTSTRAP_TOKEN_SECRET_KEY,
  BOOTSTRAP_TOKEN_SECRET_PREFIX,
  BOOTSTRAP_TOKEN_SECRET_TYPE,
  BOOTSTRAP_TOKEN_USAGE_AUTHENTICATION,
  BOOTSTRAP_USER_PREFIX,
  bootstrapTokenExpiration,
  bootstrapTokenGroups,
  parseBootstrapToken,
  secretData,
  type SecretLike,
} from '../api/bootstrap-token.js';
import type { UserInfo } from './registry/store.js';
import { logger } from '../util/log.js';

const log = logger('bootstrap-token-auth');

/** A Secret of kube-system by name, undefined when there is none (the authenticator's lister). */
export type KubeSystemSecrets = (name: string) => Promise<SecretLike | undefined>;

/** subtle.ConstantTimeCompare: equal lengths and bytes, in time that does not depend on where they differ. */
function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class BootstrapTokenAuthenticator {
  constructor(
    private readonly secrets: KubeSystemSecrets,
    private readonly now: () => number = Date.now,
    private readonly debug: (msg: string) => void = (msg) => log.debug(msg),
  ) {}

  /** AuthenticateToken: the token's user, or undefined when the token is not a good bootstrap token. */
  async authenticate(token: string): Promise<UserInfo | undefined> {
    const parsed = parseBootstrapToken(token);
    if (!parsed) return undefined;
    const name = BOOTSTRAP_TOKEN_SECRET_PREFIX + parsed.id;
    const secret = await this.secrets(name);
    if (!secret) {
      this.debug(`No secret of name ${name} to match bootstrap bearer token`);
      return undefined;
    }
    const refuse = (why: string) => void this.debug(`Bootstrap secret ${secret.metadata?.namespace ?? ''}/${secret.metadata?.name ?? ''} matching bearer token ${why}`);
    if (secret.metadata?.deletionTimestamp) return refuse('is deleted and awaiting removal');
    if (secret.type !== BOOTSTRAP_TOKEN_SECRET_TYPE || !secret.data) return refuse(`has invalid type, expected ${BOOTSTRAP_TOKEN_SECRET_TYPE}.`);
    if (!constantTimeEqual(secretData(secret, BOOTSTRAP_TOKEN_SECRET_KEY), parsed.secret)) return refuse(`has invalid value for key ${BOOTSTRAP_TOKEN_SECRET_KEY}, expected ${parsed.secret}.`);
    const id = secretData(secret, BOOTSTRAP_TOKEN_ID_KEY);
    if (id !== parsed.id) return refuse(`has invalid value for key ${BOOTSTRAP_TOKEN_ID_KEY}, expected ${parsed.id}.`);
    if (bootstrapTokenExpiration(secret, this.now(), this.debug).expired) return undefined;
    if (secretData(secret, BOOTSTRAP_TOKEN_USAGE_AUTHENTICATION) !== 'true') return refuse(`not marked ${BOOTSTRAP_TOKEN_USAGE_AUTHENTICATION}=true.`);
    const groups = bootstrapTokenGroups(secret);
    if ('error' in groups) return refuse(`has invalid value for key ${BOOTSTRAP_TOKEN_EXTRA_GROUPS_KEY}: ${groups.error}.`);
    return { name: BOOTSTRAP_USER_PREFIX + id, groups: groups.groups };
  }
}
