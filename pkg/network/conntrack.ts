// Clearing stale UDP conntrack entries for a hostPort, as the kubelet does (`conntrack -D -p udp
// --dport PORT`): a UDP client that keeps sending to a hostPort would otherwise stay DNATed to
// the pod that held the port before, for as long as it keeps the flow alive. Done over
// ctnetlink (a koffi netlink socket in the node namespace): one dump, one batch of deletes.
import { constants } from 'node:os';
import { NETLINK_NETFILTER, NetlinkSocket, parseAttrs, type NlRequest } from './netlink.js';

const NFNL_SUBSYS_CTNETLINK = 1;
const IPCTNL_MSG_CT_GET = 1;
const IPCTNL_MSG_CT_DELETE = 2;
const NLM_F_DUMP = 0x300;
const AF_INET = 2;
const CTA_TUPLE_ORIG = 1;
const CTA_TUPLE_PROTO = 2;
const CTA_PROTO_NUM = 1;
const CTA_PROTO_DST_PORT = 3;
const IPPROTO_UDP = 17;

/** struct nfgenmsg for IPv4, version 0. */
function nfgenmsg(): Buffer {
  return Buffer.from([AF_INET, 0, 0, 0]);
}

/** Deletes IPv4 UDP conntrack entries whose original destination port is one of ports; returns how many. */
export async function clearUdpConntrack(netns: string | undefined, ports: readonly number[]): Promise<number> {
  if (ports.length === 0) return 0;
  const want = new Set(ports);
  const s = NetlinkSocket.open(netns, NETLINK_NETFILTER);
  try {
    const [entries] = await s.transact([{ type: (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET, flags: NLM_F_DUMP, body: nfgenmsg(), what: 'dump conntrack' }]);
    const dels: NlRequest[] = [];
    for (const e of entries ?? []) {
      const orig = parseAttrs(e.payload, 4).get(CTA_TUPLE_ORIG);
      const proto = orig && parseAttrs(orig.data).get(CTA_TUPLE_PROTO);
      if (!proto) continue;
      const p = parseAttrs(proto.data);
      const num = p.get(CTA_PROTO_NUM)?.data;
      const dport = p.get(CTA_PROTO_DST_PORT)?.data;
      if (num?.[0] !== IPPROTO_UDP || !dport || !want.has(dport.readUInt16BE(0))) continue;
      dels.push({ type: (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE, flags: 0, body: Buffer.concat([nfgenmsg(), orig!.raw]), what: `delete UDP conntrack entry for port ${dport.readUInt16BE(0)}` });
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
