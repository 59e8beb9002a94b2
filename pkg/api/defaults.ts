// Defaults the Kubernetes apiserver applies on create (SetDefaults_* in pkg/apis/core/v1 plus the
// DefaultTolerationSeconds and Priority admission plugins), QoS class and effective requests.
import { canonicalQuantity, isValidQuantity, quantityToMilli, quantityToValue } from './quantity.js';
import { DEFAULT_TOKEN_EXPIRATION_SECONDS } from './validation-serviceaccount.js';
import type { ConfigMap, Container, LifecycleHandler, Namespace, Node, ObjectMeta, PersistentVolumeSpec, Pod, PodSpec, Probe, Secret, Toleration, Volume } from './types.js';
import { POD_VOLUME_SOURCES } from './validation-volume-sources.js';
import { dropDisabledPodSpecFields } from './gated-fields.js';

export const DEFAULT_TOLERATION_SECONDS = 300;
export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';

/** Always for `:latest` or an untagged image, IfNotPresent otherwise (digests included). */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  if (colon < 0) return 'Always';
  return lastSegment.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

/**
 * An ObjectMeta embedded by value (a pod template's, a job template's, a claim template's) as
 * 1.32 writes it: Go never omits a struct, and a zero metav1.Time marshals as null, so the
 * metadata is there with `creationTimestamp: null` (kubectl get -o yaml shows it) unless one is given.
 */
export function embeddedObjectMeta(holder: { metadata?: ObjectMeta }): void {
  const meta = (holder.metadata ??= {}) as Omit<ObjectMeta, 'creationTimestamp'> & { creationTimestamp?: string | null };
  if (meta.creationTimestamp === undefined) meta.creationTimestamp = null;
}

/** Rewrites valid quantities in their canonical form ("0.5" → "500m"), as Kubernetes stores them; invalid ones are left for validation. */
export function canonicalize(list: Record<string, string> | undefined | null): void {
  if (!list) return;
  for (const [k, v] of Object.entries(list)) if (isValidQuantity(v)) list[k] = canonicalQuantity(v);
}

function defaultHandler(h: LifecycleHandler | undefined): void {
  if (!h?.httpGet) return;
  h.httpGet.path ||= '/';
  h.httpGet.scheme ||= 'HTTP';
}

function defaultProbe(p: Probe | undefined): void {
  if (!p) return;
  p.timeoutSeconds ||= 1;
  p.periodSeconds ||= 10;
  p.successThreshold ||= 1;
  p.failureThreshold ||= 3;
  defaultHandler(p as LifecycleHandler);
}

/**
 * A resourceFieldRef's divisor is a resource.Quantity that is no pointer: one left out reads back
 * as "0" (omitempty does not drop a struct), and one given in its canonical form ("1000m" → "1").
 */
function defaultDivisor(r: { divisor?: string } | undefined | null): void {
  if (!r) return;
  if (r.divisor == null || r.divisor === '') r.divisor = '0';
  else if (isValidQuantity(r.divisor)) r.divisor = canonicalQuantity(r.divisor);
}

/** A downwardAPI volume's (or projection's) files: SetDefaults_ObjectFieldSelector and the divisors, as for env. */
function defaultDownwardAPIFiles(items: { fieldRef?: { apiVersion?: string } | null; resourceFieldRef?: { divisor?: string } | null }[] | undefined | null): void {
  for (const f of items ?? []) {
    if (f.fieldRef) f.fieldRef.apiVersion ||= 'v1';
    defaultDivisor(f.resourceFieldRef);
  }
}

/** The downward API selector defaults of every container's env and every volume of `spec`. */
function defaultSelectors(spec: PodSpec): void {
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])]) {
    for (const e of c.env ?? []) {
      if (e.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ||= 'v1';
      defaultDivisor(e.valueFrom?.resourceFieldRef);
    }
  }
  for (const v of spec.volumes ?? []) {
    defaultDownwardAPIFiles(v.downwardAPI?.items);
    for (const src of v.projected?.sources ?? []) defaultDownwardAPIFiles(src.downwardAPI?.items);
  }
}

