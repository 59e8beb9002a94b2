// tsctl describe for Deployments, as kubectl's DeploymentDescriber writes them: the selector,
// replica counts and strategy, the pod template (DescribePodTemplate), the conditions, the old
// and new ReplicaSets, then the events; in tab-ended cells for Go's tabwriter (./tabwriter.ts).
import type { KubeObject, Toleration, VolumeMount } from '../api/types.js';
import { annotationLines, labelLines, selectorString, tabbedField } from './describe-meta.js';

export { selectorString, tabbedField };
import { mountLines, rfc1123z, tolerationLines } from './describe-pod.js';

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
type EnvVar = { name: string; value?: string; valueFrom?: { fieldRef?: { apiVersion?: string; fieldPath: string }; resourceFieldRef?: { containerName?: string; resource: string }; configMapKeyRef?: { name?: string; key: string; optional?: boolean }; secretKeyRef?: { name?: string; key: string; optional?: boolean } } };
type Container = { name: string; image?: string; ports?: { containerPort: number; hostPort?: number; protocol?: string }[]; command?: string[]; args?: string[]; env?: EnvVar[]; volumeMounts?: VolumeMount[] };
type Volume = { name: string; emptyDir?: { medium?: string; sizeLimit?: string }; hostPath?: { path: string; type?: string }; secret?: { secretName?: string; optional?: boolean }; configMap?: { name?: string; optional?: boolean }; persistentVolumeClaim?: { claimName: string; readOnly?: boolean } };
type PodTemplate = { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: { serviceAccountName?: string; initContainers?: Container[]; containers?: Container[]; volumes?: Volume[]; nodeSelector?: Record<string, string>; tolerations?: Toleration[]; priorityClassName?: string } };
export type Deployment = KubeObject & {
  spec?: { replicas?: number; selector?: Selector; minReadySeconds?: number; strategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string } }; template?: PodTemplate };
  status?: { replicas?: number; updatedReplicas?: number; availableReplicas?: number; unavailableReplicas?: number; conditions?: { type: string; status: string; reason?: string }[] };
};
export type ReplicaSet = KubeObject & { spec?: { replicas?: number }; status?: { replicas?: number } };

/** The value of an env var as describeContainerEnvVars says it. */
function envValue(e: EnvVar): string {
  const from = e.valueFrom;
  if (!from) return e.value ?? '';
  if (from.fieldRef) return ` (${from.fieldRef.apiVersion ?? 'v1'}:${from.fieldRef.fieldPath})`;
  if (from.resourceFieldRef) return ` (${from.resourceFieldRef.containerName ?? ''}:${from.resourceFieldRef.resource})`;
  if (from.secretKeyRef) return `<set to the key '${from.secretKeyRef.key}' in secret '${from.secretKeyRef.name ?? ''}'>  Optional: ${from.secretKeyRef.optional ?? false}`;
  if (from.configMapKeyRef) return `<set to the key '${from.configMapKeyRef.key}' of config map '${from.configMapKeyRef.name ?? ''}'>  Optional: ${from.configMapKeyRef.optional ?? false}`;
  return '';
}

/** describeContainers for a template (no statuses), each line of tab-ended cells. */
function containerLines(title: string, containers: Container[]): string[] {
  const out = [`  ${title}:`];
  for (const c of containers) {
    out.push(`   ${c.name}:`, `    Image:\t${c.image ?? ''}`);
    // (describeContainerPorts: "Ports" and "Host Ports" for more than one)
    const ports = c.ports ?? [];
    const s = ports.length > 1 ? 's' : '';
    out.push(`    Port${s}:\t${ports.length ? ports.map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', ') : '<none>'}`);
    out.push(`    Host Port${s}:\t${ports.length ? ports.map((p) => `${p.hostPort ?? 0}/${p.protocol ?? 'TCP'}`).join(', ') : '<none>'}`);
    for (const [k, list] of [['Command', c.command], ['Args', c.args]] as const) {
      if (list?.length) out.push(`    ${k}:`, ...list.flatMap((a) => a.split('\n')).map((a) => `      ${a}`));
    }
    if (c.env?.length) out.push('    Environment:', ...c.env.map((e) => `      ${e.name}:\t${envValue(e)}`));
    else out.push('    Environment:\t<none>');
    const mounts = mountLines(c.volumeMounts);
    if (mounts) out.push('    Mounts:', ...mounts.map((m) => `      ${m}`));
    else out.push('    Mounts:\t<none>');
  }
  return out;
}


