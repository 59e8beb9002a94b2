// tsctl describe pod as kubectl 1.32's describePod writes it, in tab-ended cells for
// ./tabwriter.ts: the pod's header (priority, node, start time, labels, status or Terminating,
// IPs, owner), its init, app and ephemeral containers (describeContainers: ports, command and
// args as lists, state, resources, probes, env and envFrom in every form, mounts), readiness
// gates, conditions, volumes with each kind's printer, QoS class, node selector and tolerations.
// Also the pieces other describers share: times as Go's time.RFC1123Z (in the local zone, as
// metav1.Time decodes), a container's State and Last State, its Mounts, and Tolerations.
import { quantityToMilli, quantityToValue } from '../api/quantity.js';
import type { Container, ContainerState, ContainerStatus, EnvVar, Pod, Probe, Toleration, Volume, VolumeMount } from '../api/types.js';
import { podQOSClass } from '../api/defaults.js';
import { humanDuration } from '../apiserver/rest/table.js';
import { annotationLines, labelLines, selectorString, tabbedField } from './describe-meta.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** `t` as Go formats time.RFC1123Z ("Thu, 03 Dec 2026 03:21:56 +0000"); an unset time is Go's zero time, as kubectl prints it. */
export function rfc1123z(t: string | null | undefined): string {
  if (!t) return 'Mon, 01 Jan 0001 00:00:00 +0000';
  const d = new Date(t);
  const off = -d.getTimezoneOffset();
  const zone = `${off < 0 ? '-' : '+'}${two(Math.floor(Math.abs(off) / 60))}${two(Math.abs(off) % 60)}`;
  return `${DAYS[d.getDay()]}, ${two(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${zone}`;
}

/** describeStatus: one state as [key, value, indent] rows (the state at 4, its details at 6). */
function stateRows(name: string, s: ContainerState | undefined): [string, string, number][] {
  if (s?.running) return [[name, 'Running', 4], ['Started', rfc1123z(s.running.startedAt), 6]];
  if (s?.terminated) {
    const t = s.terminated;
    const rows: [string, string, number][] = [[name, 'Terminated', 4]];
    if (t.reason) rows.push(['Reason', t.reason, 6]);
    if (t.message) rows.push(['Message', t.message, 6]);
    rows.push(['Exit Code', String(t.exitCode ?? 0), 6]);
    if ((t.signal ?? 0) > 0) rows.push(['Signal', String(t.signal), 6]);
    rows.push(['Started', rfc1123z(t.startedAt), 6], ['Finished', rfc1123z(t.finishedAt), 6]);
    return rows;
  }
  // (a waiting container shows its reason only; with no state at all it is Waiting too)
  return [[name, 'Waiting', 4], ...(s?.waiting?.reason ? [['Reason', s.waiting.reason, 6] as [string, string, number]] : [])];
}

/** describeContainerState: State, Last State when the container has terminated before, Ready and Restart Count. */
export function containerStateRows(st: ContainerStatus | undefined): [string, string, number][] {
  return [
    ...stateRows('State', st?.state),
    ...(st?.lastState?.terminated ? stateRows('Last State', st.lastState) : []),
    ['Ready', st?.ready ? 'True' : 'False', 4],
    ['Restart Count', String(st?.restartCount ?? 0), 4],
  ];
}

/** describeContainerVolumes: each mount, by mountPath, as "<path> from <volume> (ro|rw[,path=\"<subPath>\"])"; undefined for none. */
export function mountLines(mounts: VolumeMount[] | undefined): string[] | undefined {
  if (!mounts?.length) return undefined;
  return [...mounts]
    .sort((a, b) => ((a.mountPath ?? '') < (b.mountPath ?? '') ? -1 : (a.mountPath ?? '') > (b.mountPath ?? '') ? 1 : 0))
    .map((m) => `${m.mountPath} from ${m.name} (${[m.readOnly ? 'ro' : 'rw', ...(m.subPath ? [`path=${JSON.stringify(m.subPath)}`] : [])].join(',')})`);
}

