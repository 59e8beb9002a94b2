// A pod's total requests or limits as admission plugins and the node count them (Kubernetes'
// PodRequests and PodLimits): the sum over its app containers and its sidecars (restartable init
// containers, which run alongside them), raised to what any init container needs while it runs
// (its own plus every sidecar started before it); with the pod overhead when asked
// (ResourceQuota counts it, LimitRanger does not): added to every request, and to the limits the
// containers set (an unlimited resource stays unlimited).
import { quantityToMilli } from './quantity.js';
import type { Container, Pod } from './types.js';

type Totals = Map<string, number>;

const addInto = (into: Totals, from: Totals) => {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
};
const maxInto = (into: Totals, from: Totals) => {
  for (const [k, v] of from) into.set(k, Math.max(into.get(k) ?? 0, v));
};

/** A container restarted whatever the pod's restartPolicy: an init container with restartPolicy Always (KEP-753). */
export const isSidecar = (c: Container): boolean => c.restartPolicy === 'Always';

/** Totals in milli-units by resource name. */
export function podTotalsMilli(pod: Pod, which: 'requests' | 'limits', o: { overhead?: boolean } = {}): Map<string, number> {
  const of = (c: Container): Totals => new Map(Object.entries((c.resources?.[which] ?? {}) as Record<string, string>).map(([k, v]) => [k, quantityToMilli(v)]));
  const out: Totals = new Map();
  for (const c of pod.spec?.containers ?? []) addInto(out, of(c));
  const sidecars: Totals = new Map();
  const initMax: Totals = new Map();
  for (const c of pod.spec?.initContainers ?? []) {
    const own = of(c);
    if (isSidecar(c)) {
      addInto(out, own);
      addInto(sidecars, own);
      maxInto(initMax, sidecars);
    } else {
      addInto(own, sidecars);
      maxInto(initMax, own);
    }
  }
  maxInto(out, initMax);
  if (o.overhead) {
    for (const [k, v] of Object.entries(pod.spec?.overhead ?? {})) {
      const have = out.get(k);
      if (which === 'requests' || (have !== undefined && have !== 0)) out.set(k, (have ?? 0) + quantityToMilli(v));
    }
  }
  return out;
}
