// The service proxy's iptables rules (kube-proxy's iptables mode, with our prefix): built in
// full from the list of service ports, then written in one `iptables-restore --noflush` that
// rewrites every service chain (declaring a chain flushes it), adds missing jumps and deletes the
// chains of services that are gone.
//
//   nat    PREROUTING, OUTPUT -> <P>-SERVICES
//   nat    <P>-SERVICES   per port with endpoints: -d clusterIP --dport port -> <P>-SVC-h
//                                                  -d externalIP --dport port -> <P>-EXT-h
//                         last: -m addrtype --dst-type LOCAL -> <P>-NODEPORTS
//   nat    <P>-NODEPORTS  --dport nodePort -> <P>-EXT-h
//   nat    <P>-EXT-h      mark for masquerade, -> <P>-SVC-h
//   nat    <P>-SVC-h      mark traffic from outside the cluster CIDR; [affinity: -m recent
//                         --rcheck per endpoint]; -m statistic --probability 1/n ... -> <P>-SEP-e
//   nat    <P>-SEP-e      mark hairpin (-s the endpoint itself); DNAT to ip:port
//   filter INPUT, FORWARD (before the node's forward chain), OUTPUT, new connections -> <P>-SERVICES
//   filter <P>-SERVICES   per port without endpoints: REJECT icmp-port-unreachable (cluster IP,
//                         external IPs, local nodePort)
//
// Marked packets are masqueraded by the node's postrouting chain (HAIRPIN_MARK, iptables.ts).
import { createHash } from 'node:crypto';
import { formatCidr, parseCidr } from './cidr.js';
import { HAIRPIN_MARK, chainNames, chainOf, jumpsTo, type SavedTable } from './iptables.js';
import type { ProxiedServicePort, ServiceEndpoint } from './service-types.js';

/** iptables chain names are at most 28 characters. */
const MAX_CHAIN = 28;
const MARK = `-j MARK --set-xmark ${HAIRPIN_MARK}`;

export interface ServiceChains {
  services: string;
  nodeports: string;
}

export function serviceChainNames(prefix: string): ServiceChains {
  return { services: `${prefix}-SERVICES`, nodeports: `${prefix}-NODEPORTS` };
}

/** Per-port and per-endpoint chain kinds; their chains are ours to rewrite and delete. */
const KINDS = ['SVC', 'SEP', 'EXT'] as const;

function hashedChain(prefix: string, kind: (typeof KINDS)[number], key: string): string {
  const head = `${prefix}-${kind}-`;
  const len = Math.min(16, MAX_CHAIN - head.length);
  if (len < 8) throw new Error(`chain prefix "${prefix}" is too long for service chains`);
  return head + createHash('sha256').update(key).digest('hex').slice(0, len).toUpperCase();
}

export const svcChain = (prefix: string, sp: ProxiedServicePort) => hashedChain(prefix, 'SVC', `${sp.id}/${sp.protocol}`);
export const extChain = (prefix: string, sp: ProxiedServicePort) => hashedChain(prefix, 'EXT', `${sp.id}/${sp.protocol}`);
export const sepChain = (prefix: string, sp: ProxiedServicePort, ep: ServiceEndpoint) => hashedChain(prefix, 'SEP', `${sp.id}/${sp.protocol}/${ep.ip}:${ep.port}`);

/** Is chain one of the service proxy's per-port or per-endpoint chains? */
export function isServicePortChain(prefix: string, chain: string): boolean {
  return KINDS.some((k) => chain.startsWith(`${prefix}-${k}-`));
}

export interface ServiceRules {
  /** Chains of the nat table, in order of declaration. */
  natChains: string[];
  nat: string[];
  filterChains: string[];
  filter: string[];
}