/** printTolerationsMultilineWithIndent: by key, "key[=value][:effect][ op=Exists][ for Ns]"; undefined for none. */
export function tolerationLines(tolerations: Toleration[] | undefined): string[] | undefined {
  if (!tolerations?.length) return undefined;
  return [...tolerations]
    .sort((a, b) => ((a.key ?? '') < (b.key ?? '') ? -1 : (a.key ?? '') > (b.key ?? '') ? 1 : 0))
    .map((t) => {
      let line = `${t.key ?? ''}${t.value ? `=${t.value}` : ''}${t.effect ? `:${t.effect}` : ''}`;
      // (operator Exists with no key and no effect tolerates everything: just "op=Exists")
      if (t.operator === 'Exists' && !t.value) line += t.key || t.effect ? ' op=Exists' : 'op=Exists';
      if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null) line += ` for ${t.tolerationSeconds}s`;
      return line;
    });
}

/** Go's %v of a value kubectl prints: a slice as "[a b]", a missing pointer as "<nil>". */
const goV = (v: unknown): string => (v === undefined || v === null ? '<nil>' : Array.isArray(v) ? `[${v.map(goV).join(' ')}]` : String(v));

/** Go's %v of a *LocalObjectReference: "&LocalObjectReference{Name:x,}", or "nil". */
const localRef = (r: { name?: string } | undefined) => (r ? `&LocalObjectReference{Name:${r.name ?? ''},}` : 'nil');

/** translateTimestampSince of a time that may be ahead: HumanDuration's "<invalid>" past a second ahead, "0s" within one. */
function since(t: string, now: number): string {
  const seconds = Math.trunc((now - Date.parse(t)) / 1000);
  if (seconds < -1) return '<invalid>';
  return humanDuration(Math.max(0, now - Date.parse(t)));
}

/** describeResources: Limits then Requests, each resource by name with its quantity as stored. */
function resourceLines(r: { limits?: Record<string, string>; requests?: Record<string, string> } | undefined, indent: string): string[] {
  const out: string[] = [];
  for (const [title, m] of [['Limits', r?.limits], ['Requests', r?.requests]] as const) {
    if (!m || !Object.keys(m).length) continue;
    out.push(`${indent}${title}:`, ...Object.keys(m).sort().map((k) => `${indent}  ${k}:\t${m[k]}`));
  }
  return out;
}

/** DescribeProbe: the handler then "delay=Ns timeout=Ns period=Ns #success=N #failure=N". */
export function probeText(p: Probe): string {
  const attrs = `delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 0}s period=${p.periodSeconds ?? 0}s #success=${p.successThreshold ?? 0} #failure=${p.failureThreshold ?? 0}`;
  if (p.exec) return `exec ${goV(p.exec.command ?? [])} ${attrs}`;
  if (p.httpGet) {
    const g = p.httpGet;
    const port = g.port === undefined || g.port === null ? '' : String(g.port);
    const host = g.host?.includes(':') ? `[${g.host}]` : (g.host ?? '');
    // (a url.URL's String(): a path not starting with "/" gets one after the host)
    const path = g.path ? (g.path.startsWith('/') ? g.path : `/${g.path}`) : '';
    return `http-get ${(g.scheme ?? '').toLowerCase()}://${port ? `${host}:${port}` : host}${path} ${attrs}`;
  }
  if (p.tcpSocket) return `tcp-socket ${p.tcpSocket.host ?? ''}:${p.tcpSocket.port ?? ''} ${attrs}`;
  if (p.grpc) return `grpc <pod>:${p.grpc.port ?? 0} ${p.grpc.service ?? ''} ${attrs}`;
  return `unknown ${attrs}`;
}

/** ExtractContainerResourceValue: the container's own request or limit over the divisor (1 when unset), rounded up; undefined for another resource. */
function containerResourceValue(c: Container, resource: string, divisor: string | undefined): string | undefined {
  const [which, name] = resource.split(/\.(.*)/s) as [string, string | undefined];
  if ((which !== 'limits' && which !== 'requests') || !name) return undefined;
  if (!['cpu', 'memory', 'ephemeral-storage'].includes(name) && !name.startsWith('hugepages-')) return undefined;
  const div = divisor && quantityToMilli(divisor) !== 0 ? divisor : '1';
  const q = (c.resources?.[which] as Record<string, string> | undefined)?.[name] ?? '0';
  if (name === 'cpu') return String(Math.ceil(quantityToMilli(q) / quantityToMilli(div)));
  return String(Math.ceil(quantityToValue(q) / quantityToValue(div)));
}

