// Validation of networking.k8s.io/v1 NetworkPolicy (pkg/apis/networking/validation), with
// Kubernetes' messages and field paths: the pod selector, each rule's ports (protocol, number or
// IANA name, endPort only after a numeric port and not below it) and peers (a pod and/or
// namespace selector, or an ipBlock alone whose except entries lie strictly inside its cidr),
// and policyTypes.
import { forbidden, invalid, notSupported, required, type FieldError } from './field-error.js';
import { isValidCIDR, isValidPortName, isValidPortNum } from './names.js';
import type { IPBlock, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from './types.js';
import { validateLabelSelector } from './validation-affinity.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './validation-meta.js';

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const POLICY_TYPES = ['Ingress', 'Egress'];
const CIDR_MESSAGE = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';

export function validateNetworkPolicy(np: NetworkPolicy): FieldError[] {
  return [...validateObjectMeta(np.metadata, true, 'metadata'), ...validateNetworkPolicySpec(np)];
}

export function validateNetworkPolicyUpdate(np: NetworkPolicy, old: NetworkPolicy): FieldError[] {
  return [...validateObjectMetaUpdate(np.metadata, old.metadata, true, 'metadata'), ...validateNetworkPolicySpec(np)];
}

function validateNetworkPolicySpec(np: NetworkPolicy): FieldError[] {
  const spec = np.spec ?? {};
  const errs = validateLabelSelector(spec.podSelector ?? {}, 'spec.podSelector');
  (spec.ingress ?? []).forEach((rule, i) => {
    const path = `spec.ingress[${i}]`;
    (rule.ports ?? []).forEach((p, j) => errs.push(...validatePort(p, `${path}.ports[${j}]`)));
    (rule.from ?? []).forEach((peer, j) => errs.push(...validatePeer(peer, `${path}.from[${j}]`)));
  });
  (spec.egress ?? []).forEach((rule, i) => {
    const path = `spec.egress[${i}]`;
    (rule.ports ?? []).forEach((p, j) => errs.push(...validatePort(p, `${path}.ports[${j}]`)));
    (rule.to ?? []).forEach((peer, j) => errs.push(...validatePeer(peer, `${path}.to[${j}]`)));
  });
  const types = spec.policyTypes ?? [];
  if (types.length > POLICY_TYPES.length) {
    errs.push(invalid('spec.policyTypes', types, 'may not specify more than two policyTypes'));
    return errs;
  }
  types.forEach((t, i) => {
    if (!POLICY_TYPES.includes(t)) errs.push(notSupported(`spec.policyTypes[${i}]`, t, POLICY_TYPES));
  });
  return errs;
}

function validatePort(p: NetworkPolicyPort, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (p.protocol && !PROTOCOLS.includes(p.protocol)) errs.push(notSupported(`${path}.protocol`, p.protocol, PROTOCOLS));
  const port = p.port as unknown;
  const endPort = p.endPort;
  if (port === undefined || port === null) {
    if (endPort !== undefined) errs.push(invalid(`${path}.endPort`, endPort, 'may not be specified when `port` is not specified'));
  } else if (typeof port === 'number') {
    errs.push(...isValidPortNum(port).map((m) => invalid(`${path}.port`, port, m)));
    if (endPort !== undefined) {
      if (endPort < port) errs.push(invalid(`${path}.endPort`, port, 'must be greater than or equal to `port`'));
      errs.push(...isValidPortNum(endPort).map((m) => invalid(`${path}.endPort`, endPort, m)));
    }
  } else {
    const name = String(port);
    if (endPort !== undefined) errs.push(invalid(`${path}.endPort`, endPort, 'may not be specified when `port` is non-numeric'));
    errs.push(...isValidPortName(name).map((m) => invalid(`${path}.port`, name, m)));
  }
  return errs;
}

function validatePeer(peer: NetworkPolicyPeer, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  if (peer.podSelector) {
    n++;
    errs.push(...validateLabelSelector(peer.podSelector, `${path}.podSelector`));
  }
  if (peer.namespaceSelector) {
    n++;
    errs.push(...validateLabelSelector(peer.namespaceSelector, `${path}.namespaceSelector`));
  }
  if (peer.ipBlock) {
    n++;
    errs.push(...validateIPBlock(peer.ipBlock, `${path}.ipBlock`));
  }
  if (n === 0) errs.push(required(path, 'must specify a peer'));
  else if (n > 1 && peer.ipBlock) errs.push(forbidden(path, 'may not specify both ipBlock and another peer'));
  return errs;
}

/** An IPv4 or IPv6 CIDR as [network bits as a bigint, prefix length, bit width]; host bits may be set (ParseCIDRSloppy). */
function cidrBits(cidr: string): [bigint, number, number] {
  const [ip, len] = cidr.split('/') as [string, string];
  if (!ip.includes(':')) return [ip.split('.').reduce((a, o) => (a << 8n) | BigInt(o), 0n), Number(len), 32];
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').flatMap((g) => (g.includes('.') ? v4Groups(g) : [g])) : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return [all.reduce((a, g) => (a << 16n) | BigInt(parseInt(g, 16)), 0n), Number(len), 128];
}

function v4Groups(v4: string): string[] {
  const o = v4.split('.').map(Number);
  return [((o[0]! << 8) | o[1]!).toString(16), ((o[2]! << 8) | o[3]!).toString(16)];
}

/** Does cidr contain ip (both of the same family)? */
function contains(outer: [bigint, number, number], ip: bigint): boolean {
  const shift = BigInt(outer[2] - outer[1]);
  return outer[0] >> shift === ip >> shift;
}

function validateIPBlock(b: IPBlock, path: string): FieldError[] {
  if (!b.cidr) return [required(`${path}.cidr`)];
  if (!isValidCIDR(b.cidr)) return [invalid(`${path}.cidr`, b.cidr, CIDR_MESSAGE)];
  const errs: FieldError[] = [];
  const outer = cidrBits(b.cidr);
  (b.except ?? []).forEach((e, i) => {
    const p = `${path}.except[${i}]`;
    if (!isValidCIDR(e)) {
      errs.push(invalid(p, e, CIDR_MESSAGE));
      return;
    }
    const inner = cidrBits(e);
    if (inner[2] !== outer[2] || !contains(outer, inner[0]) || outer[1] >= inner[1]) errs.push(invalid(p, e, 'must be a strict subset of `cidr`'));
  });
  return errs;
}
