// Validation of PersistentVolumes, PersistentVolumeClaims (pkg/apis/core/validation) and
// StorageClasses (pkg/apis/storage/validation), in Kubernetes' wording, for what tskube
// supports: hostPath and local volumes of Filesystem mode, reclaimed by Delete or Retain.
import { duplicate, forbidden, invalid, notSupported, required, tooLong, type FieldError } from './field-error.js';
import { compareQuantities, isValidQuantity, parseQuantity, QUANTITY_FORMAT_MESSAGE } from './quantity.js';
import { ACCESS_MODES } from './persistent-volumes.js';
import { semanticEqual, semanticFieldEqual } from './semantic-equal.js';
import type { PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimSpec, StorageClass } from './types.js';
import { validateLabelSelector, validateNodeSelector } from './validation-affinity.js';
import { dnsLabel, dnsSubdomain, qualifiedName, validateAnnotations, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './validation-meta.js';
import { validateHostPathVolumeSource } from './validation-host-path.js';
import { moreThanOne, PV_SOURCES, secondSourcePath, validateAllowedTopologies, validateMountOptionsAnnotation, validateOtherPersistentVolumeSource } from './validation-volume-sources.js';

const RECLAIM_POLICIES = ['Delete', 'Retain'];
const VOLUME_MODES = ['Filesystem'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];
const PV_PHASES = ['Pending', 'Available', 'Bound', 'Released', 'Failed'];
const PVC_PHASES = ['Pending', 'Bound', 'Lost'];

/** Access modes: at least one (when `need`), each known, ReadWriteOncePod alone. */
function validateAccessModes(modes: string[] | undefined, path: string, requiredDetail: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!modes?.length) errs.push(required(path, requiredDetail));
  let rwop = false;
  let other = false;
  for (const m of modes ?? []) {
    if (!ACCESS_MODES.includes(m)) errs.push(notSupported(path, m, ACCESS_MODES));
    else if (m === 'ReadWriteOncePod') rwop = true;
    else other = true;
  }
  if (rwop && other) errs.push(forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

/** A quantity that must be valid and greater than zero. */
function positiveQuantity(q: string, path: string): FieldError[] {
  if (!isValidQuantity(q)) return [invalid(path, q, QUANTITY_FORMAT_MESSAGE)];
  return parseQuantity(q) > 0 ? [] : [invalid(path, q, 'must be greater than zero')];
}

const volumeMode = (v: string | undefined, path: string): FieldError[] => (v && !VOLUME_MODES.includes(v) ? [notSupported(path, v, VOLUME_MODES)] : []);

const className = (v: string | undefined | null, path: string): FieldError[] => dnsSubdomain(v, path);

export function validatePersistentVolume(pv: PersistentVolume): FieldError[] {
  const s = pv.spec ?? {};
  const errs = validateObjectMeta(pv.metadata, false, 'metadata');
  errs.push(...validateAccessModes(s.accessModes, 'spec.accessModes', ''));
  const cap = s.capacity ?? {};
  const keys = Object.keys(cap);
  if (!keys.length) errs.push(required('spec.capacity'));
  if (!('storage' in cap) || keys.length > 1) errs.push(notSupported('spec.capacity', cap, ['storage']));
  for (const k of keys) errs.push(...positiveQuantity(cap[k]!, `spec.capacity[${k}]`));
  const policy = s.persistentVolumeReclaimPolicy;
  if (policy === 'Recycle') errs.push(forbidden('spec.persistentVolumeReclaimPolicy', 'Recycle is deprecated in Kubernetes and not supported by tskube: use Delete or Retain'));
  else if (policy && !RECLAIM_POLICIES.includes(policy)) errs.push(notSupported('spec.persistentVolumeReclaimPolicy', policy, RECLAIM_POLICIES));
  let affinity = false;
  if (s.nodeAffinity) {
    affinity = true;
    if (s.nodeAffinity.required) errs.push(...validateNodeSelector(s.nodeAffinity.required, 'spec.nodeAffinity.required'));
    else errs.push(required('spec.nodeAffinity.required', 'must specify required node constraints'));
  }
  // ValidatePersistentVolumeSpec's sources, in its order: the first one set is validated, each
  // later one is "more than 1" (a flexVolume never is, as upstream counts it without checking).
  let sources = 0;
  for (const kind of PV_SOURCES) {
    if (s[kind] == null) continue;
    if (sources++ && kind !== 'flexVolume') {
      errs.push(moreThanOne(`spec.${secondSourcePath(kind)}`));
      continue;
    }
    if (kind === 'hostPath') errs.push(...validateHostPathVolumeSource(s.hostPath!, 'spec.hostPath'));
    else if (kind === 'local') {
      const p = s.local!.path;
      if (!p) errs.push(required('spec.local.path'));
      else if (p.split('/').includes('..')) errs.push(invalid('spec.local.path', p, "must not contain '..'"));
      else if (!p.startsWith('/')) errs.push(invalid('spec.local.path', p, 'must be an absolute path'));
      if (!affinity) errs.push(required('spec.nodeAffinity', 'Local volume requires node affinity'));
    } else errs.push(...validateOtherPersistentVolumeSource(kind, s[kind] as Record<string, unknown>, pv.metadata?.name ?? ''));
  }
  if (!sources) errs.push(required('spec', 'must specify a volume type'));
  errs.push(...validateMountOptionsAnnotation(s, pv.metadata?.annotations));
  errs.push(...className(s.storageClassName, 'spec.storageClassName'), ...volumeMode(s.volumeMode, 'spec.volumeMode'));
  if (s.claimRef) {
    if (!s.claimRef.name) errs.push(required('spec.claimRef.name'));
    if (!s.claimRef.namespace) errs.push(required('spec.claimRef.namespace'));
    else errs.push(...dnsLabel(s.claimRef.namespace, 'spec.claimRef.namespace'));
  }
  return errs;
}


export function validatePersistentVolumeUpdate(pv: PersistentVolume, old: PersistentVolume): FieldError[] {
  const errs = [...validateObjectMetaUpdate(pv.metadata, old.metadata, false), ...validatePersistentVolume(pv).filter((e) => !e.field.startsWith('metadata'))];
  const source = (v: PersistentVolume) => Object.fromEntries(PV_SOURCES.map((k) => [k, normal(v.spec?.[k])]));
  // (a CSI volume made without a controllerExpandSecretRef may be given one, as 1.32 allows)
  const next = structuredClone(pv);
  if (old.spec?.csi && !old.spec.csi.controllerExpandSecretRef && next.spec?.csi) delete next.spec.csi.controllerExpandSecretRef;
  if (!semanticEqual(source(next), source(old), 'PersistentVolumeSpec')) errs.push(forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
  if ((pv.spec?.volumeMode ?? '') !== (old.spec?.volumeMode ?? '')) errs.push(invalid('volumeMode', pv.spec?.volumeMode ?? null, 'field is immutable'));
  if (old.spec?.nodeAffinity && !semanticFieldEqual('PersistentVolumeSpec', 'nodeAffinity', pv.spec?.nodeAffinity, old.spec.nodeAffinity)) errs.push(invalid('nodeAffinity', pv.spec?.nodeAffinity ?? null, 'field is immutable'));
  return errs;
}

export function validatePersistentVolumeStatusUpdate(pv: PersistentVolume, old: PersistentVolume): FieldError[] {
  const errs = validateObjectMetaUpdate(pv.metadata, old.metadata, false);
  const phase = pv.status?.phase;
  if (phase && !PV_PHASES.includes(phase)) errs.push(notSupported('status.phase', phase, PV_PHASES));
  return errs;
}

/** ValidatePersistentVolumeClaimSpec (also for StatefulSet volumeClaimTemplates). */
export function validatePersistentVolumeClaimSpec(s: PersistentVolumeClaimSpec | undefined, path: string): FieldError[] {
  const spec = s ?? {};
  const errs = validateAccessModes(spec.accessModes, `${path}.accessModes`, 'at least 1 access mode is required');
  if (spec.selector) errs.push(...validateLabelSelector(spec.selector, `${path}.selector`));
  const storage = spec.resources?.requests?.storage;
  if (storage === undefined || storage === null) errs.push(required(`${path}.resources[storage]`));
  else errs.push(...positiveQuantity(storage, `${path}.resources[storage]`));
  errs.push(...className(spec.storageClassName, `${path}.storageClassName`), ...volumeMode(spec.volumeMode, `${path}.volumeMode`));
  if (spec.dataSource) errs.push(...validateDataSource(spec.dataSource, `${path}.dataSource`));
  const ref = spec.dataSourceRef;
  if (ref) {
    errs.push(...validateDataSource(ref, `${path}.dataSourceRef`));
    if (ref.namespace) errs.push(...dnsLabel(ref.namespace, `${path}.dataSourceRef.namespace`));
  }
  // (the bad value of these two is the path of dataSource, as 1.32 words it)
  if (ref?.namespace) {
    if (spec.dataSource) errs.push(invalid(path, `${path}.dataSource`, 'may not be specified when dataSourceRef.namespace is specified'));
  } else if (spec.dataSource && ref && !sameDataSource(spec.dataSource, ref)) errs.push(invalid(path, `${path}.dataSource`, 'must match dataSourceRef'));
  // (only reached when the stored claim has one: the VolumeAttributesClass gate is off, so a new one is dropped)
  if (spec.volumeAttributesClassName) errs.push(...className(spec.volumeAttributesClassName, `${path}.volumeAttributesClassName`));
  return errs;
}

/**
 * validateDataSource and validateDataSourceRef: a kind and a name; the core group only for a
 * PersistentVolumeClaim; another group a DNS subdomain.
 */
function validateDataSource(ref: { apiGroup?: string; kind?: string; name?: string }, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!ref.name) errs.push(required(`${path}.name`));
  if (!ref.kind) errs.push(required(`${path}.kind`));
  const group = ref.apiGroup ?? '';
  if (!group && ref.kind !== 'PersistentVolumeClaim') errs.push(invalid(path, ref.kind ?? '', "must be 'PersistentVolumeClaim' when referencing the default apiGroup"));
  if (group) errs.push(...dnsSubdomain(group, `${path}.apiGroup`));
  return errs;
}

/** isDataSourceEqualDataSourceRef. */
const sameDataSource = (a: { apiGroup?: string; kind?: string; name?: string }, b: { apiGroup?: string; kind?: string; name?: string }) =>
  (a.apiGroup ?? '') === (b.apiGroup ?? '') && (a.kind ?? '') === (b.kind ?? '') && (a.name ?? '') === (b.name ?? '');

export function validatePersistentVolumeClaim(pvc: PersistentVolumeClaim): FieldError[] {
  return [...validateObjectMeta(pvc.metadata, true, 'metadata'), ...validatePersistentVolumeClaimSpec(pvc.spec, 'spec')];
}

/**
 * A claim's spec is immutable except: volumeName may be set once, storageClassName may go from
 * unset to a value, and a bound claim's storage request may change (growing it is the resize
 * admission's business; shrinking is refused below what the volume has).
 */
export function validatePersistentVolumeClaimUpdate(pvc: PersistentVolumeClaim, old: PersistentVolumeClaim): FieldError[] {
  const errs = [...validateObjectMetaUpdate(pvc.metadata, old.metadata, true), ...validatePersistentVolumeClaim(pvc).filter((e) => !e.field.startsWith('metadata'))];
  const next = structuredClone(pvc.spec ?? {});
  const prev = structuredClone(old.spec ?? {});
  if (!prev.volumeName) prev.volumeName = next.volumeName;
  if (prev.storageClassName === undefined || prev.storageClassName === null) prev.storageClassName = next.storageClassName;
  const bound = (pvc.status?.phase ?? old.status?.phase) === 'Bound';
  if (bound && next.resources?.requests) next.resources.requests.storage = old.spec?.resources?.requests?.storage as string;
  if (!semanticEqual(normal(next), normal(prev), 'PersistentVolumeClaimSpec')) errs.push(forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  const newSize = pvc.spec?.resources?.requests?.storage;
  const oldSize = old.spec?.resources?.requests?.storage;
  const statusSize = old.status?.capacity?.storage;
  if (newSize && oldSize && isValidQuantity(newSize) && isValidQuantity(oldSize) && compareQuantities(newSize, oldSize) < 0) {
    if (!statusSize || !isValidQuantity(statusSize) || compareQuantities(newSize, statusSize) <= 0) {
      errs.push(forbidden('spec.resources.requests.storage', 'field can not be less than status.capacity'));
    }
  }
  if ((pvc.spec?.volumeMode ?? '') !== (old.spec?.volumeMode ?? '')) errs.push(invalid('volumeMode', pvc.spec?.volumeMode ?? null, 'field is immutable'));
  return errs;
}

/** A spec with its keys sorted (deeply), so that the order fields came in does not count as a change. */
function normal(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normal);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => [k, normal((v as Record<string, unknown>)[k])]));
  return v;
}