/** describeContainerEnvVars: each variable, a value's further lines under it, and where a valueFrom comes from. */
function envLines(c: Container, pod: Pod | undefined): string[] {
  const env = c.env ?? [];
  const out = [env.length ? '    Environment:' : '    Environment:\t<none>'];
  for (const e of env as EnvVar[]) {
    const from = e.valueFrom;
    if (!from) {
      (e.value ?? '').split('\n').forEach((s, i) => out.push(i ? `      \t${s}` : `      ${e.name}:\t${s}`));
      continue;
    }
    if (from.fieldRef) {
      // (kubectl's scheme converts only metadata.name and metadata.namespace for a Pod; any other path resolves to nothing)
      const path = from.fieldRef.fieldPath ?? '';
      const value = path === 'metadata.name' ? (pod?.metadata?.name ?? '') : path === 'metadata.namespace' ? (pod?.metadata?.namespace ?? '') : '';
      out.push(`      ${e.name}:\t${value} (${from.fieldRef.apiVersion ?? ''}:${path})`);
    } else if (from.resourceFieldRef) {
      const resource = from.resourceFieldRef.resource ?? '';
      let value = containerResourceValue(c, resource, from.resourceFieldRef.divisor) ?? '';
      if (value === '0' && (resource === 'limits.cpu' || resource === 'limits.memory')) value = 'node allocatable';
      out.push(`      ${e.name}:\t${value} (${resource})`);
    } else if (from.secretKeyRef) {
      out.push(`      ${e.name}:\t<set to the key '${from.secretKeyRef.key ?? ''}' in secret '${from.secretKeyRef.name ?? ''}'>\tOptional: ${from.secretKeyRef.optional ?? false}`);
    } else if (from.configMapKeyRef) {
      out.push(`      ${e.name}:\t<set to the key '${from.configMapKeyRef.key ?? ''}' of config map '${from.configMapKeyRef.name ?? ''}'>\tOptional: ${from.configMapKeyRef.optional ?? false}`);
    }
  }
  return out;
}

/**
 * describeContainers: each container's basic info, command, state (when there is a status),
 * resources, probes, env and mounts; `pod` resolves env fieldRefs (none for a template), and
 * `space` indents a template's label and names.
 */
