// kube-apiserver 1.32's start-up checks of --service-cluster-ip-range and --advertise-address:
// the ranges as Complete() reads them (cmd/kube-apiserver/app/options/completion.go
// getServiceIPAndRanges, controlplane ServiceIPRange) and as Validate() refuses them (validation.go
// validateClusterIPFlags, validateMaxCIDRRange, validatePublicIPServiceClusterIPRangeIPFamilies),
// in their words; then what tskube cannot serve that 1.32 can (IPv6 or dual-stack Services).
import { isIP } from 'node:net';
import { ipBytes } from '../util/ip-string.js';

/** A parsed CIDR: its family's bit count, prefix, and network address as a number of that many bits. */
interface IpNet {
  bits: 32 | 128;
  prefix: number;
  network: bigint;
}

/** An IP address as a number of its family's bits (32 or 128), or undefined. */
function ipToBigInt(s: string): { addr: bigint; bits: 32 | 128 } | undefined {
  const b = ipBytes(s);
  if (!b) return undefined;
  return { addr: BigInt(`0x${b.toString('hex')}`), bits: b.length === 4 ? 32 : 128 };
}

/** ParseCIDRSloppy: "addr/prefix", host bits allowed (masked off); undefined if it is none. */
function parseIpNet(s: string): IpNet | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const ip = ipToBigInt(m[1]!);
  if (!ip) return undefined;
  const { addr, bits } = ip;
  const prefix = Number(m[2]);
  if (prefix > bits) return undefined;
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
  return { bits, prefix, network: addr & mask };
}

/** net.IPNet.String(): the network address in its canonical form, "/", the prefix. */
export function formatIpNet(n: IpNet): string {
  if (n.bits === 32) return `${[24n, 16n, 8n, 0n].map((s) => String((n.network >> s) & 255n)).join('.')}/${n.prefix}`;
  const groups = Array.from({ length: 8 }, (_, i) => ((n.network >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  // (the WHATWG URL parser writes an IPv6 address as Go's net.IP.String does: the longest run of zeros as ::)
  return `${new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1)}/${n.prefix}`;
}

/** net.IP.String() of an address (IPv6 canonical, an IPv4-mapped one as its IPv4). */
function formatIp(s: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(s);
  if (mapped) return mapped[1]!;
  return isIP(s) === 6 ? new URL(`http://[${s}]/`).hostname.slice(1, -1) : s;
}

/** The ranges as Complete() leaves them: the primary, the secondary, how many entries were given. */
export interface ServiceIPRanges {
  primary: IpNet;
  secondary?: IpNet;
  entries: number;
}

/**
 * getServiceIPAndRanges: the comma-separated ranges parsed (the first two), the primary at least 8
 * addresses (ServiceIPRange); throws Complete()'s error. `fallback` stands for an empty flag
 * (1.32's 10.0.0.0/24; tskube's default range).
 */
export function completeServiceIPRanges(flag: string, fallback: string): ServiceIPRanges {
  const list = (flag || fallback).split(',');
  const primary = parseIpNet(list[0]!);
  if (!primary) throw new Error('service-cluster-ip-range[0] is not a valid cidr');
  const size = primary.bits - primary.prefix >= 3 ? 8 : 2 ** (primary.bits - primary.prefix);
  if (size < 8) throw new Error('error determining service IP ranges for primary service cidr: the service cluster IP range must be at least 8 IP addresses');
  let secondary: IpNet | undefined;
  if (list.length > 1) {
    secondary = parseIpNet(list[1]!);
    if (!secondary) throw new Error('service-cluster-ip-range[1] is not an ip net');
  }
  return { primary, ...(secondary ? { secondary } : {}), entries: list.length };
}

/** validateMaxCIDRRange with 1.32's 20 bits: a range kept in etcd is no bigger than 2^20 addresses. */
function maxCIDRRangeError(n: IpNet, flag: string): string | undefined {
  return n.bits - n.prefix > 20 ? `specified ${flag} is too large; for ${n.bits}-bit addresses, the mask must be >= ${n.bits - 20}` : undefined;
}

/** The parts of CompletedOptions.Validate() about the Service ranges and the advertised address, in its order. */
export function validateServiceIPRanges(r: ServiceIPRanges, advertiseAddress: string): string[] {
  const errs: string[] = [];
  if (r.entries > 2) errs.push('--service-cluster-ip-range must not contain more than two entries');
  const primaryTooLarge = maxCIDRRangeError(r.primary, '--service-cluster-ip-range');
  if (primaryTooLarge) errs.push(primaryTooLarge);
  if (r.secondary) {
    if (r.secondary.bits === r.primary.bits) errs.push('--service-cluster-ip-range[0] and --service-cluster-ip-range[1] must be of different IP family');
    const secondaryTooLarge = maxCIDRRangeError(r.secondary, '--service-cluster-ip-range[1]');
    if (secondaryTooLarge) errs.push(secondaryTooLarge);
  }
  // validatePublicIPServiceClusterIPRangeIPFamilies: the kubernetes Service's cluster IP and its
  // endpoint (the advertised address) of one family, or clients of kubernetes.default cannot reach it
  const advertised = formatIp(advertiseAddress);
  if ((r.primary.bits === 32) !== (isIP(advertised) === 4)) errs.push(`service IP family ${JSON.stringify(formatIpNet(r.primary))} must match public address family ${JSON.stringify(advertised)}`);
  return errs;
}

/**
 * The ranges tskube can serve, once 1.32's checks pass: one IPv4 range (its Service IP allocator and
 * service proxy are IPv4 only), given as its network address (host bits masked off, as 1.32 reads it).
 */
export function tskubeServiceIPRange(r: ServiceIPRanges): string {
  if (r.primary.bits !== 32 || r.secondary) {
    const given = [r.primary, ...(r.secondary ? [r.secondary] : [])].map(formatIpNet).join(',');
    throw new Error(`--service-cluster-ip-range: tskube allocates Service IPs from one IPv4 range only; IPv6 and dual-stack Services are not supported (got ${given})`);
  }
  return formatIpNet(r.primary);
}

/** pflag's IP flag: the address trimmed and parsed, or its error. */
export function parseAdvertiseAddress(s: string): string {
  const v = s.trim();
  if (isIP(v) === 0) throw new Error(`invalid argument ${JSON.stringify(s)} for "--advertise-address" flag: failed to parse IP: ${JSON.stringify(v)}`);
  return v;
}