function defaultContainer(c: Container): void {
  if (c.image && !c.imagePullPolicy) c.imagePullPolicy = defaultPullPolicy(c.image);
  c.terminationMessagePath ||= '/dev/termination-log';
  c.terminationMessagePolicy ||= 'File';
  for (const port of c.ports ?? []) port.protocol ||= 'TCP';
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  defaultHandler(c.lifecycle?.postStart);
  defaultHandler(c.lifecycle?.preStop);
  for (const e of c.env ?? []) {
    if (e.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ||= 'v1';
    defaultDivisor(e.valueFrom?.resourceFieldRef);
  }
  canonicalize(c.resources?.limits);
  canonicalize(c.resources?.requests);
}

/**
 * The defaults of the volume sources tskube validates but does not mount, in pods and
 * PersistentVolumes alike (SetDefaults_ISCSIVolumeSource, _RBDVolumeSource, _ScaleIOVolumeSource,
 * _AzureDiskVolumeSource, _ImageVolumeSource and their PersistentVolume twins).
 */
export function defaultUnmountedVolumeSources(v: Volume | PersistentVolumeSpec): void {
  if (v.iscsi) v.iscsi.iscsiInterface ||= 'default';
  if (v.rbd) {
    v.rbd.pool ||= 'rbd';
    v.rbd.user ||= 'admin';
    v.rbd.keyring ||= '/etc/ceph/keyring';
  }
  if (v.scaleIO) {
    v.scaleIO.storageMode ||= 'ThinProvisioned';
    v.scaleIO.fsType ||= 'xfs';
  }
  if (v.azureDisk) {
    v.azureDisk.cachingMode ??= 'ReadWrite';
    v.azureDisk.kind ??= 'Shared';
    v.azureDisk.fsType ??= 'ext4';
    v.azureDisk.readOnly ??= false;
  }
  const image = 'image' in v ? v.image : undefined;
  if (image && !image.pullPolicy) {
    // (Always for the tag latest, which ParseImageName gives a reference with neither tag nor digest)
    const [name, digest] = (image.reference ?? '').split('@');
    const tag = /:([^/:]+)$/.exec(name!)?.[1] ?? (digest ? '' : 'latest');
    image.pullPolicy = tag === 'latest' ? 'Always' : 'IfNotPresent';
  }
}

function defaultVolume(v: Volume): void {
  // (SetDefaults_Volume: a volume without any source is an emptyDir)
  if (!POD_VOLUME_SOURCES.some((s) => v[s] != null)) v.emptyDir = {};
  defaultUnmountedVolumeSources(v);
  // (an ephemeral volume's claim spec gets a claim's defaults, as defaultPersistentVolumeClaim gives them)
  if (v.ephemeral?.volumeClaimTemplate) embeddedObjectMeta(v.ephemeral.volumeClaimTemplate);
  const claim = v.ephemeral?.volumeClaimTemplate?.spec;
  if (claim) {
    claim.volumeMode ||= 'Filesystem';
    canonicalize(claim.resources?.requests);
    canonicalize(claim.resources?.limits);
  }
  if (v.emptyDir?.sizeLimit && isValidQuantity(v.emptyDir.sizeLimit)) v.emptyDir.sizeLimit = canonicalQuantity(v.emptyDir.sizeLimit);
  if (v.hostPath && v.hostPath.type === undefined) v.hostPath.type = '';
  if (v.configMap) v.configMap.defaultMode ??= 0o644;
  if (v.secret) v.secret.defaultMode ??= 0o644;
  if (v.downwardAPI) v.downwardAPI.defaultMode ??= 0o644;
  if (v.projected) v.projected.defaultMode ??= 0o644;
  defaultDownwardAPIFiles(v.downwardAPI?.items);
  for (const src of v.projected?.sources ?? []) defaultDownwardAPIFiles(src.downwardAPI?.items);
  for (const src of v.projected?.sources ?? []) if (src.serviceAccountToken) src.serviceAccountToken.expirationSeconds ??= DEFAULT_TOKEN_EXPIRATION_SECONDS;
}

const toleratesNoExecute = (ts: Toleration[], key: string) => ts.some((t) => (t.key === key || (!t.key && t.operator === 'Exists')) && (!t.effect || t.effect === 'NoExecute'));

/**
 * The DefaultTolerationSeconds admission plugin's: a pod that does not tolerate the not-ready and
 * unreachable NoExecute taints tolerates them for 300 s. An admission plugin's change, so on
 * create it comes after the field manager and belongs to nobody (the store's afterFieldManager).
 */
export function defaultTolerationSeconds(spec: PodSpec): void {
  const tolerations = (spec.tolerations ??= []);
  for (const key of [NOT_READY_TAINT, UNREACHABLE_TAINT]) {
    if (!toleratesNoExecute(tolerations, key)) {
      tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS });
    }
  }
}