export function containerLines(label: string, containers: Container[], statuses: ContainerStatus[] | undefined, pod: Pod | undefined, space = ''): string[] {
  const out = [`${space}${label}:${containers.length ? '' : ' <none>'}`];
  for (const c of containers) {
    const st = statuses?.find((s) => s.name === c.name);
    out.push(`  ${space ? ' ' : ''}${c.name}:`);
    if (st) out.push(`    Container ID:\t${st.containerID ?? ''}`);
    out.push(`    Image:\t${c.image ?? ''}`);
    if (st) out.push(`    Image ID:\t${st.imageID ?? ''}`);
    // (describeContainerPorts: "Ports" and "Host Ports" once the list has a comma)
    const ports = c.ports ?? [];
    const s = ports.length > 1 ? 's' : '';
    out.push(`    Port${s}:\t${ports.map((p) => `${p.containerPort ?? 0}/${p.protocol ?? ''}`).join(', ') || '<none>'}`);
    out.push(`    Host Port${s}:\t${ports.map((p) => `${p.hostPort ?? 0}/${p.protocol ?? ''}`).join(', ') || '<none>'}`);
    const seccomp = c.securityContext?.seccompProfile;
    if (seccomp) {
      out.push(`    SeccompProfile:\t${seccomp.type ?? ''}`);
      if (seccomp.type === 'Localhost') out.push(`      LocalhostProfile:\t${seccomp.localhostProfile ?? ''}`);
    }
    for (const [k, list] of [['Command', c.command], ['Args', c.args]] as const) {
      if (list?.length) out.push(`    ${k}:`, ...list.flatMap((a) => a.split('\n')).map((a) => `      ${a}`));
    }
    if (st) out.push(...containerStateRows(st).map(([k, v, indent]) => `${' '.repeat(indent)}${k}:\t${v}`));
    out.push(...resourceLines(c.resources as Parameters<typeof resourceLines>[0], '    '));
    for (const [k, p] of [['Liveness', c.livenessProbe], ['Readiness', c.readinessProbe], ['Startup', c.startupProbe]] as const) {
      if (p) out.push(`    ${k}:\t${probeText(p)}`);
    }
    if (c.envFrom?.length) {
      out.push('    Environment Variables from:');
      for (const e of c.envFrom) {
        const [from, ref] = e.configMapRef ? ['ConfigMap', e.configMapRef] : e.secretRef ? ['Secret', e.secretRef] : ['', undefined];
        out.push(`      ${ref?.name ?? ''}\t${from}${e.prefix ? ` with prefix '${e.prefix}'` : ''}\tOptional: ${ref?.optional ?? false}`);
      }
    }
    out.push(...envLines(c, pod));
    const mounts = mountLines(c.volumeMounts);
    out.push(mounts ? '    Mounts:' : '    Mounts:\t<none>', ...(mounts ?? []).map((m) => `      ${m}`));
    const devices = [...(c.volumeDevices ?? [])].sort((a, b) => ((a.devicePath ?? '') < (b.devicePath ?? '') ? -1 : 1));
    // (describeContainerVolumes reuses the mounts' "\t<none>": devices under a container with no mounts follow "Devices:\t<none>")
    if (devices.length) out.push(mounts ? '    Devices:' : '    Devices:\t<none>', ...devices.map((d) => `      ${d.devicePath} from ${d.name}`));
  }
  return out;
}

