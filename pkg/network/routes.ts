// host-gw routes: one route per other node's podCIDR via that node's address, tagged with our
// own routing protocol number so we can list and remove exactly ours.
import { formatCidr, isIPv4, parseCidr } from './cidr.js';
import { InvalidArgumentError } from './errors.js';
import { ipBatch, ipJson } from './netns-exec.js';
import type { RoutePeer } from './types.js';

/** rtnetlink protocol number of our routes (`ip route show proto 147`). */
export const ROUTE_PROTO = 147;

export interface SyncRoutesResult {
  added: string[];
  removed: string[];
}

export async function listOurRoutes(netns: string | undefined): Promise<Map<string, string>> {
  const routes = await ipJson<{ dst: string; gateway?: string }>(netns, ['route', 'show', 'proto', String(ROUTE_PROTO)]);
  return new Map(routes.map((r) => [r.dst.includes('/') ? r.dst : `${r.dst}/32`, r.gateway ?? '']));
}

/** Makes our routes exactly the peers' podCIDRs (other than ownPodCIDR) via their node IPs. */
export async function syncRoutes(netns: string | undefined, ownPodCIDR: string, peers: readonly RoutePeer[]): Promise<SyncRoutesResult> {
  const own = formatCidr(parseCidr(ownPodCIDR));
  const want = new Map<string, string>();
  for (const p of peers) {
    if (!p.podCIDR) continue; // not allocated yet
    const cidr = formatCidr(parseCidr(p.podCIDR));
    if (!isIPv4(p.nodeIP)) throw new InvalidArgumentError(`node "${p.nodeName}": node IP "${p.nodeIP}" is not IPv4`);
    if (cidr === own) continue;
    want.set(cidr, p.nodeIP);
  }
  const have = await listOurRoutes(netns);
  const lines: string[] = [];
  const result: SyncRoutesResult = { added: [], removed: [] };
  for (const [cidr, via] of want) {
    if (have.get(cidr) === via) continue;
    lines.push(`route replace ${cidr} via ${via} proto ${ROUTE_PROTO}`);
    result.added.push(cidr);
  }
  for (const cidr of have.keys()) {
    if (want.has(cidr)) continue;
    lines.push(`route del ${cidr} proto ${ROUTE_PROTO}`);
    result.removed.push(cidr);
  }
  await ipBatch(netns, lines);
  return result;
}
