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
