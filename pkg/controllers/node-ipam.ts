// Pod CIDR allocation: every Node without spec.podCIDR gets the next free subnet of the
// cluster CIDR (10.244.0.0/16 in /24s by default), as kube-controller-manager's range allocator.
import type { KubeObject } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { Nodes, StatusError } from '../client/rest-client.js';
import { logger } from '../util/log.js';

const log = logger('node-ipam');

export function parseCIDR(cidr: string): { base: number; bits: number } {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) throw new Error(`invalid CIDR "${cidr}"`);
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) throw new Error(`invalid CIDR "${cidr}"`);
  const ip = ((octets[0]! << 24) >>> 0) + (octets[1]! << 16) + (octets[2]! << 8) + octets[3]!;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (ip & mask) >>> 0, bits };
}

export const formatIPv4 = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

/** The subnets of size `nodeMask` in `clusterCIDR`, in order. */
export function* subnets(clusterCIDR: string, nodeMask: number): Generator<string> {
  const { base, bits } = parseCIDR(clusterCIDR);
  if (nodeMask < bits || nodeMask > 30) throw new Error(`node mask /${nodeMask} does not fit in ${clusterCIDR}`);
  const count = 2 ** (nodeMask - bits);
  const size = 2 ** (32 - nodeMask);
  for (let i = 0; i < count; i++) yield `${formatIPv4((base + i * size) >>> 0)}/${nodeMask}`;
}

export class NodeIpamController {
  private taken = new Set<string>();

  constructor(private readonly client: ApiClient, private readonly clusterCIDR: string, private readonly nodeMask: number) {}

  /** Records CIDRs already in use; call with every node (from a list or an informer). */
  observe(node: KubeObject): void {
    const cidr = (node.spec as { podCIDR?: string } | undefined)?.podCIDR;
    if (cidr) this.taken.add(cidr);
  }

  forget(node: KubeObject): void {
    const cidr = (node.spec as { podCIDR?: string } | undefined)?.podCIDR;
    if (cidr) this.taken.delete(cidr);
  }

  async allocate(node: KubeObject): Promise<string | undefined> {
    const spec = (node.spec ?? {}) as { podCIDR?: string };
    if (spec.podCIDR) return spec.podCIDR;
    for (const cidr of subnets(this.clusterCIDR, this.nodeMask)) {
      if (this.taken.has(cidr)) continue;
      this.taken.add(cidr);
      try {
        await this.client.patch(Nodes, undefined, node.metadata!.name!, { metadata: { resourceVersion: node.metadata!.resourceVersion }, spec: { podCIDR: cidr, podCIDRs: [cidr] } }, 'merge');
        log.info('allocated pod CIDR', { node: node.metadata!.name, podCIDR: cidr });
        return cidr;
      } catch (e) {
        this.taken.delete(cidr);
        if (e instanceof StatusError && (e.code === 409 || e.code === 404)) return undefined; // changed meanwhile: retried on the next event
        throw e;
      }
    }
    log.error('cluster CIDR exhausted', { clusterCIDR: this.clusterCIDR, node: node.metadata?.name });
    return undefined;
  }
}
