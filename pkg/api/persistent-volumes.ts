// Persistent volumes as the PV controller, the scheduler's volume binding, the node agent and the
// printers see them (k8s.io/component-helpers/storage/volume and the PV controller's util.go):
// the well-known annotations and finalizers, a claim's and a volume's class, access modes,
// whether a volume is bound to a claim, the volume a claim should bind to, and whether a
// volume's node affinity admits a node.
import { compareQuantities, isValidQuantity } from './quantity.js';
import { labelSelectorFromObject, matchesLabelSelector } from './selectors.js';
import { nodeSelectorTermsMatch } from './scheduling.js';
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass, Volume } from './types.js';

/** Set on a claim once the PV controller has finished binding it. */
export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
/** Set on a claim or volume whose binding the controller (not the user) chose. */
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
/** Set on a volume a provisioner made: the provisioner's name. */
export const ANN_PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
/** Set on a WaitForFirstConsumer claim by the scheduler: the node its first pod goes to. */
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
/** Set on a claim by the PV controller: the provisioner expected to make its volume. */
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
/** The StorageClass a claim without storageClassName gets. */
export const ANN_DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
const ANN_BETA_DEFAULT_CLASS = 'storageclass.beta.kubernetes.io/is-default-class';
/** The class of claims and volumes from before storageClassName existed. */
export const ANN_BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';

/** Held on a claim while a pod uses it (the pvc-protection controller removes it). */
export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
/** Held on a volume while it is bound (the pv-protection controller removes it). */
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';

/** tskube's provisioner: a directory on the node the claim's first pod is scheduled to. */
export const LOCAL_PATH_PROVISIONER = 'tskube.io/local-path';
/** The class the apiserver creates at bootstrap, marked default. */
export const DEFAULT_STORAGE_CLASS = 'local-path';
/** Held on a local-path volume once its node made the directory; the node removes it with the data. */
export const LOCAL_PATH_FINALIZER = 'tskube.io/local-path-cleanup';
/** A node agent's announcement on its Node: the directory local-path volumes are made under. */
export const ANN_NODE_LOCAL_PATH_DIR = 'tskube.io/local-path-dir';

export const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];

type Meta = { metadata?: { annotations?: Record<string, string> } };

/** The claim's class: the beta annotation wins, then spec.storageClassName; "" means none. */
export function claimClass(pvc: PersistentVolumeClaim): string {
  return pvc.metadata?.annotations?.[ANN_BETA_STORAGE_CLASS] ?? pvc.spec?.storageClassName ?? '';
}

export function volumeClass(pv: PersistentVolume): string {
  return pv.metadata?.annotations?.[ANN_BETA_STORAGE_CLASS] ?? pv.spec?.storageClassName ?? '';
}

export function isDefaultClass(sc: Meta): boolean {
  const a = sc.metadata?.annotations ?? {};
  return a[ANN_DEFAULT_CLASS] === 'true' || a[ANN_BETA_DEFAULT_CLASS] === 'true';
}

/**
 * The default StorageClass among `classes`: of several marked default, the newest (then the
 * first by name), as the DefaultStorageClass admission plugin picks since Kubernetes 1.28.
 */
