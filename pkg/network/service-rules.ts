// The service proxy's iptables rules (kube-proxy's iptables mode, with our prefix): built in
// full from the list of service ports, then written in one `iptables-restore --noflush` that
// rewrites every service chain (declaring a chain flushes it), adds missing jumps and deletes the
// chains of services that are gone.
//
//   nat    PREROUTING, OUTPUT -> <P>-SERVICES
//   nat    <P>-SERVICES   per port with endpoints: -d clusterIP --dport port -> <P>-SVC-h (SVL-h: internalTrafficPolicy Local)
//                                                  -d externalIP --dport port -> <P>-EXT-h
//                                                  -d loadBalancerIP --dport port -> <P>-EXT-h (FW-h: with source ranges)
//                         last: -m addrtype --dst-type LOCAL -> <P>-NODEPORTS
//   nat    <P>-NODEPORTS  --dport nodePort -> <P>-EXT-h
//   nat    <P>-FW-h       -s sourceRange (or the load balancer's own IPs) -> <P>-EXT-h; others fall through, undNATed
//   nat    <P>-EXT-h      Cluster: mark for masquerade, -> <P>-SVC-h
//                         Local: pods and the node itself -> <P>-SVC-h (the node masqueraded); others
//                         -> <P>-SVL-h unmasqueraded (client IP kept), or fall through when no endpoint is local
//   nat    <P>-SVC-h      mark traffic from outside the cluster CIDR; [affinity: -m recent
//                         --rcheck per endpoint]; -m statistic --probability 1/n ... -> <P>-SEP-e
//   nat    <P>-SVL-h      the same over this node's endpoints only
//   nat    <P>-SEP-e      mark hairpin (-s the endpoint itself); DNAT to ip:port
//   filter INPUT, FORWARD (before the node's forward chain), OUTPUT, new connections -> <P>-SERVICES
//   filter <P>-SERVICES   per port without endpoints: REJECT icmp-port-unreachable (cluster IP,
//                         external and load-balancer IPs, local nodePort); without endpoints for
//                         its policy (Local, none on this node), or from a source outside the
//                         ranges: DROP what was not DNATed
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
const KINDS = ['SVC', 'SVL', 'SEP', 'EXT', 'FW'] as const;

function hashedChain(prefix: string, kind: (typeof KINDS)[number], key: string): string {
  const head = `${prefix}-${kind}-`;
  const len = Math.min(16, MAX_CHAIN - head.length);
  if (len < 8) throw new Error(`chain prefix "${prefix}" is too long for service chains`);
  return head + createHash('sha256').update(key).digest('hex').slice(0, len).toUpperCase();
}

export const svcChain = (prefix: string, sp: ProxiedServicePort) => hashedChain(prefix, 'SVC', `${sp.id}/${sp.protocol}`);
export const svlChain = (prefix: string, sp: ProxiedServicePort) => hashedChain(prefix, 'SVL', `${sp.id}/${sp.protocol}`);
export const extChain = (prefix: string, sp: ProxiedServicePort) => hashedChain(prefix, 'EXT', `${sp.id}/${sp.protocol}`);
export const fwChain = (prefix: string, sp: ProxiedServicePort) => hashedChain(prefix, 'FW', `${sp.id}/${sp.protocol}`);
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
  const out: ServiceRules = { natChains: [c.services, c.nodeports], nat: [], filterChains: [c.services], filter: [] };
  for (const sp of ports) portRules(prefix, c, cluster, sp, out);
  out.nat.push(`-A ${c.services} -m comment --comment "tskube service nodeports; must be last" -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j ${c.nodeports}`);
  return out;
}

const REJECT = '-j REJECT --reject-with icmp-port-unreachable';
/** Drops only what no rule DNATed (a DNATed packet may keep its address when an endpoint is the node itself). */
const DROP = '-m conntrack ! --ctstate DNAT -j DROP';

