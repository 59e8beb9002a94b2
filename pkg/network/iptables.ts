// Our iptables chains, written with iptables-restore --noflush (one spawn per change) and read
// back with iptables-save. Node-level chains are rebuilt wholesale by ensureNodeRules; per-pod
// hostPort rules sit in the hostports chain tagged with a comment `tsk-hp:<sandboxId>`, which is
// how teardown and gc find them again without any other state.
//
//   nat    PREROUTING  -m addrtype --dst-type LOCAL -> <P>-HOSTPORTS   (DNAT per hostPort)
//   nat    OUTPUT      -m addrtype --dst-type LOCAL -> <P>-HOSTPORTS   (the node reaching its own hostPorts)
//   nat    POSTROUTING -> <P>-POSTROUTING   (masquerade pod egress leaving the cluster CIDR, hairpin)
//   filter FORWARD     -> <P>-FORWARD       (accept traffic from and to the pod bridge)
//   filter INPUT       -> <P>-INPUT         (the bridge's route_localnet guard, below)
import { formatCidr, isIPv4, parseCidr } from './cidr.js';
import { runIn } from './netns-exec.js';
import type { HostPortMapping } from './types.js';
import { KeyedMutex } from './undo-stack.js';

/** Mark set on hostPort traffic coming from a pod, so the reply comes back through us (hairpin). */
export const HAIRPIN_MARK = '0x2000/0x2000';
const HOSTPORT_TAG = 'tsk-hp:';

/** Writes to one namespace's iptables are serialised across everything in this process (pod network, service proxy). */
const iptablesLocks = new KeyedMutex();

export function withIptablesLock<T>(netns: string | undefined, fn: () => Promise<T>): Promise<T> {
  return iptablesLocks.run(netns ?? '', fn);
}

export interface ChainNames {
  postrouting: string;
  hostports: string;
  forward: string;
  input: string;
}

export function chainNames(prefix = 'TSK'): ChainNames {
  return { postrouting: `${prefix}-POSTROUTING`, hostports: `${prefix}-HOSTPORTS`, forward: `${prefix}-FORWARD`, input: `${prefix}-INPUT` };
}

export interface SavedTable {
  chains: Set<string>;
  /** `-A CHAIN ...` lines, in order. */
  rules: string[];
}

/** Parses iptables-save output into tables. */
export function parseIptablesSave(text: string): Map<string, SavedTable> {
  const tables = new Map<string, SavedTable>();
  let cur: SavedTable | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      cur = { chains: new Set(), rules: [] };
      tables.set(line.slice(1).trim(), cur);
    } else if (!cur) continue;
    else if (line.startsWith(':')) cur.chains.add(line.slice(1).split(' ')[0]!);
    else if (line.startsWith('-A ')) cur.rules.push(line);
  }
  return tables;
}

export async function iptablesSave(netns: string | undefined): Promise<Map<string, SavedTable>> {
  const res = await runIn(netns, 'iptables-save', []);
  return parseIptablesSave(res.stdout);
}

/** Applies iptables-restore input without flushing anything but chains it declares. */
export async function iptablesRestore(netns: string | undefined, tables: Record<string, string[]>): Promise<void> {
  let input = '';
  for (const [table, lines] of Object.entries(tables)) {
    if (lines.length === 0) continue;
    input += `*${table}\n${lines.join('\n')}\nCOMMIT\n`;
  }
  if (!input) return;
  await runIn(netns, 'iptables-restore', ['--noflush', '-w', '5'], { input });
}

export function chainOf(rule: string): string {
  return rule.split(' ')[1]!;
}

export function jumpsTo(rule: string, chain: string): boolean {
  return rule.endsWith(` -j ${chain}`) || rule.includes(` -j ${chain} `);
}

export interface NodeRulesSpec {
  prefix?: string;
  bridge: string;
  podCIDR: string;
  clusterCIDR: string;
}

/**
 * Creates or refreshes the node-level chains and jumps: the postrouting and forward chains are
 * rebuilt (declaring a chain under --noflush flushes it); the hostports chain is only created
 * when missing, never flushed, as it holds the pods' rules.
 */
