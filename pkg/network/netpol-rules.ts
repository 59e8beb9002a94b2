// The network policy rules of a node (kube-router's and Calico's iptables enforcement, with our
// prefix): for each local pod that some NetworkPolicy isolates, a chain per direction that returns
// for what some rule allows and drops the rest. Everything is rebuilt from the resolved model and
// written in one `iptables-restore --noflush` (declaring a chain flushes it).
//
//   filter FORWARD (before the node's forward chain, which accepts all pod traffic), INPUT
//                        -> <P>-NWPLCY
//   filter <P>-NWPLCY    replies (ESTABLISHED,RELATED) return at once;
//                        per egress-isolated pod:  -s podIP -> <P>-NWPLCY-E-h
//                        per ingress-isolated pod: -d podIP -> <P>-NWPLCY-I-h
//   filter <P>-NWPLCY-I-h  the pod itself; per allowed (source, port): RETURN; last: DROP
//   filter <P>-NWPLCY-E-h  the pod itself; per allowed (destination, port): RETURN; last: DROP
//
// Egress chains come first, so a packet between two local pods is judged by the sender's egress
// and then the receiver's ingress. FORWARD runs after nat PREROUTING, so traffic to a Service is
// judged by the endpoint pod's IP (the service proxy's DNAT is done). Traffic from the node itself
// (the agent's probes) leaves through OUTPUT and never meets these chains; a pod's traffic to the
// node (the cluster DNS on the bridge gateway) comes in through INPUT and is egress like any other.
import { createHash } from 'node:crypto';
import { chainNames, chainOf, jumpsTo, type SavedTable } from './iptables.js';

export type PolicyProtocol = 'TCP' | 'UDP' | 'SCTP';

export interface PolicyPort {
  protocol: PolicyProtocol;
  /** Absent: every port of the protocol. */
  port?: number;
  /** With port: the range port..endPort. */
  endPort?: number;
}

/** One allowed (peer, port) pair; an absent field matches everything. */
export interface PolicyAtom {
  /** IPv4 CIDR of the peer (a pod's IP as /32). */
  cidr?: string;
  port?: PolicyPort;
  /** `namespace/name` of the policy that allows it, as a comment. */
  policy?: string;
}

/** A local pod that policies isolate in one direction or both. */
export interface IsolatedPod {
  /** `namespace/name`. */
  key: string;
  uid: string;
  ip: string;
  /** Undefined: not isolated for ingress; otherwise what may reach it. */
  ingress?: PolicyAtom[];
  /** Undefined: not isolated for egress; otherwise what it may reach. */
  egress?: PolicyAtom[];
}

/** iptables chain names are at most 28 characters. */
const MAX_CHAIN = 28;

export const netpolMainChain = (prefix: string) => `${prefix}-NWPLCY`;

/** The main chain and every per-pod chain. */
export const isNetpolChain = (prefix: string, chain: string) => chain === netpolMainChain(prefix) || chain.startsWith(`${netpolMainChain(prefix)}-`);

export function netpolPodChain(prefix: string, dir: 'I' | 'E', uid: string): string {
  const head = `${netpolMainChain(prefix)}-${dir}-`;
  const len = Math.min(16, MAX_CHAIN - head.length);
  if (len < 8) throw new Error(`chain prefix "${prefix}" is too long for network policy chains`);
  return head + createHash('sha256').update(uid).digest('hex').slice(0, len).toUpperCase();
}

export interface NetpolRules {
  /** Chains of the filter table, the main chain first. */
  chains: string[];
  rules: string[];
}

function portMatch(p: PolicyPort | undefined): string {
  if (!p) return '';
  const proto = p.protocol.toLowerCase();
  if (p.port === undefined) return ` -p ${proto}`;
  const range = p.endPort !== undefined && p.endPort > p.port ? `${p.port}:${p.endPort}` : `${p.port}`;
  return ` -p ${proto} -m ${proto} --dport ${range}`;
}

/** A comment iptables-save gives back unchanged: no quotes, at most 256 characters. */
const comment = (text: string) => ` -m comment --comment "${text.replace(/["\\]/g, '').slice(0, 250)}"`;