/** Each volume source's printer in describeVolumes, its lines four spaces in. */
function volumeSourceLines(v: Volume): string[] {
  const rows = (type: string, fields: [string, unknown][]) => [`    Type:\t${type}`, ...fields.map(([k, x]) => `    ${k}:\t${goV(x)}`)];
  if (v.hostPath) return rows('HostPath (bare host directory volume)', [['Path', v.hostPath.path ?? ''], ['HostPathType', v.hostPath.type ?? '<none>']]);
  if (v.emptyDir) {
    const size = v.emptyDir.sizeLimit && quantityToMilli(v.emptyDir.sizeLimit) > 0 ? v.emptyDir.sizeLimit : '<unset>';
    return rows("EmptyDir (a temporary directory that shares a pod's lifetime)", [['Medium', v.emptyDir.medium ?? ''], ['SizeLimit', size]]);
  }
  if (v.gcePersistentDisk) {
    const g = v.gcePersistentDisk;
    return rows('GCEPersistentDisk (a Persistent Disk resource in Google Compute Engine)', [['PDName', g.pdName ?? ''], ['FSType', g.fsType ?? ''], ['Partition', g.partition ?? 0], ['ReadOnly', g.readOnly ?? false]]);
  }
  if (v.awsElasticBlockStore) {
    const a = v.awsElasticBlockStore;
    return rows('AWSElasticBlockStore (a Persistent Disk resource in AWS)', [['VolumeID', a.volumeID ?? ''], ['FSType', a.fsType ?? ''], ['Partition', a.partition ?? 0], ['ReadOnly', a.readOnly ?? false]]);
  }
  if (v.gitRepo) return rows('GitRepo (a volume that is pulled from git when the pod is created)', [['Repository', v.gitRepo.repository ?? ''], ['Revision', v.gitRepo.revision ?? '']]);
  if (v.secret) return rows('Secret (a volume populated by a Secret)', [['SecretName', v.secret.secretName ?? ''], ['Optional', v.secret.optional ?? false]]);
  if (v.configMap) return rows('ConfigMap (a volume populated by a ConfigMap)', [['Name', v.configMap.name ?? ''], ['Optional', v.configMap.optional ?? false]]);
  if (v.nfs) return rows('NFS (an NFS mount that lasts the lifetime of a pod)', [['Server', v.nfs.server ?? ''], ['Path', v.nfs.path ?? ''], ['ReadOnly', v.nfs.readOnly ?? false]]);
  if (v.iscsi) {
    const i = v.iscsi;
    const out = rows("ISCSI (an ISCSI Disk resource that is attached to a kubelet's host machine and then exposed to the pod)", [['TargetPortal', i.targetPortal ?? ''], ['IQN', i.iqn ?? ''], ['Lun', i.lun ?? 0]]);
    // (kubectl's format has no colon after ISCSIInterface)
    out.push(`    ISCSIInterface\t${i.iscsiInterface ?? ''}`);
    const more: [string, unknown][] = [['FSType', i.fsType ?? ''], ['ReadOnly', i.readOnly ?? false], ['Portals', i.portals ?? []], ['DiscoveryCHAPAuth', i.chapAuthDiscovery ?? false], ['SessionCHAPAuth', i.chapAuthSession ?? false], ['SecretRef', localRef(i.secretRef)], ['InitiatorName', i.initiatorName ?? '<none>']];
    return [...out, ...more.map(([k, x]) => `    ${k}:\t${goV(x)}`)];
  }
  if (v.glusterfs) return rows("Glusterfs (a Glusterfs mount on the host that shares a pod's lifetime)", [['EndpointsName', v.glusterfs.endpoints ?? ''], ['Path', v.glusterfs.path ?? ''], ['ReadOnly', v.glusterfs.readOnly ?? false]]);
  if (v.persistentVolumeClaim) return rows('PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)', [['ClaimName', v.persistentVolumeClaim.claimName ?? ''], ['ReadOnly', v.persistentVolumeClaim.readOnly ?? false]]);
  if (v.ephemeral) {
    const out = rows('EphemeralVolume (an inline specification for a volume that gets created and deleted with the pod)', []);
    const t = v.ephemeral.volumeClaimTemplate;
    if (!t) return out;
    // (printPersistentVolumeClaim of the template through a writer nested four spaces in: the
    // labels' and annotations' values, written by a call of their own, are indented once more)
    const n = '    ';
    const nested = (title: string, lines: string[]) => lines.map((l, i) => (i ? `${n}${n}\t${n}${l.slice(18)}` : `${n}${title}:\t${n}${l.slice(18)}`));
    const spec = t.spec ?? {};
    out.push(`${n}StorageClass:\t${spec.storageClassName ?? ''}`, `${n}Volume:\t${spec.volumeName ?? ''}`);
    out.push(...nested('Labels', labelLines('Labels', t.metadata?.labels)), ...nested('Annotations', annotationLines('Annotations', t.metadata?.annotations)));
    // (a template has no status: bound to a volume, its capacity is the zero quantity and its access modes none)
    out.push(`${n}Capacity:\t${spec.volumeName ? '0' : ''}`, `${n}Access Modes:\t`);
    if (spec.volumeMode) out.push(`${n}VolumeMode:\t${spec.volumeMode}`);
    if (spec.dataSource) {
      out.push(`${n}DataSource:`);
      if (spec.dataSource.apiGroup !== undefined && spec.dataSource.apiGroup !== null) out.push(`${n}  APIGroup:\t${spec.dataSource.apiGroup}`);
      out.push(`${n}  Kind:\t${spec.dataSource.kind ?? ''}`, `${n}  Name:\t${spec.dataSource.name ?? ''}`);
    }
    return out;
  }
  if (v.rbd) {
    const r = v.rbd;
    return rows("RBD (a Rados Block Device mount on the host that shares a pod's lifetime)", [['CephMonitors', r.monitors ?? []], ['RBDImage', r.image ?? ''], ['FSType', r.fsType ?? ''], ['RBDPool', r.pool ?? ''], ['RadosUser', r.user ?? ''], ['Keyring', r.keyring ?? ''], ['SecretRef', localRef(r.secretRef)], ['ReadOnly', r.readOnly ?? false]]);
  }
  if (v.quobyte) return rows("Quobyte (a Quobyte mount on the host that shares a pod's lifetime)", [['Registry', v.quobyte.registry ?? ''], ['Volume', v.quobyte.volume ?? ''], ['ReadOnly', v.quobyte.readOnly ?? false]]);
  if (v.downwardAPI) {
    const items = (v.downwardAPI.items ?? []).flatMap((m) => [...(m.fieldRef ? [`      ${m.fieldRef.fieldPath ?? ''} -> ${m.path ?? ''}`] : []), ...(m.resourceFieldRef ? [`      ${m.resourceFieldRef.resource ?? ''} -> ${m.path ?? ''}`] : [])]);
    return ['    Type:\tDownwardAPI (a volume populated by information about the pod)', '    Items:', ...items];
  }
  if (v.vsphereVolume) return rows('vSphereVolume (a Persistent Disk resource in vSphere)', [['VolumePath', v.vsphereVolume.volumePath ?? ''], ['FSType', v.vsphereVolume.fsType ?? ''], ['StoragePolicyName', v.vsphereVolume.storagePolicyName ?? '']]);
  if (v.cinder) return rows('Cinder (a Persistent Disk resource in OpenStack)', [['VolumeID', v.cinder.volumeID ?? ''], ['FSType', v.cinder.fsType ?? ''], ['ReadOnly', v.cinder.readOnly ?? false], ['SecretRef', localRef(v.cinder.secretRef)]]);
  if (v.photonPersistentDisk) return rows('PhotonPersistentDisk (a Persistent Disk resource in photon platform)', [['PdID', v.photonPersistentDisk.pdID ?? ''], ['FSType', v.photonPersistentDisk.fsType ?? '']]);
  if (v.portworxVolume) return rows('PortworxVolume (a Portworx Volume resource)', [['VolumeID', v.portworxVolume.volumeID ?? '']]);
  if (v.scaleIO) {
    const s = v.scaleIO;
    return rows('ScaleIO (a persistent volume backed by a block device in ScaleIO)', [['Gateway', s.gateway ?? ''], ['System', s.system ?? ''], ['Protection Domain', s.protectionDomain ?? ''], ['Storage Pool', s.storagePool ?? ''], ['Storage Mode', s.storageMode ?? ''], ['VolumeName', s.volumeName ?? ''], ['FSType', s.fsType ?? ''], ['ReadOnly', s.readOnly ?? false]]);
  }
  if (v.cephfs) {
    const c = v.cephfs;
    return rows("CephFS (a CephFS mount on the host that shares a pod's lifetime)", [['Monitors', c.monitors ?? []], ['Path', c.path ?? ''], ['User', c.user ?? ''], ['SecretFile', c.secretFile ?? ''], ['SecretRef', localRef(c.secretRef)], ['ReadOnly', c.readOnly ?? false]]);
  }
  if (v.storageos) return rows('StorageOS (a StorageOS Persistent Disk resource)', [['VolumeName', v.storageos.volumeName ?? ''], ['VolumeNamespace', v.storageos.volumeNamespace ?? ''], ['FSType', v.storageos.fsType ?? ''], ['ReadOnly', v.storageos.readOnly ?? false]]);
  if (v.fc) return rows('FC (a Fibre Channel disk)', [['TargetWWNs', (v.fc.targetWWNs ?? []).join(', ')], ['LUN', v.fc.lun ?? '<none>'], ['FSType', v.fc.fsType ?? ''], ['ReadOnly', v.fc.readOnly ?? false]]);
  if (v.flexVolume) {
    const f = v.flexVolume;
    // (Go's %v of a map: "map[k:v ...]" by key)
    const opts = `map[${Object.keys(f.options ?? {}).sort().map((k) => `${k}:${f.options![k]}`).join(' ')}]`;
    return rows('FlexVolume (a generic volume resource that is provisioned/attached using an exec based plugin)', [['Driver', f.driver ?? ''], ['FSType', f.fsType ?? ''], ['SecretRef', localRef(f.secretRef)], ['ReadOnly', f.readOnly ?? false], ['Options', opts]]);
  }
  if (v.azureDisk) {
    const d = v.azureDisk;
    // (kubectl's format has a space before the tab after Kind)
    const out = rows('AzureDisk (an Azure Data Disk mount on the host and bind mount to the pod)', [['DiskName', d.diskName ?? ''], ['DiskURI', d.diskURI ?? '']]);
    return [...out, `    Kind: \t${d.kind ?? ''}`, `    FSType:\t${d.fsType ?? ''}`, `    CachingMode:\t${d.cachingMode ?? ''}`, `    ReadOnly:\t${d.readOnly ?? false}`];
  }
  if (v.azureFile) return rows('AzureFile (an Azure File Service mount on the host and bind mount to the pod)', [['SecretName', v.azureFile.secretName ?? ''], ['ShareName', v.azureFile.shareName ?? ''], ['ReadOnly', v.azureFile.readOnly ?? false]]);
  if (v.flocker) return rows('Flocker (a Flocker volume mounted by the Flocker agent)', [['DatasetName', v.flocker.datasetName ?? ''], ['DatasetUUID', v.flocker.datasetUUID ?? '']]);
  if (v.projected) {
    // (1.32's printProjectedVolumeSource prints each source's optional as the pointer it is: <nil> when unset)
    const out = ['    Type:\tProjected (a volume that contains injected data from multiple sources)'];
    for (const s of v.projected.sources ?? []) {
      if (s.secret) out.push(`    SecretName:\t${s.secret.name ?? ''}`, `    SecretOptionalName:\t${goV(s.secret.optional)}`);
      else if (s.downwardAPI) out.push('    DownwardAPI:\ttrue');
      else if (s.configMap) out.push(`    ConfigMapName:\t${s.configMap.name ?? ''}`, `    ConfigMapOptional:\t${goV(s.configMap.optional)}`);
      else if (s.serviceAccountToken) out.push(`    TokenExpirationSeconds:\t${s.serviceAccountToken.expirationSeconds ?? 0}`);
    }
    return out;
  }
  if (v.csi) {
    const attrs = v.csi.volumeAttributes ?? {};
    const keys = Object.keys(attrs).sort();
    const out = rows('CSI (a Container Storage Interface (CSI) volume source)', [['Driver', v.csi.driver ?? ''], ['FSType', v.csi.fsType ?? ''], ['ReadOnly', v.csi.readOnly ?? false]]);
    // (printCSIPersistentVolumeAttributesMultiline: each line is written four spaces in, again after the tab)
    if (!keys.length) return [...out, '    VolumeAttributes:\t<none>'];
    const line = (k: string) => {
      const l = `${k}=${attrs[k]}`;
      return l.length > 140 ? `${l.slice(0, 140)}...` : l;
    };
    return [...out, ...keys.map((k, i) => (i ? `        \t    ${line(k)}` : `    VolumeAttributes:\t    ${line(k)}`))];
  }
  if (v.image) return rows('Image (a container image or OCI artifact)', [['Reference', v.image.reference ?? ''], ['PullPolicy', v.image.pullPolicy ?? '']]);
  return ['  <unknown>'];
}

