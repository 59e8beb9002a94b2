// Kubernetes' IP and CIDR libraries (k8s.io/apiserver/pkg/cel/library ip.go, cidr.go):
// ip(), isIP(), ip.isCanonical(), family(), isUnspecified(), isLoopback(),
// isLinkLocalMulticast(), isLinkLocalUnicast(), isGlobalUnicast(); cidr(), isCIDR(),
// containsIP(), containsCIDR(), ip(), masked(), prefixLength(); string() of both. As
// Kubernetes does, IPv4 with leading zeros, IPv4-mapped IPv6 and zones are refused.
import { CelEvalError, noSuchOverload } from './errors.js';
import type { CelObject, CelValue } from './values.js';

export class CelIP implements CelObject {
  readonly typeName = 'net.IP';
  constructor(readonly bytes: Uint8Array) {}
  equals(o: unknown): boolean {
    return o instanceof CelIP && sameBytes(this.bytes, o.bytes);
  }
  toString(): string {
    return formatIP(this.bytes);
  }
}

export class CelCIDR implements CelObject {
  readonly typeName = 'net.CIDR';
  constructor(
    readonly ip: CelIP,
    readonly bits: number,
  ) {}
  equals(o: unknown): boolean {
    return o instanceof CelCIDR && o.bits === this.bits && this.ip.equals(o.ip);
  }
  toString(): string {
    return `${this.ip}/${this.bits}`;
  }
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

function parseIPv4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return Uint8Array.from(parts.map(Number));
}

function parseIPv6(s: string): Uint8Array | undefined {
  if (s.includes('%')) return undefined;
  let text = s;
  // a trailing dotted IPv4 part stands for the last two groups
  const v4 = /:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = parseIPv4(v4[1]!);
    if (!b) return undefined;
    text = `${text.slice(0, -v4[1]!.length)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (![...head, ...rest].every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const total = head.length + rest.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const words = [...head, ...Array<string>(8 - total).fill('0'), ...rest].map((g) => parseInt(g, 16));
  const out = new Uint8Array(16);
  words.forEach((w, i) => ((out[2 * i] = w >> 8), (out[2 * i + 1] = w & 0xff)));
  return out;
}

function parseIP(s: string): Uint8Array | undefined {
  if (s.includes(':')) {
    const b = parseIPv6(s);
    // IPv4-mapped IPv6 (::ffff:a.b.c.d) is refused, as by Kubernetes
    if (!b || (b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff)) return undefined;
    return b;
  }
  return parseIPv4(s);
}

/** RFC 5952 text: lowercase, the longest run of two or more zero groups compressed. */
function formatIP(b: Uint8Array): string {
  if (b.length === 4) return [...b].join('.');
  const words = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function toIP(s: string): CelIP {
  const b = parseIP(s);
  if (!b) throw new CelEvalError(`IP Address "${s}" parse error during conversion from string: ParseAddr("${s}"): invalid IP address`);
  return new CelIP(b);
}

function toCIDR(s: string): CelCIDR {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  const b = m ? parseIP(m[1]!) : undefined;
  const bits = m ? Number(m[2]) : NaN;
  if (!b || !(bits <= b.length * 8)) throw new CelEvalError(`network address parse error during conversion from string: netip.ParsePrefix("${s}"): invalid prefix`);
  return new CelCIDR(new CelIP(b), bits);
}

function masked(c: CelCIDR): CelCIDR {
  const out = Uint8Array.from(c.ip.bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, c.bits - i * 8));
    out[i]! &= (0xff << (8 - keep)) & 0xff;
  }
  return new CelCIDR(new CelIP(out), c.bits);
}

const inCIDR = (c: CelCIDR, ip: CelIP) => ip.bytes.length === c.ip.bytes.length && masked(new CelCIDR(ip, c.bits)).equals(masked(c));

const str = (v: CelValue | undefined): string => {
  if (typeof v !== 'string') throw noSuchOverload();
  return v;
};
const ipOf = (v: CelValue | undefined): CelIP => (v instanceof CelIP ? v : typeof v === 'string' ? toIP(v) : (noSuchOverload() as never));
const cidrOf = (v: CelValue | undefined): CelCIDR => (v instanceof CelCIDR ? v : typeof v === 'string' ? toCIDR(v) : (noSuchOverload() as never));
const ipOnly = (v: CelValue): CelIP => (v instanceof CelIP ? v : (noSuchOverload() as never));
const v4 = (ip: CelIP) => ip.bytes.length === 4;

export const NET_FUNCTIONS: Record<string, (...a: CelValue[]) => CelValue> = {
  ip: (s) => toIP(str(s)),
  isIP: (s) => parseIP(str(s)) !== undefined,
  'ip.isCanonical': (s) => formatIP(toIP(str(s)).bytes) === str(s),
  cidr: (s) => toCIDR(str(s)),
  isCIDR: (s) => {
    try {
      toCIDR(str(s));
      return true;
    } catch (e) {
      if (e instanceof CelEvalError) return false;
      throw e;
    }
  },
};

/** Methods of IPs and CIDRs; `ip` on a CIDR is its address. */
export const NET_METHODS: Record<string, (t: CelValue, ...a: CelValue[]) => CelValue> = {
  family: (t) => (v4(ipOnly(t)) ? 4n : 6n),
  isUnspecified: (t) => ipOnly(t).bytes.every((x) => x === 0),
  isLoopback: (t) => (v4(ipOnly(t)) ? ipOnly(t).bytes[0] === 127 : ipOnly(t).bytes.every((x, i) => x === (i === 15 ? 1 : 0))),
  isLinkLocalMulticast: (t) => {
    const b = ipOnly(t).bytes;
    return b.length === 4 ? b[0] === 224 && b[1] === 0 && b[2] === 0 : b[0] === 0xff && (b[1]! & 0x0f) === 0x02;
  },
  isLinkLocalUnicast: (t) => {
    const b = ipOnly(t).bytes;
    return b.length === 4 ? b[0] === 169 && b[1] === 254 : b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
  },
  isGlobalUnicast: (t) => {
    const ip = ipOnly(t);
    const b = ip.bytes;
    const multicast = b.length === 4 ? (b[0]! & 0xf0) === 0xe0 : b[0] === 0xff;
    const broadcast = b.length === 4 && b.every((x) => x === 255);
    return !broadcast && !multicast && !NET_METHODS.isUnspecified!(ip) && !NET_METHODS.isLoopback!(ip) && !NET_METHODS.isLinkLocalUnicast!(ip);
  },
  containsIP: (t, x) => inCIDR(cidrOf(t), ipOf(x)),
  containsCIDR: (t, x) => {
    const outer = cidrOf(t);
    const inner = cidrOf(x);
    return inner.bits >= outer.bits && inCIDR(outer, inner.ip);
  },
  masked: (t) => masked(cidrOf(t)),
  prefixLength: (t) => BigInt(cidrOf(t).bits),
};

/** `cidr.ip()`: the address of a CIDR (ip() with a receiver). */
export const cidrAddress = (t: CelValue): CelValue => (t instanceof CelCIDR ? t.ip : (noSuchOverload() as never));
