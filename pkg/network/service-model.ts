// From Services and EndpointSlices to the flat list of service ports the proxy programs, with
// kube-proxy's choice of endpoints: the ready ones; when none is ready, the ones still serving
// while terminating (KEP-1669, so connections drain during a rollout instead of being refused).
import { formatCidr, isIPv4, parseCidr } from './cidr.js';
import { SERVICE_NAME_LABEL, type EndpointLike, type EndpointSliceLike, type ProxiedServicePort, type ServiceEndpoint, type ServiceLike, type ServiceProtocol } from './service-types.js';

/** kube-proxy's default ClientIP affinity timeout (3 hours). */
export const DEFAULT_AFFINITY_SECONDS = 10800;

const sliceKey = (namespace: string | undefined, service: string) => `${namespace ?? 'default'}/${service}`;

function isReady(e: EndpointLike): boolean {
  return e.conditions?.ready !== false;
}

function isServingTerminating(e: EndpointLike): boolean {
  const serving = e.conditions?.serving ?? isReady(e);
  return serving && e.conditions?.terminating === true;
}

function protocolOf(p: string | undefined): ServiceProtocol | undefined {
  const v = p ?? 'TCP';
  return v === 'TCP' || v === 'UDP' ? v : undefined;
}

/** The endpoints of one service port from its slices (ready ones, else serving-terminating ones). */
export function endpointsFor(slices: readonly EndpointSliceLike[], portName: string, protocol: ServiceProtocol, include: (e: EndpointLike) => boolean = () => true): ServiceEndpoint[] {
  const ready = new Map<string, ServiceEndpoint>();
  const terminating = new Map<string, ServiceEndpoint>();
  for (const s of slices) {
    if ((s.addressType ?? 'IPv4') !== 'IPv4') continue;
    const port = s.ports?.find((p) => (p.name ?? '') === portName && protocolOf(p.protocol) === protocol);
    if (!port?.port) continue;
    for (const e of s.endpoints ?? []) {
      if (!include(e)) continue;
      const ip = e.addresses?.[0];
      if (!ip || !isIPv4(ip)) continue;
      const ep = { ip, port: port.port };
      const key = `${ip}:${port.port}`;
      if (isReady(e)) ready.set(key, ep);
      else if (isServingTerminating(e)) terminating.set(key, ep);
    }
  }
  const chosen = ready.size > 0 ? ready : terminating;
  return [...chosen.values()].sort((a, b) => (a.ip === b.ip ? a.port - b.port : compareIPv4(a.ip, b.ip)));
}

function compareIPv4(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}

const isLoopback = (ip: string) => ip.startsWith('127.');

/** A source range as a normalised IPv4 CIDR (space padding allowed, as the API does), or undefined. */
function ipv4Range(text: string): string | undefined {
  try {
    const t = text.trim();
    return isIPv4(t.split('/')[0] ?? '') ? formatCidr(parseCidr(t.includes('/') ? t : `${t}/32`, false)) : undefined;
  } catch {
    return undefined;
  }
}

/** The legacy annotation kube-proxy reads when spec.loadBalancerSourceRanges is empty. */
export const SOURCE_RANGES_ANNOTATION = 'service.beta.kubernetes.io/load-balancer-source-ranges';

function sourceRangesOf(svc: ServiceLike): string[] {
  const field = svc.spec?.loadBalancerSourceRanges ?? [];
  if (field.length > 0) return field;
  return (svc.metadata?.annotations?.[SOURCE_RANGES_ANNOTATION] ?? '').split(',').filter((r) => r.trim());
}

/**
 * Every proxied port of every Service with a cluster IP, sorted by id; nodeName picks the local
 * endpoints the traffic policies use. Load-balancer IPs on loopback are left out: a rule for
 * 127.0.0.1:<port> would take the node's own loopback services.
 */
export function servicePorts(services: Iterable<ServiceLike>, slices: Iterable<EndpointSliceLike>, nodeName?: string): ProxiedServicePort[] {
  const byService = new Map<string, EndpointSliceLike[]>();
  for (const s of slices) {
    const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svc) continue;
    const k = sliceKey(s.metadata?.namespace, svc);
    const list = byService.get(k) ?? [];
    list.push(s);
    byService.set(k, list);
  }
  const out: ProxiedServicePort[] = [];
  for (const svc of services) {
    const spec = svc.spec;
    const name = svc.metadata?.name;
    if (!spec || !name || spec.type === 'ExternalName') continue;
    const clusterIP = spec.clusterIP;
    if (!clusterIP || clusterIP === 'None' || !isIPv4(clusterIP)) continue;
    const key = sliceKey(svc.metadata?.namespace, name);
    const mySlices = byService.get(key) ?? [];
    const withNodePorts = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
    const isLB = spec.type === 'LoadBalancer';
    const loadBalancerIPs = isLB ? [...new Set((svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter((ip) => isIPv4(ip) && !isLoopback(ip)))] : [];
    const sourceRanges = isLB ? sourceRangesOf(svc).map(ipv4Range).filter((r): r is string => !!r) : [];
    const externalLocal = spec.externalTrafficPolicy === 'Local';
    const internalLocal = spec.internalTrafficPolicy === 'Local';
    const healthCheckNodePort = isLB && externalLocal && spec.healthCheckNodePort ? spec.healthCheckNodePort : undefined;
    const local = (e: EndpointLike) => nodeName !== undefined && e.nodeName === nodeName;
    const affinitySeconds = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS) : undefined;
    for (const p of spec.ports ?? []) {
      const protocol = protocolOf(p.protocol);
      if (!protocol || !p.port) continue;
      const portName = p.name ?? '';
      out.push({
        id: portName ? `${key}:${portName}` : key,
        clusterIP,
        port: p.port,
        protocol,
        nodePort: withNodePorts && p.nodePort ? p.nodePort : undefined,
        externalIPs: (spec.externalIPs ?? []).filter(isIPv4),
        affinitySeconds,
        endpoints: endpointsFor(mySlices, portName, protocol),
        localEndpoints: endpointsFor(mySlices, portName, protocol, local),
        loadBalancerIPs,
        sourceRanges,
        externalLocal,
        internalLocal,
        healthCheckNodePort,
        service: { namespace: svc.metadata?.namespace ?? 'default', name },
      });
    }
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.protocol < b.protocol ? -1 : 1));
}
