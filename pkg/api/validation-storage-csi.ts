// Validation of the CSI kinds of storage.k8s.io/v1 (CSIDriver, CSINode, CSIStorageCapacity,
// VolumeAttachment) as 1.32's pkg/apis/storage/validation and the registry strategies call it,
// in their order and words — upstream's own spellings included (spec.attachedRequired, the
// field path CSINodeDriver) since clients and tests match on them.
import { duplicate, forbidden, goStrings, invalid, notSupported, required, tooLong, VerbatimValue, type FieldError } from './field-error.js';
import { semanticEqual, semanticFieldEqual } from './semantic-equal.js';
import { isDNS1123Subdomain, isQualifiedName } from './names.js';
import { isValidQuantity, parseQuantity } from './quantity.js';
import type { CSIDriver, CSINode, CSINodeDriver, CSIStorageCapacity, VolumeAttachment, VolumeAttachmentSpec, VolumeError } from './types.js';
import { validateLabelSelector } from './validation-affinity.js';
import { goLabelSelector } from './validation-apps.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './validation-meta.js';
import { validateCSIDriverName, validateOtherPersistentVolumeSource } from './validation-volume-sources.js';

const FS_GROUP_POLICIES = ['File', 'None', 'ReadWriteOnceWithFSType'];
const LIFECYCLE_MODES = ['Persistent', 'Ephemeral'];
const MIN_TOKEN_SECONDS = 10 * 60;
const MAX_TOKEN_SECONDS = 2 ** 32;

/** Whether a value of Go type `type` changed, to apiequality.Semantic.DeepEqual (semantic-equal.ts). */
const differs = (type: string, a: unknown, b: unknown) => !semanticEqual(a, b, type);
/** Whether field `field` of a `type` changed, likewise. */
const fieldDiffers = (type: string, field: string, a: unknown, b: unknown) => !semanticFieldEqual(type, field, a, b);
const withoutMetadata = (errs: FieldError[]) => errs.filter((e) => !e.field.startsWith('metadata'));

/** validateCSIDriverSpec: the switches SetDefaults_CSIDriver fills must be set, the enums known, token audiences distinct. */
function validateCSIDriverSpec(spec: CSIDriver['spec']): FieldError[] {
  const s = spec ?? {};
  const errs: FieldError[] = [];
  // (upstream's path says attachedRequired)
  if (s.attachRequired == null) errs.push(required('spec.attachedRequired'));
  if (s.podInfoOnMount == null) errs.push(required('spec.podInfoOnMount'));
  if (s.storageCapacity == null) errs.push(required('spec.storageCapacity'));
  if (s.fsGroupPolicy != null && !FS_GROUP_POLICIES.includes(s.fsGroupPolicy)) errs.push(notSupported('spec.fsGroupPolicy', s.fsGroupPolicy, FS_GROUP_POLICIES));
  const audiences = new Set<string>();
  (s.tokenRequests ?? []).forEach((t, i) => {
    const p = `spec.tokenRequests[${i}]`;
    const audience = t.audience ?? '';
    if (audiences.has(audience)) {
      errs.push(duplicate(`${p}.audience`, audience));
      return;
    }
    audiences.add(audience);
    if (t.expirationSeconds == null) return;
    if (t.expirationSeconds < MIN_TOKEN_SECONDS) errs.push(invalid(`${p}.expirationSeconds`, t.expirationSeconds, 'may not specify a duration less than 10 minutes'));
    if (t.expirationSeconds > MAX_TOKEN_SECONDS) errs.push(invalid(`${p}.expirationSeconds`, t.expirationSeconds, 'may not specify a duration larger than 2^32 seconds'));
  });
  // (each bad mode is reported on the list, not its index)
  for (const m of s.volumeLifecycleModes ?? []) if (!LIFECYCLE_MODES.includes(m)) errs.push(notSupported('spec.volumeLifecycleModes', m, LIFECYCLE_MODES));
  // SELinuxMountReadWriteOncePod is on in 1.32, so seLinuxMount is required (and defaulted).
  if (s.seLinuxMount == null) errs.push(required('spec.seLinuxMount'));
  return errs;
}

/** ValidateCSIDriver: the name is a DNS subdomain (it is the driver's name), then the spec. */
export function validateCSIDriver(d: CSIDriver): FieldError[] {
  return [...validateObjectMeta(d.metadata, false, 'metadata'), ...validateCSIDriverSpec(d.spec)];
}

