// The token controller (kube-controller-manager's serviceaccount-token controller) for legacy
// tokens: a Secret of type kubernetes.io/service-account-token whose annotation
// kubernetes.io/service-account.name names an existing ServiceAccount gets its `token` (a JWT
// that never expires, signed with the service account key), `ca.crt` and `namespace`, and the
// account's uid in kubernetes.io/service-account.uid; such a Secret whose account is gone (or
// was replaced: another uid) is deleted, and so are an account's token Secrets when the account
// is deleted. A deleted token Secret is dropped from its account's `secrets`.
import type { KeyObject } from 'node:crypto';
import type { KubeObject, Secret, ServiceAccount } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { Informer } from '../client/informer.js';
import { core, isNotFound, ServiceAccounts, StatusError } from '../client/rest-client.js';
import { legacyClaims } from '../serviceaccount/claims.js';
import { signJwt } from '../serviceaccount/jwt.js';
import { logger } from '../util/log.js';
import { WorkQueue } from './work-queue.js';

const log = logger('serviceaccount-token-controller');

export const SERVICE_ACCOUNT_TOKEN_TYPE = 'kubernetes.io/service-account-token';
export const SERVICE_ACCOUNT_NAME_KEY = 'kubernetes.io/service-account.name';
export const SERVICE_ACCOUNT_UID_KEY = 'kubernetes.io/service-account.uid';

const Secrets = core('secrets');

type SA = ServiceAccount & KubeObject;
type S = Secret & KubeObject;