function portRules(prefix: string, c: ServiceChains, cluster: string, sp: ProxiedServicePort, out: ServiceRules): void {
  const { nat, filter, natChains } = out;
  const proto = sp.protocol.toLowerCase();
  const m = `-p ${proto} -m ${proto}`;
  const comment = (what: string) => `-m comment --comment "${sp.id}${what ? ` ${what}` : ''}"`;
  const external = sp.nodePort !== undefined || sp.externalIPs.length > 0 || sp.loadBalancerIPs.length > 0;
  const externalDests = [...sp.externalIPs, ...sp.loadBalancerIPs].map((ip) => `-d ${ip}/32 ${m} --dport ${sp.port}`);
  if (sp.nodePort) externalDests.push(`-m addrtype --dst-type LOCAL ${m} --dport ${sp.nodePort}`);
  if (sp.endpoints.length === 0) {
    for (const d of [`-d ${sp.clusterIP}/32 ${m} --dport ${sp.port}`, ...externalDests]) filter.push(`-A ${c.services} ${d} ${comment('has no endpoints')} ${REJECT}`);
    return;
  }
  const internalEps = sp.internalLocal ? sp.localEndpoints : sp.endpoints;
  const externalEps = sp.externalLocal ? sp.localEndpoints : sp.endpoints;
  const svc = svcChain(prefix, sp);
  const svl = svlChain(prefix, sp);
  const needSvl = (sp.internalLocal || (sp.externalLocal && external)) && sp.localEndpoints.length > 0;
  natChains.push(svc);
  if (needSvl) natChains.push(svl);
  const clusterMasq = (chain: string) => `-A ${chain} ! -s ${cluster} -d ${sp.clusterIP}/32 ${m} --dport ${sp.port} ${comment('cluster IP')} ${MARK}`;
  // Cluster IP.
  if (internalEps.length > 0) nat.push(`-A ${c.services} -d ${sp.clusterIP}/32 ${m} --dport ${sp.port} ${comment('cluster IP')} -j ${sp.internalLocal ? svl : svc}`);
  else filter.push(`-A ${c.services} -d ${sp.clusterIP}/32 ${m} --dport ${sp.port} ${comment('has no local endpoints')} ${DROP}`);
  // Node ports, external and load-balancer IPs.
  if (external) {
    const ext = extChain(prefix, sp);
    natChains.push(ext);
    for (const ip of sp.externalIPs) nat.push(`-A ${c.services} -d ${ip}/32 ${m} --dport ${sp.port} ${comment('external IP')} -j ${ext}`);
    if (sp.loadBalancerIPs.length > 0) {
      let target = ext;
      if (sp.sourceRanges.length > 0) {
        target = fwChain(prefix, sp);
        natChains.push(target);
        for (const r of [...sp.sourceRanges, ...sp.loadBalancerIPs.map((ip) => `${ip}/32`)]) nat.push(`-A ${target} -s ${r} ${comment('loadbalancer source range')} -j ${ext}`);
        for (const ip of sp.loadBalancerIPs) filter.push(`-A ${c.services} -d ${ip}/32 ${m} --dport ${sp.port} ${comment('traffic not accepted by loadBalancerSourceRanges')} ${DROP}`);
      }
      for (const ip of sp.loadBalancerIPs) nat.push(`-A ${c.services} -d ${ip}/32 ${m} --dport ${sp.port} ${comment('loadbalancer IP')} -j ${target}`);
    }
    if (sp.nodePort) nat.push(`-A ${c.nodeports} ${m} --dport ${sp.nodePort} ${comment('')} -j ${ext}`);
    if (!sp.externalLocal) {
      nat.push(`-A ${ext} ${comment('masquerade traffic for external destinations')} ${MARK}`, `-A ${ext} -j ${svc}`);
    } else {
      nat.push(
        `-A ${ext} -s ${cluster} ${comment('pod traffic for external destinations')} -j ${svc}`,
        `-A ${ext} -m addrtype --src-type LOCAL ${comment('masquerade LOCAL traffic')} ${MARK}`,
        `-A ${ext} -m addrtype --src-type LOCAL ${comment('route LOCAL traffic to cluster')} -j ${svc}`,
      );
      if (sp.localEndpoints.length > 0) nat.push(`-A ${ext} -j ${svl}`);
    }
    if (externalEps.length === 0) for (const d of externalDests) filter.push(`-A ${c.services} ${d} ${comment('has no local endpoints')} ${DROP}`);
  }
  const seps = new Map<string, string>();
  const spread = (chain: string, eps: readonly ServiceEndpoint[]) => {
    const mine = eps.map((ep) => ({ ep, chain: sepChain(prefix, sp, ep) }));
    for (const s of mine) seps.set(`${s.ep.ip}:${s.ep.port}`, s.chain);
    if (sp.affinitySeconds !== undefined) {
      for (const { ep, chain: sep } of mine) nat.push(`-A ${chain} ${comment(`-> ${ep.ip}:${ep.port}`)} -m recent --name ${sep} --rcheck --seconds ${sp.affinitySeconds} --reap -j ${sep}`);
    }
    mine.forEach(({ ep, chain: sep }, i) => {
      const left = mine.length - i;
      const pick = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : '';
      nat.push(`-A ${chain} ${comment(`-> ${ep.ip}:${ep.port}`)}${pick} -j ${sep}`);
    });
  };
  nat.push(clusterMasq(svc));
  spread(svc, sp.endpoints);
  if (needSvl) {
    if (sp.internalLocal) nat.push(clusterMasq(svl));
    spread(svl, sp.localEndpoints);
  }
  for (const ep of sp.endpoints) {
    const chain = seps.get(`${ep.ip}:${ep.port}`)!;
    natChains.push(chain);
    const recent = sp.affinitySeconds !== undefined ? ` -m recent --name ${chain} --set` : '';
    nat.push(`-A ${chain} -s ${ep.ip}/32 ${comment('hairpin')} ${MARK}`, `-A ${chain} ${m} ${comment('')}${recent} -j DNAT --to-destination ${ep.ip}:${ep.port}`);
  }
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