export function defaultClassOf(classes: StorageClass[]): StorageClass | undefined {
  const defaults = classes.filter(isDefaultClass);
  defaults.sort((a, b) => (b.metadata?.creationTimestamp ?? '').localeCompare(a.metadata?.creationTimestamp ?? '') || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  return defaults[0];
}

/** `RWO,ROX,RWX,RWOP` as kubectl prints access modes. */
export function accessModesString(modes: string[] | undefined): string {
  const m = new Set(modes ?? []);
  const out: string[] = [];
  if (m.has('ReadWriteOnce')) out.push('RWO');
  if (m.has('ReadOnlyMany')) out.push('ROX');
  if (m.has('ReadWriteMany')) out.push('RWX');
  if (m.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

export const claimKey = (pvc: { metadata?: { namespace?: string; name?: string } }) => `${pvc.metadata?.namespace}/${pvc.metadata?.name}`;

export const storageRequest = (pvc: PersistentVolumeClaim): string | undefined => pvc.spec?.resources?.requests?.storage;
export const storageCapacity = (pv: PersistentVolume): string | undefined => pv.spec?.capacity?.storage;

/** The volume's claimRef names this claim (and, when it has a uid, this very claim). */
export function isVolumeBoundToClaim(pv: PersistentVolume, pvc: PersistentVolumeClaim): boolean {
  const ref = pv.spec?.claimRef;
  if (!ref) return false;
  if (ref.name !== pvc.metadata?.name || ref.namespace !== pvc.metadata?.namespace) return false;
  return !ref.uid || ref.uid === pvc.metadata?.uid;
}

/** The claim's pods get the same kind of volume as the claim asks for (both default to Filesystem). */
export function volumeModesMatch(pvc: PersistentVolumeClaim, pv: PersistentVolume): boolean {
  return (pvc.spec?.volumeMode || 'Filesystem') === (pv.spec?.volumeMode || 'Filesystem');
}

/** Every access mode the claim asks for is one the volume offers. */
export function accessModesContain(pv: PersistentVolume, pvc: PersistentVolumeClaim): boolean {
  const offered = new Set(pv.spec?.accessModes ?? []);
  return (pvc.spec?.accessModes ?? []).every((m) => offered.has(m));
}

/** The volume's required node affinity admits `node` (no affinity admits every node). */
export function volumeNodeAffinityMatches(pv: PersistentVolume, node: Node): boolean {
  const req = pv.spec?.nodeAffinity?.required;
  if (!req) return true;
  return nodeSelectorTermsMatch(node, req.nodeSelectorTerms ?? []);
}

/** Capacity at least the request; a malformed quantity (refused by validation) never fits. */
function fits(pv: PersistentVolume, pvc: PersistentVolumeClaim): boolean {
  const cap = storageCapacity(pv);
  const req = storageRequest(pvc) ?? '0';
  return !!cap && isValidQuantity(cap) && isValidQuantity(req) && compareQuantities(cap, req) >= 0;
}

export interface MatchOptions {
  /** The scheduler's path: the node the pod would run on (its node affinity must admit the volume). */
  node?: Node;
  /** The claim's class binds WaitForFirstConsumer: without a node, only a volume pre-bound to it matches. */
  delayBinding?: boolean;
  /** Volumes already promised to other claims in this scheduling cycle. */
  excluded?: Set<string>;
}

/**
 * The volume `pvc` should bind to (FindMatchingVolume): one pre-bound to it wins (unless its node
 * affinity rules out `node`); otherwise an Available volume of the claim's class, matching its
 * selector, volume mode and access modes, of sufficient capacity — the one offering the fewest
 * extra access modes, then the smallest.
 */
export function findMatchingVolume<T extends PersistentVolume>(pvc: PersistentVolumeClaim, volumes: T[], opts: MatchOptions = {}): T | undefined {
  const cls = claimClass(pvc);
  const sel = pvc.spec?.selector ? safeSelector(pvc) : undefined;
  let best: T | undefined;
  for (const pv of volumes) {
    if (opts.excluded?.has(pv.metadata?.name ?? '')) continue;
    if (pv.spec?.claimRef && !isVolumeBoundToClaim(pv, pvc)) continue;
    if (!fits(pv, pvc) || !volumeModesMatch(pvc, pv) || pv.metadata?.deletionTimestamp) continue;
    const nodeOk = !opts.node || volumeNodeAffinityMatches(pv, opts.node);
    if (isVolumeBoundToClaim(pv, pvc)) return nodeOk ? pv : undefined;
    if (!opts.node && opts.delayBinding) continue;
    if (pv.status?.phase !== 'Available') continue;
    if (sel === null || (sel && !matchesLabelSelector(sel, pv.metadata?.labels))) continue;
    if (volumeClass(pv) !== cls || !nodeOk || !accessModesContain(pv, pvc)) continue;
    if (!best || better(pv, best)) best = pv;
  }
  return best;
}

function better(a: PersistentVolume, b: PersistentVolume): boolean {
  const extra = (pv: PersistentVolume) => new Set(pv.spec?.accessModes ?? []).size;
  if (extra(a) !== extra(b)) return extra(a) < extra(b);
  return compareQuantities(storageCapacity(a)!, storageCapacity(b)!) < 0;
}

/** The claim's selector, or null when it cannot be parsed (then nothing matches). */
function safeSelector(pvc: PersistentVolumeClaim) {
  try {
    return labelSelectorFromObject(pvc.spec!.selector);
  } catch {
    return null;
  }
}

/** The claim of a generic ephemeral volume: <pod>-<volume> (ephemeral.VolumeClaimName). */
export const ephemeralClaimName = (pod: Pod, volume: Volume) => `${pod.metadata?.name ?? ''}-${volume.name ?? ''}`;

/** The claim a volume uses: the one it names, or its ephemeral claim; undefined for other volumes. */
export function volumeClaimName(pod: Pod, v: Volume): string | undefined {
  if (v.persistentVolumeClaim) return v.persistentVolumeClaim.claimName || undefined;
  if (v.ephemeral) return ephemeralClaimName(pod, v);
  return undefined;
}

/** The claims a pod's volumes use (persistentVolumeClaim and ephemeral), in order, without repeats. */
export function podClaimNames(pod: Pod): string[] {
  const out: string[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    const n = volumeClaimName(pod, v);
    if (n && !out.includes(n)) out.push(n);
  }
  return out;
}

/** The pod's ephemeral claims' names. */
export const podEphemeralClaimNames = (pod: Pod) => (pod.spec?.volumes ?? []).filter((v) => v.ephemeral).map((v) => ephemeralClaimName(pod, v));

/**
 * ephemeral.VolumeIsForPod: an ephemeral volume's claim must be the one made for this pod (its
 * controller owner), not a claim of that name someone else made; the error says so.
 */
export function ephemeralClaimError(pod: Pod, pvc: PersistentVolumeClaim): string | undefined {
  const owner = pvc.metadata?.ownerReferences?.find((r) => r.controller);
  if (owner?.uid === pod.metadata?.uid) return undefined;
  const ns = pod.metadata?.namespace ?? '';
  return `PVC ${ns}/${pvc.metadata?.name} was not created for pod ${ns}/${pod.metadata?.name} (pod is not owner)`;
}

/** A claim is fully bound: it names its volume and the PV controller finished the binding. */
export function isClaimBound(pvc: PersistentVolumeClaim): boolean {
  return !!pvc.spec?.volumeName && pvc.metadata?.annotations?.[ANN_BIND_COMPLETED] !== undefined;
}

/** The node names a volume's node affinity pins it to with `kubernetes.io/hostname In [...]`. */
export function volumeHostnames(pv: PersistentVolume): string[] {
  const out: string[] = [];
  for (const t of pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? []) {
    for (const r of t.matchExpressions ?? []) if (r.key === 'kubernetes.io/hostname' && r.operator === 'In') out.push(...(r.values ?? []));
    for (const r of t.matchFields ?? []) if (r.key === 'metadata.name' && r.operator === 'In') out.push(...(r.values ?? []));
  }
  return out;
}

/** `pvc-<uid>_<namespace>_<name>`: the directory of a local-path volume under its node's directory. */
export const localPathDirName = (volume: string, namespace: string, claim: string) => `${volume}_${namespace}_${claim}`;

/** The volume name a local-path directory belongs to, or undefined for a name that is not one. */
export function volumeOfLocalPathDir(dir: string): string | undefined {
  return /^(pvc-[0-9a-f-]+)_[a-z0-9.-]+_[a-z0-9.-]+$/.exec(dir)?.[1];
}