export async function ensureNodeRules(netns: string | undefined, spec: NodeRulesSpec): Promise<void> {
  const c = chainNames(spec.prefix);
  const saved = await iptablesSave(netns);
  const nat = saved.get('nat') ?? { chains: new Set<string>(), rules: [] };
  const filter = saved.get('filter') ?? { chains: new Set<string>(), rules: [] };
  const pod = formatCidr(parseCidr(spec.podCIDR));
  const cluster = formatCidr(parseCidr(spec.clusterCIDR));
  const hasJump = (t: SavedTable, from: string, to: string) => t.rules.some((r) => chainOf(r) === from && jumpsTo(r, to));

  const natLines = [`:${c.postrouting} - [0:0]`];
  if (!nat.chains.has(c.hostports)) natLines.push(`:${c.hostports} - [0:0]`);
  natLines.push(
    `-A ${c.postrouting} -m mark --mark ${HAIRPIN_MARK} -m comment --comment "tskube hostPort hairpin" -j MASQUERADE`,
    `-A ${c.postrouting} -s ${pod} -d ${cluster} -m comment --comment "tskube pod to pod" -j RETURN`,
    `-A ${c.postrouting} -s ${pod} -d 224.0.0.0/4 -j RETURN`,
    `-A ${c.postrouting} -s ${pod} -m comment --comment "tskube pod egress" -j MASQUERADE`,
  );
  if (!hasJump(nat, 'POSTROUTING', c.postrouting)) natLines.push(`-A POSTROUTING -m comment --comment "tskube postrouting" -j ${c.postrouting}`);
  if (!hasJump(nat, 'PREROUTING', c.hostports)) natLines.push(`-A PREROUTING -m addrtype --dst-type LOCAL -m comment --comment "tskube hostports" -j ${c.hostports}`);
  if (!hasJump(nat, 'OUTPUT', c.hostports)) natLines.push(`-A OUTPUT -m addrtype --dst-type LOCAL -m comment --comment "tskube hostports" -j ${c.hostports}`);

  const filterLines = [
    `:${c.forward} - [0:0]`,
    `-A ${c.forward} -i ${spec.bridge} -m comment --comment "tskube from pods" -j ACCEPT`,
    `-A ${c.forward} -o ${spec.bridge} -m comment --comment "tskube to pods" -j ACCEPT`,
  ];
  if (!hasJump(filter, 'FORWARD', c.forward)) filterLines.push(`-I FORWARD 1 -m comment --comment "tskube forward" -j ${c.forward}`);
  // The bridge has route_localnet (pods reach Service endpoints on the node's loopback, such as an
  // apiserver on 127.0.0.1). As kube-proxy's guard against CVE-2020-8558: a packet from the
  // bridge may reach 127.0.0.0/8 only when a Service rule DNATed it there, never sent there.
  filterLines.push(
    `:${c.input} - [0:0]`,
    `-A ${c.input} -i ${spec.bridge} -d 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -m comment --comment "tskube: pods reach the node's loopback only through a Service" -j DROP`,
  );
  if (!hasJump(filter, 'INPUT', c.input)) filterLines.push(`-I INPUT 1 -m comment --comment "tskube input" -j ${c.input}`);
  await iptablesRestore(netns, { nat: natLines, filter: filterLines });
}

/** The nat rules of one pod's hostPorts (a hairpin mark for pod-originated traffic, then the DNAT). */
export function hostPortRuleLines(prefix: string | undefined, sandboxId: string, podIP: string, podCIDR: string, mappings: readonly HostPortMapping[]): string[] {
  const c = chainNames(prefix);
  const lines: string[] = [];
  for (const m of mappings) {
    const proto = (m.protocol ?? 'TCP').toLowerCase();
    const dst = m.hostIP && m.hostIP !== '0.0.0.0' ? `-d ${m.hostIP}/32 ` : '';
    const match = `${dst}-p ${proto} -m ${proto} --dport ${m.hostPort} -m comment --comment "${HOSTPORT_TAG}${sandboxId}"`;
    lines.push(`-A ${c.hostports} -s ${formatCidr(parseCidr(podCIDR))} ${match} -j MARK --set-xmark ${HAIRPIN_MARK}`);
    // From the node's loopback (the portmap plugin's snat): masqueraded, as a loopback source
    // cannot reach the pod (the bridge's route_localnet lets the DNATed packet out).
    if (!m.hostIP || m.hostIP === '0.0.0.0' || m.hostIP.startsWith('127.')) lines.push(`-A ${c.hostports} -s 127.0.0.0/8 ${match} -j MARK --set-xmark ${HAIRPIN_MARK}`);
    lines.push(`-A ${c.hostports} ${match} -j DNAT --to-destination ${podIP}:${m.containerPort}`);
  }
  return lines;
}

