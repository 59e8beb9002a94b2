// The node's pod bridge (tsk0): created once, holding the gateway address of the node's
// podCIDR, with a fixed MAC so the pods' cached gateway neighbour never goes stale as ports
// come and go (a bridge otherwise takes the lowest MAC of its ports).
import { createHash } from 'node:crypto';
import { ConflictError } from './errors.js';
import { ipBatch, ipJson, setSysctls } from './netns-exec.js';

interface IpLink {
  ifname: string;
  flags?: string[];
  master?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

export function bridgeMac(bridge: string, podCIDR: string): string {
  const h = createHash('sha256').update(`${bridge}/${podCIDR}`).digest();
  // Locally administered, unicast.
  const b = [0x02, h[0]!, h[1]!, h[2]!, h[3]!, h[4]!];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Creates the bridge if missing, gives it the gateway address and brings it up. */
export async function ensureBridge(netns: string | undefined, bridge: string, gateway: string, prefix: number, podCIDR: string): Promise<void> {
  const found = await ipJson<IpLink>(netns, ['-details', 'addr', 'show', 'dev', bridge]).catch(() => [] as IpLink[]);
  const lines: string[] = [];
  const link = found[0];
  if (!link) {
    lines.push(`link add ${bridge} address ${bridgeMac(bridge, podCIDR)} type bridge`);
  } else if (link.linkinfo?.info_kind !== 'bridge') {
    throw new ConflictError(`bridge ${bridge}: a ${link.linkinfo?.info_kind ?? 'non-bridge'} link of that name exists`);
  }
  const want = `${gateway}/${prefix}`;
  for (const a of link?.addr_info ?? []) {
    // A leftover gateway of an old podCIDR would route that range to the bridge.
    if (a.family === 'inet' && `${a.local}/${a.prefixlen}` !== want) lines.push(`addr del ${a.local}/${a.prefixlen} dev ${bridge}`);
  }
  if (!link?.addr_info?.some((a) => a.family === 'inet' && `${a.local}/${a.prefixlen}` === want)) lines.push(`addr add ${want} dev ${bridge}`);
  if (!link?.flags?.includes('UP')) lines.push(`link set ${bridge} up`);
  await ipBatch(netns, lines);
}

export async function bridgeExists(netns: string | undefined, bridge: string): Promise<boolean> {
  const found = await ipJson<IpLink>(netns, ['link', 'show', 'dev', bridge]).catch(() => [] as IpLink[]);
  return found.length > 0;
}

export async function deleteBridge(netns: string | undefined, bridge: string): Promise<void> {
  if (await bridgeExists(netns, bridge)) await ipBatch(netns, [`link del ${bridge}`]);
}

/** Forwarding on; bridged pod traffic through iptables (for hostPort hairpin and, later, Services). */
export async function ensureNodeSysctls(netns: string | undefined): Promise<void> {
  await setSysctls(netns, { 'net.ipv4.ip_forward': '1', 'net.bridge.bridge-nf-call-iptables': '1' }, ['net.bridge.bridge-nf-call-iptables']);
}

/**
 * route_localnet on the bridge alone: traffic from pods may be DNATed to 127.0.0.0/8 (a Service
 * whose endpoint is the node's loopback, as the `kubernetes` Service under `tsctl up`). The
 * caller guards it with the INPUT rule of ensureNodeRules. Gone with the bridge.
 */
export async function enableRouteLocalnet(netns: string | undefined, bridge: string): Promise<void> {
  await setSysctls(netns, { [`net.ipv4.conf.${bridge}.route_localnet`]: '1' });
}

/**
 * The MTU of the interface holding the default route (the node's uplink), or undefined when
 * there is none. host-gw does not encapsulate, so pods should use the uplink's MTU.
 */
export async function uplinkMtu(netns: string | undefined): Promise<number | undefined> {
  const routes = await ipJson<{ dev?: string }>(netns, ['route', 'show', 'default']).catch(() => []);
  const dev = routes.find((r) => r.dev)?.dev;
  if (!dev) return undefined;
  const links = await ipJson<{ mtu?: number }>(netns, ['link', 'show', 'dev', dev]).catch(() => []);
  return links[0]?.mtu;
}