/** describeVolumes for the common sources; another is "<unknown>", as kubectl says of one it has no printer for. */
function volumeLines(v: Volume): string[] {
  const out = [`   ${v.name}:`];
  if (v.emptyDir) out.push(`    Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)`, `    Medium:\t${v.emptyDir.medium ?? ''}`, `    SizeLimit:\t${v.emptyDir.sizeLimit ?? '<unset>'}`);
  else if (v.hostPath) out.push(`    Type:\tHostPath (bare host directory volume)`, `    Path:\t${v.hostPath.path}`, `    HostPathType:\t${v.hostPath.type ?? ''}`);
  else if (v.secret) out.push(`    Type:\tSecret (a volume populated by a Secret)`, `    SecretName:\t${v.secret.secretName ?? ''}`, `    Optional:\t${v.secret.optional ?? false}`);
  else if (v.configMap) out.push(`    Type:\tConfigMap (a volume populated by a ConfigMap)`, `    Name:\t${v.configMap.name ?? ''}`, `    Optional:\t${v.configMap.optional ?? false}`);
  else if (v.persistentVolumeClaim) out.push(`    Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)`, `    ClaimName:\t${v.persistentVolumeClaim.claimName}`, `    ReadOnly:\t${v.persistentVolumeClaim.readOnly ?? false}`);
  else out.push('  <unknown>');
  return out;
}

/** DescribePodTemplate. */
export function podTemplateLines(t: PodTemplate | undefined): string[] {
  const spec = t?.spec ?? {};
  const out = ['Pod Template:', ...tabbedField(labelLines('Labels', t?.metadata?.labels), '  ')];
  if (Object.keys(t?.metadata?.annotations ?? {}).length) out.push(...tabbedField(annotationLines('Annotations', t?.metadata?.annotations), '  '));
  if (spec.serviceAccountName) out.push(`  Service Account:\t${spec.serviceAccountName}`);
  if (spec.initContainers?.length) out.push(...containerLines('Init Containers', spec.initContainers));
  out.push(...containerLines('Containers', spec.containers ?? []));
  if (spec.volumes?.length) out.push('  Volumes:', ...spec.volumes.flatMap(volumeLines));
  else out.push('  Volumes:\t<none>');
  out.push(...tabbedField(labelLines('Node-Selectors', spec.nodeSelector), '  '));
  const tolerations = tolerationLines(spec.tolerations) ?? ['<none>'];
  out.push(`  Tolerations:\t${tolerations[0]}`, ...tolerations.slice(1).map((l) => `\t${l}`));
  if (spec.priorityClassName) out.push(`  Priority Class Name:\t${spec.priorityClassName}`);
  return out;
}

/** printReplicaSetsByLabels: "name (current/desired replicas created)", comma-separated; `<none>`. */
const replicaSets = (list: ReplicaSet[]) => (list.length ? list.map((rs) => `${rs.metadata?.name} (${rs.status?.replicas ?? 0}/${rs.spec?.replicas ?? 0} replicas created)`).join(', ') : '<none>');

/**
 * The lines of describe deployment up to its events, in tab-ended cells. `owned` are the
 * ReplicaSets it controls: the new one is that of its revision, the others old.
 */
export function describeDeployment(d: Deployment, owned: ReplicaSet[]): string[] {
  const meta = d.metadata ?? {};
  const spec = d.spec ?? {};
  const st = d.status ?? {};
  const revision = meta.annotations?.['deployment.kubernetes.io/revision'];
  const isNew = (rs: ReplicaSet) => revision !== undefined && rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] === revision;
  const out = [
    `Name:\t${meta.name ?? ''}`,
    `Namespace:\t${meta.namespace ?? ''}`,
    `CreationTimestamp:\t${rfc1123z(meta.creationTimestamp)}`,
    ...tabbedField(labelLines('Labels', meta.labels)),
    ...tabbedField(annotationLines('Annotations', meta.annotations)),
    `Selector:\t${selectorString(spec.selector)}`,
    `Replicas:\t${spec.replicas ?? 0} desired | ${st.updatedReplicas ?? 0} updated | ${st.replicas ?? 0} total | ${st.availableReplicas ?? 0} available | ${st.unavailableReplicas ?? 0} unavailable`,
    `StrategyType:\t${spec.strategy?.type ?? ''}`,
    `MinReadySeconds:\t${spec.minReadySeconds ?? 0}`,
  ];
  const ru = spec.strategy?.rollingUpdate;
  if (ru) out.push(`RollingUpdateStrategy:\t${ru.maxUnavailable ?? ''} max unavailable, ${ru.maxSurge ?? ''} max surge`);
  out.push(...podTemplateLines(spec.template));
  if (st.conditions?.length) out.push('Conditions:', '  Type\tStatus\tReason', '  ----\t------\t------', ...st.conditions.map((c) => `  ${c.type} \t${c.status}\t${c.reason ?? ''}`));
  // (1.32's describer prints every old one, scaled down or not, oldest first)
  const byAge = [...owned].sort((a, b) => (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? '') || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  out.push(`OldReplicaSets:\t${replicaSets(byAge.filter((rs) => !isNew(rs)))}`);
  out.push(`NewReplicaSet:\t${replicaSets(owned.filter(isNew))}`);
  return out;
}