/**
 * Mutates `pod` with the defaults Kubernetes applies on create; `tolerations: false` leaves out
 * DefaultTolerationSeconds' (for a create, whose field manager runs before admission).
 */
export function defaultPod(pod: Pod, old?: Pod | null, tolerations = true): Pod {
  // A pod stored before tskube gave its selectors their defaults gets them as kube-apiserver
  // defaults what it reads, so that an update (a label, an owner reference) is no spec change.
  if (old?.spec) defaultSelectors(old.spec);
  const spec = defaultPodSpec((pod.spec ??= {}), old?.spec);
  // Requests default to limits, resource by resource — for a Pod's containers and init
  // containers only, never a template's (SetDefaults_Pod: "we only want this defaulting semantic
  // to take place on a v1.Pod and not a v1.PodTemplate").
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    const limits = c.resources?.limits;
    if (!limits) continue;
    const requests = (c.resources!.requests ??= {});
    for (const [k, v] of Object.entries(limits)) if (requests[k] === undefined) requests[k] = v;
  }
  // Also a Pod's only (SetDefaults_Pod; host ports of pod templates stay as given since
  // DefaultHostNetworkHostPortsInPodTemplates went off in 1.28).
  spec.enableServiceLinks ??= true;
  if (spec.hostNetwork) {
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) for (const port of c.ports ?? []) if (!port.hostPort) port.hostPort = port.containerPort;
  }
  if (tolerations) defaultTolerationSeconds(spec);
  return pod;
}

/**
 * SetDefaults_PodSpec and its containers and volumes: what a pod template gets too (the
 * tolerations defaultPod adds come from an admission plugin, which templates do not pass).
 */
export function defaultPodSpec(spec: PodSpec, old?: PodSpec | null): PodSpec {
  spec.restartPolicy ||= 'Always';
  spec.dnsPolicy ||= 'ClusterFirst';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.schedulerName ||= 'default-scheduler';
  spec.securityContext ??= {};
  if (spec.serviceAccountName && !spec.serviceAccount) spec.serviceAccount = spec.serviceAccountName;
  else if (spec.serviceAccount && !spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount;
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const c of spec.ephemeralContainers ?? []) defaultContainer(c);
  // (dropDisabledPodLevelResources: the PodLevelResources gate is off in 1.32)
  delete spec.resources;
  // (dropDisabledProcMountField: ProcMountType is off in 1.32, so a procMount given is Default)
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])]) if (c.securityContext?.procMount) c.securityContext.procMount = 'Default';
  // (dropDisabledFields: the gated fields 1.32 leaves off, unless the stored spec `old` uses them)
  dropDisabledPodSpecFields(spec, old);
  for (const v of spec.volumes ?? []) defaultVolume(v);
  canonicalize(spec.overhead);
  return spec;
}

/** Node defaults: allocatable from capacity, podCIDR and podCIDRs kept in step. */
export function defaultNode(node: Node): Node {
  const spec = (node.spec ??= {});
  if (spec.podCIDR && !(spec.podCIDRs ?? []).length) spec.podCIDRs = [spec.podCIDR];
  if (!spec.podCIDR && (spec.podCIDRs ?? []).length) spec.podCIDR = spec.podCIDRs![0];
  const st = node.status;
  canonicalize(st?.capacity);
  canonicalize(st?.allocatable);
  if (st?.capacity && !Object.keys(st.allocatable ?? {}).length) st.allocatable = { ...st.capacity };
  return node;
}

/**
 * A new namespace's `kubernetes` finalizer after any the user gave (namespaceStrategy.PrepareForCreate;
 * only /finalize may take it away later). The strategy's, so it comes after the field manager and
 * belongs to nobody: kubectl create namespace owns the metadata.name label alone.
 */
export function addNamespaceFinalizer(ns: Namespace): Namespace {
  const spec = (ns.spec ??= {});
  if (!spec.finalizers?.includes('kubernetes')) spec.finalizers = [...(spec.finalizers ?? []), 'kubernetes'];
  return ns;
}

/** A new namespace's defaults: phase Active and the metadata.name label (addNamespaceFinalizer adds its finalizer). */
export function defaultNamespace(ns: Namespace): Namespace {
  const status = (ns.status ??= {});
  status.phase ||= 'Active';
  const meta = (ns.metadata ??= {});
  if (meta.name) meta.labels = { ...(meta.labels ?? {}), 'kubernetes.io/metadata.name': meta.name };
  return ns;
}

