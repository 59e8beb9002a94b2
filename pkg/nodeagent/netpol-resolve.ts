// Network policies resolved for the pods of one node: which local pods some NetworkPolicy
// isolates, and per direction the (peer CIDR, port) pairs its rules allow. Peers are pods
// anywhere in the cluster (by pod and namespace labels, as the agent's informers see them) and
// ipBlocks (except entries cut out); named ports are looked up on the pod that owns the port: the
// local pod for ingress, each destination pod for egress. Pure: tests feed it plain objects.
import { labelSelectorFromObject, matchesLabelSelector, type ParsedLabelSelector } from '../api/selectors.js';
import type { KubeObject, LabelSelector, Namespace, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, Pod } from '../api/types.js';
import { cidrSubtract, isIPv4 } from '../network/cidr.js';
import type { IsolatedPod, PolicyAtom, PolicyPort, PolicyProtocol } from '../network/netpol-rules.js';
import { isPodTerminal } from '../api/pod-phase.js';

export interface PolicyInputs {
  /** This node's name: its pods are the ones isolated. */
  nodeName: string;
  pods: readonly (Pod & KubeObject)[];
  namespaces: readonly (Namespace & KubeObject)[];
  policies: readonly (NetworkPolicy & KubeObject)[];
}

/** A pod that takes part in pod networking: an IPv4 address of its own, not finished. */
function podIP(p: Pod): string | undefined {
  if (p.spec?.hostNetwork) return undefined;
  if (isPodTerminal(p)) return undefined;
  const ip = p.status?.podIP;
  return ip && isIPv4(ip) ? ip : undefined;
}

function parsed(sel: LabelSelector | undefined): ParsedLabelSelector {
  try {
    return labelSelectorFromObject(sel ?? {});
  } catch {
    return { requirements: [], nothing: true }; // stored selectors are valid
  }
}

/** Does the selector match the object's labels (an invalid one matches nothing)? */
export const selectorMatches = (sel: LabelSelector | undefined, o: KubeObject) => matchesLabelSelector(parsed(sel), o.metadata?.labels);

/** The container port named `name` with this protocol, as the kubelet resolves named ports. */
function namedPort(p: Pod, name: string, protocol: PolicyProtocol): number | undefined {
  for (const c of p.spec?.containers ?? []) {
    for (const cp of c.ports ?? []) if (cp.name === name && (cp.protocol || 'TCP') === protocol && cp.containerPort) return cp.containerPort;
  }
  return undefined;
}

/** A rule's port on pod `owner` (a named one looked up there); undefined: it matches nothing on that pod. */
function resolvePort(np: NetworkPolicyPort, owner: Pod | undefined): PolicyPort | undefined {
  const protocol = (np.protocol || 'TCP') as PolicyProtocol;
  const port = np.port as unknown;
  if (port === undefined || port === null) return { protocol };
  if (typeof port === 'number') return np.endPort !== undefined ? { protocol, port, endPort: np.endPort } : { protocol, port };
  const n = owner ? namedPort(owner, String(port), protocol) : undefined;
  return n === undefined ? undefined : { protocol, port: n };
}

const isNamed = (np: NetworkPolicyPort) => typeof (np.port as unknown) === 'string';

export class PolicyResolver {
  private readonly nsLabels = new Map<string, Record<string, string>>();
  /** Pods with an IP, by namespace. */
  private readonly byNs = new Map<string, { pod: Pod & KubeObject; ip: string }[]>();

  constructor(private readonly in_: PolicyInputs) {
    for (const ns of in_.namespaces) this.nsLabels.set(ns.metadata?.name ?? '', ns.metadata?.labels ?? {});
    for (const pod of in_.pods) {
      const ip = podIP(pod);
      if (!ip) continue;
      const ns = pod.metadata?.namespace ?? '';
      const list = this.byNs.get(ns) ?? [];
      list.push({ pod, ip });
      this.byNs.set(ns, list);
    }
  }

