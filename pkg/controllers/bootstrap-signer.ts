// The bootstrap signer (kube-controller-manager's "bootstrapsigner", pkg/controller/bootstrap/
// bootstrapsigner.go): the kubeconfig of the kube-public/cluster-info ConfigMap, which a joining
// node reads anonymously (kubeadm join --discovery-token), carries a detached JWS
// `jws-kubeconfig-<token-id>` for every bootstrap token of kube-system that is marked
// usage-bootstrap-signing=true and has not expired, so the node can check it with its token
// before trusting the cluster CA in it; signatures of tokens gone are removed. Off unless
// --controllers names it, as in 1.32.
import type { ConfigMap, KubeObject } from '../api/types.js';
import {
  BOOTSTRAP_TOKEN_ID_KEY,
  BOOTSTRAP_TOKEN_SECRET_KEY,
  BOOTSTRAP_TOKEN_SECRET_TYPE,
  BOOTSTRAP_TOKEN_USAGE_SIGNING,
  bootstrapTokenExpiration,
  bootstrapTokenSecretId,
  secretData,
  type SecretLike,
} from '../api/bootstrap-token.js';
import { computeDetachedSignature } from '../api/jws.js';
import type { ApiClient } from '../client/api-client.js';
import { core } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import type { SecretSource } from './token-cleaner.js';
import { WorkQueue } from './work-queue.js';

const log = logger('bootstrapsigner');

const ConfigMaps = core('configmaps');
export const CLUSTER_INFO = 'cluster-info';
export const KUBECONFIG_KEY = 'kubeconfig';
export const JWS_PREFIX = 'jws-kubeconfig-';

/** validateSecretForSigning: the token of a Secret that may sign, with Kubernetes' V(3) lines for the ones that may not. */
export function signingToken(secret: SecretLike, now: number, debug: (msg: string) => void = () => {}): { id: string; secret: string } | undefined {
  const where = `${secret.metadata?.namespace ?? ''}/${secret.metadata?.name ?? ''}`;
  const nameId = bootstrapTokenSecretId(secret.metadata?.name ?? '');
  if (!nameId) return void debug(`Invalid secret name: ${secret.metadata?.name ?? ''}. Must be of form bootstrap-token-<secret-id>.`);
  const id = secretData(secret, BOOTSTRAP_TOKEN_ID_KEY);
  if (!id) return void debug(`No ${BOOTSTRAP_TOKEN_ID_KEY} key in ${where} Secret`);
  if (id !== nameId) return void debug(`Token ID (${id}) doesn't match secret name: ${nameId}`);
  const tokenSecret = secretData(secret, BOOTSTRAP_TOKEN_SECRET_KEY);
  if (!tokenSecret) return void debug(`No ${BOOTSTRAP_TOKEN_SECRET_KEY} key in ${where} Secret`);
  if (bootstrapTokenExpiration(secret, now, debug).expired) return undefined;
  if (secretData(secret, BOOTSTRAP_TOKEN_USAGE_SIGNING) !== 'true') return undefined;
  return { id, secret: tokenSecret };
}

/**
 * signConfigMap: the ConfigMap's data with every signing token's signature of its kubeconfig and
 * no other jws-kubeconfig- key, or undefined when nothing changes (or it has no kubeconfig).
 */
export function signedClusterInfo(cm: ConfigMap & KubeObject, tokens: { id: string; secret: string }[]): Record<string, string> | undefined {
  const content = cm.data?.[KUBECONFIG_KEY];
  if (content === undefined) return undefined;
  const data: Record<string, string> = {};
  const old = new Map<string, string>();
  for (const [k, v] of Object.entries(cm.data ?? {})) {
    if (k.startsWith(JWS_PREFIX)) old.set(k.slice(JWS_PREFIX.length), v);
    else data[k] = v;
  }
  let changed = false;
  for (const t of tokens) {
    const sig = computeDetachedSignature(content, t.id, t.secret);
    if (old.get(t.id) !== sig) changed = true;
    old.delete(t.id);
    data[JWS_PREFIX + t.id] = sig;
  }
  return changed || old.size ? data : undefined;
}

export class BootstrapSigner {
  readonly queue: WorkQueue;

  constructor(
    private readonly client: Pick<ApiClient, 'update'>,
    private readonly informers: { configmaps: SecretSource; secrets: SecretSource },
    private readonly opts: { now?: () => number; configMapNamespace?: string; tokenNamespace?: string } = {},
  ) {
    this.queue = new WorkQueue('bootstrap_signer_queue', () => this.sign(), { workers: 1 });
  }

  private get cmNamespace(): string {
    return this.opts.configMapNamespace ?? 'kube-public';
  }

  private get tokenNamespace(): string {
    return this.opts.tokenNamespace ?? 'kube-system';
  }

  start(): void {
    const cm = (c: KubeObject) => {
      if (c.metadata?.namespace === this.cmNamespace && c.metadata?.name === CLUSTER_INFO) this.queue.add('sign');
    };
    const secret = (s: KubeObject) => {
      if ((s as SecretLike).type === BOOTSTRAP_TOKEN_SECRET_TYPE && s.metadata?.namespace === this.tokenNamespace) this.queue.add('sign');
    };
    this.informers.configmaps.on({ add: cm, update: cm });
    this.informers.secrets.on({ add: secret, update: secret, delete: secret });
    this.queue.add('sign');
    log.info('Starting controller', { controller: 'bootstrap-signer' });
  }

  stop(): void {
    this.queue.stop();
  }

  private async sign(): Promise<void> {
    const cm = this.informers.configmaps.get(`${this.cmNamespace}/${CLUSTER_INFO}`) as (ConfigMap & KubeObject) | undefined;
    if (!cm) return;
    if (cm.data?.[KUBECONFIG_KEY] === undefined) return void log.debug(`No ${KUBECONFIG_KEY} key in ${this.cmNamespace}/${CLUSTER_INFO} ConfigMap`);
    const now = (this.opts.now ?? Date.now)();
    const tokens = this.informers.secrets
      .list()
      .filter((s) => s.metadata?.namespace === this.tokenNamespace && (s as SecretLike).type === BOOTSTRAP_TOKEN_SECRET_TYPE)
      .flatMap((s) => signingToken(s as SecretLike, now, (m) => log.debug(m)) ?? []);
    const data = signedClusterInfo(cm, tokens);
    if (!data) return;
    // (on a copy: the informer's object is shared; a stale one gets 409, and its update event brings us back)
    await this.client.update(ConfigMaps, this.cmNamespace, CLUSTER_INFO, { ...structuredClone(cm), data }).catch((e) => log.warn('could not update the cluster-info ConfigMap', { err: e }));
  }
}
