// Pod validation (pkg/apis/core/validation: ValidatePodCreate, ValidatePodSpec,
// ValidatePodUpdate, ValidatePodStatusUpdate), in Kubernetes' wording where it is known.
import { duplicate, forbidden, goStringMap, invalid, required, type FieldError } from './field-error.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidIP } from './names.js';
import { isValidQuantity, parseQuantity } from './quantity.js';
import type { Container, Pod, PodSpec, Toleration, Volume } from './types.js';
import { isSidecar } from './pod-resources.js';
import { validateAffinity, validateTolerations, validateTopologySpreadConstraints } from './validation-affinity.js';
import { validateContainer } from './validation-container.js';
import { validateOverhead } from './validation-node.js';
import { validateConfigMapVolumeSource, validateDownwardAPIVolumeSource, validateProjectedVolumeSource, validateSecretVolumeSource } from './validation-volume-files.js';
import { validateEphemeralContainers } from './validation-ephemeral.js';
import { validateMirrorPodAnnotationUpdate, validateMirrorPodCreate } from './mirror-pods.js';
import { validateAppArmorAnnotationUpdate } from './apparmor-skew.js';
import {
  dnsLabel,
  dnsSubdomain,
  nonNegative,
  oneOf,
  qualifiedName,
  validateAnnotations,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './validation-meta.js';
import { isTerminalPhase } from './pod-phase.js';
import { semanticEqual, semanticFieldEqual, semanticJson } from './semantic-equal.js';
import { validateHostPathVolumeSource } from './validation-host-path.js';
import { validatePersistentVolumeClaimSpec } from './validation-storage.js';
import { moreThanOne, POD_VOLUME_SOURCES, secondSourcePath, validateISCSIInterfaceName, validateUnmountedVolumeSource, type PodVolumeSource } from './validation-volume-sources.js';

export { TAINT_EFFECTS, validateTolerations } from './validation-affinity.js';

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
export const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
export const POD_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];

function validateVolumes(volumes: Volume[], path: string): { errs: FieldError[]; names: Set<string> } {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  volumes.forEach((v, i) => {
    const p = `${path}[${i}]`;
    if (!v.name) errs.push(required(`${p}.name`));
    else {
      for (const m of isDNS1123Label(v.name)) errs.push(invalid(`${p}.name`, v.name, m));
      if (names.has(v.name)) errs.push(duplicate(`${p}.name`, v.name));
      names.add(v.name);
    }
    // validateVolumeSource: the sources in upstream's order; the first one set is validated, each
    // later one is "more than 1" (and not validated).
    let sources = 0;
    for (const kind of POD_VOLUME_SOURCES) {
      if (v[kind] == null) continue;
      if (sources++) errs.push(moreThanOne(`${p}.${secondSourcePath(kind)}`));
      else errs.push(...validateVolumeSource(v, kind, p));
    }
    if (!sources) errs.push(required(p, 'must specify a volume type'));
    errs.push(...validateISCSIInterfaceName(v, p));
  });
  return { errs, names };
}

