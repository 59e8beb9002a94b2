// Validation of the volume sources tskube accepts but does not mount (nfs, iscsi, csi, gitRepo,
// cephfs, rbd, fc, flexVolume, the cloud ones, image), in pods and PersistentVolumes, as 1.32's
// pkg/apis/core/validation does it (validateVolumeSource, ValidatePersistentVolumeSpec and their
// validate*VolumeSource helpers), with its paths and words, quirks included: a second source is
// reported at `cephFS` and `downwarAPI`, a gcePersistentDisk's fields under `persistentDisk`, an
// iSCSI initiator name at `initiatorname`. The node agent reports FailedMount for these sources.
import { duplicate, forbidden, invalid, notSupported, required, tooLong, type FieldError } from './field-error.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName } from './names.js';
import type { TopologySelectorTerm } from './generated/tskube/api/v1/storage.js';
import type { PersistentVolumeSpec, Volume } from './types.js';

/** The order validateVolumeSource looks at a pod volume's sources: the first one set is validated, each later one is "more than 1". */
export const POD_VOLUME_SOURCES = [
  'emptyDir', 'hostPath', 'gitRepo', 'gcePersistentDisk', 'awsElasticBlockStore', 'secret', 'nfs', 'iscsi', 'glusterfs', 'flocker', 'persistentVolumeClaim',
  'rbd', 'cinder', 'cephfs', 'quobyte', 'downwardAPI', 'fc', 'flexVolume', 'configMap', 'azureFile', 'vsphereVolume', 'photonPersistentDisk',
  'portworxVolume', 'azureDisk', 'storageos', 'projected', 'scaleIO', 'csi', 'ephemeral', 'image',
] as const satisfies readonly (keyof Volume)[];
export type PodVolumeSource = (typeof POD_VOLUME_SOURCES)[number];

/** The sources tskube's node agent mounts; a pod using any other waits in ContainerCreating (FailedMount). */
export const MOUNTABLE_POD_VOLUME_SOURCES: readonly PodVolumeSource[] = ['emptyDir', 'hostPath', 'configMap', 'secret', 'downwardAPI', 'projected', 'persistentVolumeClaim', 'ephemeral'];

/** ValidatePersistentVolumeSpec's order (flexVolume is counted but never "more than 1", as upstream). */
export const PV_SOURCES = [
  'hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'glusterfs', 'flocker', 'nfs', 'rbd', 'quobyte', 'cephfs', 'iscsi', 'cinder', 'fc', 'flexVolume',
  'azureFile', 'vsphereVolume', 'photonPersistentDisk', 'portworxVolume', 'azureDisk', 'scaleIO', 'local', 'storageos', 'csi',
] as const satisfies readonly (keyof PersistentVolumeSpec)[];
export type PersistentVolumeSource = (typeof PV_SOURCES)[number];

/** Where upstream reports a second source (its field names, misspellings kept). */
const SECOND_SOURCE_PATH: Partial<Record<string, string>> = { cephfs: 'cephFS', downwardAPI: 'downwarAPI' };
export const secondSourcePath = (kind: string): string => SECOND_SOURCE_PATH[kind] ?? kind;
/** Where upstream validates a source's fields, when not under its own name. */
export const sourceFieldsPath = (kind: string): string => (kind === 'gcePersistentDisk' ? 'persistentDisk' : kind);

const MORE_THAN_ONE = 'may not specify more than 1 volume type';
export const moreThanOne = (path: string): FieldError => forbidden(path, MORE_THAN_ONE);

const inclusiveRange = (lo: number, hi: number) => `must be between ${lo} and ${hi}, inclusive`;
const PD_PARTITION = inclusiveRange(1, 255);

const IQN = /iqn\.\d{4}-\d{2}\.([A-Za-z0-9\-.]+)(:[^,;*&$|\t\n\f\r ]+)$/;
const EUI = /^eui.[A-Za-z0-9]{16}$/;
const NAA = /^naa.[A-Za-z0-9]{32}$/;
const isAbs = (p: string) => p.startsWith('/');

type Src = Record<string, any>;

function partition(s: Src, idField: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!s[idField]) errs.push(required(`${path}.${idField}`));
  const part = s.partition ?? 0;
  if (part < 0 || part > 255) errs.push(invalid(`${path}.partition`, part, PD_PARTITION));
  return errs;
}

