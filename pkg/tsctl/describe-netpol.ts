// tsctl describe for NetworkPolicies, laid out as kubectl's NetworkPolicyDescriber: the pod
// selector, then per direction each rule's ports and peers, then the policy types.
import { formatLabelSelector, labelSelectorFromObject } from '../api/selectors.js';
import type { LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from '../api/types.js';
import { annotationLines, labelLines } from './describe-meta.js';
import { tabbedField } from './describe-deployment.js';

const IND = '    ';
const sel = (s: LabelSelector) => formatLabelSelector(labelSelectorFromObject(s)) || '<none>';

function portLines(ports: NetworkPolicyPort[] | undefined): string[] {
  if (!ports?.length) return [`${IND}To Port: <any> (traffic allowed to all ports)`];
  return ports.map((p) => {
    const port = p.port === undefined || p.port === null ? '<nil>' : String(p.port);
    // (a range is 'To Port Range', as printNetworkPolicySpecIngressFrom writes it)
    return p.endPort !== undefined && p.endPort !== null ? `${IND}To Port Range: ${port}-${p.endPort}/${p.protocol ?? 'TCP'}` : `${IND}To Port: ${port}/${p.protocol ?? 'TCP'}`;
  });
}

function peerLines(peers: NetworkPolicyPeer[] | undefined, word: 'From' | 'To'): string[] {
  if (!peers?.length) return [`${IND}${word}: <any> (traffic not restricted by ${word === 'From' ? 'source' : 'destination'})`];
  const lines: string[] = [];
  for (const p of peers) {
    lines.push(`${IND}${word}:`);
    if (p.namespaceSelector) lines.push(`  ${IND}NamespaceSelector: ${sel(p.namespaceSelector)}`);
    if (p.podSelector) lines.push(`  ${IND}PodSelector: ${sel(p.podSelector)}`);
    if (p.ipBlock) lines.push(`  ${IND}IPBlock:`, `    ${IND}CIDR: ${p.ipBlock.cidr ?? ''}`, `    ${IND}Except: ${(p.ipBlock.except ?? []).join(', ')}`);
  }
  return lines;
}

function rules(list: { ports?: NetworkPolicyPort[]; peers?: NetworkPolicyPeer[] }[], word: 'From' | 'To', isolated: string): string[] {
  if (!list.length) return [`${IND}<none> (Selected pods are isolated for ${isolated} connectivity)`];
  return list.flatMap((r, i) => [...portLines(r.ports), ...peerLines(r.peers, word), ...(i < list.length - 1 ? [`${IND}----------`] : [])]);
}

export function describeNetworkPolicy(np: NetworkPolicy): string[] {
  const spec = np.spec ?? {};
  const ps = spec.podSelector ?? {};
  const empty = !Object.keys(ps.matchLabels ?? {}).length && !ps.matchExpressions?.length;
  const types = spec.policyTypes ?? [];
  const lines = ['Spec:', `  PodSelector:     ${empty ? '<none> (Allowing the specific traffic to all pods in this namespace)' : sel(ps)}`];
  if (types.includes('Ingress')) lines.push('  Allowing ingress traffic:', ...rules((spec.ingress ?? []).map((r) => ({ ports: r.ports, peers: r.from })), 'From', 'ingress'));
  else lines.push('  Not affecting ingress traffic');
  if (types.includes('Egress')) lines.push('  Allowing egress traffic:', ...rules((spec.egress ?? []).map((r) => ({ ports: r.ports, peers: r.to })), 'To', 'egress'));
  else lines.push('  Not affecting egress traffic');
  lines.push(`  Policy Types: ${types.join(', ')}`);
  return lines;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * Go's time.Time String() of a timestamp in the local zone, as describe prints a metav1.Time with
 * %s: '2006-01-02 15:04:05 -0700 MST' (a whole-second time has no fraction). The zone's name is
 * UTC at offset 0 and otherwise Intl's short name when it is letters, else Go's numeric '+01'.
 */
export function goTimeString(t: string | undefined): string {
  if (!t) return '0001-01-01 00:00:00 +0000 UTC';
  const d = new Date(t);
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  const hh = pad2(Math.floor(Math.abs(off) / 60));
  const mm = pad2(Math.abs(off) % 60);
  let zone = `${sign}${hh}${mm === '00' ? '' : mm}`;
  if (off === 0) zone = 'UTC';
  else {
    const name = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '';
    if (/^[A-Z]+$/.test(name)) zone = name;
  }
  const ms = d.getMilliseconds();
  const frac = ms ? `.${String(ms).padStart(3, '0').replace(/0+$/, '')}` : '';
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}${frac} ${sign}${hh}${mm} ${zone}`;
}

/**
 * describe networkpolicy as kubectl 1.32's describeNetworkPolicy writes it: Name, Namespace,
 * 'Created on' (the timestamp as Go's time String()), Labels, Annotations, the spec, and no events.
 */
export function describeNetworkPolicyObject(np: NetworkPolicy): string[] {
  const m = np.metadata ?? {};
  return [`Name:\t${m.name ?? ''}`, `Namespace:\t${m.namespace ?? ''}`, `Created on:\t${goTimeString(m.creationTimestamp)}`, ...tabbedField(labelLines('Labels', m.labels)), ...tabbedField(annotationLines('Annotations', m.annotations)), ...describeNetworkPolicy(np)];
}