const b64 = (s: string) => Buffer.from(s).toString('base64');
const decoded = (v: string | undefined) => (v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8'));

/** What a token Secret lacks: the CA (when one is configured), the namespace, the token. */
export function tokenSecretNeeds(secret: S, rootCA: string | undefined): { ca: boolean; namespace: boolean; token: boolean } {
  const data = secret.data ?? {};
  return { ca: !!rootCA && decoded(data['ca.crt']) !== rootCA, namespace: !data.namespace, token: !data.token };
}

/** The account a token Secret names: name, and uid when it was filled in already. */
const accountOf = (s: S) => ({ name: s.metadata?.annotations?.[SERVICE_ACCOUNT_NAME_KEY] ?? '', uid: s.metadata?.annotations?.[SERVICE_ACCOUNT_UID_KEY] ?? '' });

/** Queue keys: `secret|NS/NAME`, `deleted-secret|NS/NAME|SA|SAUID`, `deleted-sa|NS/NAME|UID`. */
export class TokensController {
  readonly queue: WorkQueue;

  constructor(
    private readonly client: ApiClient,
    private readonly informers: { serviceaccounts: Informer<SA>; secrets: Informer<S> },
    private readonly signingKey: KeyObject,
    private readonly rootCA: string | undefined,
  ) {
    this.queue = new WorkQueue('serviceaccount-tokens', (key) => this.sync(key));
    const isToken = (s: S) => s.type === SERVICE_ACCOUNT_TOKEN_TYPE;
    informers.secrets.on({
      add: (s) => isToken(s) && this.queue.add(`secret|${s.metadata!.namespace}/${s.metadata!.name}`),
      update: (s) => isToken(s) && this.queue.add(`secret|${s.metadata!.namespace}/${s.metadata!.name}`),
      delete: (s) => {
        if (!isToken(s)) return;
        const a = accountOf(s);
        this.queue.add(`deleted-secret|${s.metadata!.namespace}/${s.metadata!.name}|${a.name}|${a.uid}`);
      },
    });
    informers.serviceaccounts.on({ delete: (sa) => this.queue.add(`deleted-sa|${sa.metadata!.namespace}/${sa.metadata!.name}|${sa.metadata!.uid}`) });
  }

  start(): void {
    for (const s of this.informers.secrets.list()) if (s.type === SERVICE_ACCOUNT_TOKEN_TYPE) this.queue.add(`secret|${s.metadata!.namespace}/${s.metadata!.name}`);
  }

  stop(): void {
    this.queue.stop();
  }

  async sync(key: string): Promise<void> {
    const [kind, ref, ...rest] = key.split('|') as [string, string, ...string[]];
    const [ns, name] = ref.split('/') as [string, string];
    if (kind === 'secret') return this.syncSecret(ns, name);
    if (kind === 'deleted-secret') return this.removeSecretReference(ns, name, rest[0]!, rest[1]!);
    if (kind === 'deleted-sa') return this.deleteTokens(ns, name, rest[0]!);
  }

  /**
   * The account named `name` (and `uid`, when given): from the informer, or with a live read
   * when the informer does not have it (it may be brand new).
   */
  private async account(ns: string, name: string, uid: string): Promise<SA | undefined> {
    let sa = this.informers.serviceaccounts.get(`${ns}/${name}`);
    if (!sa) sa = await this.client.get<SA>(ServiceAccounts, ns, name).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
    if (!sa || (uid && sa.metadata?.uid !== uid)) return undefined;
    return sa;
  }

  private async syncSecret(ns: string, name: string): Promise<void> {
    const cached = this.informers.secrets.get(`${ns}/${name}`);
    if (!cached || cached.type !== SERVICE_ACCOUNT_TOKEN_TYPE) return;
    const a = accountOf(cached);
    const sa = await this.account(ns, a.name, a.uid);
    if (!sa) {
      log.info('deleting token secret of a service account that is gone', { secret: `${ns}/${name}`, serviceAccount: a.name });
      await this.client.delete(Secrets, ns, name, { preconditions: { uid: cached.metadata!.uid } }).catch((e) => {
        if (!isNotFound(e) && !(e instanceof StatusError && e.code === 409)) throw e;
      });
      return;
    }
    const need = tokenSecretNeeds(cached, this.rootCA);
    if (!need.ca && !need.namespace && !need.token) return;
    // From the live copy: an update on it fails with 409 (and comes back) if it changed meanwhile.
    const live = await this.client.get<S>(Secrets, ns, name).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
    if (!live || live.metadata?.uid !== cached.metadata?.uid) return;
    const now = tokenSecretNeeds(live, this.rootCA);
    const data = (live.data ??= {});
    if (now.ca) data['ca.crt'] = b64(this.rootCA!);
    if (now.namespace) data.namespace = b64(ns);
    if (now.token) data.token = b64(signJwt(legacyClaims({ namespace: ns, name: sa.metadata!.name!, uid: sa.metadata!.uid! }, name), this.signingKey));
    if (!now.ca && !now.namespace && !now.token) return;
    const annotations = (live.metadata!.annotations ??= {});
    annotations[SERVICE_ACCOUNT_NAME_KEY] = sa.metadata!.name!;
    annotations[SERVICE_ACCOUNT_UID_KEY] = sa.metadata!.uid!;
    await this.client.update(Secrets, ns, name, live);
    log.info('filled in a service account token secret', { secret: `${ns}/${name}`, serviceAccount: sa.metadata!.name, token: now.token });
  }

  /** A token Secret went: its account (if it is still the same one) no longer lists it. */
  private async removeSecretReference(ns: string, secretName: string, saName: string, saUID: string): Promise<void> {
    if (!saName) return;
    const sa = await this.account(ns, saName, saUID);
    if (!sa?.secrets?.some((r) => r.name === secretName)) return;
    const next = structuredClone(sa);
    next.secrets = next.secrets!.filter((r) => r.name !== secretName);
    await this.client.update(ServiceAccounts, ns, saName, next).catch((e) => {
      if (!isNotFound(e)) throw e;
    });
  }

  /** An account went: its token Secrets go (unless an account of the same name, another uid, has them). */
  private async deleteTokens(ns: string, saName: string, saUID: string): Promise<void> {
    const current = this.informers.serviceaccounts.get(`${ns}/${saName}`);
    if (current && current.metadata?.uid === saUID) return;
    for (const s of this.informers.secrets.list()) {
      if (s.metadata?.namespace !== ns || s.type !== SERVICE_ACCOUNT_TOKEN_TYPE) continue;
      const a = accountOf(s);
      if (a.name !== saName || (a.uid && a.uid !== saUID) || (!a.uid && current)) continue;
      log.info('deleting token secret of a deleted service account', { secret: `${ns}/${s.metadata.name}`, serviceAccount: saName });
      await this.client.delete(Secrets, ns, s.metadata.name!, { preconditions: { uid: s.metadata.uid } }).catch((e) => {
        if (!isNotFound(e) && !(e instanceof StatusError && e.code === 409)) throw e;
      });
    }
  }
}
