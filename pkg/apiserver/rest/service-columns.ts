// The cells kubectl prints for Services, Endpoints and EndpointSlices (printService,
// printEndpoints, printEndpointSlice in pkg/printers/internalversion).
import type { Endpoints, EndpointSlice, Service } from '../../api/types.js';

const NONE = '<none>';

/** TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S), SELECTOR. */
export function serviceCells(svc: Service): { type: string; clusterIP: string; externalIP: string; ports: string; selector: string } {
  const spec = svc.spec ?? {};
  const type = spec.type ?? '';
  const clusterIP = spec.clusterIPs?.[0] ?? (spec.clusterIP || NONE);
  return { type, clusterIP, externalIP: externalIP(svc), ports: portString(svc), selector: labelString(spec.selector) };
}

function externalIP(svc: Service): string {
  const spec = svc.spec ?? {};
  const external = spec.externalIPs ?? [];
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return external.length ? external.join(',') : NONE;
    case 'LoadBalancer': {
      const lb = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter(Boolean);
      const all = [...lb, ...external];
      return all.length ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
    default:
      return '<unknown>';
  }
}

/** `80/TCP,443:30443/TCP`. */
function portString(svc: Service): string {
  const ports = svc.spec?.ports ?? [];
  if (!ports.length) return NONE;
  return ports.map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`)).join(',');
}

function labelString(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length ? keys.map((k) => `${k}=${labels![k]}`).join(',') : NONE;
}

/** The first three `ip:port` pairs and how many more. */
export function endpointsCell(ep: Endpoints): string {
  const subsets = ep.subsets ?? [];
  if (!subsets.length) return NONE;
  const list: string[] = [];
  let count = 0;
  const add = (s: string) => {
    count++;
    if (list.length < 3) list.push(s);
  };
  for (const ss of subsets) {
    const addrs = ss.addresses ?? [];
    if (!ss.ports?.length) for (const a of addrs) add(a.ip ?? '');
    for (const p of ss.ports ?? []) for (const a of addrs) add(a.ip?.includes(':') ? `[${a.ip}]:${p.port}` : `${a.ip}:${p.port}`);
  }
  return count > 3 ? `${list.join(',')} + ${count - 3} more...` : list.join(',');
}

function listWithMore(all: string[]): string {
  if (all.length > 3) return `${all.slice(0, 3).join(',')} + ${all.length - 3} more...`;
  return all.length ? all.join(',') : '<unset>';
}

/** ADDRESSTYPE, PORTS, ENDPOINTS. */
export function endpointSliceCells(slice: EndpointSlice): { addressType: string; ports: string; endpoints: string } {
  const ports = (slice.ports ?? []).map((p) => (p.port !== undefined ? String(p.port) : p.name || '*'));
  const addrs = (slice.endpoints ?? []).flatMap((e) => e.addresses ?? []);
  return { addressType: slice.addressType ?? '', ports: listWithMore(ports), endpoints: listWithMore(addrs) };
}