/** The validation of a volume's one source (`kind`, set in `v`); `p` is the volume's path. */
function validateVolumeSource(v: Volume, kind: PodVolumeSource, p: string): FieldError[] {
  const errs: FieldError[] = [];
  switch (kind) {
    case 'hostPath':
      return validateHostPathVolumeSource(v.hostPath!, `${p}.hostPath`);
    case 'emptyDir':
      // (medium is not checked: 1.32's StorageMedium is no enum, HugePages-2Mi is one too, and
      // its kubelet refuses one it does not know when it mounts the volume, as the node agent does)
      if (v.emptyDir!.sizeLimit && !isValidQuantity(v.emptyDir!.sizeLimit)) errs.push(invalid(`${p}.emptyDir.sizeLimit`, v.emptyDir!.sizeLimit, 'must be a valid quantity'));
      else if (v.emptyDir!.sizeLimit && parseQuantity(v.emptyDir!.sizeLimit) < 0) errs.push(forbidden(`${p}.emptyDir.sizeLimit`, 'SizeLimit field must be a valid resource quantity'));
      return errs;
    case 'configMap':
      return validateConfigMapVolumeSource(v.configMap!, `${p}.configMap`);
    case 'secret':
      return validateSecretVolumeSource(v.secret!, `${p}.secret`);
    case 'downwardAPI':
      return validateDownwardAPIVolumeSource(v.downwardAPI!, `${p}.downwardAPI`);
    case 'projected':
      return validateProjectedVolumeSource(v.projected!, `${p}.projected`);
    case 'persistentVolumeClaim':
      return v.persistentVolumeClaim!.claimName ? [] : [required(`${p}.persistentVolumeClaim.claimName`)];
    case 'ephemeral': {
      // validatePersistentVolumeClaimTemplate: the template's labels and annotations, and a claim spec.
      const t = v.ephemeral!.volumeClaimTemplate;
      const tp = `${p}.ephemeral.volumeClaimTemplate`;
      if (!t) return [required(tp)];
      return [...validateLabels(t.metadata?.labels, `${tp}.metadata.labels`), ...validateAnnotations(t.metadata?.annotations, `${tp}.metadata.annotations`), ...validatePersistentVolumeClaimSpec(t.spec, `${tp}.spec`)];
    }
    default:
      return validateUnmountedVolumeSource(kind, v[kind] as Record<string, unknown>, p);
  }
}

const IPC_SYSCTLS = new Set(['kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced', 'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni']);

/** The kernel namespace a sysctl belongs to (utilsysctl.GetNamespace), '/'-separated names too. */
function sysctlNamespace(name: string): 'net' | 'ipc' | undefined {
  const n = name.includes('/') && (!name.includes('.') || name.indexOf('/') < name.indexOf('.')) ? name.replace(/[./]/g, (c) => (c === '/' ? '.' : '/')) : name;
  // (component-helpers' sysctl table: these names and prefixes)
  if (n.startsWith('net.')) return 'net';
  if (IPC_SYSCTLS.has(n) || n.startsWith('fs.mqueue.')) return 'ipc';
  return undefined;
}

