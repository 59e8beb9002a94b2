// tsctl describe for Deployments, as kubectl's DeploymentDescriber writes them: the selector,
// replica counts and strategy, the pod template (DescribePodTemplate), the conditions, the old
// and new ReplicaSets, then the events; in tab-ended cells for Go's tabwriter (./tabwriter.ts).
import type { KubeObject, PodSpec } from '../api/types.js';
import { annotationLines, labelLines, selectorString, tabbedField } from './describe-meta.js';
import { containerLines, rfc1123z, tolerationLines, topologySpreadLines, volumeLines } from './describe-pod.js';

export { selectorString, tabbedField };

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
type PodTemplate = { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: PodSpec };
export type Deployment = KubeObject & {
  spec?: { replicas?: number; selector?: Selector; minReadySeconds?: number; strategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string } }; template?: PodTemplate };
  status?: { replicas?: number; updatedReplicas?: number; availableReplicas?: number; unavailableReplicas?: number; conditions?: { type: string; status: string; reason?: string }[] };
};
export type ReplicaSet = KubeObject & { spec?: { replicas?: number }; status?: { replicas?: number } };

/** DescribePodTemplate. */
export function podTemplateLines(t: PodTemplate | undefined): string[] {
  const spec = t?.spec ?? {};
  const out = ['Pod Template:', ...tabbedField(labelLines('Labels', t?.metadata?.labels), '  ')];
  if (Object.keys(t?.metadata?.annotations ?? {}).length) out.push(...tabbedField(annotationLines('Annotations', t?.metadata?.annotations), '  '));
  if (spec.serviceAccountName) out.push(`  Service Account:\t${spec.serviceAccountName}`);
  // (describeContainers and describeVolumes as describe pod prints them, indented for a template, with no statuses)
  if (spec.initContainers?.length) out.push(...containerLines('Init Containers', spec.initContainers, undefined, undefined, '  '));
  out.push(...containerLines('Containers', spec.containers ?? [], undefined, undefined, '  '));
  out.push(...volumeLines(spec.volumes, '  '), ...topologySpreadLines(spec.topologySpreadConstraints, '  '));
  if (spec.priorityClassName) out.push(`  Priority Class Name:\t${spec.priorityClassName}`);
  out.push(...tabbedField(labelLines('Node-Selectors', spec.nodeSelector), '  '));
  const tolerations = tolerationLines(spec.tolerations) ?? ['<none>'];
  out.push(`  Tolerations:\t${tolerations[0]}`, ...tolerations.slice(1).map((l) => `\t${l}`));
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
  // (and only when it has any: 1.32's describeDeployment prints neither line for none)
  if (owned.length) {
    out.push(`OldReplicaSets:\t${replicaSets(byAge.filter((rs) => !isNew(rs)))}`);
    out.push(`NewReplicaSet:\t${replicaSets(owned.filter(isNew))}`);
  }
  return out;
}