const goLifecycleModes = (m: string[] | undefined) =>
  new VerbatimValue(m ? `[]storage.VolumeLifecycleMode{${m.map((x) => JSON.stringify(x)).join(', ')}}` : '[]storage.VolumeLifecycleMode(nil)');

/**
 * ValidateCSIDriverUpdate: attachRequired and volumeLifecycleModes are immutable; podInfoOnMount,
 * fsGroupPolicy, storageCapacity, tokenRequests, requiresRepublish and seLinuxMount may change
 * (podInfoOnMount and fsGroupPolicy became mutable in 1.29).
 */
export function validateCSIDriverUpdate(d: CSIDriver, old: CSIDriver): FieldError[] {
  const errs = [...validateObjectMetaUpdate(d.metadata, old.metadata, false), ...validateCSIDriverSpec(d.spec)];
  const now = d.spec ?? {};
  const was = old.spec ?? {};
  if ((now.attachRequired ?? null) !== (was.attachRequired ?? null)) errs.push(invalid('spec.attachedRequired', now.attachRequired ?? null, 'field is immutable'));
  if (fieldDiffers('CSIDriverSpec', 'volumeLifecycleModes', now.volumeLifecycleModes, was.volumeLifecycleModes)) errs.push(invalid('spec.volumeLifecycleModes', goLifecycleModes(now.volumeLifecycleModes), 'field is immutable'));
  return errs;
}

const CSI_NODE_ID_MAX = 192;
const CSI_NODE_ID_LONGER_MAX = 256;

function validateCSINodeDriver(d: CSINodeDriver, seen: Set<string>, path: string, allowLongNodeID: boolean): FieldError[] {
  const errs = validateCSIDriverName(d.name, `${path}.name`);
  const nodeID = d.nodeID ?? '';
  if (!nodeID) errs.push(required(`${path}.nodeID`));
  const max = allowLongNodeID ? CSI_NODE_ID_LONGER_MAX : CSI_NODE_ID_MAX;
  if (nodeID.length > max) errs.push(invalid(`${path}.nodeID`, nodeID, `must be ${max} characters or less`));
  const count = d.allocatable?.count;
  if (count != null && count < 0) errs.push(invalid(`${path}.allocatable.count`, count, 'must be greater than or equal to 0'));
  const name = d.name ?? '';
  if (seen.has(name)) errs.push(duplicate(`${path}.name`, name));
  seen.add(name);
  // (topology key errors name the driver, and an invalid key shows the driver's whole list)
  const keys = new Set<string>();
  for (const key of d.topologyKeys ?? []) {
    if (!key) errs.push(required(path));
    if (keys.has(key)) errs.push(duplicate(path, key));
    keys.add(key);
    for (const m of isQualifiedName(key)) errs.push(invalid(path, goStrings(d.topologyKeys), m));
  }
  return errs;
}

/** ValidateCSINode: named after its node; each driver named, with a node id, listed once. */
export function validateCSINode(n: CSINode, allowLongNodeID = false): FieldError[] {
  const errs = validateObjectMeta(n.metadata, false, 'metadata');
  const seen = new Set<string>();
  (n.spec?.drivers ?? []).forEach((d, i) => errs.push(...validateCSINodeDriver(d, seen, `spec.drivers[${i}]`, allowLongNodeID)));
  return errs;
}

/** Go's %#v of a storage.CSINodeDriver (a set Allocatable is a pointer, printed as an address). */
const goCSINodeDriver = (d: CSINodeDriver) =>
  new VerbatimValue(
    `storage.CSINodeDriver{Name:${JSON.stringify(d.name ?? '')}, NodeID:${JSON.stringify(d.nodeID ?? '')}, TopologyKeys:${d.topologyKeys ? goStrings(d.topologyKeys).text : '[]string(nil)'}, Allocatable:(*storage.VolumeNodeResources)(${d.allocatable ? '0xc000000000' : 'nil'})}`,
  );

/**
 * ValidateCSINodeUpdate: drivers may come and go, but one kept under its name may not change.
 * The strategy allows node ids up to 256 characters on update when the stored object already
 * has one longer than 192 (the 1.18 limit was raised and lowered again).
 */
