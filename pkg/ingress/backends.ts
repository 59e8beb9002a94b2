// From an Ingress backend (a Service and one of its ports, by number or name) to the pod
// addresses a request goes to: the Service port's endpoints in its EndpointSlices (the ready ones;
// when none is ready, those still serving while terminating, as kube-proxy does), taken round
// robin. The proxy tries them in that order, so an endpoint that refuses the connection is passed
// over for the next.
import { endpointsFor } from '../network/service-model.js';
import type { EndpointSliceLike, ServiceEndpoint, ServiceLike } from '../network/service-types.js';
import type { Backend } from './routes.js';

/** What the controller's informers know (Services and EndpointSlices by namespace and service name). */
export interface BackendSources {
  service(namespace: string, name: string): ServiceLike | undefined;
  slices(namespace: string, service: string): readonly EndpointSliceLike[];
}

export type Resolved = { ok: true; endpoints: ServiceEndpoint[]; portName: string } | { ok: false; reason: string };

export class Backends {
  /** Next round-robin position per Service port. */
  private readonly next = new Map<string, number>();

  constructor(private readonly src: BackendSources) {}

  /** The endpoints of a backend, or why it has none. */
  resolve(b: Backend): Resolved {
    if (!b.service) return { ok: false, reason: `backend ${b.resource ?? ''} is not a Service` };
    const svc = this.src.service(b.namespace, b.service);
    if (!svc) return { ok: false, reason: `service "${b.namespace}/${b.service}" not found` };
    if (svc.spec?.type === 'ExternalName') return { ok: false, reason: `service "${b.namespace}/${b.service}" is an ExternalName service` };
    const want = b.port ?? {};
    const sp = (svc.spec?.ports ?? []).find((p) => (want.number ? p.port === want.number : want.name !== undefined && p.name === want.name));
    const portText = want.number ? String(want.number) : `"${want.name ?? ''}"`;
    if (!sp) return { ok: false, reason: `service "${b.namespace}/${b.service}" has no port ${portText}` };
    if ((sp.protocol ?? 'TCP') !== 'TCP') return { ok: false, reason: `port ${portText} of service "${b.namespace}/${b.service}" is not TCP` };
    const portName = sp.name ?? '';
    const endpoints = endpointsFor(this.src.slices(b.namespace, b.service), portName, 'TCP');
    if (!endpoints.length) return { ok: false, reason: `service "${b.namespace}/${b.service}" has no ready endpoints` };
    return { ok: true, endpoints, portName };
  }

  /** The endpoints in the order to try them: the next in the rotation first, then the rest. */
  order(b: Backend, r: Extract<Resolved, { ok: true }>): ServiceEndpoint[] {
    const key = `${b.namespace}/${b.service}:${r.portName}`;
    const n = r.endpoints.length;
    const start = (this.next.get(key) ?? 0) % n;
    this.next.set(key, (start + 1) % n);
    return [...r.endpoints.slice(start), ...r.endpoints.slice(0, start)];
  }
}
