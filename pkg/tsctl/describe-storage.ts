// tsctl describe for PersistentVolumeClaims and PersistentVolumes, as kubectl 1.32's
// describePersistentVolumeClaim and describePersistentVolume write them: class, status, the
// bound volume or claim, capacity and access modes as `kubectl get` abbreviates them, the pods
// using a claim, a volume's node affinity and source, then the events; in tab-ended cells for
// ./tabwriter.ts.
import type { KubeObject, Pod } from '../api/types.js';
import { humanDuration } from '../apiserver/rest/table.js';
import { tabbedField } from './describe-deployment.js';
import { annotationLines, labelLines } from './describe-meta.js';
import { rfc1123z } from './describe-pod.js';

type Condition = { type: string; status: string; lastProbeTime?: string; lastTransitionTime?: string; reason?: string; message?: string };
export type PersistentVolumeClaim = KubeObject & {
  spec?: { storageClassName?: string; volumeName?: string; volumeMode?: string; accessModes?: string[]; resources?: { requests?: Record<string, string> }; dataSource?: { apiGroup?: string; kind?: string; name?: string } };
  status?: { phase?: string; accessModes?: string[]; capacity?: Record<string, string>; conditions?: Condition[] };
};
type NodeSelectorRequirement = { key: string; operator: string; values?: string[] };
export type PersistentVolume = KubeObject & {
  spec?: {
    storageClassName?: string;
    claimRef?: { namespace?: string; name?: string };
    persistentVolumeReclaimPolicy?: string;
    accessModes?: string[];
    volumeMode?: string;
    capacity?: Record<string, string>;
    nodeAffinity?: { required?: { nodeSelectorTerms?: { matchExpressions?: NodeSelectorRequirement[] }[] } };
    hostPath?: { path: string; type?: string };
    local?: { path: string };
    nfs?: { server: string; path: string; readOnly?: boolean };
    csi?: { driver: string; volumeHandle: string; fsType?: string; readOnly?: boolean; volumeAttributes?: Record<string, string> };
  };
  status?: { phase?: string; message?: string };
};

const betaClassAnnotation = 'volume.beta.kubernetes.io/storage-class';

/** storageutil.GetAccessModesAsString: RWO, ROX, RWX, RWOP in that order, each once. */
export function accessModesString(modes: string[] | undefined): string {
  const short: [string, string][] = [['ReadWriteOnce', 'RWO'], ['ReadOnlyMany', 'ROX'], ['ReadWriteMany', 'RWX'], ['ReadWriteOncePod', 'RWOP']];
  return short.filter(([m]) => modes?.includes(m)).map(([, s]) => s).join(',');
}

/** Go's %v of a string slice: "[a b]". */
const goList = (l: string[] | undefined) => `[${(l ?? []).join(' ')}]`;

/** Status, or "Terminating (lasts <age>)" once deleted, as both describers say it. */
function statusLine(meta: KubeObject['metadata'], phase: string | undefined, now: number): string {
  return meta?.deletionTimestamp ? `Status:\tTerminating (lasts ${humanDuration(now - Date.parse(meta.deletionTimestamp))})` : `Status:\t${phase ?? ''}`;
}

/** The lines of describe pvc up to its events; `pods` are the pods of its namespace. */
export function describePersistentVolumeClaim(pvc: PersistentVolumeClaim, pods: Pod[], now = Date.now()): string[] {
  const meta = pvc.metadata ?? {};
  const spec = pvc.spec ?? {};
  const st = pvc.status ?? {};
  const out = [`Name:\t${meta.name ?? ''}`, `Namespace:\t${meta.namespace ?? ''}`, `StorageClass:\t${meta.annotations?.[betaClassAnnotation] ?? spec.storageClassName ?? ''}`];
  out.push(statusLine(meta, st.phase, now), `Volume:\t${spec.volumeName ?? ''}`);
  out.push(...tabbedField(labelLines('Labels', meta.labels)), ...tabbedField(annotationLines('Annotations', meta.annotations)), `Finalizers:\t${goList(meta.finalizers)}`);
  // (capacity and access modes are the bound volume's, and empty before the claim is bound)
  const bound = !!spec.volumeName;
  out.push(`Capacity:\t${bound ? (st.capacity?.storage ?? '0') : ''}`, `Access Modes:\t${bound ? accessModesString(st.accessModes) : ''}`);
  if (spec.volumeMode) out.push(`VolumeMode:\t${spec.volumeMode}`);
  if (spec.dataSource) {
    out.push('DataSource:');
    if (spec.dataSource.apiGroup !== undefined) out.push(`  APIGroup:\t${spec.dataSource.apiGroup}`);
    out.push(`  Kind:\t${spec.dataSource.kind ?? ''}`, `  Name:\t${spec.dataSource.name ?? ''}`);
  }
  // (getPodsForPVC: the pods with a volume of this claim, then pods that own it; sorted by name)
  const users = pods.filter((p) => p.spec?.volumes?.some((v) => v.persistentVolumeClaim?.claimName === meta.name));
  for (const o of meta.ownerReferences ?? []) {
    const owner = o.kind === 'Pod' ? pods.find((p) => p.metadata?.uid === o.uid) : undefined;
    if (owner && !users.includes(owner)) users.push(owner);
  }
  const names = users.map((p) => p.metadata?.name ?? '').sort();
  out.push(...(names.length ? names.map((n, i) => `${i ? '' : 'Used By:'}\t${n}`) : ['Used By:\t<none>']));
  if (st.conditions?.length) {
    out.push('Conditions:', '  Type\tStatus\tLastProbeTime\tLastTransitionTime\tReason\tMessage', '  ----\t------\t-----------------\t------------------\t------\t-------');
    for (const c of st.conditions) out.push(`  ${c.type} \t${c.status} \t${rfc1123z(c.lastProbeTime)} \t${rfc1123z(c.lastTransitionTime)} \t${c.reason ?? ''} \t${c.message ?? ''}`);
  }
  return out;
}