export function validateCSINodeUpdate(n: CSINode, old: CSINode): FieldError[] {
  const allowLong = (old.spec?.drivers ?? []).some((d) => (d.nodeID ?? '').length > CSI_NODE_ID_MAX);
  const errs = [...validateObjectMetaUpdate(n.metadata, old.metadata, false), ...withoutMetadata(validateCSINode(n, allowLong))];
  for (const was of old.spec?.drivers ?? []) {
    for (const now of n.spec?.drivers ?? []) {
      if (was.name === now.name && differs('CSINodeDriver', now, was)) errs.push(invalid('CSINodeDriver', goCSINodeDriver(now), 'field is immutable'));
    }
  }
  return errs;
}

/** ValidateCSIStorageCapacity: a namespaced object naming a class, selecting nodes, with no negative capacity. */
export function validateCSIStorageCapacity(c: CSIStorageCapacity): FieldError[] {
  const errs = validateObjectMeta(c.metadata, true, 'metadata');
  if (c.nodeTopology) errs.push(...validateLabelSelector(c.nodeTopology, 'nodeTopology'));
  // (ValidateClassName: a DNS subdomain, and an empty name is reported as an invalid one)
  const cls = c.storageClassName ?? '';
  for (const m of isDNS1123Subdomain(cls)) errs.push(invalid('storageClassName', cls, m));
  if (c.capacity != null && isValidQuantity(c.capacity) && parseQuantity(c.capacity) < 0) errs.push(invalid('capacity', c.capacity, 'must be greater than or equal to 0'));
  return errs;
}

/** ValidateCSIStorageCapacityUpdate: nodeTopology and storageClassName, the input of CSI GetCapacity, are immutable. */
export function validateCSIStorageCapacityUpdate(c: CSIStorageCapacity, old: CSIStorageCapacity): FieldError[] {
  const errs = [...validateCSIStorageCapacity(c).filter((e) => !e.field.startsWith('metadata')), ...validateObjectMetaUpdate(c.metadata, old.metadata, true)];
  if (fieldDiffers('CSIStorageCapacity', 'nodeTopology', c.nodeTopology, old.nodeTopology)) errs.push(invalid('nodeTopology', goLabelSelector(c.nodeTopology) ?? null, 'field is immutable'));
  if ((c.storageClassName ?? '') !== (old.storageClassName ?? '')) errs.push(invalid('storageClassName', c.storageClassName ?? '', 'field is immutable'));
  return errs;
}

const MAX_ATTACHED_VOLUME_METADATA_SIZE = 256 * 1024;
const MAX_VOLUME_ERROR_MESSAGE_SIZE = 1024;

function validateVolumeError(e: VolumeError | undefined, path: string): FieldError[] {
  // (the limit is 1024 characters, but the error quotes the metadata limit, as upstream's does)
  if (e && (e.message ?? '').length > MAX_VOLUME_ERROR_MESSAGE_SIZE) return [tooLong(`${path}.message`, undefined, MAX_ATTACHED_VOLUME_METADATA_SIZE)];
  return [];
}

/** validateVolumeAttachmentSource: exactly one of persistentVolumeName and inlineVolumeSpec. */
function validateVolumeAttachmentSource(src: VolumeAttachmentSpec['source'], path: string): FieldError[] {
  const pv = src?.persistentVolumeName;
  const inline = src?.inlineVolumeSpec;
  if (inline == null && pv == null) return [required(path, 'must specify exactly one of inlineVolumeSpec and persistentVolumeName')];
  if (inline != null && pv != null) return [forbidden(path, 'must specify exactly one of inlineVolumeSpec and persistentVolumeName')];
  if (pv != null) return pv ? [] : [required(`${path}.persistentVolumeName`, 'must specify non empty persistentVolumeName')];
  // ValidatePersistentVolumeSpec in its inline-volume mode: a CSI volume without a claim, a
  // capacity or node affinity, retained, with access modes; the csi source checked as a
  // PersistentVolume's. (The other sources' checks and their count are not repeated here.)
  const p = `${path}.inlineVolumeSpec`;
  const spec = inline!;
  const errs: FieldError[] = [];
  if (spec.claimRef) errs.push(forbidden(`${p}.claimRef`, 'may not be specified in the context of inline volumes'));
  if (Object.keys(spec.capacity ?? {}).length) errs.push(forbidden(`${p}.capacity`, 'may not be specified in the context of inline volumes'));
  if (!spec.csi) errs.push(required(`${p}.csi`, 'has to be specified in the context of inline volumes'));
  if (!spec.accessModes?.length) errs.push(required(`${p}.accessModes`));
  if (spec.persistentVolumeReclaimPolicy && spec.persistentVolumeReclaimPolicy !== 'Retain') errs.push(forbidden(`${p}.persistentVolumeReclaimPolicy`, 'may only be Retain in the context of inline volumes'));
  if (spec.nodeAffinity) errs.push(forbidden(`${p}.nodeAffinity`, 'may not be specified in the context of inline volumes'));
  if (spec.csi) {
    // (the PersistentVolume checks name their fields spec.csi...; here they sit under the source)
    for (const e of validateOtherPersistentVolumeSource('csi', spec.csi as never, '')) errs.push({ ...e, field: e.field.replace(/^spec\./, `${p}.`) });
  }
  return errs;
}

