// IPv4 address and CIDR arithmetic: parsing, containment, the gateway and host range of a pod
// CIDR, and the control plane's node podCIDR allocator. Addresses are unsigned 32-bit numbers.
import { ExhaustedError, InvalidArgumentError } from './errors.js';

export interface Cidr {
  /** Network address (host bits cleared). */
  readonly network: number;
  readonly prefix: number;
}

export function parseIPv4(s: string): number {
  const parts = s.split('.');
  if (parts.length !== 4) throw new InvalidArgumentError(`invalid IPv4 address "${s}"`);
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) throw new InvalidArgumentError(`invalid IPv4 address "${s}"`);
    n = n * 256 + Number(p);
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function isIPv4(s: string): boolean {
  try {
    parseIPv4(s);
    return true;
  } catch {
    return false;
  }
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses "a.b.c.d/n". With strict (the default) host bits must be zero. */
export function parseCidr(s: string, strict = true): Cidr {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(s);
  if (!m) throw new InvalidArgumentError(`invalid CIDR "${s}"`);
  const prefix = Number(m[2]);
  if (prefix > 32) throw new InvalidArgumentError(`invalid CIDR "${s}": prefix ${prefix} > 32`);
  const addr = parseIPv4(m[1]!);
  const network = (addr & maskOf(prefix)) >>> 0;
  if (strict && network !== addr) throw new InvalidArgumentError(`invalid CIDR "${s}": host bits set (did you mean ${formatIPv4(network)}/${prefix}?)`);
  return { network, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.network)}/${c.prefix}`;
}

export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function lastAddress(c: Cidr): number {
  return c.network + cidrSize(c) - 1;
}

export function cidrContains(c: Cidr, ip: number): boolean {
  return ip >= c.network && ip <= lastAddress(c);
}

/** True when every address of inner is in outer. */
export function cidrCovers(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && cidrContains(outer, inner.network);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, b.network) || cidrContains(b, a.network);
}

/**
 * The addresses a pod CIDR hands out: the first host is the bridge's gateway, the network and
 * broadcast addresses are skipped; pods get gateway+1 .. broadcast-1.
 */
export interface HostRange {
  gateway: number;
  first: number;
  last: number;
}

export function hostRange(c: Cidr): HostRange {
  if (c.prefix > 30) throw new InvalidArgumentError(`pod CIDR ${formatCidr(c)} is too small: need at least a /30`);
  return { gateway: c.network + 1, first: c.network + 2, last: lastAddress(c) - 1 };
}

/**
 * The control plane's podCIDR allocator: the first nodeMaskSize-sized block of clusterCIDR that
 * overlaps none of the taken CIDRs (taken entries outside clusterCIDR are ignored; malformed ones
 * are rejected). Throws ExhaustedError when every block is taken.
 */
export function allocateNodeCIDR(clusterCIDR: string, nodeMaskSize: number, taken: readonly string[]): string {
  const cluster = parseCidr(clusterCIDR);
  if (!Number.isInteger(nodeMaskSize) || nodeMaskSize < cluster.prefix || nodeMaskSize > 30) {
    throw new InvalidArgumentError(`node mask size ${nodeMaskSize} must be between the cluster prefix /${cluster.prefix} and /30`);
  }
  const blocks = taken.map((t) => parseCidr(t, false)).filter((t) => cidrsOverlap(t, cluster));
  const step = 2 ** (32 - nodeMaskSize);
  const count = cidrSize(cluster) / step;
  // Sort once and sweep: a candidate is free when no taken block overlaps it.
  blocks.sort((a, b) => a.network - b.network);
  let j = 0;
  for (let i = 0; i < count; i++) {
    const cand: Cidr = { network: cluster.network + i * step, prefix: nodeMaskSize };
    const candLast = lastAddress(cand);
    while (j < blocks.length && lastAddress(blocks[j]!) < cand.network) j++;
    let clash = false;
    for (let k = j; k < blocks.length && blocks[k]!.network <= candLast; k++) {
      if (cidrsOverlap(blocks[k]!, cand)) {
        clash = true;
        break;
      }
    }
    if (!clash) return formatCidr(cand);
  }
  throw new ExhaustedError(`cluster CIDR ${clusterCIDR}: every /${nodeMaskSize} block is allocated (${blocks.length} taken)`);
}

/**
 * The CIDRs that cover `outer` minus every CIDR of `holes` (a NetworkPolicy ipBlock with except):
 * each hole splits the blocks that contain it into the halves that do not, at most 32 per hole.
 * Host bits are ignored (ParseCIDRSloppy); the result is sorted.
 */
export function cidrSubtract(outer: string, holes: readonly string[]): string[] {
  let blocks: Cidr[] = [parseCidr(outer, false)];
  for (const h of holes.map((s) => parseCidr(s, false))) {
    const next: Cidr[] = [];
    for (const b of blocks) {
      if (cidrCovers(h, b)) continue;
      if (!cidrCovers(b, h)) {
        next.push(b);
        continue;
      }
      // Walk down from b to h, keeping the sibling half at each step.
      let cur = b;
      while (cur.prefix < h.prefix) {
        const prefix = cur.prefix + 1;
        const low: Cidr = { network: cur.network, prefix };
        const high: Cidr = { network: cur.network + cidrSize(low), prefix };
        const [into, other] = cidrContains(low, h.network) ? [low, high] : [high, low];
        next.push(other);
        cur = into;
      }
    }
    blocks = next;
  }
  return blocks.sort((a, b) => a.network - b.network || a.prefix - b.prefix).map(formatCidr);
}