/** validateISCSIVolumeSource / validateISCSIPersistentVolumeSource (`pv`: the volume's name, for the initiator's interface name). */
function iscsi(s: Src, path: string, pv?: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.targetPortal) errs.push(required(`${path}.targetPortal`));
  if (pv !== undefined && s.initiatorName != null && `${pv}:${s.targetPortal ?? ''}`.length > 64) {
    errs.push(invalid(`${path}.targetportal`, s.targetPortal ?? '', 'Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified.'));
  }
  // (the pod's check words a bad prefix in full; the PersistentVolume's says only "must be valid format")
  const prefixed = (v: string, p: string, full: boolean) => {
    if (!v.startsWith('iqn') && !v.startsWith('eui') && !v.startsWith('naa')) return [invalid(p, v, full ? 'must be valid format starting with iqn, eui, or naa' : 'must be valid format')];
    return [];
  };
  const formatted = (v: string, p: string) =>
    (v.startsWith('iqn') && !IQN.test(v)) || (v.startsWith('eui') && !EUI.test(v)) || (v.startsWith('naa') && !NAA.test(v)) ? [invalid(p, v, 'must be valid format')] : [];
  const iqn = s.iqn ?? '';
  if (!iqn) errs.push(required(`${path}.iqn`));
  else {
    const bad = prefixed(iqn, `${path}.iqn`, pv === undefined);
    errs.push(...(bad.length ? bad : formatted(iqn, `${path}.iqn`)));
  }
  const lun = s.lun ?? 0;
  if (lun < 0 || lun > 255) errs.push(invalid(`${path}.lun`, lun, inclusiveRange(0, 255)));
  if ((s.chapAuthDiscovery || s.chapAuthSession) && s.secretRef == null) errs.push(required(`${path}.secretRef`));
  if (pv !== undefined && s.secretRef != null && !s.secretRef.name) errs.push(required(`${path}.secretRef.name`));
  if (s.initiatorName != null) {
    const i = String(s.initiatorName);
    errs.push(...prefixed(i, `${path}.initiatorname`, pv === undefined), ...formatted(i, `${path}.initiatorname`));
  }
  return errs;
}

function fc(s: Src, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const wwns: string[] = s.targetWWNs ?? [];
  const wwids: string[] = s.wwids ?? [];
  if (!wwns.length && !wwids.length) errs.push(required(`${path}.targetWWNs`, 'must specify either targetWWNs or wwids, but not both'));
  if (wwns.length && wwids.length) errs.push(invalid(`${path}.targetWWNs`, wwns, 'targetWWNs and wwids can not be specified simultaneously'));
  if (wwns.length) {
    if (s.lun == null) errs.push(required(`${path}.lun`, 'lun is required if targetWWNs is specified'));
    else if (s.lun < 0 || s.lun > 255) errs.push(invalid(`${path}.lun`, s.lun, inclusiveRange(0, 255)));
  }
  return errs;
}

function nfs(s: Src, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.server) errs.push(required(`${path}.server`));
  if (!s.path) errs.push(required(`${path}.path`));
  if (!isAbs(s.path ?? '')) errs.push(invalid(`${path}.path`, s.path ?? '', 'must be an absolute path'));
  return errs;
}

function monitorsAndImage(s: Src, path: string, image: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (!(s.monitors ?? []).length) errs.push(required(`${path}.monitors`));
  if (image && !s.image) errs.push(required(`${path}.image`));
  return errs;
}

/** validateFlexVolumeSource: a driver, and no options under Kubernetes' own namespaces. */
function flex(s: Src, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.driver) errs.push(required(`${path}.driver`));
  for (const k of Object.keys(s.options ?? {})) {
    const ns = k.includes('/') ? k.slice(0, k.indexOf('/')) : k;
    const normalized = `.${ns.toLowerCase()}`;
    if (normalized.endsWith('.kubernetes.io') || normalized.endsWith('.k8s.io')) errs.push(invalid(`${path}.options[${k}]`, k, 'kubernetes.io and k8s.io namespaces are reserved'));
  }
  return errs;
}

function gitRepo(s: Src, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.repository) errs.push(required(`${path}.repository`));
  // validateLocalDescendingPath: relative, no '..' element
  const dir: string = s.directory ?? '';
  if (isAbs(dir)) errs.push(invalid(`${path}.directory`, dir, 'must be a relative path'));
  if (dir.split('/').includes('..')) errs.push(invalid(`${path}.directory`, dir, "must not contain '..'"));
  return errs;
}

function glusterfs(s: Src, path: string, pv: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.endpoints) errs.push(required(`${path}.endpoints`));
  if (!s.path) errs.push(required(`${path}.path`));
  if (pv && s.endpointsNamespace != null) {
    const ns = String(s.endpointsNamespace);
    if (!ns) errs.push(invalid(`${path}.endpointsNamespace`, ns, 'if the endpointnamespace is set, it must be a valid namespace name'));
    else for (const m of isDNS1123Label(ns)) errs.push(invalid(`${path}.endpointsNamespace`, ns, m));
  }
  return errs;
}

