// tsctl describe for ServiceAccounts and Endpoints, as kubectl 1.32's ServiceAccountDescriber
// and EndpointsDescriber write them: an account's image pull, mountable and token secrets (one
// it names that does not exist marked "(not found)"); each subset of an Endpoints with its
// ready and not-ready addresses and its ports; in tab-ended cells for ./tabwriter.ts.
import type { KubeObject } from '../api/types.js';
import { tabbedField } from './describe-deployment.js';
import { annotationLines, labelLines } from './describe-meta.js';

export type ServiceAccount = KubeObject & { secrets?: { name?: string }[]; imagePullSecrets?: { name?: string }[] };
export type SecretMeta = KubeObject & { type?: string };
type Address = { ip: string };
export type EndpointsDescribed = KubeObject & { subsets?: { addresses?: Address[]; notReadyAddresses?: Address[]; ports?: { name?: string; port: number; protocol?: string }[] }[] };

/**
 * The lines of describe serviceaccount up to its events. `secrets` are its namespace's secrets
 * (undefined when they could not be listed: then none is a token and none is missing).
 */
export function describeServiceAccount(sa: ServiceAccount, secrets: SecretMeta[] | undefined): string[] {
  const meta = sa.metadata ?? {};
  const out = [`Name:\t${meta.name ?? ''}`, `Namespace:\t${meta.namespace ?? ''}`, ...tabbedField(labelLines('Labels', meta.labels)), ...tabbedField(annotationLines('Annotations', meta.annotations))];
  // (its legacy token secrets: those annotated with its name and uid)
  const tokens = (secrets ?? []).filter((s) => s.type === 'kubernetes.io/service-account-token' && s.metadata?.annotations?.['kubernetes.io/service-account.name'] === meta.name && s.metadata?.annotations?.['kubernetes.io/service-account.uid'] === meta.uid);
  const existing = new Set((secrets ?? []).map((s) => s.metadata?.name));
  const missing = (n: string) => secrets !== undefined && !existing.has(n);
  // (the headers padded to one width, in the sorted order of their texts)
  const groups: [string, string[]][] = [
    ['Image pull secrets:', (sa.imagePullSecrets ?? []).map((s) => s.name ?? '')],
    ['Mountable secrets: ', (sa.secrets ?? []).map((s) => s.name ?? '')],
    ['Tokens:            ', tokens.map((s) => s.metadata?.name ?? '')],
  ];
  for (const [header, names] of groups) {
    if (!names.length) out.push(`${header}\t<none>`);
    names.forEach((n, i) => out.push(`${i ? ' '.repeat(header.length) : header}\t${n}${missing(n) ? ' (not found)' : ''}`));
  }
  return out;
}

/** The lines of describe endpoints up to its events (each subset is followed by an empty line). */
export function describeEndpoints(ep: EndpointsDescribed): string[] {
  const meta = ep.metadata ?? {};
  const out = [`Name:\t${meta.name ?? ''}`, `Namespace:\t${meta.namespace ?? ''}`, ...tabbedField(labelLines('Labels', meta.labels)), ...tabbedField(annotationLines('Annotations', meta.annotations)), 'Subsets:'];
  for (const s of ep.subsets ?? []) {
    out.push(`  Addresses:\t${(s.addresses ?? []).map((a) => a.ip).join(',') || '<none>'}`);
    out.push(`  NotReadyAddresses:\t${(s.notReadyAddresses ?? []).map((a) => a.ip).join(',') || '<none>'}`);
    if (s.ports?.length) {
      out.push('  Ports:', '    Name\tPort\tProtocol', '    ----\t----\t--------');
      for (const p of s.ports) out.push(`    ${p.name || '<unset>'}\t${p.port}\t${p.protocol ?? ''}`);
    }
    out.push('');
  }
  return out;
}
