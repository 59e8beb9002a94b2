import { describe, expect, it } from 'vitest';
import { defaultCSIDriver, defaultCSIStorageCapacity, defaultVolumeAttachment } from './defaults-storage-csi.js';
import { formatFieldError } from './field-error.js';
import type { CSIDriver, CSINode, CSIStorageCapacity, VolumeAttachment } from './types.js';
import {
  validateCSIDriver,
  validateCSIDriverUpdate,
  validateCSINode,
  validateCSINodeUpdate,
  validateCSIStorageCapacity,
  validateCSIStorageCapacityUpdate,
  validateVolumeAttachment,
  validateVolumeAttachmentUpdate,
} from './validation-storage-csi.js';

const msgs = (errs: Parameters<typeof formatFieldError>[0][]) => errs.map(formatFieldError);
const driver = (spec: CSIDriver['spec'] = {}, name = 'hostpath.csi.k8s.io'): CSIDriver => defaultCSIDriver({ metadata: { name, resourceVersion: '1' }, spec });

describe('CSIDriver defaults (SetDefaults_CSIDriver)', () => {
  it('spells out every switch left unset, seLinuxMount included (SELinuxMountReadWriteOncePod is on in 1.32)', () => {
    expect(driver().spec).toEqual({
      attachRequired: true,
      podInfoOnMount: false,
      storageCapacity: false,
      fsGroupPolicy: 'ReadWriteOnceWithFSType',
      volumeLifecycleModes: ['Persistent'],
      requiresRepublish: false,
      seLinuxMount: false,
    });
  });

  it('keeps what was set', () => {
    const d = driver({ attachRequired: false, podInfoOnMount: true, fsGroupPolicy: 'File', volumeLifecycleModes: ['Ephemeral'] });
    expect(d.spec).toMatchObject({ attachRequired: false, podInfoOnMount: true, fsGroupPolicy: 'File', volumeLifecycleModes: ['Ephemeral'] });
  });
});

describe('validateCSIDriver', () => {
  it('accepts a defaulted driver', () => {
    expect(validateCSIDriver(driver())).toEqual([]);
  });

  it('refuses unknown enums, short or duplicate tokens, and a name that is not a DNS subdomain, in 1.32 words', () => {
    const d = driver({ fsGroupPolicy: 'Sometimes', volumeLifecycleModes: ['Persistent', 'Forever'], tokenRequests: [{ audience: 'a', expirationSeconds: 60 }, { audience: 'a' }, { audience: 'b', expirationSeconds: 2 ** 33 }] }, 'Bad_Name');
    expect(msgs(validateCSIDriver(d))).toEqual([
      expect.stringMatching(/^metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/),
      'spec.fsGroupPolicy: Unsupported value: "Sometimes": supported values: "File", "None", "ReadWriteOnceWithFSType"',
      'spec.tokenRequests[0].expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
      'spec.tokenRequests[1].audience: Duplicate value: "a"',
      'spec.tokenRequests[2].expirationSeconds: Invalid value: 8589934592: may not specify a duration larger than 2^32 seconds',
      'spec.volumeLifecycleModes: Unsupported value: "Forever": supported values: "Persistent", "Ephemeral"',
    ]);
  });

  it('needs the defaulted switches (upstream names attachRequired attachedRequired)', () => {
    expect(msgs(validateCSIDriver({ metadata: { name: 'x.csi' }, spec: {} }))).toEqual(['spec.attachedRequired: Required value', 'spec.podInfoOnMount: Required value', 'spec.storageCapacity: Required value', 'spec.seLinuxMount: Required value']);
  });
});

describe('validateCSIDriverUpdate', () => {
  it('keeps attachRequired and volumeLifecycleModes immutable, lets podInfoOnMount, fsGroupPolicy and the rest change', () => {
    const old = driver();
    expect(validateCSIDriverUpdate(driver({ podInfoOnMount: true, fsGroupPolicy: 'None', storageCapacity: true, requiresRepublish: true, tokenRequests: [{ audience: 'vault' }] }), old)).toEqual([]);
    expect(msgs(validateCSIDriverUpdate(driver({ attachRequired: false, volumeLifecycleModes: ['Persistent', 'Ephemeral'] }), old))).toEqual([
      'spec.attachedRequired: Invalid value: false: field is immutable',
      'spec.volumeLifecycleModes: Invalid value: []storage.VolumeLifecycleMode{"Persistent", "Ephemeral"}: field is immutable',
    ]);
  });
});