function flocker(s: Src, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.datasetName && !s.datasetUUID) errs.push(required(path, 'one of datasetName and datasetUUID is required'));
  if (s.datasetName && s.datasetUUID) errs.push(invalid(path, 'resource', 'datasetName and datasetUUID can not be specified simultaneously'));
  if (String(s.datasetName ?? '').includes('/')) errs.push(invalid(`${path}.datasetName`, s.datasetName, "must not contain '/'"));
  return errs;
}

function quobyte(s: Src, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const pairs = 'must be a host:port pair or multiple pairs separated by commas';
  if (!s.registry) errs.push(required(`${path}.registry`, pairs));
  else if (String(s.tenant ?? '').length >= 65) errs.push(required(`${path}.tenant`, 'must be a UUID and may not exceed a length of 64 characters'));
  else for (const pair of String(s.registry).split(',')) if (!isHostPort(pair)) errs.push(invalid(`${path}.registry`, s.registry, pairs));
  if (!s.volume) errs.push(required(`${path}.volume`));
  return errs;
}

/** net.SplitHostPort succeeds: host:port, [v6]:port; the port may be empty, the host too. */
function isHostPort(s: string): boolean {
  if (s.startsWith('[')) return /^\[[^\][]*\]:[^:\][]*$/.test(s);
  const i = s.lastIndexOf(':');
  return i >= 0 && s.indexOf(':') === i && !/[\][]/.test(s);
}

function cinder(s: Src, path: string, pv: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.volumeID) errs.push(required(`${path}.volumeID`));
  if (s.secretRef != null) {
    if (!s.secretRef.name) errs.push(required(`${path}.secretRef.name`));
    if (pv && !s.secretRef.namespace) errs.push(required(`${path}.secretRef.namespace`));
  }
  return errs;
}

function azureFile(s: Src, path: string, pv: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.secretName) errs.push(required(`${path}.secretName`));
  if (!s.shareName) errs.push(required(`${path}.shareName`));
  if (pv && s.secretNamespace != null && !s.secretNamespace) errs.push(required(`${path}.secretNamespace`));
  return errs;
}

const CACHING_MODES = ['None', 'ReadOnly', 'ReadWrite'];
const DISK_KINDS = ['Dedicated', 'Managed', 'Shared'];

function azureDisk(s: Src, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.diskName) errs.push(required(`${path}.diskName`));
  if (!s.diskURI) errs.push(required(`${path}.diskURI`));
  if (s.cachingMode != null && !CACHING_MODES.includes(s.cachingMode)) errs.push(notSupported(`${path}.cachingMode`, s.cachingMode, CACHING_MODES));
  if (s.kind != null && !DISK_KINDS.includes(s.kind)) errs.push(notSupported(`${path}.kind`, s.kind, DISK_KINDS));
  const uri = String(s.diskURI ?? '');
  if (s.kind != null && s.kind === 'Managed' && !uri.startsWith('/subscriptions/')) {
    errs.push(notSupported(`${path}.diskURI`, uri, ['/subscriptions/{sub-id}/resourcegroups/{group-name}/providers/microsoft.compute/disks/{disk-id}']));
  }
  if (s.kind != null && s.kind !== 'Managed' && !uri.startsWith('https://')) {
    errs.push(notSupported(`${path}.diskURI`, uri, ['https://{account-name}.blob.core.windows.net/{container-name}/{disk-name}.vhd']));
  }
  return errs;
}

const requiredFields = (s: Src, path: string, ...fields: string[]): FieldError[] => fields.filter((f) => !s[f]).map((f) => required(`${path}.${f}`));

function storageos(s: Src, path: string, pv: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.volumeName) errs.push(required(`${path}.volumeName`));
  else for (const m of isDNS1123Label(s.volumeName)) errs.push(invalid(`${path}.volumeName`, s.volumeName, m));
  if (s.volumeNamespace) for (const m of isDNS1123Label(s.volumeNamespace)) errs.push(invalid(`${path}.volumeNamespace`, s.volumeNamespace, m));
  if (s.secretRef != null) {
    if (!s.secretRef.name) errs.push(required(`${path}.secretRef.name`));
    if (pv && !s.secretRef.namespace) errs.push(required(`${path}.secretRef.namespace`));
  }
  return errs;
}