/** printVolumeNodeAffinity: each required term's expressions as "key op [values]". */
function nodeAffinityLines(affinity: NonNullable<PersistentVolume['spec']>['nodeAffinity']): string[] {
  if (!affinity?.required) return ['Node Affinity:\t<none>'];
  const terms = affinity.required.nodeSelectorTerms ?? [];
  if (!terms.length) return ['Node Affinity:\t', '  Required Terms:\t<none>'];
  const out = ['Node Affinity:\t', '  Required Terms:\t'];
  terms.forEach((t, i) => {
    const reqs = t.matchExpressions ?? [];
    if (!reqs.length) out.push(`    Term ${i}:\t<none>`);
    reqs.forEach((r, j) => out.push(`${j ? '    ' : `    Term ${i}:`}\t${r.key} ${r.operator.toLowerCase()}${r.values?.length ? ` [${r.values.join(', ')}]` : ''}`));
  });
  return out;
}

/** The Source lines of the volume types tskube makes or a user is likely to; another is <unknown>, as kubectl says. */
function sourceLines(spec: NonNullable<PersistentVolume['spec']>): string[] {
  if (spec.hostPath) return ['    Type:\tHostPath (bare host directory volume)', `    Path:\t${spec.hostPath.path}`, `    HostPathType:\t${spec.hostPath.type ?? '<none>'}`];
  if (spec.nfs) return ['    Type:\tNFS (an NFS mount that lasts the lifetime of a pod)', `    Server:\t${spec.nfs.server}`, `    Path:\t${spec.nfs.path}`, `    ReadOnly:\t${spec.nfs.readOnly ?? false}`];
  if (spec.local) return ['    Type:\tLocalVolume (a persistent volume backed by local storage on a node)', `    Path:\t${spec.local.path}`];
  if (spec.csi) {
    const attrs = Object.keys(spec.csi.volumeAttributes ?? {}).sort();
    return [
      '    Type:\tCSI (a Container Storage Interface (CSI) volume source)',
      `    Driver:\t${spec.csi.driver}`,
      `    FSType:\t${spec.csi.fsType ?? ''}`,
      `    VolumeHandle:\t${spec.csi.volumeHandle}`,
      `    ReadOnly:\t${spec.csi.readOnly ?? false}`,
      // (printCSIPersistentVolumeAttributesMultilineIndent writes each pair at its level, four spaces in)
      ...(attrs.length ? attrs.map((k, i) => `    ${i ? '' : 'VolumeAttributes:'}\t    ${k}=${spec.csi!.volumeAttributes![k]}`) : ['    VolumeAttributes:\t<none>']),
    ];
  }
  return ['  <unknown>'];
}

/** The lines of describe pv up to its events. */
export function describePersistentVolume(pv: PersistentVolume, now = Date.now()): string[] {
  const meta = pv.metadata ?? {};
  const spec = pv.spec ?? {};
  const claim = spec.claimRef ? `${spec.claimRef.namespace ?? ''}/${spec.claimRef.name ?? ''}` : '';
  const out = [`Name:\t${meta.name ?? ''}`, ...tabbedField(labelLines('Labels', meta.labels)), ...tabbedField(annotationLines('Annotations', meta.annotations)), `Finalizers:\t${goList(meta.finalizers)}`];
  out.push(`StorageClass:\t${meta.annotations?.[betaClassAnnotation] ?? spec.storageClassName ?? ''}`, statusLine(meta, pv.status?.phase, now), `Claim:\t${claim}`);
  out.push(`Reclaim Policy:\t${spec.persistentVolumeReclaimPolicy ?? ''}`, `Access Modes:\t${accessModesString(spec.accessModes)}`);
  if (spec.volumeMode) out.push(`VolumeMode:\t${spec.volumeMode}`);
  out.push(`Capacity:\t${spec.capacity?.storage ?? '0'}`, ...nodeAffinityLines(spec.nodeAffinity), `Message:\t${pv.status?.message ?? ''}`, 'Source:', ...sourceLines(spec));
  return out;
}

export type CSINode = KubeObject & { spec?: { drivers?: { name: string; nodeID?: string; allocatable?: { count?: number }; topologyKeys?: string[] }[] | null } };

/**
 * describe csinode as kubectl 1.32's describeCSINode writes it: Name, Labels, Annotations,
 * CreationTimestamp, then each driver's node ID, allocatable count and topology keys (as Go's %s
 * of a slice, '[a b]'). 'Drivers:' is there whenever the list is, an empty one too, as Go tests
 * the slice against nil.
 */
export function describeCSINode(csi: CSINode): string[] {
  const m = csi.metadata ?? {};
  const out = [`Name:\t${m.name ?? ''}`, ...tabbedField(labelLines('Labels', m.labels)), ...tabbedField(annotationLines('Annotations', m.annotations)), `CreationTimestamp:\t${rfc1123z(m.creationTimestamp)}`, 'Spec:'];
  const drivers = csi.spec?.drivers;
  if (drivers) {
    out.push('  Drivers:');
    for (const d of drivers) {
      out.push(`    ${d.name}:`, `      Node ID:\t${d.nodeID ?? ''}`);
      if (d.allocatable?.count !== undefined && d.allocatable.count !== null) out.push('      Allocatables:', `        Count:\t${d.allocatable.count}`);
      if (d.topologyKeys) out.push(`      Topology Keys:\t[${d.topologyKeys.join(' ')}]`);
    }
  }
  return out;
}
