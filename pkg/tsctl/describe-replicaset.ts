// tsctl describe for ReplicaSets, as kubectl's ReplicaSetDescriber writes them: selector, owner,
// replicas, its pods by phase (getPodStatusForController), the pod template, any conditions,
// then the events; in tab-ended cells for ./tabwriter.ts.
import type { KubeObject, Pod } from '../api/types.js';
import { podTemplateLines, selectorString, tabbedField, type Deployment } from './describe-deployment.js';
import { annotationLines, labelLines } from './describe-meta.js';

export type ReplicaSetDescribed = KubeObject & {
  spec?: { replicas?: number; selector?: Parameters<typeof selectorString>[0]; template?: Parameters<typeof podTemplateLines>[0] };
  status?: { replicas?: number; conditions?: NonNullable<Deployment['status']>['conditions'] };
};

/**
 * getPodStatusForController: "N Running / N Waiting / N Succeeded / N Failed" of the pods that
 * `uid` controls among those its selector matched (a Pending pod is Waiting).
 */
export function controllerPodPhases(pods: Pod[], uid: string | undefined): string {
  const phases = { Running: 0, Pending: 0, Succeeded: 0, Failed: 0 } as Record<string, number>;
  for (const p of pods) {
    if (!p.metadata?.ownerReferences?.some((o) => o.controller && o.uid === uid)) continue;
    const phase = p.status?.phase ?? '';
    if (phase in phases) phases[phase]!++;
  }
  return `${phases.Running} Running / ${phases.Pending} Waiting / ${phases.Succeeded} Succeeded / ${phases.Failed} Failed`;
}

/** The lines of describe replicaset up to its events; `pods` are those its selector matches. */
export function describeReplicaSet(rs: ReplicaSetDescribed, pods: Pod[]): string[] {
  const meta = rs.metadata ?? {};
  const spec = rs.spec ?? {};
  const out = [`Name:\t${meta.name ?? ''}`, `Namespace:\t${meta.namespace ?? ''}`, `Selector:\t${selectorString(spec.selector) || '<none>'}`, ...tabbedField(labelLines('Labels', meta.labels)), ...tabbedField(annotationLines('Annotations', meta.annotations))];
  const owner = meta.ownerReferences?.find((o) => o.controller);
  if (owner) out.push(`Controlled By:\t${owner.kind}/${owner.name}`);
  out.push(`Replicas:\t${rs.status?.replicas ?? 0} current / ${spec.replicas ?? 0} desired`);
  out.push(`Pods Status:\t${controllerPodPhases(pods, meta.uid)}`);
  out.push(...podTemplateLines(spec.template));
  const conditions = rs.status?.conditions ?? [];
  if (conditions.length) out.push('Conditions:', '  Type\tStatus\tReason', '  ----\t------\t------', ...conditions.map((c) => `  ${c.type} \t${c.status}\t${c.reason ?? ''}`));
  return out;
}

export type ReplicationControllerDescribed = KubeObject & {
  spec?: { replicas?: number; selector?: Record<string, string>; template?: Parameters<typeof podTemplateLines>[0] };
  status?: { replicas?: number; conditions?: NonNullable<Deployment['status']>['conditions'] };
};

/**
 * The lines of describe replicationcontroller up to its events, as kubectl 1.32's
 * describeReplicationController writes them: as a ReplicaSet's but with the selector a plain
 * label set (labels.FormatLabels, "<none>" when empty) and no Controlled By line; `pods` are
 * those its selector matches.
 */
export function describeReplicationController(rc: ReplicationControllerDescribed, pods: Pod[]): string[] {
  const meta = rc.metadata ?? {};
  const spec = rc.spec ?? {};
  const sel = spec.selector ?? {};
  const selector = Object.keys(sel).sort().map((k) => `${k}=${sel[k]}`).join(',') || '<none>';
  const out = [`Name:\t${meta.name ?? ''}`, `Namespace:\t${meta.namespace ?? ''}`, `Selector:\t${selector}`, ...tabbedField(labelLines('Labels', meta.labels)), ...tabbedField(annotationLines('Annotations', meta.annotations))];
  out.push(`Replicas:\t${rc.status?.replicas ?? 0} current / ${spec.replicas ?? 1} desired`);
  out.push(`Pods Status:\t${controllerPodPhases(pods, meta.uid)}`);
  out.push(...podTemplateLines(spec.template));
  const conditions = rc.status?.conditions ?? [];
  if (conditions.length) out.push('Conditions:', '  Type\tStatus\tReason', '  ----\t------\t------', ...conditions.map((c) => `  ${c.type} \t${c.status}\t${c.reason ?? ''}`));
  return out;
}