export function validateHostPorts(mappings: readonly HostPortMapping[]): string | undefined {
  const seen = new Set<string>();
  for (const m of mappings) {
    const proto = m.protocol ?? 'TCP';
    if (proto !== 'TCP' && proto !== 'UDP') return `hostPort ${m.hostPort}: protocol ${String(proto)} is not TCP or UDP`;
    for (const [k, v] of [['hostPort', m.hostPort], ['containerPort', m.containerPort]] as const) {
      if (!Number.isInteger(v) || v < 1 || v > 65535) return `${k} ${v} is not a port number`;
    }
    if (m.hostIP !== undefined && m.hostIP !== '' && !isIPv4(m.hostIP)) return `hostPort ${m.hostPort}: hostIP "${m.hostIP}" is not an IPv4 address`;
    const key = `${proto}/${m.hostPort}/${m.hostIP || '0.0.0.0'}`;
    if (seen.has(key)) return `hostPort ${m.hostPort}/${proto} is listed twice`;
    seen.add(key);
  }
  return undefined;
}

/** True when two mappings would claim the same packets. */
export function hostPortsClash(a: HostPortMapping, b: HostPortMapping): boolean {
  if ((a.protocol ?? 'TCP') !== (b.protocol ?? 'TCP') || a.hostPort !== b.hostPort) return false;
  const ia = a.hostIP || '0.0.0.0';
  const ib = b.hostIP || '0.0.0.0';
  return ia === ib || ia === '0.0.0.0' || ib === '0.0.0.0';
}

export async function addHostPortRules(netns: string | undefined, lines: string[]): Promise<void> {
  await iptablesRestore(netns, { nat: lines });
}

/** The sandbox ids that own hostPort rules in the hostports chain. */
export function hostPortOwners(saved: Map<string, SavedTable>, prefix?: string): Map<string, string[]> {
  const c = chainNames(prefix);
  const owners = new Map<string, string[]>();
  for (const r of saved.get('nat')?.rules ?? []) {
    if (chainOf(r) !== c.hostports) continue;
    const m = /--comment "?tsk-hp:([A-Za-z0-9_.-]+)"?/.exec(r);
    if (!m) continue;
    const list = owners.get(m[1]!) ?? [];
    list.push(r);
    owners.set(m[1]!, list);
  }
  return owners;
}

/** Deletes the hostPort rules whose owner matches; returns how many went. */
export async function removeHostPortRules(netns: string | undefined, prefix: string | undefined, owned: (sandboxId: string) => boolean): Promise<number> {
  const saved = await iptablesSave(netns);
  const del: string[] = [];
  for (const [id, rules] of hostPortOwners(saved, prefix)) {
    if (owned(id)) for (const r of rules) del.push('-D' + r.slice(2));
  }
  await iptablesRestore(netns, { nat: del });
  return del.length;
}

/** Removes the chains for which isOurs is true and every jump to them from other chains, in every table, in one restore. */
export async function removeChains(netns: string | undefined, isOurs: (chain: string) => boolean): Promise<void> {
  const saved = await iptablesSave(netns);
  const plan: Record<string, string[]> = {};
  for (const [table, t] of saved) {
    const ours = [...t.chains].filter(isOurs);
    const lines: string[] = [];
    for (const r of t.rules) {
      if (!isOurs(chainOf(r)) && ours.some((o) => jumpsTo(r, o))) lines.push('-D' + r.slice(2));
    }
    for (const ch of ours) lines.push(`-F ${ch}`);
    for (const ch of ours) lines.push(`-X ${ch}`);
    plan[table] = lines;
  }
  await iptablesRestore(netns, plan);
}

/** Removes every chain named `<prefix>-...` (the node chains, hostports, the service proxy's) and the jumps to them. */
export function removeNodeRules(netns: string | undefined, prefix = 'TSK'): Promise<void> {
  return removeChains(netns, (chain) => chain.startsWith(`${prefix}-`));
}