/** ConfigMaps as Kubernetes decodes them: a null value in data is the empty string (Go's map[string]string). */
export function defaultConfigMap(cm: ConfigMap): ConfigMap {
  for (const [k, v] of Object.entries(cm.data ?? {})) if (v === null) cm.data![k] = '';
  return cm;
}

/**
 * Secrets as Kubernetes decodes them: type Opaque when empty, and the write-only stringData
 * merged into data (base64-encoded; stringData wins over data) and removed.
 */
export function defaultSecret(secret: Secret): Secret {
  secret.type ||= 'Opaque';
  const strings = secret.stringData;
  delete secret.stringData;
  if (strings && Object.keys(strings).length) {
    const data = (secret.data ??= {});
    for (const [k, v] of Object.entries(strings)) data[k] = Buffer.from(v ?? '', 'utf8').toString('base64');
  }
  return secret;
}

/** Amounts of resources: `cpu` in millicores, everything else (memory, ...) in whole units. */
export type ResourceAmounts = Record<string, number>;

const amount = (name: string, q: string) => (name === 'cpu' ? quantityToMilli(q) : quantityToValue(q));

/** A container's requests; a resource with only a limit requests its limit, as after defaulting. */
export function containerRequests(c: Container): ResourceAmounts {
  const out: ResourceAmounts = {};
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  for (const [k, v] of Object.entries({ ...limits, ...requests })) out[k] = amount(k, v);
  return out;
}

const add = (a: ResourceAmounts, b: ResourceAmounts): ResourceAmounts => {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
};
const max = (a: ResourceAmounts, b: ResourceAmounts): ResourceAmounts => {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = Math.max(out[k] ?? 0, v);
  return out;
};

/**
 * What the scheduler reserves for a pod: max(largest init container request, sum of app
 * containers), with restartable (sidecar) init containers counted alongside everything that
 * starts after them, plus the pod overhead.
 */
export function effectivePodRequests(pod: Pod): ResourceAmounts {
  const spec = pod.spec ?? {};
  let reqs: ResourceAmounts = {};
  for (const c of spec.containers ?? []) reqs = add(reqs, containerRequests(c));
  let sidecars: ResourceAmounts = {};
  let initMax: ResourceAmounts = {};
  for (const c of spec.initContainers ?? []) {
    const r = containerRequests(c);
    if (c.restartPolicy === 'Always') {
      sidecars = add(sidecars, r);
      initMax = max(initMax, sidecars);
    } else {
      initMax = max(initMax, add(r, sidecars));
    }
  }
  reqs = max(add(reqs, sidecars), initMax);
  const overhead: ResourceAmounts = {};
  for (const [k, v] of Object.entries(spec.overhead ?? {})) overhead[k] = amount(k, v);
  return add(reqs, overhead);
}

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

/**
 * Kubernetes' GetPodQOS over init and app containers: BestEffort without any cpu/memory request
 * or limit; Guaranteed when every container limits cpu and memory and requests equal limits;
 * Burstable otherwise.
 */
export function podQOSClass(pod: Pod): QOSClass {
  const spec = pod.spec ?? {};
  const all = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  const supported = ['cpu', 'memory'];
  const reqSum: ResourceAmounts = {};
  const limSum: ResourceAmounts = {};
  let guaranteed = true;
  for (const c of all) {
    const limits = c.resources?.limits ?? {};
    const requests = { ...limits, ...(c.resources?.requests ?? {}) };
    for (const name of supported) {
      if (requests[name] !== undefined) {
        const v = amount(name, requests[name]);
        if (v !== 0) reqSum[name] = (reqSum[name] ?? 0) + v;
      }
    }
    const found = new Set<string>();
    for (const name of supported) {
      if (limits[name] !== undefined) {
        const v = amount(name, limits[name]);
        if (v !== 0) {
          found.add(name);
          limSum[name] = (limSum[name] ?? 0) + v;
        }
      }
    }
    if (!supported.every((n) => found.has(n))) guaranteed = false;
  }
  if (!Object.keys(reqSum).length && !Object.keys(limSum).length) return 'BestEffort';
  if (guaranteed) {
    for (const name of Object.keys(reqSum)) {
      if (limSum[name] !== reqSum[name]) guaranteed = false;
    }
  }
  return guaranteed && Object.keys(reqSum).length === Object.keys(limSum).length ? 'Guaranteed' : 'Burstable';
}