/** The complete rules for these service ports (deterministic: the same input gives the same text). */
export function buildServiceRules(prefix: string, clusterCIDR: string, ports: readonly ProxiedServicePort[]): ServiceRules {
  const c = serviceChainNames(prefix);
  const cluster = formatCidr(parseCidr(clusterCIDR));
  const natChains = [c.services, c.nodeports];
  const nat: string[] = [];
  const filter: string[] = [];
  for (const sp of ports) {
    const proto = sp.protocol.toLowerCase();
    const m = `-p ${proto} -m ${proto}`;
    const comment = (what: string) => `-m comment --comment "${sp.id}${what ? ` ${what}` : ''}"`;
    if (sp.endpoints.length === 0) {
      const reject = `-j REJECT --reject-with icmp-port-unreachable`;
      filter.push(`-A ${c.services} -d ${sp.clusterIP}/32 ${m} --dport ${sp.port} ${comment('has no endpoints')} ${reject}`);
      for (const ip of sp.externalIPs) filter.push(`-A ${c.services} -d ${ip}/32 ${m} --dport ${sp.port} ${comment('has no endpoints')} ${reject}`);
      if (sp.nodePort) filter.push(`-A ${c.services} -m addrtype --dst-type LOCAL ${m} --dport ${sp.nodePort} ${comment('has no endpoints')} ${reject}`);
      continue;
    }
    const svc = svcChain(prefix, sp);
    natChains.push(svc);
    nat.push(`-A ${c.services} -d ${sp.clusterIP}/32 ${m} --dport ${sp.port} ${comment('cluster IP')} -j ${svc}`);
    if (sp.nodePort || sp.externalIPs.length > 0) {
      const ext = extChain(prefix, sp);
      natChains.push(ext);
      for (const ip of sp.externalIPs) nat.push(`-A ${c.services} -d ${ip}/32 ${m} --dport ${sp.port} ${comment('external IP')} -j ${ext}`);
      if (sp.nodePort) nat.push(`-A ${c.nodeports} ${m} --dport ${sp.nodePort} ${comment('')} -j ${ext}`);
      nat.push(`-A ${ext} ${comment('masquerade traffic for external destinations')} ${MARK}`, `-A ${ext} -j ${svc}`);
    }
    nat.push(`-A ${svc} ! -s ${cluster} -d ${sp.clusterIP}/32 ${m} --dport ${sp.port} ${comment('cluster IP')} ${MARK}`);
    const seps = sp.endpoints.map((ep) => ({ ep, chain: sepChain(prefix, sp, ep) }));
    if (sp.affinitySeconds !== undefined) {
      for (const { ep, chain } of seps) nat.push(`-A ${svc} ${comment(`-> ${ep.ip}:${ep.port}`)} -m recent --name ${chain} --rcheck --seconds ${sp.affinitySeconds} --reap -j ${chain}`);
    }
    seps.forEach(({ ep, chain }, i) => {
      const left = seps.length - i;
      const pick = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : '';
      nat.push(`-A ${svc} ${comment(`-> ${ep.ip}:${ep.port}`)}${pick} -j ${chain}`);
    });
    for (const { ep, chain } of seps) {
      natChains.push(chain);
      const recent = sp.affinitySeconds !== undefined ? ` -m recent --name ${chain} --set` : '';
      nat.push(`-A ${chain} -s ${ep.ip}/32 ${comment('hairpin')} ${MARK}`, `-A ${chain} ${m} ${comment('')}${recent} -j DNAT --to-destination ${ep.ip}:${ep.port}`);
    }
  }
  nat.push(`-A ${c.services} -m comment --comment "tskube service nodeports; must be last" -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j ${c.nodeports}`);
  return { natChains, nat, filterChains: [c.services], filter };
}

const NAT_JUMPS = ['PREROUTING', 'OUTPUT'];
const FILTER_JUMPS = ['INPUT', 'FORWARD', 'OUTPUT'];
const JUMP_COMMENT = '-m comment --comment "tskube service portals"';
const FILTER_MATCH = '-m conntrack --ctstate NEW -m comment --comment "tskube service rejects"';

export interface RestorePlan {
  tables: { nat: string[]; filter: string[] };
  /** Per-port and per-endpoint chains deleted because their service, port or endpoint is gone. */
  staleChains: string[];
  /** Jumps from built-in chains that were missing (or out of order) and are (re)written. */
  jumpsAdded: string[];
}

/**
 * The iptables-restore input (--noflush) that turns what is there (saved, from iptables-save)
 * into rules: every chain of ours declared (so flushed) and refilled, missing jumps added, the
 * filter jump placed before the node's forward chain (which accepts all pod traffic), stale
 * chains flushed and deleted.
 */
export function restorePlan(prefix: string, rules: ServiceRules, saved: Map<string, SavedTable>): RestorePlan {
  const empty: SavedTable = { chains: new Set(), rules: [] };
  const nat = saved.get('nat') ?? empty;
  const filter = saved.get('filter') ?? empty;
  const c = serviceChainNames(prefix);
  const want = new Set(rules.natChains);
  const stale = [...nat.chains].filter((ch) => isServicePortChain(prefix, ch) && !want.has(ch)).sort();
  const jumpsAdded: string[] = [];
  const hasJump = (t: SavedTable, from: string) => t.rules.some((r) => chainOf(r) === from && jumpsTo(r, c.services));

  const natLines = [...rules.natChains, ...stale].map((ch) => `:${ch} - [0:0]`);
  natLines.push(...rules.nat);
  for (const from of NAT_JUMPS) {
    if (!hasJump(nat, from)) jumpsAdded.push(`nat ${from}`), natLines.push(`-A ${from} ${JUMP_COMMENT} -j ${c.services}`);
  }
  natLines.push(...stale.map((ch) => `-X ${ch}`));

  const filterLines = rules.filterChains.map((ch) => `:${ch} - [0:0]`);
  filterLines.push(...rules.filter);
  for (const from of FILTER_JUMPS) {
    const mine = filter.rules.filter((r) => chainOf(r) === from && jumpsTo(r, c.services));
    const inFrom = filter.rules.filter((r) => chainOf(r) === from);
    const nodeForward = inFrom.findIndex((r) => jumpsTo(r, chainNames(prefix).forward));
    const misplaced = from === 'FORWARD' && mine.length > 0 && nodeForward >= 0 && inFrom.indexOf(mine[0]!) > nodeForward;
    if (mine.length > 0 && !misplaced) continue;
    for (const r of mine) filterLines.push('-D' + r.slice(2));
    jumpsAdded.push(`filter ${from}`);
    filterLines.push(`${from === 'FORWARD' ? `-I ${from} 1` : `-A ${from}`} ${FILTER_MATCH} -j ${c.services}`);
  }
  return { tables: { nat: natLines, filter: filterLines }, staleChains: stale, jumpsAdded };
}