const csiNode = (drivers: NonNullable<CSINode['spec']>['drivers'], name = 'node-1'): CSINode => ({ metadata: { name }, spec: { drivers } });

describe('validateCSINode', () => {
  it('accepts the kubelet\'s empty CSINode and a registered driver', () => {
    expect(validateCSINode(csiNode([]))).toEqual([]);
    expect(validateCSINode(csiNode([{ name: 'hostpath.csi.k8s.io', nodeID: 'node-1', topologyKeys: ['topology.hostpath.csi/node'], allocatable: { count: 10 } }]))).toEqual([]);
  });

  it('checks each driver: name, node id, count, duplicates, topology keys reported on the driver', () => {
    const errs = validateCSINode(
      csiNode([
        { name: 'a.csi', nodeID: '', topologyKeys: ['k', 'k', 'bad key'] },
        { name: 'a.csi', nodeID: 'x'.repeat(193), allocatable: { count: -1 } },
      ]),
    );
    expect(msgs(errs)).toEqual([
      'spec.drivers[0].nodeID: Required value',
      'spec.drivers[0]: Duplicate value: "k"',
      expect.stringMatching(/^spec\.drivers\[0\]: Invalid value: \[\]string\{"k", "k", "bad key"\}: name part must consist of alphanumeric characters/),
      `spec.drivers[1].nodeID: Invalid value: "${'x'.repeat(193)}": must be 192 characters or less`,
      'spec.drivers[1].allocatable.count: Invalid value: -1: must be greater than or equal to 0',
      'spec.drivers[1].name: Duplicate value: "a.csi"',
    ]);
  });

  it('lets drivers come and go on update but not change one kept under its name', () => {
    const old = csiNode([{ name: 'a.csi', nodeID: 'n1' }]);
    expect(validateCSINodeUpdate(csiNode([{ name: 'a.csi', nodeID: 'n1' }, { name: 'b.csi', nodeID: 'n1' }]), old)).toEqual([]);
    expect(validateCSINodeUpdate(csiNode([]), old)).toEqual([]);
    // (Semantic.DeepEqual: an empty list is a nil one)
    expect(validateCSINodeUpdate(csiNode([{ name: 'a.csi', nodeID: 'n1', topologyKeys: [] }]), old)).toEqual([]);
    expect(msgs(validateCSINodeUpdate(csiNode([{ name: 'a.csi', nodeID: 'n2' }]), old))).toEqual([
      'CSINodeDriver: Invalid value: storage.CSINodeDriver{Name:"a.csi", NodeID:"n2", TopologyKeys:[]string(nil), Allocatable:(*storage.VolumeNodeResources)(nil)}: field is immutable',
    ]);
  });

  it('allows node ids up to 256 characters on update when the stored object already has a long one', () => {
    const long = 'x'.repeat(200);
    expect(validateCSINodeUpdate(csiNode([{ name: 'a.csi', nodeID: long }, { name: 'b.csi', nodeID: long }]), csiNode([{ name: 'a.csi', nodeID: long }]))).toEqual([]);
  });
});

const capacity = (extra: Partial<CSIStorageCapacity> = {}): CSIStorageCapacity =>
  defaultCSIStorageCapacity({ metadata: { name: 'csisc-abc', namespace: 'kube-system' }, storageClassName: 'fast', nodeTopology: { matchLabels: { 'topology.hostpath.csi/node': 'node-1' } }, capacity: '1.5Gi', ...extra });