/** ValidateCSIDriverName: required, at most 63 characters, a DNS subdomain once lower-cased. */
export function validateCSIDriverName(driver: string | undefined, path: string): FieldError[] {
  const d = driver ?? '';
  const errs: FieldError[] = [];
  if (!d) errs.push(required(path));
  if (d.length > 63) errs.push(tooLong(path, d, 63));
  for (const m of isDNS1123Subdomain(d.toLowerCase())) errs.push(invalid(path, d, m));
  return errs;
}

function csiInline(s: Src, path: string): FieldError[] {
  const errs = validateCSIDriverName(s.driver, `${path}.driver`);
  const ref = s.nodePublishSecretRef;
  if (ref != null) {
    if (!ref.name) errs.push(required(`${path}.nodePublishSecretRef.name`));
    // (ValidateSecretName's messages are reported at `name`, beside the source, as upstream does)
    else for (const m of isDNS1123Subdomain(ref.name)) errs.push(invalid(`${path}.name`, ref.name, m));
  }
  return errs;
}

/** validatePVSecretReference: a name (DNS subdomain) and a namespace (DNS label). */
function pvSecretRef(ref: Src, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!ref.name) errs.push(required(`${path}.name`));
  else for (const m of isDNS1123Subdomain(ref.name)) errs.push(invalid(`${path}.name`, ref.name, m));
  if (!ref.namespace) errs.push(required(`${path}.namespace`));
  else for (const m of isDNS1123Label(ref.namespace)) errs.push(invalid(`${path}.namespace`, ref.namespace, m));
  return errs;
}

function csiPersistent(s: Src, path: string): FieldError[] {
  const errs = validateCSIDriverName(s.driver, `${path}.driver`);
  if (!s.volumeHandle) errs.push(required(`${path}.volumeHandle`));
  for (const f of ['controllerPublishSecretRef', 'controllerExpandSecretRef', 'nodePublishSecretRef', 'nodeExpandSecretRef']) {
    if (s[f] != null) errs.push(...pvSecretRef(s[f], `${path}.${f}`));
  }
  // (nodeStageSecretRef is not checked by 1.32 either)
  return errs;
}

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];

/** validateImageVolumeSource (ImageVolume, off in 1.32: reached only by an old pod that has one). */
function image(s: Src, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.reference) errs.push(required(`${path}.reference`));
  if (s.pullPolicy && !PULL_POLICIES.includes(s.pullPolicy)) errs.push(notSupported(`${path}.pullPolicy`, s.pullPolicy, PULL_POLICIES));
  return errs;
}

/**
 * The validation of one of the pod volume sources tskube does not mount (`path`: the source's,
 * e.g. spec.volumes[0].nfs); the mountable ones are validation-pod's. `volume` is the volume's
 * path and `name` its name, for the iSCSI interface name check.
 */
export function validateUnmountedVolumeSource(kind: PodVolumeSource, s: Src, volume: string): FieldError[] {
  const path = `${volume}.${sourceFieldsPath(kind)}`;
  switch (kind) {
    case 'gitRepo': return gitRepo(s, path);
    case 'gcePersistentDisk': return partition(s, 'pdName', path);
    case 'awsElasticBlockStore': return partition(s, 'volumeID', path);
    case 'nfs': return nfs(s, path);
    case 'iscsi': return iscsi(s, path);
    case 'glusterfs': return glusterfs(s, path, false);
    case 'flocker': return flocker(s, path);
    case 'rbd': return monitorsAndImage(s, path, true);
    case 'cinder': return cinder(s, path, false);
    case 'cephfs': return monitorsAndImage(s, path, false);
    case 'quobyte': return quobyte(s, path);
    case 'fc': return fc(s, path);
    case 'flexVolume': return flex(s, path);
    case 'azureFile': return azureFile(s, path, false);
    case 'vsphereVolume': return requiredFields(s, path, 'volumePath');
    case 'photonPersistentDisk': return requiredFields(s, path, 'pdID');
    case 'portworxVolume': return requiredFields(s, path, 'volumeID');
    case 'azureDisk': return azureDisk(s, path);
    case 'storageos': return storageos(s, path, false);
    case 'scaleIO': return requiredFields(s, path, 'gateway', 'system', 'volumeName');
    case 'csi': return csiInline(s, path);
    case 'image': return image(s, path);
    default: return [];
  }
}

/** The check validateVolumeSource makes of an iSCSI volume whatever its place: the interface name <volume>:<portal> fits in 64. */
export function validateISCSIInterfaceName(v: Volume, volume: string): FieldError[] {
  const s = v.iscsi;
  if (!s || s.initiatorName == null) return [];
  const name = v.name ?? '';
  return `${name}:${s.targetPortal ?? ''}`.length > 64 ? [invalid(`${volume}.name`, name, 'Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified.')] : [];
}

