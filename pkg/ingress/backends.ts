// From an Ingress backend (a Service and one of its ports, by number or name) to the pod
// addresses a request goes to: the Service port's endpoints in its EndpointSlices (the ready ones;
// when none is ready, those still serving while terminating, as kube-proxy does), taken round
// robin. The proxy tries them in that order, so an endpoint that refuses the connection is passed
// over for the next. An ExternalName Service is its externalName at the Service port's number, as
// Traefik's Kubernetes Ingress provider (allowExternalNameServices) makes it a server
// `http://<externalName>:<port>`; its addresses are looked up when a request comes. As
// ingress-nginx refuses it, an externalName of localhost or a loopback address is not proxied to:
// it would reach the node's own services.
//
// The scheme a backend is spoken to in is Traefik's (its Kubernetes Ingress provider's
// getProtocol): the Service's traefik.ingress.kubernetes.io/service.serversscheme annotation when
// set, else https for a Service port 443 or a port whose name starts with "https", else http.
import { endpointsFor } from '../network/service-model.js';
import type { EndpointSliceLike, ServiceEndpoint, ServiceLike } from '../network/service-types.js';
import type { Backend } from './routes.js';

/** What the controller's informers know (Services and EndpointSlices by namespace and service name). */
export interface BackendSources {
  service(namespace: string, name: string): ServiceLike | undefined;
  slices(namespace: string, service: string): readonly EndpointSliceLike[];
}

export type Resolved =
  | { ok: true; endpoints: ServiceEndpoint[]; portName: string; scheme: string; externalName?: undefined }
  /** An ExternalName Service: the name to look up, and the port. */
  | { ok: true; externalName: string; port: number; scheme: string }
  | { ok: false; reason: string };

/** The Service annotation that names the scheme its endpoints are spoken to in (Traefik's). */
export const SERVERS_SCHEME_ANNOTATION = 'traefik.ingress.kubernetes.io/service.serversscheme';

/** Traefik's getProtocol: the annotation, else https for port 443 or a port named https*, else http. */
export function serversScheme(svc: ServiceLike, port: { port?: number; name?: string }): string {
  const annotated = svc.metadata?.annotations?.[SERVERS_SCHEME_ANNOTATION];
  if (annotated) return annotated;
  return port.port === 443 || (port.name ?? '').startsWith('https') ? 'https' : 'http';
}

const isLoopback = (name: string) => {
  const n = name.toLowerCase().replace(/\.$/, '');
  return n === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(n) || n === '::1' || n === '[::1]';
};

export class Backends {
  /** Next round-robin position per Service port. */
  private readonly next = new Map<string, number>();

  constructor(private readonly src: BackendSources) {}

  /** The endpoints of a backend, or why it has none. */
  resolve(b: Backend): Resolved {
    const svc = this.src.service(b.namespace, b.service);
    if (!svc) return { ok: false, reason: `service "${b.namespace}/${b.service}" not found` };
    const want = b.port ?? {};
    const sp = (svc.spec?.ports ?? []).find((p) => (want.number ? p.port === want.number : want.name !== undefined && p.name === want.name));
    const portText = want.number ? String(want.number) : `"${want.name ?? ''}"`;
    if (!sp) return { ok: false, reason: `service "${b.namespace}/${b.service}" has no port ${portText}` };
    if ((sp.protocol ?? 'TCP') !== 'TCP') return { ok: false, reason: `port ${portText} of service "${b.namespace}/${b.service}" is not TCP` };
    if (svc.spec?.type === 'ExternalName') {
      const name = svc.spec.externalName ?? '';
      if (!name || isLoopback(name)) return { ok: false, reason: `service "${b.namespace}/${b.service}": invalid attempt to use localhost name "${name}"` };
      return { ok: true, externalName: name, port: sp.port!, scheme: serversScheme(svc, sp) };
    }
    const portName = sp.name ?? '';
    const endpoints = endpointsFor(this.src.slices(b.namespace, b.service), portName, 'TCP');
    if (!endpoints.length) return { ok: false, reason: `service "${b.namespace}/${b.service}" has no ready endpoints` };
    return { ok: true, endpoints, portName, scheme: serversScheme(svc, sp) };
  }

  /** The endpoints in the order to try them: the next in the rotation first, then the rest. */
  order(b: Backend, r: Extract<Resolved, { portName: string }>): ServiceEndpoint[] {
    const key = `${b.namespace}/${b.service}:${r.portName}`;
    const n = r.endpoints.length;
    const start = (this.next.get(key) ?? 0) % n;
    this.next.set(key, (start + 1) % n);
    return [...r.endpoints.slice(start), ...r.endpoints.slice(0, start)];
  }
}
