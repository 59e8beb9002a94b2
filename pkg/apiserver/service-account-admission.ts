// The ServiceAccount admission plugin, on pod creation: the pod runs as `default` unless it
// names a service account; that account must exist (403 otherwise, with Kubernetes' message);
// unless automountServiceAccountToken is false (on the pod, or on the account when the pod does
// not say), every container and init container gets the projected volume kube-api-access-XXXXX
// (a bound token, the cluster CA, the namespace) read-only at /var/run/secrets/kubernetes.io/serviceaccount;
// and a pod without imagePullSecrets gets the account's. An account annotated
// kubernetes.io/enforce-mountable-secrets=true limits the secrets its pods may name (volumes, env,
// envFrom, imagePullSecrets; and ephemeral containers added later) to those it lists.
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

/** The annotation by which an account limits its pods' secrets to its own `secrets` and `imagePullSecrets`. */
export const ENFORCE_MOUNTABLE_SECRETS = 'kubernetes.io/enforce-mountable-secrets';

/** enforceMountableSecrets: Go's strconv.ParseBool of the annotation (1, t, T, TRUE, true, True). */
function enforcesMountableSecrets(sa: ServiceAccount): boolean {
  const v = sa.metadata?.annotations?.[ENFORCE_MOUNTABLE_SECRETS];
  return v !== undefined && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v);
}

type EnvContainer = { name?: string; env?: { name?: string; valueFrom?: { secretKeyRef?: { name?: string } } }[]; envFrom?: { secretRef?: { name?: string } }[] };

/** The first env or envFrom secret the account does not list, in limitSecretReferences' words. */
function containerSecretRefused(containers: EnvContainer[] | undefined, what: string, allowed: Set<string>, account: string): string | undefined {
  const why = (ref: string) => `referencing secret.secretName="${ref}" is not allowed because service account ${account} does not reference that secret`;
  for (const c of containers ?? []) {
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref && !allowed.has(ref.name ?? '')) return `${what} ${c.name} with envVar ${e.name} ${why(ref.name ?? '')}`;
    }
    for (const ef of c.envFrom ?? []) {
      if (ef.secretRef && !allowed.has(ef.secretRef.name ?? '')) return `${what} ${c.name} with envFrom ${why(ef.secretRef.name ?? '')}`;
    }
  }
  return undefined;
}

/** limitSecretReferences: why a new pod of an enforcing account is refused, if it is. */
export function secretReferenceRefused(pod: Pod, sa: ServiceAccount): string | undefined {
  const account = sa.metadata?.name ?? '';
  const allowed = new Set((sa.secrets ?? []).map((r) => r.name ?? ''));
  const spec = pod.spec ?? {};
  for (const v of spec.volumes ?? []) {
    if (v.secret && !allowed.has(v.secret.secretName ?? '')) {
      return `volume with secret.secretName="${v.secret.secretName ?? ''}" is not allowed because service account ${account} does not reference that secret`;
    }
  }
  const refused = containerSecretRefused(spec.initContainers, 'init container', allowed, account) ?? containerSecretRefused(spec.containers, 'container', allowed, account);
  if (refused) return refused;
  const pullable = new Set((sa.imagePullSecrets ?? []).map((r) => r.name ?? ''));
  const i = (spec.imagePullSecrets ?? []).findIndex((r) => !pullable.has(r.name ?? ''));
  if (i >= 0) return `imagePullSecrets[${i}].name="${spec.imagePullSecrets![i]!.name ?? ''}" is not allowed because service account ${account} does not reference that imagePullSecret`;
  return undefined;
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
    // (upstream checks this in Validate, after the mutation above: the account's pull secrets given to the pod count as its own)
    const refused = enforcesMountableSecrets(sa as ServiceAccount) ? secretReferenceRefused(pod, sa as ServiceAccount) : undefined;
    if (refused) throw admissionForbidden('', 'pods', pod.metadata?.generateName || pod.metadata?.name || '', refused);
  }

  /**
   * An update of pods/ephemeralcontainers (limitEphemeralContainerSecretReferences): the pod's
   * account must exist, and if it enforces mountable secrets, the ephemeral containers may name
   * only the secrets it lists.
   */
  async admitEphemeral(pod: Pod, namespace: string): Promise<void> {
    const podName = pod.metadata?.name ?? '';
    const name = pod.spec?.serviceAccountName;
    if (!name) throw admissionForbidden('', 'pods', podName, `no service account specified for pod ${namespace}/${podName}`);
    const sa = (await this.lookup(namespace, name)) as ServiceAccount | undefined;
    if (!sa) throw admissionForbidden('', 'pods', podName, `error looking up service account ${namespace}/${name}: serviceaccount "${name}" not found`);
    if (!enforcesMountableSecrets(sa)) return;
    const allowed = new Set((sa.secrets ?? []).map((r) => r.name ?? ''));
    const refused = containerSecretRefused(pod.spec?.ephemeralContainers as EnvContainer[] | undefined, 'ephemeral container', allowed, name);
    if (refused) throw admissionForbidden('', 'pods', podName, refused);
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

/**
 * The plugin in the apiserver's admission chain: pod creates, and ephemeral containers added
 * (other updates keep the account, which validation freezes).
 */
export function serviceAccountAdmission(lookup: ServiceAccountLookup): AdmissionPlugin {
  const plugin = new ServiceAccountAdmission(lookup);
  return {
    name: 'ServiceAccount',
    resources: ['pods'],
    reads: ['serviceaccounts'],
    async admit(req) {
      if (!req.obj) return;
      if (req.operation === 'UPDATE' && req.subresource === 'ephemeralcontainers') return plugin.admitEphemeral(req.obj as Pod, req.namespace ?? 'default');
      if (req.operation !== 'CREATE' || req.subresource) return;
      await plugin.admit(req.obj, req.namespace ?? 'default');
    },
  };
}
