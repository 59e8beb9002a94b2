// A minimal rtnetlink client over koffi: a NETLINK_ROUTE socket opened inside a given network
// namespace (a socket stays bound to the namespace it was created in, whichever thread uses it
// later), requests encoded by hand, acks checked. send runs on the libuv thread pool, so a
// kernel call that waits (rtnl_lock, a link deletion's RCU grace period) never blocks the event
// loop; the replies are queued by the time send returns and are read without waiting.
import { constants } from 'node:os';
import koffi from 'koffi';
import { AlreadyExistsError, NetworkError, NotFoundError } from './errors.js';
import { inNetnsSync } from './netns-exec.js';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0x80000;
export const NETLINK_ROUTE = 0;
export const NETLINK_NETFILTER = 12;
const MSG_DONTWAIT = 0x40;

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_NEWROUTE = 24;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_ACK = 0x4;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;

type CFunction = ReturnType<ReturnType<typeof koffi.load>['func']>;

interface Sock {
  socket(domain: number, type: number, proto: number): number;
  send: CFunction;
  recv: CFunction;
  close(fd: number): number;
}

let sock: Sock | null | undefined;
function api(): Sock {
  if (sock) return sock;
  const lib = koffi.load('libc.so.6');
  const socketFn = lib.func('int socket(int domain, int type, int protocol)');
  const closeFn = lib.func('int close(int fd)');
  sock = {
    socket: (d, t, p) => socketFn(d, t, p) as number,
    send: lib.func('intptr_t send(int fd, const void *buf, size_t len, int flags)'),
    recv: lib.func('intptr_t recv(int fd, void *buf, size_t len, int flags)'),
    close: (fd) => closeFn(fd) as number,
  };
  return sock;
}

const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([k, v]) => [v, k]));

/** A kernel-reported failure of one request; errno is positive (EEXIST, ENODEV...). */
export class NetlinkError extends NetworkError {
  constructor(readonly what: string, readonly errno: number) {
    super(`${what}: ${errnoNames.get(errno) ?? `errno ${errno}`}`);
  }
}

/** Maps a netlink errno to our error kinds. */
export function classify(e: NetlinkError): NetworkError {
  if (e.errno === constants.errno.EEXIST) return new AlreadyExistsError(e.message, { cause: e });
  if (e.errno === constants.errno.ENODEV || e.errno === constants.errno.ENOENT) return new NotFoundError(e.message, { cause: e });
  return e;
}

// ---- encoding --------------------------------------------------------------------------------

const align4 = (n: number) => (n + 3) & ~3;

export function attr(type: number, data: Buffer): Buffer {
  const len = 4 + data.length;
  const b = Buffer.alloc(align4(len));
  b.writeUInt16LE(len, 0);
  b.writeUInt16LE(type, 2);
  data.copy(b, 4);
  return b;
}
export const nest = (type: number, ...children: Buffer[]) => attr(type, Buffer.concat(children));
export const u8 = (v: number) => Buffer.from([v]);
export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return b;
}
export const cstr = (s: string) => Buffer.from(s + '\0');
export const ip4 = (s: string) => Buffer.from(s.split('.').map(Number));

/** struct ifinfomsg */
export function ifinfomsg(index = 0, flags = 0, change = 0, family = 0): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(family, 0);
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(flags >>> 0, 8);
  b.writeUInt32LE(change >>> 0, 12);
  return b;
}
/** struct ifaddrmsg */
export function ifaddrmsg(family: number, prefixlen: number, index: number, scope = 0): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(family, 0);
  b.writeUInt8(prefixlen, 1);
  b.writeUInt8(scope, 3);
  b.writeUInt32LE(index, 4);
  return b;
}
/** struct rtmsg */
export function rtmsg(o: { family: number; dstLen: number; table: number; protocol: number; scope: number; type: number }): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt8(o.family, 0);
  b.writeUInt8(o.dstLen, 1);
  b.writeUInt8(o.table, 4);
  b.writeUInt8(o.protocol, 5);
  b.writeUInt8(o.scope, 6);
  b.writeUInt8(o.type, 7);
  return b;
}

export interface NlRequest {
  type: number;
  flags: number;
  body: Buffer;
  /** For error messages: "add address 10.244.1.2/24 to eth0". */
  what: string;
}

export interface NlReply {
  type: number;
  payload: Buffer;
}

// ---- socket ----------------------------------------------------------------------------------

let seqCounter = Math.floor(Math.random() * 0x7fffffff);

