// The token cleaner (kube-controller-manager's "tokencleaner", pkg/controller/bootstrap/
// tokencleaner.go): a bootstrap token Secret (type bootstrap.kubernetes.io/token) of kube-system
// is deleted once its expiration has passed (or cannot be parsed), with a UID precondition so a
// Secret made again under the same name survives; one not yet expired is looked at again when it
// expires. As in 1.32 it is off unless the controller manager's --controllers names it (kubeadm
// runs it with --controllers=*,bootstrapsigner,tokencleaner).
import type { KubeObject } from '../api/types.js';
import { BOOTSTRAP_TOKEN_SECRET_TYPE, bootstrapTokenExpiration, type SecretLike } from '../api/bootstrap-token.js';
import type { ApiClient } from '../client/api-client.js';
import type { InformerHandlers } from '../client/informer.js';
import { core, StatusError } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { WorkQueue } from './work-queue.js';

const log = logger('tokencleaner');

const Secrets = core('secrets');

/** What the cleaner reads of the secrets informer. */
export interface SecretSource {
  on(h: InformerHandlers<KubeObject>): unknown;
  list(): KubeObject[];
  get(key: string): KubeObject | undefined;
}

export class TokenCleaner {
  readonly queue: WorkQueue;

  constructor(
    private readonly client: Pick<ApiClient, 'delete'>,
    private readonly secrets: SecretSource,
    private readonly opts: { namespace?: string; now?: () => number } = {},
  ) {
    this.queue = new WorkQueue('token_cleaner', (key) => this.sync(key));
  }

  private get namespace(): string {
    return this.opts.namespace ?? 'kube-system';
  }

  /** Secrets of the bootstrap token type in the token namespace are queued as they are added or change. */
  start(): void {
    const enqueue = (s: KubeObject) => {
      if ((s as SecretLike).type === BOOTSTRAP_TOKEN_SECRET_TYPE && s.metadata?.namespace === this.namespace) this.queue.add(`${s.metadata.namespace}/${s.metadata.name}`);
    };
    this.secrets.on({ add: enqueue, update: enqueue });
    for (const s of this.secrets.list()) enqueue(s);
    log.info('Starting controller', { controller: 'token-cleaner' });
  }

  stop(): void {
    this.queue.stop();
  }

  /** syncFunc and evalSecret. */
  private async sync(key: string): Promise<void> {
    const secret = this.secrets.get(key) as (KubeObject & SecretLike) | undefined;
    if (!secret) {
      log.debug('Secret has been deleted', { secret: key });
      return;
    }
    if (secret.type !== BOOTSTRAP_TOKEN_SECRET_TYPE) return;
    const { remainingMs, expired } = bootstrapTokenExpiration(secret, (this.opts.now ?? Date.now)(), (msg) => log.debug(msg));
    if (expired) {
      log.debug('Deleting expired secret', { secret: key });
      const uid = secret.metadata?.uid;
      try {
        await this.client.delete(Secrets, secret.metadata!.namespace, secret.metadata!.name!, uid ? { preconditions: { uid } } : {});
      } catch (e) {
        // (NotFound: already gone; Conflict: the UID precondition failed, a new Secret of that name)
        if (!(e instanceof StatusError && (e.code === 404 || e.code === 409))) log.debug('Error deleting secret', { err: e });
      }
    } else if (remainingMs > 0) {
      this.queue.addAfter(key, remainingMs);
    }
  }
}
