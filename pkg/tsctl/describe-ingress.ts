// tsctl describe for Ingresses, laid out as kubectl's ingress describer: addresses, class, default
// backend, TLS, then a table of hosts and paths with each backend and its endpoints.
import type { Endpoints, Ingress, IngressBackend, Service } from '../api/types.js';
import { EndpointsRef, Services, type RestClient } from '../client/rest-client.js';
import { tabbedField } from './describe-deployment.js';
import { annotationLines, labelLines } from './describe-meta.js';

/** What a backend's Service is, for the describer: the Service and its Endpoints (undefined when absent). */
export type BackendLookup = (service: string) => { service?: Service; endpoints?: Endpoints };

/** `svc:port (ip:port,...)` as kubectl prints a service backend, or `Kind.group/name` for a resource. */
function backendText(b: IngressBackend | undefined, lookup: BackendLookup): string {
  if (!b) return '<default>';
  if (b.resource) return `APIGroup: ${b.resource.apiGroup ?? '<none>'}, Kind: ${b.resource.kind ?? ''}, Name: ${b.resource.name ?? ''}`;
  const s = b.service;
  if (!s?.name) return '';
  const port = s.port?.number ? String(s.port.number) : (s.port?.name ?? '');
  const text = `${s.name}:${port}`;
  const { service, endpoints } = lookup(s.name);
  if (!service) return `${text} (<error: services "${s.name}" not found>)`;
  const sp = service.spec?.ports?.find((p) => (s.port?.number ? p.port === s.port.number : p.name === s.port?.name));
  const list: string[] = [];
  for (const ss of endpoints?.subsets ?? []) {
    for (const p of ss.ports ?? []) {
      if (!sp || (p.name ?? '') !== (sp.name ?? '')) continue;
      for (const a of ss.addresses ?? []) list.push(`${a.ip}:${p.port}`);
    }
  }
  return `${text} (${list.length ? list.join(',') : '<none>'})`;
}

/**
 * The lines of describe ingress up to its events, in tab-ended cells for ./tabwriter.ts and in
 * kubectl 1.32's order (describeIngressV1): Name, Labels, Namespace, Address, class, default
 * backend, TLS, the rules of each host with an http section, then Annotations.
 */
export function describeIngress(ing: Ingress, lookup: BackendLookup): string[] {
  const meta = ing.metadata ?? {};
  const spec = ing.spec ?? {};
  const addresses = (ing.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '');
  const defaultBackend = backendText(spec.defaultBackend, lookup);
  const lines = [`Name:\t${meta.name ?? ''}`, ...tabbedField(labelLines('Labels', meta.labels)), `Namespace:\t${meta.namespace ?? ''}`, `Address:\t${addresses.join(',')}`];
  lines.push(`Ingress Class:\t${spec.ingressClassName ?? '<none>'}`, `Default backend:\t${defaultBackend}`);
  if (spec.tls?.length) {
    lines.push('TLS:');
    for (const t of spec.tls) lines.push(`  ${t.secretName ? `${t.secretName} terminates ` : 'SNI routes '}${(t.hosts ?? []).join(',')}`);
  }
  lines.push('Rules:', '  Host\tPath\tBackends', '  ----\t----\t--------');
  // (a rule without an http section is left out; with none left, the default backend for every host and path)
  const rules = (spec.rules ?? []).filter((r) => r.http);
  for (const r of rules) {
    lines.push(`  ${r.host || '*'}\t`);
    for (const p of r.http?.paths ?? []) lines.push(`    \t${p.path ?? ''} \t${backendText(p.backend, lookup)}`);
  }
  if (!rules.length) lines.push(`  *\t*\t${defaultBackend}`);
  lines.push(...tabbedField(annotationLines('Annotations', meta.annotations)));
  return lines;
}

/** describeIngress with the Services and Endpoints of its backends fetched (a missing one is said so). */
export async function ingressDescription(client: RestClient, ing: Ingress, namespace: string): Promise<string[]> {
  const spec = ing.spec ?? {};
  const backends = [spec.defaultBackend, ...(spec.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend))];
  const found = new Map<string, { service?: Service; endpoints?: Endpoints }>();
  for (const name of new Set(backends.flatMap((b) => (b?.service?.name ? [b.service.name] : [])))) {
    const [service, endpoints] = await Promise.all([client.get<Service>(Services, namespace, name).catch(() => undefined), client.get<Endpoints>(EndpointsRef, namespace, name).catch(() => undefined)]);
    found.set(name, { service, endpoints });
  }
  return describeIngress(ing, (name) => found.get(name) ?? {});
}