/** describeVolumes: "Volumes:\t<none>", or each volume by name with its source's lines; `space` indents a template's. */
export function volumeLines(volumes: Volume[] | undefined, space = ''): string[] {
  if (!volumes?.length) return [`${space}Volumes:\t<none>`];
  return [`${space}Volumes:`, ...volumes.flatMap((v) => [`  ${space ? ' ' : ''}${v.name ?? ''}:`, ...volumeSourceLines(v)])];
}

/** describeTopologySpreadConstraints: by topology key, "<key>:<when> when max skew N is exceeded[ for selector S]"; `space` indents a template's. */
export function topologySpreadLines(constraints: NonNullable<Pod['spec']>['topologySpreadConstraints'], space = ''): string[] {
  const key = (t: { topologyKey?: string }) => t.topologyKey ?? '';
  return [...(constraints ?? [])]
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
    .map((t, i) => {
      const text = `${key(t)}:${t.whenUnsatisfiable ?? ''} when max skew ${t.maxSkew ?? 0} is exceeded${t.labelSelector ? ` for selector ${selectorString(t.labelSelector as Parameters<typeof selectorString>[0]) || '<none>'}` : ''}`;
      return `${space}${i ? '' : 'Topology Spread Constraints:'}\t${text}`;
    });
}

/** The lines of describe pod up to its events, in tab-ended cells; `now` ages a deletion. */
export function describePod(pod: Pod, now = Date.now()): string[] {
  const meta = pod.metadata ?? {};
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  const out = [`Name:\t${meta.name ?? ''}`, `Namespace:\t${meta.namespace ?? ''}`];
  if (spec.priority !== undefined && spec.priority !== null) out.push(`Priority:\t${spec.priority}`);
  if (spec.priorityClassName) out.push(`Priority Class Name:\t${spec.priorityClassName}`);
  if (spec.runtimeClassName) out.push(`Runtime Class Name:\t${spec.runtimeClassName}`);
  if (spec.serviceAccountName) out.push(`Service Account:\t${spec.serviceAccountName}`);
  out.push(`Node:\t${spec.nodeName ? `${spec.nodeName}/${status.hostIP ?? ''}` : '<none>'}`);
  if (status.startTime) out.push(`Start Time:\t${rfc1123z(status.startTime)}`);
  out.push(...tabbedField(labelLines('Labels', meta.labels)), ...tabbedField(annotationLines('Annotations', meta.annotations)));
  if (meta.deletionTimestamp && status.phase !== 'Failed' && status.phase !== 'Succeeded') {
    out.push(`Status:\tTerminating (lasts ${since(meta.deletionTimestamp, now)})`, `Termination Grace Period:\t${meta.deletionGracePeriodSeconds ?? 0}s`);
  } else out.push(`Status:\t${status.phase ?? ''}`);
  if (status.reason) out.push(`Reason:\t${status.reason}`);
  if (status.message) out.push(`Message:\t${status.message}`);
  const seccomp = spec.securityContext?.seccompProfile;
  if (seccomp) {
    out.push(`SeccompProfile:\t${seccomp.type ?? ''}`);
    if (seccomp.type === 'Localhost') out.push(`LocalhostProfile:\t${seccomp.localhostProfile ?? ''}`);
  }
  out.push(`IP:\t${status.podIP ?? ''}`);
  if (status.podIPs?.length) out.push('IPs:', ...status.podIPs.map((ip) => `  IP:\t${ip.ip ?? ''}`));
  else out.push('IPs:\t<none>');
  const owner = meta.ownerReferences?.find((o) => o.controller);
  if (owner) out.push(`Controlled By:\t${owner.kind}/${owner.name}`);
  if (status.nominatedNodeName) out.push(`NominatedNodeName:\t${status.nominatedNodeName}`);
  if (spec.initContainers?.length) out.push(...containerLines('Init Containers', spec.initContainers, status.initContainerStatuses, pod));
  out.push(...containerLines('Containers', spec.containers ?? [], status.containerStatuses, pod));
  if (spec.ephemeralContainers?.length) out.push(...containerLines('Ephemeral Containers', spec.ephemeralContainers as Container[], status.ephemeralContainerStatuses, pod));
  const conditions = status.conditions ?? [];
  if (spec.readinessGates?.length) {
    out.push('Readiness Gates:', '  Type\tStatus');
    for (const g of spec.readinessGates) out.push(`  ${g.conditionType ?? ''} \t${conditions.find((c) => c.type === g.conditionType)?.status ?? '<none>'} `);
  }
  if (conditions.length) out.push('Conditions:', '  Type\tStatus', ...conditions.map((c) => `  ${c.type ?? ''} \t${c.status ?? ''} `));
  out.push(...volumeLines(spec.volumes));
  out.push(`QoS Class:\t${status.qosClass || podQOSClass(pod)}`);
  out.push(...tabbedField(labelLines('Node-Selectors', spec.nodeSelector)));
  const tolerations = tolerationLines(spec.tolerations) ?? ['<none>'];
  out.push(`Tolerations:\t${tolerations[0]}`, ...tolerations.slice(1).map((l) => `\t${l}`));
  out.push(...topologySpreadLines(spec.topologySpreadConstraints));
  return out;
}
