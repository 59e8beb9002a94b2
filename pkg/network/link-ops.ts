// The link-level work of one pod, behind one small interface with two implementations:
// rtnetlink through koffi (no process spawned; the default) and iproute2 batches (the
// fallback, and a cross-check in tests). Both create the same veth pair and pod config.
import { closeSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import { classify, NetlinkError, NetlinkSocket, attr, cstr, ifaddrmsg, ifinfomsg, ip4, nest, rtmsg, u32, u8, NLM_F_CREATE, NLM_F_EXCL, RTM_DELLINK, RTM_GETLINK, RTM_NEWADDR, RTM_NEWLINK, RTM_NEWROUTE, type NlRequest } from './netlink.js';
import { ipBatch } from './netns-exec.js';
import { loadLibc } from './sys.js';
import { deleteHostVeths, hostSideLines, podSideLines } from './veth.js';

export interface VethSpec {
  hostIf: string;
  bridge: string;
  podNetns: string;
  podIf: string;
  mtu?: number;
}

export interface PodIfSpec {
  podIf: string;
  ip: string;
  prefix: number;
  gateway: string;
}

export interface LinkOps {
  readonly name: 'netlink' | 'iproute2';
  /** Creates the pair (host end up, on the bridge, hairpin on; pod end in the pod namespace). */
  createVeth(nodeNetns: string | undefined, v: VethSpec): Promise<void>;
  /** lo up, address, pod end up, default route via the gateway. */
  configurePod(podNetns: string, p: PodIfSpec): Promise<void>;
  /** Deletes links in the node namespace; names already gone are fine. */
  deleteLinks(nodeNetns: string | undefined, names: string[]): Promise<void>;
}

export const iproute2Ops: LinkOps = {
  name: 'iproute2',
  async createVeth(nodeNetns, v) {
    await ipBatch(nodeNetns, hostSideLines(v.hostIf, v.bridge, v.podNetns, v.podIf, v.mtu));
  },
  async configurePod(podNetns, p) {
    await ipBatch(podNetns, podSideLines(p.podIf, p.ip, p.prefix, p.gateway));
  },
  deleteLinks: deleteHostVeths,
};

// rtnetlink constants (linux/if_link.h, linux/rtnetlink.h)
const IFF_UP = 0x1;
const AF_INET = 2;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_MASTER = 10;
const IFLA_LINKINFO = 18;
const IFLA_NET_NS_FD = 28;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const IFLA_INFO_SLAVE_KIND = 4;
const IFLA_INFO_SLAVE_DATA = 5;
const VETH_INFO_PEER = 1;
const IFLA_BRPORT_MODE = 4; // hairpin
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RT_TABLE_MAIN = 254;
const RTPROT_BOOT = 3;
const RT_SCOPE_UNIVERSE = 0;
const RTN_UNICAST = 1;

const getLink = (name: string): NlRequest => ({ type: RTM_GETLINK, flags: 0, body: Buffer.concat([ifinfomsg(), attr(IFLA_IFNAME, cstr(name))]), what: `find link ${name}` });
const linkUp = (name: string): NlRequest => ({ type: RTM_NEWLINK, flags: 0, body: Buffer.concat([ifinfomsg(0, IFF_UP, IFF_UP), attr(IFLA_IFNAME, cstr(name))]), what: `set ${name} up` });

async function linkIndex(s: NetlinkSocket, name: string): Promise<number> {
  try {
    const [replies] = await s.transact([getLink(name)]);
    const r = replies![0];
    if (!r) throw new NetlinkError(`find link ${name}`, constants.errno.ENODEV);
    return r.payload.readInt32LE(4);
  } catch (e) {
    throw e instanceof NetlinkError ? classify(e) : e;
  }
}

export const netlinkOps: LinkOps = {
  name: 'netlink',
  async createVeth(nodeNetns, v) {
    const s = NetlinkSocket.open(nodeNetns);
    const podFd = openSync(v.podNetns, 'r');
    try {
      const master = await linkIndex(s, v.bridge);
      const mtu = v.mtu ? [attr(IFLA_MTU, u32(v.mtu))] : [];
      const peer = nest(VETH_INFO_PEER, ifinfomsg(), attr(IFLA_IFNAME, cstr(v.podIf)), attr(IFLA_NET_NS_FD, u32(podFd)), ...mtu);
      const create: NlRequest = {
        type: RTM_NEWLINK,
        flags: NLM_F_CREATE | NLM_F_EXCL,
        body: Buffer.concat([ifinfomsg(0, IFF_UP, IFF_UP), attr(IFLA_IFNAME, cstr(v.hostIf)), ...mtu, attr(IFLA_MASTER, u32(master)), nest(IFLA_LINKINFO, attr(IFLA_INFO_KIND, cstr('veth')), nest(IFLA_INFO_DATA, peer))]),
        what: `create veth ${v.hostIf} (peer ${v.podIf} in ${v.podNetns})`,
      };
      const hairpin: NlRequest = {
        type: RTM_NEWLINK,
        flags: 0,
        body: Buffer.concat([ifinfomsg(), attr(IFLA_IFNAME, cstr(v.hostIf)), nest(IFLA_LINKINFO, attr(IFLA_INFO_SLAVE_KIND, cstr('bridge')), nest(IFLA_INFO_SLAVE_DATA, attr(IFLA_BRPORT_MODE, u8(1))))]),
        what: `set hairpin on ${v.hostIf}`,
      };
      await s.transact([create, hairpin]).catch((e) => {
        throw e instanceof NetlinkError ? classify(e) : e;
      });
    } finally {
      closeSync(podFd);
      s.close();
    }
  },
  async configurePod(podNetns, p) {
    const s = NetlinkSocket.open(podNetns);
    try {
      const index = await linkIndex(s, p.podIf);
      await s
        .transact([
          linkUp('lo'),
          {
            type: RTM_NEWADDR,
            flags: NLM_F_CREATE | NLM_F_EXCL,
            body: Buffer.concat([ifaddrmsg(AF_INET, p.prefix, index), attr(IFA_LOCAL, ip4(p.ip)), attr(IFA_ADDRESS, ip4(p.ip))]),
            what: `add address ${p.ip}/${p.prefix} to ${p.podIf}`,
          },
          linkUp(p.podIf),
          {
            type: RTM_NEWROUTE,
            flags: NLM_F_CREATE | NLM_F_EXCL,
            body: Buffer.concat([rtmsg({ family: AF_INET, dstLen: 0, table: RT_TABLE_MAIN, protocol: RTPROT_BOOT, scope: RT_SCOPE_UNIVERSE, type: RTN_UNICAST }), attr(RTA_GATEWAY, ip4(p.gateway)), attr(RTA_OIF, u32(index))]),
            what: `add default route via ${p.gateway} dev ${p.podIf}`,
          },
        ])
        .catch((e) => {
          throw e instanceof NetlinkError ? classify(e) : e;
        });
    } finally {
      s.close();
    }
  },
  async deleteLinks(nodeNetns, names) {
    if (names.length === 0) return;
    const s = NetlinkSocket.open(nodeNetns);
    try {
      const { errors } = await s.exchange(names.map((n) => ({ type: RTM_DELLINK, flags: 0, body: Buffer.concat([ifinfomsg(), attr(IFLA_IFNAME, cstr(n))]), what: `delete link ${n}` })));
      const real = errors.find((e) => e && e.errno !== constants.errno.ENODEV);
      if (real) throw classify(real);
    } finally {
      s.close();
    }
  },
};

/** netlink when koffi can load libc, else iproute2. */
export function defaultLinkOps(): LinkOps {
  return loadLibc() ? netlinkOps : iproute2Ops;
}
