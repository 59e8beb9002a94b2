// What the Endpoints and EndpointSlice controllers share (pkg/controller/util/endpointslice and
// podutil in Kubernetes): which pods back a Service, the port a Service port reaches on a pod,
// and a pod's readiness as endpoints report it.
import type { KubeObject, ObjectReference, Pod, Service, ServicePort } from '../api/types.js';
import type { Informer } from '../client/informer.js';
import { isPodTerminal } from '../api/pod-phase.js';

export const isPodReady = (pod: Pod) => (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
const isTerminal = (pod: Pod) => isPodTerminal(pod);
export const podIP = (pod: Pod) => pod.status?.podIP || pod.status?.podIPs?.[0]?.ip || '';

/** A Service with a non-empty selector: its endpoints are the controllers'; otherwise the user's. */
export const hasSelector = (svc: Service) => Object.keys(svc.spec?.selector ?? {}).length > 0;

/** Whether `pod` is selected by `svc` (same namespace, every selector label). */
export function selects(svc: Service, pod: Pod): boolean {
  if (!hasSelector(svc) || svc.metadata?.namespace !== pod.metadata?.namespace) return false;
  const labels = pod.metadata?.labels ?? {};
  return Object.entries(svc.spec!.selector!).every(([k, v]) => labels[k] === v);
}

/** ShouldPodBeInEndpoints: not finished, has an IP, and (unless included) not terminating. */
export function shouldBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (isTerminal(pod) || !podIP(pod)) return false;
  return includeTerminating || !pod.metadata?.deletionTimestamp;
}

/**
 * podutil.FindPort: a numeric targetPort as is; a named one from the pod's containers' ports of
 * the same name and protocol (undefined when the pod has none).
 */
export function findPort(pod: Pod, sp: ServicePort): number | undefined {
  const tp = sp.targetPort as unknown;
  if (typeof tp === 'number') return tp;
  if (typeof tp === 'string') {
    if (/^\d+$/.test(tp)) return Number(tp);
    for (const c of pod.spec?.containers ?? []) {
      for (const p of c.ports ?? []) if (p.name === tp && (p.protocol || 'TCP') === (sp.protocol || 'TCP')) return p.containerPort;
    }
    return undefined;
  }
  return sp.port;
}

export function podReference(pod: Pod): ObjectReference {
  return { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid };
}

/** Labels endpoints objects carry: the Service's, and service.kubernetes.io/headless for headless ones. */
export function endpointLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata?.labels ?? {}) };
  if (svc.spec?.clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
  return labels;
}

/** Calls `enqueue` with each Service that selects a pod before or after the pod's change. */
export function onSelectedPodChange(services: Informer<Service & KubeObject>, pods: Informer<Pod & KubeObject>, enqueue: (svc: Service & KubeObject) => void): void {
  const changed = (pod: Pod, old?: Pod) => {
    for (const svc of services.list()) if (selects(svc, pod) || (old && selects(svc, old))) enqueue(svc);
  };
  pods.on({ add: (p) => changed(p), update: (p, old) => changed(p, old), delete: (p) => changed(p) });
}
