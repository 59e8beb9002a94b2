// tsctl describe for NetworkPolicies, laid out as kubectl's NetworkPolicyDescriber: the pod
// selector, then per direction each rule's ports and peers, then the policy types.
import { formatLabelSelector, labelSelectorFromObject } from '../api/selectors.js';
import type { LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from '../api/types.js';

const IND = '    ';
const sel = (s: LabelSelector) => formatLabelSelector(labelSelectorFromObject(s)) || '<none>';

function portLines(ports: NetworkPolicyPort[] | undefined): string[] {
  if (!ports?.length) return [`${IND}To Port: <any> (traffic allowed to all ports)`];
  return ports.map((p) => {
    const port = p.port === undefined || p.port === null ? '<nil>' : String(p.port);
    return `${IND}To Port: ${p.endPort !== undefined ? `${port}-${p.endPort}` : port}/${p.protocol ?? 'TCP'}`;
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