export class NetlinkSocket {
  private closed = false;
  private constructor(private readonly fd: number) {}

  /** Opens a netlink socket (rtnetlink by default) in the namespace at netns (undefined: this thread's own). */
  static open(netns?: string, protocol = NETLINK_ROUTE): NetlinkSocket {
    const s = api();
    const make = () => s.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
    const fd = netns ? inNetnsSync(netns, make) : make();
    if (fd < 0) throw new NetworkError(`netlink socket${netns ? ` in ${netns}` : ''}: errno ${koffi.errno()}`);
    return new NetlinkSocket(fd);
  }

  /**
   * Sends the requests in one datagram (the kernel handles them in order, each with its own ack)
   * and returns the replies of each; throws the first failure.
   */
  async transact(reqs: NlRequest[]): Promise<NlReply[][]> {
    const { replies, errors } = await this.exchange(reqs);
    const failed = errors.find((e) => e !== undefined);
    if (failed) throw failed;
    return replies;
  }

  /** Like transact, but returns each request's failure instead of throwing. */
  async exchange(reqs: NlRequest[]): Promise<{ replies: NlReply[][]; errors: (NetlinkError | undefined)[] }> {
    if (this.closed) throw new NetworkError('netlink socket is closed');
    const seqs: number[] = [];
    const parts: Buffer[] = [];
    for (const r of reqs) {
      const seq = (seqCounter = (seqCounter + 1) & 0x7fffffff);
      seqs.push(seq);
      const h = Buffer.alloc(16);
      h.writeUInt32LE(16 + r.body.length, 0);
      h.writeUInt16LE(r.type, 4);
      h.writeUInt16LE(r.flags | NLM_F_REQUEST | NLM_F_ACK, 6);
      h.writeUInt32LE(seq, 8);
      parts.push(h, r.body);
    }
    const msg = Buffer.concat(parts);
    const s = api();
    const sent = await new Promise<number>((resolve, reject) => s.send.async(this.fd, msg, msg.length, 0, (err: unknown, n: number) => (err ? reject(err) : resolve(Number(n)))));
    if (sent !== msg.length) throw new NetworkError(`netlink send: ${sent < 0 ? 'failed' : `short write ${sent}/${msg.length}`}`);
    const replies: NlReply[][] = reqs.map(() => []);
    const errors: (NetlinkError | undefined)[] = reqs.map(() => undefined);
    const acked = new Set<number>();
    const buf = Buffer.alloc(65536);
    while (acked.size < reqs.length) {
      let n = Number(s.recv(this.fd, buf, buf.length, MSG_DONTWAIT));
      if (n < 0) {
        // Not queued yet (unusual for rtnetlink): wait on the thread pool.
        n = await new Promise<number>((resolve, reject) => s.recv.async(this.fd, buf, buf.length, 0, (err: unknown, r: number) => (err ? reject(err) : resolve(Number(r)))));
        if (n < 0) throw new NetworkError('netlink recv failed');
      }
      for (let off = 0; off + 16 <= n; ) {
        const len = buf.readUInt32LE(off);
        if (len < 16) break;
        const type = buf.readUInt16LE(off + 4);
        const i = seqs.indexOf(buf.readUInt32LE(off + 8));
        if (i >= 0) {
          if (type === NLMSG_ERROR) {
            const err = -buf.readInt32LE(off + 16);
            acked.add(seqs[i]!);
            if (err !== 0) errors[i] = new NetlinkError(reqs[i]!.what, err);
          } else if (type === NLMSG_DONE) {
            acked.add(seqs[i]!);
          } else {
            replies[i]!.push({ type, payload: Buffer.from(buf.subarray(off + 16, off + len)) });
          }
        }
        off += align4(len);
      }
    }
    return { replies, errors };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    api().close(this.fd);
  }
}

/** The attributes after a fixed header of hdrLen bytes, by type (nested flag cleared), with their raw bytes. */
export function parseAttrs(payload: Buffer, hdrLen = 0): Map<number, { data: Buffer; raw: Buffer }> {
  const out = new Map<number, { data: Buffer; raw: Buffer }>();
  for (let off = hdrLen; off + 4 <= payload.length; ) {
    const len = payload.readUInt16LE(off);
    if (len < 4 || off + len > payload.length) break;
    out.set(payload.readUInt16LE(off + 2) & 0x3fff, { data: payload.subarray(off + 4, off + len), raw: payload.subarray(off, off + len) });
    off += align4(len);
  }
  return out;
}
