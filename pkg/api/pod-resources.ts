// A pod's total requests or limits as admission plugins count them (Kubernetes' PodRequests and
// PodLimits): the sum over its app containers, raised to any init container's; with the pod
// overhead when asked (ResourceQuota counts it, LimitRanger does not): added to every request,
// and to the limits the containers set (an unlimited resource stays unlimited).
import { quantityToMilli } from './quantity.js';
import type { Container, Pod } from './types.js';

/** Totals in milli-units by resource name. */
export function podTotalsMilli(pod: Pod, which: 'requests' | 'limits', o: { overhead?: boolean } = {}): Map<string, number> {
  const out = new Map<string, number>();
  const of = (c: Container) => Object.entries((c.resources?.[which] ?? {}) as Record<string, string>);
  for (const c of pod.spec?.containers ?? []) for (const [k, v] of of(c)) out.set(k, (out.get(k) ?? 0) + quantityToMilli(v));
  for (const c of pod.spec?.initContainers ?? []) for (const [k, v] of of(c)) out.set(k, Math.max(out.get(k) ?? 0, quantityToMilli(v)));
  if (o.overhead) {
    for (const [k, v] of Object.entries(pod.spec?.overhead ?? {})) {
      const have = out.get(k);
      if (which === 'requests' || (have !== undefined && have !== 0)) out.set(k, (have ?? 0) + quantityToMilli(v));
    }
  }
  return out;
}
