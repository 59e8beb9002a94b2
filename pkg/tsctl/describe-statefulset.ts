// tsctl describe for StatefulSets and DaemonSets, as kubectl 1.32's StatefulSetDescriber and
// DaemonSetDescriber write them: selector, replica or node counts, the update strategy, the pods
// they control by phase (getPodStatusForController), the pod template, a StatefulSet's volume
// claim templates, then the events; in tab-ended cells for ./tabwriter.ts.
import type { KubeObject, Pod } from '../api/types.js';
import { podTemplateLines, selectorString, tabbedField } from './describe-deployment.js';
import { annotationLines, labelLines } from './describe-meta.js';
import { rfc1123z } from './describe-pod.js';
import { controllerPodPhases } from './describe-replicaset.js';

type Selector = Parameters<typeof selectorString>[0];
type Template = Parameters<typeof podTemplateLines>[0];
type ClaimTemplate = { metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: { storageClassName?: string; accessModes?: string[]; resources?: { requests?: Record<string, string> } } };

export type StatefulSet = KubeObject & {
  spec?: { replicas?: number; selector?: Selector; updateStrategy?: { type?: string; rollingUpdate?: { partition?: number; maxUnavailable?: number | string } }; template?: Template; volumeClaimTemplates?: ClaimTemplate[] };
  status?: { replicas?: number };
};

export type DaemonSet = KubeObject & {
  spec?: { selector?: Selector; template?: Template };
  status?: { desiredNumberScheduled?: number; currentNumberScheduled?: number; updatedNumberScheduled?: number; numberAvailable?: number; numberMisscheduled?: number };
};

/** A PVC's class as storageutil.GetPersistentVolumeClaimClass finds it: the beta annotation first, then spec.storageClassName. */
export const claimClass = (c: ClaimTemplate) => c.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? c.spec?.storageClassName ?? '';

/** printLabelsMultilineWithIndent: "k=v" pairs sorted by key under an indented title, `<none>` for none. */
function pairsField(indent: string, title: string, m: Record<string, string> | undefined): string[] {
  const keys = Object.keys(m ?? {}).sort();
  if (!keys.length) return [`${indent}${title}:\t<none>`];
  return keys.map((k, i) => `${i ? `${indent}` : `${indent}${title}:`}\t${k}=${m![k]}`);
}

/** describeVolumeClaimTemplates; its annotations are printed as labels are (k=v), as kubectl does. */
function claimTemplateLines(templates: ClaimTemplate[] | undefined): string[] {
  if (!templates?.length) return ['Volume Claims:\t<none>'];
  const out = ['Volume Claims:'];
  for (const c of templates) {
    out.push(`  Name:\t${c.metadata?.name ?? ''}`, `  StorageClass:\t${claimClass(c)}`);
    out.push(...pairsField('  ', 'Labels', c.metadata?.labels), ...pairsField('  ', 'Annotations', c.metadata?.annotations));
    out.push(`  Capacity:\t${c.spec?.resources?.requests?.storage ?? '<default>'}`);
    // (Go's %s of the access mode slice)
    out.push(`  Access Modes:\t[${(c.spec?.accessModes ?? []).join(' ')}]`);
  }
  return out;
}

/** The lines of describe statefulset up to its events; `pods` are those its selector matches. */
export function describeStatefulSet(ss: StatefulSet, pods: Pod[]): string[] {
  const meta = ss.metadata ?? {};
  const spec = ss.spec ?? {};
  const out = [`Name:\t${meta.name ?? ''}`, `Namespace:\t${meta.namespace ?? ''}`, `CreationTimestamp:\t${rfc1123z(meta.creationTimestamp)}`, `Selector:\t${selectorString(spec.selector)}`];
  out.push(...tabbedField(labelLines('Labels', meta.labels)), ...tabbedField(annotationLines('Annotations', meta.annotations)));
  out.push(`Replicas:\t${spec.replicas ?? 0} desired | ${ss.status?.replicas ?? 0} total`, `Update Strategy:\t${spec.updateStrategy?.type ?? ''}`);
  const ru = spec.updateStrategy?.rollingUpdate;
  // (MaxUnavailable only under a Partition, as the describer nests them)
  if (ru?.partition !== undefined) {
    out.push(`  Partition:\t${ru.partition}`);
    if (ru.maxUnavailable !== undefined) out.push(`  MaxUnavailable:\t${ru.maxUnavailable}`);
  }
  out.push(`Pods Status:\t${controllerPodPhases(pods, meta.uid)}`, ...podTemplateLines(spec.template), ...claimTemplateLines(spec.volumeClaimTemplates));
  return out;
}

/** labels.FormatLabels: "k=v,..." sorted by key, `<none>` for none. */
export const formatLabels = (m: Record<string, string> | undefined) => (Object.keys(m ?? {}).length ? Object.keys(m!).sort().map((k) => `${k}=${m![k]}`).join(',') : '<none>');

/**
 * The lines of describe daemonset up to its events. 1.32's describer prints no Namespace, and
 * its node counts have no tab (so they end the aligned block above them).
 */
export function describeDaemonSet(ds: DaemonSet, pods: Pod[]): string[] {
  const meta = ds.metadata ?? {};
  const spec = ds.spec ?? {};
  const st = ds.status ?? {};
  const nodeSelector = (spec.template?.spec as { nodeSelector?: Record<string, string> } | undefined)?.nodeSelector;
  return [
    `Name:\t${meta.name ?? ''}`,
    `Selector:\t${selectorString(spec.selector)}`,
    `Node-Selector:\t${formatLabels(nodeSelector)}`,
    ...tabbedField(labelLines('Labels', meta.labels)),
    ...tabbedField(annotationLines('Annotations', meta.annotations)),
    `Desired Number of Nodes Scheduled: ${st.desiredNumberScheduled ?? 0}`,
    `Current Number of Nodes Scheduled: ${st.currentNumberScheduled ?? 0}`,
    `Number of Nodes Scheduled with Up-to-date Pods: ${st.updatedNumberScheduled ?? 0}`,
    `Number of Nodes Scheduled with Available Pods: ${st.numberAvailable ?? 0}`,
    `Number of Nodes Misscheduled: ${st.numberMisscheduled ?? 0}`,
    `Pods Status:\t${controllerPodPhases(pods, meta.uid)}`,
    ...podTemplateLines(spec.template),
  ];
}
