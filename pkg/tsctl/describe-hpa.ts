// tsctl describe for HorizontalPodAutoscalers (autoscaling/v2), as kubectl 1.32's
// describeHorizontalPodAutoscalerV2 writes them: the target, each metric as current / target
// (<unknown> before the controller has measured it), the replica bounds, any scaling behavior,
// the target's pods and the conditions; in tab-ended cells for ./tabwriter.ts.
import type { KubeObject } from '../api/types.js';
import { tabbedField } from './describe-deployment.js';
import { annotationLines, labelLines } from './describe-meta.js';
import { rfc1123z } from './describe-pod.js';

type Target = { type?: string; value?: string; averageValue?: string; averageUtilization?: number };
type Current = { value?: string; averageValue?: string; averageUtilization?: number };
type Metric = {
  type: string;
  resource?: { name: string; target: Target };
  containerResource?: { name: string; container: string; target: Target };
  pods?: { metric: { name: string }; target: Target };
  object?: { metric: { name: string }; describedObject: { kind: string; name: string }; target: Target };
  external?: { metric: { name: string }; target: Target };
};
type CurrentMetric = { resource?: { current: Current }; containerResource?: { current: Current }; pods?: { current: Current }; object?: { current: Current }; external?: { current: Current } };
type Rules = { stabilizationWindowSeconds?: number; selectPolicy?: string; policies?: { type: string; value: number; periodSeconds: number }[] };
export type HorizontalPodAutoscaler = KubeObject & {
  spec?: { scaleTargetRef?: { kind?: string; name?: string }; minReplicas?: number; maxReplicas?: number; metrics?: Metric[]; behavior?: { scaleUp?: Rules; scaleDown?: Rules } };
  status?: { currentReplicas?: number; desiredReplicas?: number; currentMetrics?: CurrentMetric[]; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
};

/** One metric's line(s) as the describer writes them. */
function metricLines(m: Metric, cur: CurrentMetric | undefined): string[] {
  const unknown = '<unknown>';
  const percent = (target: Target, c: Current | undefined) => [
    c?.averageUtilization !== undefined ? `${c.averageUtilization}% (${c.averageValue ?? '0'})` : unknown,
    target.averageUtilization !== undefined ? `${target.averageUtilization}%` : '<auto>',
  ];
  switch (m.type) {
    case 'External': {
      const e = m.external!;
      if (e.target.averageValue !== undefined) return [`  ${JSON.stringify(e.metric.name)} (target average value):\t${cur?.external?.current.averageValue ?? unknown} / ${e.target.averageValue}`];
      return [`  ${JSON.stringify(e.metric.name)} (target value):\t${cur?.external ? (cur.external.current.value ?? '0') : unknown} / ${e.target.value ?? '0'}`];
    }
    case 'Pods':
      return [`  ${JSON.stringify(m.pods!.metric.name)} on pods:\t${cur?.pods ? (cur.pods.current.averageValue ?? '0') : unknown} / ${m.pods!.target.averageValue ?? '0'}`];
    case 'Object': {
      const o = m.object!;
      const head = `  "${o.metric.name}" on ${o.describedObject.kind}/${o.describedObject.name} `;
      if (o.target.type === 'AverageValue') return [`${head}(target average value):\t${cur?.object ? (cur.object.current.averageValue ?? '0') : unknown} / ${o.target.averageValue ?? '0'}`];
      return [`${head}(target value):\t${cur?.object ? (cur.object.current.value ?? '0') : unknown} / ${o.target.value ?? '0'}`];
    }
    case 'Resource':
    case 'ContainerResource': {
      const r = m.type === 'Resource' ? m.resource! : m.containerResource!;
      const c = m.type === 'Resource' ? cur?.resource : cur?.containerResource;
      const head = m.type === 'Resource' ? `  resource ${r.name} on pods` : `  resource ${r.name} of container "${m.containerResource!.container}" on pods`;
      if (r.target.averageValue !== undefined) return [`${head}:\t${c ? (c.current.averageValue ?? '0') : unknown} / ${r.target.averageValue}`];
      const [now, want] = percent(r.target, c?.current);
      return [`${head}  (as a percentage of request):\t${now} / ${want}`];
    }
  }
  return [`  <unknown metric type ${JSON.stringify(m.type)}>`];
}

/** printDirectionBehavior. */
function behaviorLines(direction: string, rules: Rules | undefined): string[] {
  if (!rules) return [];
  const out = [`  ${direction}:`];
  if (rules.stabilizationWindowSeconds !== undefined) out.push(`    Stabilization Window: ${rules.stabilizationWindowSeconds} seconds`);
  if (rules.policies?.length) {
    out.push(`    Select Policy: ${rules.selectPolicy ?? 'Max'}`, '    Policies:');
    for (const p of rules.policies) out.push(`      - Type: ${p.type}\tValue: ${p.value}\tPeriod: ${p.periodSeconds} seconds`);
  }
  return out;
}

/** The lines of describe hpa up to its events. */
export function describeHorizontalPodAutoscaler(hpa: HorizontalPodAutoscaler): string[] {
  const meta = hpa.metadata ?? {};
  const spec = hpa.spec ?? {};
  const st = hpa.status ?? {};
  const out = [`Name:\t${meta.name ?? ''}`, `Namespace:\t${meta.namespace ?? ''}`, ...tabbedField(labelLines('Labels', meta.labels)), ...tabbedField(annotationLines('Annotations', meta.annotations))];
  out.push(`CreationTimestamp:\t${rfc1123z(meta.creationTimestamp)}`, `Reference:\t${spec.scaleTargetRef?.kind ?? ''}/${spec.scaleTargetRef?.name ?? ''}`, 'Metrics:\t( current / target )');
  (spec.metrics ?? []).forEach((m, i) => out.push(...metricLines(m, st.currentMetrics?.[i])));
  out.push(`Min replicas:\t${spec.minReplicas ?? '<unset>'}`, `Max replicas:\t${spec.maxReplicas ?? 0}`);
  if (spec.behavior) out.push('Behavior:', ...behaviorLines('Scale Up', spec.behavior.scaleUp), ...behaviorLines('Scale Down', spec.behavior.scaleDown));
  out.push(`${spec.scaleTargetRef?.kind ?? ''} pods:\t${st.currentReplicas ?? 0} current / ${st.desiredReplicas ?? 0} desired`);
  if (st.conditions?.length) out.push('Conditions:', '  Type\tStatus\tReason\tMessage', '  ----\t------\t------\t-------', ...st.conditions.map((c) => `  ${c.type}\t${c.status}\t${c.reason ?? ''}\t${c.message ?? ''}`));
  return out;
}