/** ValidateVolumeAttachment: the checks common to v1 and v1beta1. */
function validateVolumeAttachmentCommon(va: VolumeAttachment): FieldError[] {
  const errs = validateObjectMeta(va.metadata, false, 'metadata');
  const spec = va.spec ?? {};
  if (!spec.attacher) errs.push(required('spec.attacher'));
  errs.push(...validateVolumeAttachmentSource(spec.source, 'spec.source'));
  const node = spec.nodeName ?? '';
  for (const m of isDNS1123Subdomain(node)) errs.push(invalid('spec.nodeName', node, m));
  const st = va.status ?? {};
  let size = 0;
  for (const [k, v] of Object.entries(st.attachmentMetadata ?? {})) size += k.length + String(v).length;
  if (size > MAX_ATTACHED_VOLUME_METADATA_SIZE) errs.push(tooLong('status.attachmentMetadata', undefined, MAX_ATTACHED_VOLUME_METADATA_SIZE));
  errs.push(...validateVolumeError(st.attachError, 'status.attachError'), ...validateVolumeError(st.detachError, 'status.detachError'));
  return errs;
}

/**
 * A v1 VolumeAttachment on create: the common checks, then ValidateVolumeAttachmentV1's tighter
 * ones (the attacher is a CSI driver name, the volume a PersistentVolume name).
 */
export function validateVolumeAttachment(va: VolumeAttachment): FieldError[] {
  const errs = validateVolumeAttachmentCommon(va);
  errs.push(...validateCSIDriverName(va.spec?.attacher, 'spec.attacher'));
  const pv = va.spec?.source?.persistentVolumeName;
  if (pv != null) for (const m of isDNS1123Subdomain(pv)) errs.push(invalid('spec.source.persistentVolumeName', pv, m));
  return errs;
}

/** Go's %#v of a storage.VolumeAttachmentSpec (its source's fields are pointers: addresses). */
function goVolumeAttachmentSpec(s: VolumeAttachmentSpec): VerbatimValue {
  const src = s.source ?? {};
  const ptr = (set: boolean, type: string) => `(*${type})(${set ? '0xc000000000' : 'nil'})`;
  return new VerbatimValue(
    `storage.VolumeAttachmentSpec{Attacher:${JSON.stringify(s.attacher ?? '')}, Source:storage.VolumeAttachmentSource{PersistentVolumeName:${ptr(src.persistentVolumeName != null, 'string')}, InlineVolumeSpec:${ptr(src.inlineVolumeSpec != null, 'core.PersistentVolumeSpec')}}, NodeName:${JSON.stringify(s.nodeName ?? '')}}`,
  );
}

/**
 * An update of a VolumeAttachment or of its status: the strategy's ValidateUpdate runs
 * ValidateVolumeAttachment and then ValidateVolumeAttachmentUpdate, which runs it again, so each
 * error of the object is reported twice, as in 1.32; the spec is immutable.
 */
export function validateVolumeAttachmentUpdate(va: VolumeAttachment, old: VolumeAttachment): FieldError[] {
  const once = withoutMetadata(validateVolumeAttachmentCommon(va));
  const errs = [...validateObjectMetaUpdate(va.metadata, old.metadata, false), ...once, ...once];
  if (fieldDiffers('VolumeAttachment', 'spec', va.spec, old.spec)) errs.push(invalid('spec', goVolumeAttachmentSpec(va.spec ?? {}), 'field is immutable'));
  return errs;
}