function podChainRules(chain: string, pod: IsolatedPod, dir: 'I' | 'E', atoms: readonly PolicyAtom[]): string[] {
  const peer = dir === 'I' ? '-s' : '-d';
  const what = dir === 'I' ? 'ingress' : 'egress';
  const out = [`-A ${chain} ${peer} ${pod.ip}/32${comment(`${pod.key} ${what}: the pod itself`)} -j RETURN`];
  const seen = new Set<string>();
  for (const a of atoms) {
    const match = `${a.cidr ? ` ${peer} ${a.cidr}` : ''}${portMatch(a.port)}`;
    if (seen.has(match)) continue;
    seen.add(match);
    out.push(`-A ${chain}${match}${comment(`${pod.key} ${what} allowed by ${a.policy ?? 'a policy'}`)} -j RETURN`);
  }
  out.push(`-A ${chain}${comment(`${pod.key} ${what}: no policy allows it`)} -j DROP`);
  return out;
}

/** The complete rules for these pods (deterministic: the same input gives the same text). */
export function buildNetpolRules(prefix: string, pods: readonly IsolatedPod[]): NetpolRules {
  const main = netpolMainChain(prefix);
  const chains = [main];
  const rules = [`-A ${main} -m conntrack --ctstate RELATED,ESTABLISHED${comment('replies of allowed connections')} -j RETURN`];
  const body: string[] = [];
  const sorted = [...pods].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const dir of ['E', 'I'] as const) {
    for (const pod of sorted) {
      const atoms = dir === 'I' ? pod.ingress : pod.egress;
      if (!atoms) continue;
      const chain = netpolPodChain(prefix, dir, pod.uid);
      chains.push(chain);
      rules.push(`-A ${main} ${dir === 'I' ? '-d' : '-s'} ${pod.ip}/32${comment(`${pod.key} ${dir === 'I' ? 'ingress' : 'egress'}`)} -j ${chain}`);
      body.push(...podChainRules(chain, pod, dir, atoms));
    }
  }
  return { chains, rules: [...rules, ...body] };
}

const HOOKS = ['FORWARD', 'INPUT'];

export interface NetpolRestorePlan {
  filter: string[];
  /** Per-pod chains deleted because their pod is no longer isolated (or gone). */
  staleChains: string[];
  /** Jumps from built-in chains that were missing (or misplaced) and are (re)written. */
  jumpsAdded: string[];
}

/**
 * The iptables-restore input (filter table, --noflush) that turns what is there into `rules`:
 * every chain declared (so flushed) and refilled, stale per-pod chains flushed and deleted, the
 * jumps from FORWARD and INPUT placed first (in FORWARD at least before the node's forward chain,
 * which accepts all pod traffic).
 */
export function netpolRestorePlan(prefix: string, rules: NetpolRules, saved: Map<string, SavedTable>): NetpolRestorePlan {
  const filter = saved.get('filter') ?? { chains: new Set<string>(), rules: [] };
  const main = netpolMainChain(prefix);
  const want = new Set(rules.chains);
  const stale = [...filter.chains].filter((ch) => isNetpolChain(prefix, ch) && !want.has(ch)).sort();
  const lines = [...rules.chains, ...stale].map((ch) => `:${ch} - [0:0]`);
  lines.push(...rules.rules);
  const jumpsAdded: string[] = [];
  for (const from of HOOKS) {
    const inFrom = filter.rules.filter((r) => chainOf(r) === from);
    const mine = inFrom.filter((r) => jumpsTo(r, main));
    const nodeForward = inFrom.findIndex((r) => jumpsTo(r, chainNames(prefix).forward));
    const misplaced = mine.length > 0 && nodeForward >= 0 && inFrom.indexOf(mine[0]!) > nodeForward;
    if (mine.length > 0 && !misplaced) continue;
    for (const r of mine) lines.push('-D' + r.slice(2));
    jumpsAdded.push(from);
    lines.push(`-I ${from} 1${comment('tskube network policies')} -j ${main}`);
  }
  lines.push(...stale.map((ch) => `-X ${ch}`));
  return { filter: lines, staleChains: stale, jumpsAdded };
}