export function validatePersistentVolumeClaimStatusUpdate(pvc: PersistentVolumeClaim, old: PersistentVolumeClaim): FieldError[] {
  const errs = validateObjectMetaUpdate(pvc.metadata, old.metadata, true);
  const phase = pvc.status?.phase;
  if (phase && !PVC_PHASES.includes(phase)) errs.push(notSupported('status.phase', phase, PVC_PHASES));
  for (const [k, q] of Object.entries(pvc.status?.capacity ?? {})) if (!isValidQuantity(q)) errs.push(invalid(`status.capacity[${k}]`, q, QUANTITY_FORMAT_MESSAGE));
  return errs;
}

/** A StatefulSet's claim templates: a name (the pod's volume name, so a DNS label), no repeats, a valid claim spec. */
export function validateVolumeClaimTemplates(templates: PersistentVolumeClaim[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (templates ?? []).forEach((t, i) => {
    const p = `${path}[${i}]`;
    const name = t.metadata?.name;
    if (!name) errs.push(required(`${p}.metadata.name`));
    else {
      errs.push(...dnsLabel(name, `${p}.metadata.name`));
      if (names.has(name)) errs.push(duplicate(`${p}.metadata.name`, name));
      names.add(name);
    }
    errs.push(...validateLabels(t.metadata?.labels, `${p}.metadata.labels`), ...validateAnnotations(t.metadata?.annotations, `${p}.metadata.annotations`));
    errs.push(...validatePersistentVolumeClaimSpec(t.spec, `${p}.spec`));
  });
  return errs;
}

const MAX_PARAMETERS = 512;
const MAX_PARAMETERS_SIZE = 256 * 1024;

export function validateStorageClass(sc: StorageClass): FieldError[] {
  const errs = validateObjectMeta(sc.metadata, false, 'metadata');
  if (!sc.provisioner) errs.push(required('provisioner'));
  else errs.push(...qualifiedName(sc.provisioner.toLowerCase(), 'provisioner'));
  const params = Object.entries(sc.parameters ?? {});
  if (params.length > MAX_PARAMETERS) errs.push({ type: 'FieldValueTooMany', field: 'parameters', detail: `must have at most ${MAX_PARAMETERS} items` });
  else {
    let size = 0;
    for (const [k, v] of params) {
      if (!k) errs.push(invalid('parameters', k, 'field can not be empty.'));
      size += k.length + String(v).length;
    }
    if (size > MAX_PARAMETERS_SIZE) errs.push(tooLong('parameters', undefined, MAX_PARAMETERS_SIZE));
  }
  if (sc.reclaimPolicy && !RECLAIM_POLICIES.includes(sc.reclaimPolicy)) errs.push(notSupported('reclaimPolicy', sc.reclaimPolicy, RECLAIM_POLICIES));
  if (!sc.volumeBindingMode) errs.push(required('volumeBindingMode'));
  else if (!BINDING_MODES.includes(sc.volumeBindingMode)) errs.push(notSupported('volumeBindingMode', sc.volumeBindingMode, BINDING_MODES));
  errs.push(...validateAllowedTopologies(sc.allowedTopologies, 'allowedTopologies'));
  return errs;
}

export function validateStorageClassUpdate(sc: StorageClass, old: StorageClass): FieldError[] {
  const errs = [...validateObjectMetaUpdate(sc.metadata, old.metadata, false), ...validateStorageClass(sc).filter((e) => !e.field.startsWith('metadata'))];
  if (!semanticFieldEqual('StorageClass', 'parameters', sc.parameters, old.parameters)) errs.push(forbidden('parameters', 'updates to parameters are forbidden.'));
  if (sc.provisioner !== old.provisioner) errs.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
  if (sc.reclaimPolicy !== old.reclaimPolicy) errs.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  if (sc.volumeBindingMode !== old.volumeBindingMode) errs.push(invalid('volumeBindingMode', sc.volumeBindingMode ?? null, 'field is immutable'));
  return errs;
}