export function validatePodSpec(spec: PodSpec | undefined | null, path = 'spec'): FieldError[] {
  const s = spec ?? {};
  const { errs, names: volumes } = validateVolumes(s.volumes ?? [], `${path}.volumes`);
  const containers = s.containers ?? [];
  if (!containers.length) errs.push(required(`${path}.containers`));
  const names = new Set<string>();
  const gracePeriod = s.terminationGracePeriodSeconds;
  (s.initContainers ?? []).forEach((c, i) => errs.push(...validateContainer(c, `${path}.initContainers[${i}]`, { volumes, init: true, gracePeriod }, names)));
  containers.forEach((c, i) => errs.push(...validateContainer(c, `${path}.containers[${i}]`, { volumes, init: false, gracePeriod }, names)));
  errs.push(...validateEphemeralContainers(s.ephemeralContainers ?? [], `${path}.ephemeralContainers`, volumes, names));

  // Host ports may not be claimed twice by containers that run at the same time
  // (checkHostPortConflicts): an ordinary init container on its own, as it runs alone (as
  // Kubernetes checks it); sidecars together with the app containers, beside which they run.
  const checkHostPorts = (group: [kind: string, index: number, c: Container][]) => {
    const hostPorts = new Set<string>();
    for (const [kind, ci, c] of group) {
      (c.ports ?? []).forEach((port, pi) => {
        if (!port.hostPort) return;
        const id = `${port.hostIP ?? ''}/${port.protocol || 'TCP'}/${port.hostPort}`;
        if (hostPorts.has(id)) errs.push(duplicate(`${path}.${kind}[${ci}].ports[${pi}].hostPort`, id));
        hostPorts.add(id);
      });
    }
  };
  const inits = (s.initContainers ?? []).map((c, i) => ['initContainers', i, c] as [string, number, Container]);
  for (const one of inits.filter(([, , c]) => !isSidecar(c))) checkHostPorts([one]);
  checkHostPorts([...inits.filter(([, , c]) => isSidecar(c)), ...containers.map((c, i) => ['containers', i, c] as [string, number, Container])]);

  if (s.hostNetwork) {
    [...(s.initContainers ?? []), ...containers].forEach((c, ci) => {
      (c.ports ?? []).forEach((port, pi) => {
        if (port.hostPort && port.hostPort !== port.containerPort) {
          const kind = ci < (s.initContainers ?? []).length ? 'initContainers' : 'containers';
          const idx = kind === 'containers' ? ci - (s.initContainers ?? []).length : ci;
          errs.push(invalid(`${path}.${kind}[${idx}].ports[${pi}].hostPort`, port.hostPort, 'must match `containerPort` when `hostNetwork` is true'));
        }
      });
    });
  }
  errs.push(...oneOf(s.restartPolicy, RESTART_POLICIES, `${path}.restartPolicy`));
  errs.push(...oneOf(s.dnsPolicy, DNS_POLICIES, `${path}.dnsPolicy`));
  if (s.dnsPolicy === 'None' && !s.dnsConfig) errs.push(required(`${path}.dnsConfig`, 'must provide `dnsConfig` when `dnsPolicy` is None'));
  if (s.dnsConfig) {
    const ns = s.dnsConfig.nameservers ?? [];
    if (ns.length > 3) errs.push(invalid(`${path}.dnsConfig.nameservers`, ns, 'must not have more than 3 nameservers'));
    ns.forEach((n, i) => {
      if (!isValidIP(n)) errs.push(invalid(`${path}.dnsConfig.nameservers[${i}]`, n, 'must be valid IP address'));
    });
    if (s.dnsPolicy === 'None' && !ns.length) errs.push(required(`${path}.dnsConfig.nameservers`, 'must provide at least one DNS nameserver when `dnsPolicy` is None'));
    const searches = s.dnsConfig.searches ?? [];
    if (searches.length > 32) errs.push(invalid(`${path}.dnsConfig.searches`, searches, 'must not have more than 32 search paths'));
    if (searches.join(' ').length > 2048) errs.push(invalid(`${path}.dnsConfig.searches`, searches, 'must not have more than 2048 characters (including spaces) in the search list'));
    // (a trailing dot is fine)
    searches.forEach((d, i) => {
      const name = d.replace(/\.$/, '');
      for (const m of isDNS1123Subdomain(name)) errs.push(invalid(`${path}.dnsConfig.searches[${i}]`, name, m));
    });
    (s.dnsConfig.options ?? []).forEach((o, i) => {
      if (!o.name) errs.push(required(`${path}.dnsConfig.options[${i}]`, 'must not be empty'));
    });
  }
  errs.push(...nonNegative(s.terminationGracePeriodSeconds, `${path}.terminationGracePeriodSeconds`));
  if (s.activeDeadlineSeconds != null && (s.activeDeadlineSeconds < 1 || s.activeDeadlineSeconds > 2147483647)) {
    errs.push(invalid(`${path}.activeDeadlineSeconds`, s.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  }
  errs.push(...validateLabels(s.nodeSelector, `${path}.nodeSelector`));
  errs.push(...dnsSubdomain(s.serviceAccountName, `${path}.serviceAccountName`));
  errs.push(...dnsSubdomain(s.nodeName, `${path}.nodeName`));
  errs.push(...dnsLabel(s.hostname, `${path}.hostname`));
  errs.push(...dnsLabel(s.subdomain, `${path}.subdomain`));
  errs.push(...dnsSubdomain(s.priorityClassName, `${path}.priorityClassName`));
  errs.push(...dnsSubdomain(s.runtimeClassName, `${path}.runtimeClassName`));
  if (s.shareProcessNamespace && s.hostPID) errs.push(invalid(`${path}.securityContext.shareProcessNamespace`, true, 'ShareProcessNamespace and HostPID cannot both be enabled'));
  const psc = s.securityContext;
  if (psc) {
    for (const k of ['runAsUser', 'runAsGroup', 'fsGroup'] as const) {
      const v = psc[k];
      if (v != null && (v < 0 || v > 2147483647)) errs.push(invalid(`${path}.securityContext.${k}`, v, 'must be between 0 and 2147483647, inclusive'));
    }
    (psc.supplementalGroups ?? []).forEach((g, i) => {
      if (g < 0 || g > 2147483647) errs.push(invalid(`${path}.securityContext.supplementalGroups[${i}]`, g, 'must be between 0 and 2147483647, inclusive'));
    });
    const sysctlNames = new Set<string>();
    (psc.sysctls ?? []).forEach((sc, i) => {
      const p = `${path}.securityContext.sysctls[${i}].name`;
      if (!sc.name) errs.push(required(p));
      else if (!/^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/.test(sc.name)) errs.push(invalid(p, sc.name, 'must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$'));
      else if (sysctlNames.has(sc.name)) errs.push(duplicate(p, sc.name));
      // (ValidateHostSysctl: a namespaced sysctl of a namespace the pod shares with the node)
      const ns = sysctlNamespace(sc.name ?? '');
      if (s.hostNetwork && ns === 'net') errs.push(invalid(p, sc.name, "may not be specified when 'hostNetwork' is true"));
      else if (s.hostIPC && ns === 'ipc') errs.push(invalid(p, sc.name, "may not be specified when 'hostIPC' is true"));
      sysctlNames.add(sc.name ?? '');
    });
    errs.push(...oneOf(psc.fsGroupChangePolicy, ['OnRootMismatch', 'Always'], `${path}.securityContext.fsGroupChangePolicy`));
  }
  (s.imagePullSecrets ?? []).forEach((r, i) => {
    if (!r.name) errs.push(required(`${path}.imagePullSecrets[${i}].name`));
  });
  if (s.affinity) errs.push(...validateAffinity(s.affinity, `${path}.affinity`));
  errs.push(...validateTolerations(s.tolerations ?? [], `${path}.tolerations`));
  (s.hostAliases ?? []).forEach((h, i) => {
    const p = `${path}.hostAliases[${i}]`;
    if (!h.ip || !isValidIP(h.ip)) errs.push(invalid(`${p}.ip`, h.ip ?? '', 'must be valid IP address'));
    (h.hostnames ?? []).forEach((hn, j) => errs.push(...dnsSubdomain(hn, `${p}.hostnames[${j}]`)));
  });
  (s.readinessGates ?? []).forEach((g, i) => {
    for (const m of isQualifiedName(g.conditionType ?? '')) errs.push(invalid(`${path}.readinessGates[${i}].conditionType`, g.conditionType ?? '', m));
  });
  errs.push(...oneOf(s.preemptionPolicy, ['PreemptLowerPriority', 'Never'], `${path}.preemptionPolicy`));
  if (s.overhead && Object.keys(s.overhead).length) errs.push(...validateOverhead(s.overhead, `${path}.overhead`));
  errs.push(...validateTopologySpreadConstraints(s.topologySpreadConstraints ?? [], `${path}.topologySpreadConstraints`));
  if (s.os) errs.push(...oneOf(s.os.name, ['linux', 'windows'], `${path}.os.name`));
  // (validatePodSchedulingGates: qualified names, no duplicates)
  const gates = new Set<string>();
  (s.schedulingGates ?? []).forEach((g, i) => {
    errs.push(...qualifiedName(g.name, `${path}.schedulingGates[${i}]`));
    if (gates.has(g.name ?? '')) errs.push(duplicate(`${path}.schedulingGates[${i}]`, g.name ?? ''));
    gates.add(g.name ?? '');
  });
  return errs;
}

/**
 * ValidatePodSpecificAnnotations' check of controller.kubernetes.io/pod-deletion-cost (what a
 * ReplicaSet scaling down orders its pods by): an int32 in canonical form, as
 * GetDeletionCostFromPodAnnotations reads it.
 */
export function validatePodDeletionCost(annotations: Record<string, string> | undefined, path: string): FieldError[] {
  const key = 'controller.kubernetes.io/pod-deletion-cost';
  const v = annotations?.[key];
  if (v === undefined) return [];
  const n = Number(v);
  const ok = /^(-|0$|[1-9])/.test(v) && /^-?[0-9]+$/.test(v) && n >= -2147483648 && n <= 2147483647;
  return ok ? [] : [invalid(`${path}[${key}]`, v, 'must be a 32bit integer')];
}

/** A new pod: metadata (namespaced, DNS-1123 subdomain name) and spec. */
export function validatePod(pod: Pod): FieldError[] {
  return [
    ...validateObjectMeta(pod.metadata, true, 'metadata'),
    ...validateMirrorPodCreate(pod),
    ...validatePodDeletionCost(pod.metadata?.annotations, 'metadata.annotations'),
    ...validatePodSpec(pod.spec, 'spec'),
  ];
}

/** A pod template's spec (Kubernetes' ValidatePodTemplateSpec): its pods could not be created with ephemeral containers. */
export function validateTemplatePodSpec(spec: PodSpec | undefined, path: string): FieldError[] {
  const errs = validatePodSpec(spec, path);
  if (spec?.ephemeralContainers?.length) errs.push(forbidden(`${path}.ephemeralContainers`, 'ephemeral containers not allowed in pod template'));
  return errs;
}

/** A pod create (Kubernetes' ValidatePodCreate): ephemeral containers come only through pods/ephemeralcontainers, never with the pod. */
export function validatePodCreate(pod: Pod): FieldError[] {
  const errs = validatePod(pod);
  if (pod.spec?.ephemeralContainers?.length) errs.push(forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  if (pod.spec?.schedulingGates?.length && pod.spec.nodeName) errs.push(forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
  return errs;
}

const POD_UPDATE_MESSAGE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** Paths (dotted) where two JSON values differ; for the Forbidden message. */
function diffPaths(a: unknown, b: unknown, path: string, out: string[]): void {
  if (out.length >= 5) return;
  if (semanticEqual(a, b)) return;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) diffPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`, out);
    return;
  }
  out.push(path);
}

/** Deep equality where undefined, null and absent keys are the same, and key order does not count. */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => {
    if (x === null) return undefined;
    if (typeof x !== 'object' || Array.isArray(x)) return x;
    return Object.fromEntries(Object.entries(x as object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });

function validateOnlyAddedTolerations(next: Toleration[], old: Toleration[], path: string): FieldError[] {
  for (const o of old) {
    const found = next.some((n) => canonical({ ...o, tolerationSeconds: n.tolerationSeconds }) === canonical({ ...n }));
    if (!found) return [forbidden(path, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return [];
}

/**
 * What a gated pod's update may do to its scheduling directives: nodeSelector only gains entries;
 * a non-empty list of required node selector terms keeps its length, each term only gaining
 * match expressions (its old ones first, unchanged) and keeping its match fields.
 */
function validateGatedSchedulingDirectives(spec: PodSpec, oldSpec: PodSpec): FieldError[] {
  const errs: FieldError[] = [];
  const sel = spec.nodeSelector ?? {};
  if (Object.entries(oldSpec.nodeSelector ?? {}).some(([k, v]) => sel[k] !== v)) {
    errs.push(invalid('spec.nodeSelector', goStringMap(spec.nodeSelector), 'only additions to spec.nodeSelector are allowed (no mutations or deletions)'));
  }
  const oldTerms = oldSpec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (!oldTerms.length) return errs;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const path = 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms';
  if (terms.length !== oldTerms.length) return [...errs, invalid(path, terms, 'no additions/deletions to non-empty NodeSelectorTerms list are allowed')];
  oldTerms.forEach((o, i) => {
    const t = terms[i]!;
    const was = semanticJson(o.matchExpressions ?? []);
    if (semanticJson((t.matchExpressions ?? []).slice(0, (o.matchExpressions ?? []).length)) !== was) errs.push(invalid(`${path}[${i}].matchExpressions`, t.matchExpressions ?? [], 'only additions are allowed (no mutations or deletions)'));
    if (!semanticFieldEqual('NodeSelectorTerm', 'matchFields', t.matchFields, o.matchFields)) errs.push(invalid(`${path}[${i}].matchFields`, t.matchFields ?? [], 'no updates are allowed'));
  });
  return errs;
}

/** Kubernetes' ValidatePodUpdate: only images, activeDeadlineSeconds, grace period and added tolerations may change. */
export function validatePodUpdate(pod: Pod, old: Pod): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata, true, 'metadata');
  errs.push(...validateAppArmorAnnotationUpdate(pod, old), ...validateMirrorPodAnnotationUpdate(pod, old));
  const spec = pod.spec ?? {};
  const oldSpec = old.spec ?? {};
  errs.push(...validatePodSpec(spec, 'spec'));
  const ads = spec.activeDeadlineSeconds;
  const oldAds = oldSpec.activeDeadlineSeconds;
  if (oldAds != null) {
    if (ads == null) errs.push(invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
    else if (ads > oldAds) errs.push(invalid('spec.activeDeadlineSeconds', ads, 'must be less than or equal to previous value'));
  }
  errs.push(...validateOnlyAddedTolerations(spec.tolerations ?? [], oldSpec.tolerations ?? [], 'spec.tolerations'));

  // Munge the old spec with the mutable fields of the new one; anything left that differs is forbidden.
  const munged: PodSpec = structuredClone(oldSpec);
  const withImages = (mine: PodSpec['containers'], theirs: PodSpec['containers']) =>
    mine && theirs && mine.length === theirs.length ? mine.map((c, i) => ({ ...c, image: theirs[i].image })) : mine;
  munged.containers = withImages(munged.containers, spec.containers);
  munged.initContainers = withImages(munged.initContainers, spec.initContainers);
  munged.activeDeadlineSeconds = spec.activeDeadlineSeconds;
  // (only from a negative value, to 1)
  if ((oldSpec.terminationGracePeriodSeconds ?? 0) < 0 && spec.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = 1;
  munged.tolerations = spec.tolerations;
  if ((oldSpec.schedulingGates ?? []).length) {
    munged.schedulingGates = spec.schedulingGates; // gates may only be removed
    // Pod Mutable Scheduling Directives (GA in 1.30): while gated, nodeSelector may gain entries
    // and required node affinity may narrow; what a controller steering the pod needs.
    errs.push(...validateGatedSchedulingDirectives(spec, oldSpec));
    munged.nodeSelector = spec.nodeSelector;
    const affinity: Record<string, unknown> = { ...(oldSpec.affinity ?? {}), nodeAffinity: spec.affinity?.nodeAffinity };
    if (affinity.nodeAffinity === undefined) delete affinity.nodeAffinity;
    munged.affinity = Object.keys(affinity).length ? (affinity as PodSpec['affinity']) : spec.affinity;
  }
  // (apiequality.Semantic.DeepEqual of the PodSpecs: an empty list or map is none, a quantity is its value)
  if (!semanticEqual(munged, spec, 'PodSpec')) {
    const changed: string[] = [];
    diffPaths(JSON.parse(canonical(munged)), JSON.parse(canonical(spec)), 'spec', changed);
    errs.push(forbidden('spec', `${POD_UPDATE_MESSAGE}${changed.length ? `\n  changed: ${changed.join(', ')}` : ''}`));
  }
  const oldGates = new Set((oldSpec.schedulingGates ?? []).map((g) => g.name));
  (spec.schedulingGates ?? []).forEach((g, i) => {
    if (!oldGates.has(g.name)) errs.push(forbidden(`spec.schedulingGates[${i}].name`, `only deletion is allowed, but found new scheduling gate '${g.name}'`));
  });
  return errs;
}

/**
 * Kubernetes' ValidatePodEphemeralContainersUpdate, for the ephemeralcontainers subresource
 * (whose strategy has already taken everything but spec.ephemeralContainers from the old pod):
 * a valid pod, and existing ephemeral containers neither removed nor changed.
 */
export function validatePodEphemeralContainersUpdate(pod: Pod, old: Pod): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata, true, 'metadata');
  errs.push(...validatePodSpec(pod.spec, 'spec'));
  const byName = new Map((pod.spec?.ephemeralContainers ?? []).map((c) => [c.name, c]));
  for (const prev of old.spec?.ephemeralContainers ?? []) {
    const now = byName.get(prev.name);
    if (!now) {
      errs.push(forbidden('spec.ephemeralContainers', `existing ephemeral containers ${JSON.stringify(prev.name)} may not be removed\n`));
    } else if (!semanticEqual(now, prev, 'EphemeralContainer')) {
      const changed: string[] = [];
      diffPaths(JSON.parse(canonical(prev)), JSON.parse(canonical(now)), '', changed);
      errs.push(forbidden('spec.ephemeralContainers', `existing ephemeral containers ${JSON.stringify(prev.name)} may not be changed\n  changed: ${changed.map((c) => c.replace(/^\./, '')).join(', ')}`));
    }
  }
  return errs;
}

/** Kubernetes' ValidatePodStatusUpdate: metadata unchanged, status well-formed and no impossible transitions. */
export function validatePodStatusUpdate(pod: Pod, old: Pod): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata, true, 'metadata');
  // (ValidatePodSpecificAnnotationUpdates, as for an update: the status keeps the annotations it is sent)
  errs.push(...validateAppArmorAnnotationUpdate(pod, old), ...validateMirrorPodAnnotationUpdate(pod, old));
  const st = pod.status ?? {};
  const oldSt = old.status ?? {};
  errs.push(...oneOf(st.phase, POD_PHASES, 'status.phase'));
  if (isTerminalPhase(oldSt.phase) && st.phase !== oldSt.phase) {
    errs.push(forbidden('status.phase', `cannot transition from the terminal phase ${oldSt.phase} to ${st.phase ?? '""'}`));
  }
  errs.push(...dnsSubdomain(st.nominatedNodeName, 'status.nominatedNodeName'));
  for (const [k, single] of [['podIPs', 'podIP'], ['hostIPs', 'hostIP']] as const) {
    const ips = (st[k] ?? []).map((x) => x.ip ?? '');
    ips.forEach((ip, i) => {
      if (!isValidIP(ip)) errs.push(invalid(`status.${k}[${i}].ip`, ip, 'must be a valid IP address'));
    });
    if (new Set(ips).size !== ips.length) errs.push(duplicate(`status.${k}`, ips));
    if (ips.length > 2) errs.push(invalid(`status.${k}`, ips, 'may specify no more than one IP for each IP family'));
    if (st[single] && !isValidIP(st[single]!)) errs.push(invalid(`status.${single}`, st[single], 'must be a valid IP address'));
    if (st[single] && ips.length && ips[0] !== st[single]) errs.push(invalid(`status.${k}[0].ip`, ips[0], `must match status.${single}`));
  }
  const restartPolicy = pod.spec?.restartPolicy ?? 'Always';
  for (const k of ['initContainerStatuses', 'containerStatuses'] as const) {
    const oldByName = new Map((oldSt[k] ?? []).map((c) => [c.name, c]));
    (st[k] ?? []).forEach((cs, i) => {
      const p = `status.${k}[${i}]`;
      errs.push(...nonNegative(cs.restartCount, `${p}.restartCount`));
      const prev = oldByName.get(cs.name);
      const app = k === 'containerStatuses';
      const terminatedForever = restartPolicy === 'Never' || (restartPolicy === 'OnFailure' && prev?.state?.terminated?.exitCode === 0);
      if (app && prev?.state?.terminated && !cs.state?.terminated && terminatedForever) {
        errs.push(forbidden(`${p}.state`, 'may not be transitioned to non-terminated state'));
      }
    });
  }
  return errs;
}
