// The cells of `kubectl get pdb` and `kubectl get hpa` as Kubernetes' printers compute them
// (printPodDisruptionBudget, printHorizontalPodAutoscaler with formatHPAMetrics): a budget's
// MIN AVAILABLE / MAX UNAVAILABLE (N/A when unset) and ALLOWED DISRUPTIONS; an autoscaler's
// REFERENCE (Kind/name), TARGETS (`cpu: 12%/50%`, at most two, then `+ N more...`), MINPODS,
// MAXPODS and REPLICAS.
import { hpaFromV1 } from '../../api/hpa-conversion.js';
import { canonicalQuantity, isValidQuantity } from '../../api/quantity.js';
import type { HorizontalPodAutoscaler, KubeObject, MetricStatus, PodDisruptionBudget } from '../../api/types.js';

const intOrString = (v: unknown) => (v === undefined || v === null ? 'N/A' : String(v));

export function pdbCells(pdb: PodDisruptionBudget): [string, string, number] {
  return [intOrString(pdb.spec?.minAvailable), intOrString(pdb.spec?.maxUnavailable), pdb.status?.disruptionsAllowed ?? 0];
}

/** A quantity as Quantity.String() prints it. */
const q = (s: string | undefined) => (s && isValidQuantity(s) ? canonicalQuantity(s) : (s ?? ''));

type Cur = { value?: string; averageValue?: string; averageUtilization?: number } | undefined;

function resourceTarget(name: string, target: { averageValue?: string; averageUtilization?: number } | undefined, current: Cur): string {
  if (target?.averageValue) return `${name}: ${q(current?.averageValue) || '<unknown>'}/${q(target.averageValue)}`;
  const cur = current?.averageUtilization != null ? `${current.averageUtilization}%` : '<unknown>';
  return `${name}: ${cur}/${target?.averageUtilization != null ? `${target.averageUtilization}%` : '<auto>'}`;
}

/** formatHPAMetrics: one entry per metric, its current value (from the status at the same index) over its target. */
export function hpaTargets(hpa: HorizontalPodAutoscaler): string {
  const specs = hpa.spec?.metrics ?? [];
  if (!specs.length) return '<none>';
  const statuses: MetricStatus[] = hpa.status?.currentMetrics ?? [];
  const list = specs.map((m, i) => {
    const st = statuses[i];
    switch (m.type) {
      case 'Resource':
        return resourceTarget(m.resource?.name ?? '', m.resource?.target, st?.resource?.current);
      case 'ContainerResource':
        return resourceTarget(m.containerResource?.name ?? '', m.containerResource?.target, st?.containerResource?.current);
      case 'Pods':
        return `${st?.pods ? q(st.pods.current?.averageValue) : '<unknown>'}/${q(m.pods?.target?.averageValue)}`;
      case 'Object':
      case 'External': {
        const target = m.type === 'Object' ? m.object?.target : m.external?.target;
        const cur = m.type === 'Object' ? st?.object?.current : st?.external?.current;
        if (target?.averageValue) return `${cur?.averageValue ? q(cur.averageValue) : '<unknown>'}/${q(target.averageValue)} (avg)`;
        return `${cur ? q(cur.value) : '<unknown>'}/${q(target?.value)}`;
      }
      default:
        return '<unknown type>';
    }
  });
  return list.length > 2 ? `${list.slice(0, 2).join(', ')} + ${list.length - 2} more...` : list.join(', ');
}

/** REFERENCE, TARGETS, MINPODS, MAXPODS, REPLICAS of an autoscaler in either version. */
export function hpaCells(obj: KubeObject): [string, string, string, number, number] {
  const hpa = (obj.apiVersion === 'autoscaling/v1' ? hpaFromV1(obj as never) : obj) as HorizontalPodAutoscaler;
  const s = hpa.spec ?? {};
  return [`${s.scaleTargetRef?.kind ?? ''}/${s.scaleTargetRef?.name ?? ''}`, hpaTargets(hpa), s.minReplicas != null ? String(s.minReplicas) : '<unset>', s.maxReplicas ?? 0, hpa.status?.currentReplicas ?? 0];
}
