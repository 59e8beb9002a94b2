// The time of the change an Endpoints object or EndpointSlice reflects, for the
// endpoints.kubernetes.io/last-change-trigger-time annotation (pkg/controller/util/endpoint's
// TriggerTimeTracker): a Service seen for the first time gives its creationTimestamp; after that,
// the earliest of the trigger times that moved since the last sync (a pod's Ready condition
// lastTransitionTime, the Service's creationTimestamp); none moved gives no time and the
// annotation is removed. One tracker per controller; syncs of one Service must not overlap.
import type { Pod, Service } from '../api/types.js';

export const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

interface ServiceState {
  service: number;
  pods: Map<string, number>;
}

/** A Kubernetes timestamp as milliseconds; 0 when absent or unparsable (Go's zero time). */
function millis(t: string | undefined): number {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isFinite(ms) ? ms : 0;
}

/** Go's time.RFC3339Nano of a UTC time: the fraction without trailing zeros, none when zero. */
export function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d*?)0*Z$/, (_, f: string) => (f ? `.${f}Z` : 'Z'));
}

export class TriggerTimeTracker {
  private readonly states = new Map<string, ServiceState>();

  /**
   * ComputeEndpointLastChangeTriggerTime over the Service's selected pods: the annotation's value,
   * or undefined when it should be removed. Records the pods' and the Service's times either way.
   */
  compute(key: string, svc: Service, pods: Pod[]): string | undefined {
    const known = this.states.get(key);
    const pods2 = new Map<string, number>();
    let earliest = 0;
    for (const pod of pods) {
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      const t = millis(ready?.lastTransitionTime);
      if (!t) continue;
      pods2.set(pod.metadata?.name ?? '', t);
      if (t > (known?.pods.get(pod.metadata?.name ?? '') ?? 0) && (!earliest || t < earliest)) earliest = t;
    }
    const created = millis(svc.metadata?.creationTimestamp);
    if (created > (known?.service ?? 0) && (!earliest || created < earliest)) earliest = created;
    this.states.set(key, { service: created, pods: pods2 });
    // A Service not seen before: its creation.
    const t = known ? earliest : created;
    return t ? rfc3339Nano(t) : undefined;
  }

  deleteService(key: string): void {
    this.states.delete(key);
  }
}
