// net.IP's String: an IP address in the one text form Go writes for it, as keys, labels and
// endpoints built from a parsed address hold it (kube-apiserver's master lease key, for one).
import { isIPv4, isIPv6 } from 'node:net';

/**
 * `address` as Go's net.ParseIP(address).String() writes it: IPv4 dotted; IPv6 in RFC 5952 form
 * (lowercase hex, leading zeros dropped, the first longest run of two or more zero groups as
 * `::`), an IPv4-mapped one (::ffff:a.b.c.d) as its IPv4 address. Anything else is returned as is.
 */
export function ipString(address: string): string {
  if (isIPv4(address) || !isIPv6(address)) return address;
  // (the WHATWG URL serializer writes an IPv6 host in exactly that form, the mapped ones aside)
  const host = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!mapped) return host;
  const [hi, lo] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)];
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

/**
 * An IP address's bytes, as Go's net.ParseIP(address) holds them once narrowed by To4/To16: 4 for
 * IPv4, 16 for IPv6 (a dotted IPv4 tail allowed); undefined for anything else.
 */
export function ipBytes(address: string): Buffer | undefined {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  if (!isIPv6(address)) return undefined;
  let text = address;
  let tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    tail = v4[1]!.split('.').map(Number);
    text = text.slice(0, -v4[1]!.length) + '0:0';
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').filter((g) => g !== '') : []);
  const h = groups(head);
  const r = groups(rest);
  const all = rest === undefined ? h : [...h, ...Array<string>(8 - h.length - r.length).fill('0'), ...r];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  if (tail.length) Buffer.from(tail).copy(out, 12);
  return out;
}
