// The ServiceAccount admission plugin, on pod creation: the pod runs as `default` unless it
// names a service account; that account must exist (403 otherwise, with Kubernetes' message);
// unless automountServiceAccountToken is false (on the pod, or on the account when the pod does
// not say), every container and init container gets the projected volume kube-api-access-XXXXX
// (a bound token, the cluster CA, the namespace) read-only at /var/run/secrets/kubernetes.io/serviceaccount;
// and a pod without imagePullSecrets gets the account's.
import type { KubeObject, Pod, ServiceAccount, Volume } from '../api/types.js';
import { ROOT_CA_CONFIGMAP, WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS } from '../serviceaccount/claims.js';
import type { AdmissionPlugin } from './admission.js';
import { admissionForbidden, ApiError } from './errors.js';
import { isMirrorPod } from '../api/mirror-pods.js';
import { podReferences } from '../api/pod-references.js';
import { randomSuffix } from './registry/object-helpers.js';

export const DEFAULT_SERVICE_ACCOUNT = 'default';
export const TOKEN_VOLUME_PREFIX = 'kube-api-access-';
export const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The projected volume source of the API credentials (TokenVolumeSource). */
export function tokenVolumeSource(): NonNullable<Volume['projected']> {
  return {
    defaultMode: 0o644,
    sources: [
      { serviceAccountToken: { expirationSeconds: WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS, path: 'token' } },
      { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: ROOT_CA_CONFIGMAP } },
      { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
    ],
  };
}

/** Whether the pod gets a token: the pod's choice, else the account's, else yes. */
export function shouldAutomount(sa: ServiceAccount, pod: Pod): boolean {
  const p = pod.spec?.automountServiceAccountToken;
  if (typeof p === 'boolean') return p;
  const s = sa.automountServiceAccountToken;
  if (typeof s === 'boolean') return s;
  return true;
}

/**
 * Mounts the token volume in every container and init container that has no mount at the token
 * path, adding the volume (reusing a kube-api-access-* one the pod has) when one of them needs it.
 */
export function mountServiceAccountToken(pod: Pod, generateName: (prefix: string) => string = (p) => p + randomSuffix()): void {
  const spec = (pod.spec ??= {});
  const volumes = spec.volumes ?? [];
  const existing = volumes.find((v) => v.name?.startsWith(TOKEN_VOLUME_PREFIX));
  const name = existing?.name ?? generateName(TOKEN_VOLUME_PREFIX);
  let needed = false;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    if ((c.volumeMounts ?? []).some((m) => m.mountPath === TOKEN_MOUNT_PATH)) continue;
    (c.volumeMounts ??= []).push({ name, readOnly: true, mountPath: TOKEN_MOUNT_PATH });
    needed = true;
  }
  if (!existing && needed) spec.volumes = [...volumes, { name, projected: tokenVolumeSource() }];
}

/** What admission does to a pod once its service account is known. */
export function applyServiceAccount(pod: Pod, sa: ServiceAccount, generateName?: (prefix: string) => string): void {
  const spec = (pod.spec ??= {});
  if (shouldAutomount(sa, pod)) mountServiceAccountToken(pod, generateName);
  if (!spec.imagePullSecrets?.length && sa.imagePullSecrets?.length) spec.imagePullSecrets = sa.imagePullSecrets.map((r) => ({ name: r.name }));
}

/** The plugin's Validate for mirror pods: no service account, no secret, no projected token (Kubernetes' messages). */
function validateMirrorPod(pod: Pod): void {
  const name = pod.metadata?.name ?? '';
  const refuse = (why: string) => admissionForbidden('', 'pods', name, why);
  if (pod.spec?.serviceAccountName || pod.spec?.serviceAccount) throw refuse('a mirror pod may not reference service accounts');
  if (podReferences(pod).some((r) => r.kind === 'secrets')) throw refuse('a mirror pod may not reference secrets');
  if ((pod.spec?.volumes ?? []).some((v) => (v.projected?.sources ?? []).some((s) => s.serviceAccountToken))) throw refuse('a mirror pod may not use service account token volume projection');
}

export type ServiceAccountLookup = (namespace: string, name: string) => Promise<KubeObject | undefined>;

/** The admission plugin, over a lookup of service accounts (the watch cache, then etcd). */
export class ServiceAccountAdmission {
  constructor(
    private readonly lookup: ServiceAccountLookup,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** Admits a pod being created in `namespace`: defaults, checks and mutates it, or throws the 403. */
  async admit(obj: KubeObject | Pod, namespace: string): Promise<void> {
    const pod = obj as Pod;
    // Mirror pods are left as their node made them (a changed spec would be replaced by the
    // node), and may refer to no account or secret.
    if (isMirrorPod(pod)) return validateMirrorPod(pod);
    const spec = (pod.spec ??= {});
    // (serviceAccount is the deprecated name of the same field)
    const name = spec.serviceAccountName || spec.serviceAccount || DEFAULT_SERVICE_ACCOUNT;
    spec.serviceAccountName = name;
    spec.serviceAccount = name;
    const sa = await this.find(namespace, name);
    if (!sa) {
      // (Kubernetes admits before it generates a name: a generated one is reported by its prefix)
      const podName = pod.metadata?.generateName || pod.metadata?.name || '';
      throw new ApiError(403, 'Forbidden', `pods "${podName}" is forbidden: error looking up service account ${namespace}/${name}: serviceaccount "${name}" not found`, { name: podName, kind: 'pods' });
    }
    applyServiceAccount(pod, sa as ServiceAccount);
  }

  /**
   * The account; `default` is looked for again for several seconds, as its controller may be
   * about to make it (a pod created right after its namespace: under load the controller needed
   * more than the 1-2 s this used to wait).
   */
  private async find(namespace: string, name: string): Promise<KubeObject | undefined> {
    const attempts = name === DEFAULT_SERVICE_ACCOUNT ? 40 : 1;
    const interval = 100 + Math.floor(Math.random() * 100);
    for (let i = 0; i < attempts; i++) {
      if (i) await this.sleep(interval);
      const sa = await this.lookup(namespace, name);
      if (sa) return sa;
    }
    return undefined;
  }
}

/** The plugin in the apiserver's admission chain: pod creates only (updates keep the account, which validation freezes). */
export function serviceAccountAdmission(lookup: ServiceAccountLookup): AdmissionPlugin {
  const plugin = new ServiceAccountAdmission(lookup);
  return {
    name: 'ServiceAccount',
    resources: ['pods'],
    reads: ['serviceaccounts'],
    async admit(req) {
      if (req.operation !== 'CREATE' || req.subresource || !req.obj) return;
      await plugin.admit(req.obj, req.namespace ?? 'default');
    },
  };
}