  /** The local pods some policy isolates, with what each direction allows. */
  isolatedPods(): IsolatedPod[] {
    const out: IsolatedPod[] = [];
    for (const { pod, ip } of [...this.byNs.values()].flat()) {
      if (pod.spec?.nodeName !== this.in_.nodeName) continue;
      const ns = pod.metadata?.namespace ?? '';
      const selecting = this.in_.policies.filter((p) => p.metadata?.namespace === ns && matchesLabelSelector(parsed(p.spec?.podSelector), pod.metadata?.labels));
      const types = (p: NetworkPolicy) => p.spec?.policyTypes ?? ['Ingress'];
      const ingressPolicies = selecting.filter((p) => types(p).includes('Ingress'));
      const egressPolicies = selecting.filter((p) => types(p).includes('Egress'));
      if (!ingressPolicies.length && !egressPolicies.length) continue;
      const iso: IsolatedPod = { key: `${ns}/${pod.metadata?.name}`, uid: pod.metadata?.uid ?? '', ip };
      if (ingressPolicies.length) iso.ingress = ingressPolicies.flatMap((p) => this.ingressAtoms(p, pod));
      if (egressPolicies.length) iso.egress = egressPolicies.flatMap((p) => this.egressAtoms(p));
      out.push(iso);
    }
    return out;
  }

  private ingressAtoms(policy: NetworkPolicy & KubeObject, target: Pod): PolicyAtom[] {
    const name = `${policy.metadata?.namespace}/${policy.metadata?.name}`;
    const atoms: PolicyAtom[] = [];
    for (const rule of policy.spec?.ingress ?? []) {
      const ports = rule.ports?.length ? rule.ports.map((p) => resolvePort(p, target)).filter((p) => p !== undefined) : [undefined];
      if (!ports.length) continue;
      const cidrs = rule.from?.length ? rule.from.flatMap((peer) => this.peerCidrs(peer, policy).map((c) => c.cidr)) : [undefined];
      for (const cidr of cidrs) for (const port of ports) atoms.push({ cidr, port, policy: name });
    }
    return atoms;
  }

  private egressAtoms(policy: NetworkPolicy & KubeObject): PolicyAtom[] {
    const name = `${policy.metadata?.namespace}/${policy.metadata?.name}`;
    const atoms: PolicyAtom[] = [];
    for (const rule of policy.spec?.egress ?? []) {
      const ports = rule.ports ?? [];
      if (rule.to?.length) {
        for (const d of rule.to.flatMap((peer) => this.peerCidrs(peer, policy))) {
          if (!ports.length) atoms.push({ cidr: d.cidr, policy: name });
          for (const p of ports) {
            // A named port is looked up on the destination pod; an ipBlock has none.
            const port = isNamed(p) ? (d.pod ? resolvePort(p, d.pod) : undefined) : resolvePort(p, undefined);
            if (port) atoms.push({ cidr: d.cidr, port, policy: name });
          }
        }
        continue;
      }
      if (!ports.length) atoms.push({ policy: name });
      for (const p of ports) {
        if (!isNamed(p)) {
          atoms.push({ port: resolvePort(p, undefined), policy: name });
          continue;
        }
        // To anywhere on a named port: every pod that has a port of that name, on that port.
        for (const { pod, ip } of [...this.byNs.values()].flat()) {
          const port = resolvePort(p, pod);
          if (port) atoms.push({ cidr: `${ip}/32`, port, policy: name });
        }
      }
    }
    return atoms;
  }

  /** A peer's addresses: its pods' IPs as /32 (with the pod), or its ipBlock minus the except entries. */
  private peerCidrs(peer: NetworkPolicyPeer, policy: NetworkPolicy & KubeObject): { cidr: string; pod?: Pod }[] {
    if (peer.ipBlock) {
      const cidr = peer.ipBlock.cidr ?? '';
      if (cidr.includes(':')) return []; // IPv6: the pod network is IPv4 only
      return cidrSubtract(cidr, (peer.ipBlock.except ?? []).filter((e) => !e.includes(':'))).map((c) => ({ cidr: c }));
    }
    const podSel = peer.podSelector ? parsed(peer.podSelector) : undefined;
    let namespaces: string[];
    if (peer.namespaceSelector) {
      const nsSel = parsed(peer.namespaceSelector);
      namespaces = [...this.nsLabels].filter(([, labels]) => matchesLabelSelector(nsSel, labels)).map(([n]) => n);
    } else namespaces = [policy.metadata?.namespace ?? ''];
    const out: { cidr: string; pod: Pod }[] = [];
    for (const ns of namespaces.sort()) {
      for (const { pod, ip } of this.byNs.get(ns) ?? []) {
        if (!podSel || matchesLabelSelector(podSel, pod.metadata?.labels)) out.push({ cidr: `${ip}/32`, pod });
      }
    }
    return out;
  }
}

/** The isolated local pods for these inputs. */
export const resolveNetworkPolicies = (inputs: PolicyInputs): IsolatedPod[] => new PolicyResolver(inputs).isolatedPods();