describe('CSIStorageCapacity', () => {
  it('stores quantities in canonical form', () => {
    expect(capacity().capacity).toBe('1536Mi');
  });

  it('needs a class name that is a DNS subdomain, a valid selector and no negative capacity', () => {
    expect(validateCSIStorageCapacity(capacity())).toEqual([]);
    expect(msgs(validateCSIStorageCapacity(capacity({ storageClassName: 'Fast', capacity: '-1', nodeTopology: { matchExpressions: [{ key: 'k', operator: 'In' }] } })))).toEqual([
      "nodeTopology.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      expect.stringMatching(/^storageClassName: Invalid value: "Fast": a lowercase RFC 1123 subdomain/),
      'capacity: Invalid value: "-1": must be greater than or equal to 0',
    ]);
  });

  it('keeps nodeTopology and storageClassName immutable; capacity may change', () => {
    const old = capacity();
    expect(validateCSIStorageCapacityUpdate(capacity({ capacity: '2Gi', maximumVolumeSize: '1Gi' }), old)).toEqual([]);
    expect(msgs(validateCSIStorageCapacityUpdate(capacity({ storageClassName: 'slow', nodeTopology: { matchLabels: { zone: 'b' } } }), old))).toEqual([
      'nodeTopology: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"zone":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
      'storageClassName: Invalid value: "slow": field is immutable',
    ]);
  });
});

const attachment = (spec: VolumeAttachment['spec'], status?: VolumeAttachment['status']): VolumeAttachment => defaultVolumeAttachment({ metadata: { name: 'csi-123' }, spec, ...(status ? { status } : {}) });
const good = { attacher: 'hostpath.csi.k8s.io', nodeName: 'node-1', source: { persistentVolumeName: 'pv-1' } };

describe('VolumeAttachment', () => {
  it('accepts an attachment of a PersistentVolume', () => {
    expect(validateVolumeAttachment(attachment(good))).toEqual([]);
  });

  it('needs exactly one source and, in v1, an attacher that is a CSI driver name', () => {
    expect(msgs(validateVolumeAttachment(attachment({ attacher: '', nodeName: 'node-1', source: {} })))).toEqual([
      'spec.attacher: Required value',
      'spec.source: Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName',
      'spec.attacher: Required value',
      expect.stringMatching(/^spec\.attacher: Invalid value: "": a lowercase RFC 1123 subdomain/),
    ]);
    expect(msgs(validateVolumeAttachment(attachment({ ...good, source: { persistentVolumeName: 'pv-1', inlineVolumeSpec: { accessModes: ['ReadWriteOnce'] } } })))).toEqual([
      'spec.source: Forbidden: must specify exactly one of inlineVolumeSpec and persistentVolumeName',
    ]);
    expect(msgs(validateVolumeAttachment(attachment({ ...good, source: { inlineVolumeSpec: { capacity: { storage: '1Gi' } } } })))).toEqual([
      'spec.source.inlineVolumeSpec.capacity: Forbidden: may not be specified in the context of inline volumes',
      'spec.source.inlineVolumeSpec.csi: Required value: has to be specified in the context of inline volumes',
      'spec.source.inlineVolumeSpec.accessModes: Required value',
    ]);
    const inline = { csi: { driver: 'ebs.csi.aws.com', volumeHandle: '' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Delete' };
    expect(msgs(validateVolumeAttachment(attachment({ ...good, source: { inlineVolumeSpec: inline } })))).toEqual([
      'spec.source.inlineVolumeSpec.persistentVolumeReclaimPolicy: Forbidden: may only be Retain in the context of inline volumes',
      'spec.source.inlineVolumeSpec.csi.volumeHandle: Required value',
    ]);
  });

  it('keeps the spec immutable and, as the strategy runs the object checks twice, reports each status error twice', () => {
    const old = attachment(good);
    expect(validateVolumeAttachmentUpdate(attachment(good, { attached: true, attachmentMetadata: { dev: '/dev/sdb' } }), old)).toEqual([]);
    expect(msgs(validateVolumeAttachmentUpdate(attachment({ ...good, nodeName: 'node-2' }), old))).toEqual([
      'spec: Invalid value: storage.VolumeAttachmentSpec{Attacher:"hostpath.csi.k8s.io", Source:storage.VolumeAttachmentSource{PersistentVolumeName:(*string)(0xc000000000), InlineVolumeSpec:(*core.PersistentVolumeSpec)(nil)}, NodeName:"node-2"}: field is immutable',
    ]);
    const long = { attached: false, attachError: { message: 'x'.repeat(1025) } };
    expect(msgs(validateVolumeAttachmentUpdate(attachment(good, long), old))).toEqual(['status.attachError.message: Too long: must have at most 262144 bytes', 'status.attachError.message: Too long: must have at most 262144 bytes']);
  });
});