/** The validation of a PersistentVolume source other than hostPath and local (validation-storage's). */
export function validateOtherPersistentVolumeSource(kind: PersistentVolumeSource, s: Src, pvName: string): FieldError[] {
  const path = `spec.${sourceFieldsPath(kind)}`;
  switch (kind) {
    case 'gcePersistentDisk': return partition(s, 'pdName', path);
    case 'awsElasticBlockStore': return partition(s, 'volumeID', path);
    case 'glusterfs': return glusterfs(s, path, true);
    case 'flocker': return flocker(s, path);
    case 'nfs': return nfs(s, path);
    case 'rbd': return monitorsAndImage(s, path, true);
    case 'quobyte': return quobyte(s, path);
    case 'cephfs': return monitorsAndImage(s, path, false);
    case 'iscsi': return iscsi(s, path, pvName);
    case 'cinder': return cinder(s, path, true);
    case 'fc': return fc(s, path);
    case 'flexVolume': return flex(s, path);
    case 'azureFile': return azureFile(s, path, true);
    case 'vsphereVolume': return requiredFields(s, path, 'volumePath');
    case 'photonPersistentDisk': return requiredFields(s, path, 'pdID');
    case 'portworxVolume': return requiredFields(s, path, 'volumeID');
    case 'azureDisk': return azureDisk(s, path);
    case 'scaleIO': return requiredFields(s, path, 'gateway', 'system', 'volumeName');
    case 'storageos': return storageos(s, path, true);
    case 'csi': return csiPersistent(s, path);
    default: return [];
  }
}

/** The volume types whose mount options 1.32 takes in the beta annotation (pv_validation.go's checkMountOption). */
const MOUNT_OPTION_SOURCES = ['gcePersistentDisk', 'awsElasticBlockStore', 'glusterfs', 'nfs', 'rbd', 'quobyte', 'iscsi', 'cinder', 'cephfs', 'azureFile', 'vsphereVolume', 'azureDisk', 'photonPersistentDisk'] as const;
export const MOUNT_OPTIONS_ANNOTATION = 'volume.beta.kubernetes.io/mount-options';

/**
 * volumevalidation.ValidatePersistentVolume: the beta mount-options annotation only on a volume
 * type that mounts with options. (spec.mountOptions itself is not checked by 1.32: a mount that
 * does not take them fails on the node.)
 */
export function validateMountOptionsAnnotation(spec: PersistentVolumeSpec, annotations: Record<string, string> | undefined): FieldError[] {
  if (MOUNT_OPTION_SOURCES.some((k) => spec[k] != null)) return [];
  return annotations && MOUNT_OPTIONS_ANNOTATION in annotations ? [forbidden(`metadata.annotations[${MOUNT_OPTIONS_ANNOTATION}]`, 'may not specify mount options for this volume type')] : [];
}

/**
 * validateAllowedTopologies (pkg/apis/storage/validation) with ValidateTopologySelectorTerm: each
 * requirement a label key with at least one value, no value or key twice in a term, no term twice.
 * As upstream, a term is compared with len(terms) empty ones too, so a term without expressions is
 * always a duplicate.
 */
export function validateAllowedTopologies(terms: TopologySelectorTerm[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!terms?.length) return errs;
  const seen: Map<string, Set<string>>[] = terms.map(() => new Map());
  terms.forEach((term, i) => {
    const tp = `${path}[${i}]`;
    const exprs = new Map<string, Set<string>>();
    (term.matchLabelExpressions ?? []).forEach((req, j) => {
      const rp = `${tp}.matchLabelExpressions[${j}]`;
      const values = new Set<string>();
      if (!(req.values ?? []).length) errs.push(required(`${rp}.values`));
      (req.values ?? []).forEach((v, k) => {
        if (values.has(v)) errs.push(duplicate(`${rp}.values[${k}]`, v));
        values.add(v);
      });
      for (const m of isQualifiedName(req.key ?? '')) errs.push(invalid(`${rp}.key`, req.key ?? '', m));
      if (exprs.has(req.key ?? '')) errs.push(duplicate(`${rp}.key`, req.key ?? ''));
      exprs.set(req.key ?? '', values);
    });
    for (const t of seen) if (sameTerm(exprs, t)) errs.push(duplicate(`${tp}.matchLabelExpressions`, ''));
    seen.push(exprs);
  });
  return errs;
}

function sameTerm(a: Map<string, Set<string>>, b: Map<string, Set<string>>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || w.size !== v.size || [...v].some((x) => !w.has(x))) return false;
  }
  return true;
}
