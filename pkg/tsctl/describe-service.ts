// tsctl describe for Services, laid out as kubectl's service describer: selector, type, IP
// families and IPs, then per port its target port, node port and endpoints.
import type { Endpoints, Service } from '../api/types.js';

// (tab-ended cells: the describer's tabwriter aligns them to the longest key, "Internal Traffic Policy:  Cluster")
const field = (k: string, v: unknown) => `${k}:\t${v === undefined || v === '' ? '<none>' : v}`;

/** `ip:port,...` of the ready addresses serving the port named `name`. */
function endpointsFor(ep: Endpoints | undefined, name: string): string {
  const list: string[] = [];
  for (const ss of ep?.subsets ?? []) {
    for (const p of ss.ports ?? []) {
      if ((p.name ?? '') !== name) continue;
      for (const a of ss.addresses ?? []) list.push(`${a.ip}:${p.port}`);
    }
  }
  // (none: an empty value, as kubectl 1.32 prints it)
  return list.join(',');
}

export function describeService(svc: Service, ep: Endpoints | undefined): string[] {
  const spec = svc.spec ?? {};
  const selector = Object.entries(spec.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  const lines = [field('Selector', selector), field('Type', spec.type)];
  if (spec.ipFamilyPolicy) lines.push(field('IP Family Policy', spec.ipFamilyPolicy));
  // (every type has the IP lines, an ExternalName service's empty, as describeService writes them)
  lines.push(field('IP Families', (spec.ipFamilies ?? []).join(',')), `IP:\t${spec.clusterIP ?? ''}`, field('IPs', (spec.clusterIPs ?? []).join(',')));
  if (spec.externalIPs?.length) lines.push(field('External IPs', spec.externalIPs.join(',')));
  if (spec.loadBalancerIP) lines.push(field('IP', spec.loadBalancerIP));
  if (spec.externalName) lines.push(field('External Name', spec.externalName));
  const ingress = (svc.status?.loadBalancer?.ingress ?? []).filter((i) => i.ip || i.hostname).map((i) => `${i.ip || i.hostname}${i.ipMode ? ` (${i.ipMode})` : ''}`);
  if (ingress.length) lines.push(field('LoadBalancer Ingress', ingress.join(', ')));
  for (const p of spec.ports ?? []) {
    const name = p.name || '<unset>';
    lines.push(field('Port', `${name}  ${p.port}/${p.protocol}`));
    lines.push(field('TargetPort', `${p.targetPort}/${p.protocol}`));
    if (p.nodePort) lines.push(field('NodePort', `${name}  ${p.nodePort}/${p.protocol}`));
    lines.push(`Endpoints:\t${endpointsFor(ep, p.name ?? '')}`);
  }
  lines.push(field('Session Affinity', spec.sessionAffinity));
  if (spec.externalTrafficPolicy) lines.push(field('External Traffic Policy', spec.externalTrafficPolicy));
  if (spec.internalTrafficPolicy) lines.push(field('Internal Traffic Policy', spec.internalTrafficPolicy));
  if (spec.healthCheckNodePort) lines.push(field('HealthCheck NodePort', String(spec.healthCheckNodePort)));
  if (spec.loadBalancerSourceRanges?.length) lines.push(field('LoadBalancer Source Ranges', spec.loadBalancerSourceRanges.join(',')));
  return lines;
}
