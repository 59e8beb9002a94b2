// Clearing stale UDP conntrack entries, as the kubelet and kube-proxy do with `conntrack -D`: a
// UDP client that keeps sending would otherwise stay DNATed to where its flow first went (the
// pod that held a hostPort before; a service endpoint that is gone), for as long as it keeps the
// flow alive. Done over ctnetlink (a koffi netlink socket in the node namespace), not the
// conntrack CLI: one dump, one batch of deletes, nothing to install.
import { constants } from 'node:os';
import { formatIPv4 } from './cidr.js';
import { NETLINK_NETFILTER, NetlinkSocket, parseAttrs, type NlRequest } from './netlink.js';

const NFNL_SUBSYS_CTNETLINK = 1;
const IPCTNL_MSG_CT_GET = 1;
const IPCTNL_MSG_CT_DELETE = 2;
const NLM_F_DUMP = 0x300;
const AF_INET = 2;
const CTA_TUPLE_ORIG = 1;
const CTA_TUPLE_REPLY = 2;
const CTA_TUPLE_IP = 1;
const CTA_IP_V4_SRC = 1;
const CTA_IP_V4_DST = 2;
const CTA_TUPLE_PROTO = 2;
const CTA_PROTO_NUM = 1;
const CTA_PROTO_SRC_PORT = 2;
const CTA_PROTO_DST_PORT = 3;
const IPPROTO_UDP = 17;

/** One direction of a conntrack entry. */
export interface ConntrackTuple {
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

/** A UDP conntrack entry: the original direction, and the reply (whose source is the DNAT target). */
export interface UdpConntrackEntry {
  orig: ConntrackTuple;
  reply: ConntrackTuple;
}

/** struct nfgenmsg for IPv4, version 0. */
function nfgenmsg(): Buffer {
  return Buffer.from([AF_INET, 0, 0, 0]);
}

function parseTuple(data: Buffer): { proto: number; tuple: ConntrackTuple } | undefined {
  const attrs = parseAttrs(data);
  const ip = attrs.get(CTA_TUPLE_IP);
  const proto = attrs.get(CTA_TUPLE_PROTO);
  if (!ip || !proto) return undefined;
  const a = parseAttrs(ip.data);
  const p = parseAttrs(proto.data);
  const src = a.get(CTA_IP_V4_SRC)?.data;
  const dst = a.get(CTA_IP_V4_DST)?.data;
  const sport = p.get(CTA_PROTO_SRC_PORT)?.data;
  const dport = p.get(CTA_PROTO_DST_PORT)?.data;
  const num = p.get(CTA_PROTO_NUM)?.data;
  if (!src || !dst || !sport || !dport || !num) return undefined;
  return { proto: num[0]!, tuple: { src: formatIPv4(src.readUInt32BE(0)), dst: formatIPv4(dst.readUInt32BE(0)), sport: sport.readUInt16BE(0), dport: dport.readUInt16BE(0) } };
}

/** Deletes the IPv4 UDP conntrack entries for which match is true; returns how many went. */
export async function deleteUdpConntrack(netns: string | undefined, match: (e: UdpConntrackEntry) => boolean): Promise<number> {
  const s = NetlinkSocket.open(netns, NETLINK_NETFILTER);
  try {
    const [entries] = await s.transact([{ type: (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET, flags: NLM_F_DUMP, body: nfgenmsg(), what: 'dump conntrack' }]);
    const dels: NlRequest[] = [];
    for (const e of entries ?? []) {
      const attrs = parseAttrs(e.payload, 4);
      const origAttr = attrs.get(CTA_TUPLE_ORIG);
      const replyAttr = attrs.get(CTA_TUPLE_REPLY);
      const orig = origAttr && parseTuple(origAttr.data);
      const reply = replyAttr && parseTuple(replyAttr.data);
      if (!orig || !reply || orig.proto !== IPPROTO_UDP || !match({ orig: orig.tuple, reply: reply.tuple })) continue;
      const o = orig.tuple;
      dels.push({ type: (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE, flags: 0, body: Buffer.concat([nfgenmsg(), origAttr!.raw]), what: `delete UDP conntrack entry ${o.src}:${o.sport} -> ${o.dst}:${o.dport}` });
    }
    if (dels.length === 0) return 0;
    const { errors } = await s.exchange(dels);
    const real = errors.find((err) => err && err.errno !== constants.errno.ENOENT);
    if (real) throw real;
    return errors.filter((err) => !err).length;
  } finally {
    s.close();
  }
}

/** Deletes IPv4 UDP conntrack entries whose original destination port is one of ports; returns how many. */
export async function clearUdpConntrack(netns: string | undefined, ports: readonly number[]): Promise<number> {
  if (ports.length === 0) return 0;
  const want = new Set(ports);
  return deleteUdpConntrack(netns, (e) => want.has(e.orig.dport));
}
