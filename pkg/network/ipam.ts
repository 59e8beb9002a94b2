// Host-local IPAM: hands out addresses of one pod CIDR, persisted under the state dir and
// guarded by a file lock, so no address is handed out twice, even by two agents racing or across
// restarts. A crash mid-setup leaves a `reserved` allocation behind that gc (releaseExcept) frees.
//
// On disk: a snapshot (ipam.json, replaced atomically by rename) plus a journal (ipam.log) of
// one JSON record per change, appended under the lock. Each change costs one small append, not
// a rewrite of every allocation, so setup time stays flat as a node fills up; the journal is
// folded into a new snapshot once it outgrows the live allocations. Both carry a generation:
// a journal whose generation differs from the snapshot's is already folded in and ignored. A
// torn last line (a crash mid-append) is cut off before the next append.
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, renameSync, rmSync, rmdirSync, ftruncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { cidrContains, formatCidr, formatIPv4, hostRange, parseCidr, parseIPv4, type Cidr } from './cidr.js';
import { ConflictError, ExhaustedError, InvalidArgumentError } from './errors.js';
import { withFileLock } from './lock.js';
import type { HostPortMapping } from './types.js';

export interface IpamAllocation {
  ip: string;
  sandboxId: string;
  /** reserved: setup in progress (or crashed); ready: setup finished. */
  state: 'reserved' | 'ready';
  netnsPath?: string;
  hostPorts?: HostPortMapping[];
  createdAt: string;
}

interface Snapshot {
  version: 1;
  gen: number;
  subnet: string;
  lastReserved?: string;
  /** Keyed by IP. */
  allocations: Record<string, IpamAllocation>;
}

/** One journal line: an allocation written (set) or removed (del). */
type Rec = { set: IpamAllocation; last?: string } | { del: string };

interface State {
  snap: Snapshot;
  bySandbox: Map<string, string>;
  /** Bytes of the journal already applied. */
  offset: number;
  records: number;
}

export const IPAM_STORE_FILE = 'ipam.json';
export const IPAM_JOURNAL_FILE = 'ipam.log';
export const IPAM_LOCK_FILE = 'ipam.lock';

const sandboxIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function validateSandboxId(id: string): void {
  if (!sandboxIdPattern.test(id)) throw new InvalidArgumentError(`invalid sandbox id "${id}": want [A-Za-z0-9][A-Za-z0-9_.-]{0,127}`);
}

export class HostLocalIpam {
  private readonly subnet: Cidr;
  private readonly snapPath: string;
  private readonly logPath: string;
  private readonly lockPath: string;
  /** What we last read or wrote; only valid while the lock is held and the journal matches it. */
  private state: State | undefined;

  constructor(private readonly stateDir: string, podCIDR: string) {
    this.subnet = parseCidr(podCIDR);
    hostRange(this.subnet); // rejects CIDRs too small to hold a pod
    this.snapPath = join(stateDir, IPAM_STORE_FILE);
    this.logPath = join(stateDir, IPAM_JOURNAL_FILE);
    this.lockPath = join(stateDir, IPAM_LOCK_FILE);
  }

  /**
   * Returns the sandbox's address, allocating the next free one (round robin after the last
   * reserved, like CNI host-local) when it has none. existing tells a retry from a fresh setup.
   */
  async allocate(
    sandboxId: string,
    meta: { netnsPath?: string; hostPorts?: HostPortMapping[] } = {},
    /** Checked under the lock against every other sandbox's allocation; throw to refuse. */
    admit?: (others: IpamAllocation[]) => void,
  ): Promise<{ allocation: IpamAllocation; existing: boolean }> {
    validateSandboxId(sandboxId);
    return this.mutate<{ allocation: IpamAllocation; existing: boolean }>((st) => {
      const allocs = st.snap.allocations;
      if (admit) admit(Object.values(allocs).filter((a) => a.sandboxId !== sandboxId));
      const have = st.bySandbox.get(sandboxId);
      if (have) return { result: { allocation: structuredClone(allocs[have]!), existing: true }, recs: [] };
      const { first, last } = hostRange(this.subnet);
      const size = last - first + 1;
      const after = st.snap.lastReserved ? parseIPv4(st.snap.lastReserved) : last;
      let start = after + 1;
      if (start < first || start > last) start = first;
      for (let i = 0; i < size; i++) {
        const ip = formatIPv4(first + ((start - first + i) % size));
        if (allocs[ip]) continue;
        const allocation: IpamAllocation = { ip, sandboxId, state: 'reserved', createdAt: new Date().toISOString(), ...structuredClone(meta) };
        return { result: { allocation: structuredClone(allocation), existing: false }, recs: [{ set: allocation, last: ip }] };
      }
      throw new ExhaustedError(`ipam ${formatCidr(this.subnet)}: no free address for sandbox "${sandboxId}" (${size} in use)`);
    });
  }

  /** Updates the sandbox's allocation; undefined when it has none. */
  update(sandboxId: string, patch: Partial<Pick<IpamAllocation, 'state' | 'hostPorts' | 'netnsPath'>>): Promise<IpamAllocation | undefined> {
    return this.mutate((st) => {
      const ip = st.bySandbox.get(sandboxId);
      if (!ip) return { result: undefined, recs: [] };
      const next = { ...structuredClone(st.snap.allocations[ip]!), ...structuredClone(patch) };
      return { result: structuredClone(next), recs: [{ set: next }] };
    });
  }

  /** Frees the sandbox's address; returns what was freed, undefined when it had none. */
  release(sandboxId: string): Promise<IpamAllocation | undefined> {
    return this.mutate((st) => {
      const ip = st.bySandbox.get(sandboxId);
      if (!ip) return { result: undefined, recs: [] };
      return { result: structuredClone(st.snap.allocations[ip]!), recs: [{ del: ip }] };
    });
  }

  /** Frees every allocation whose sandbox is not kept (the gc pass). */
  releaseExcept(keep: (sandboxId: string) => boolean): Promise<IpamAllocation[]> {
    return this.mutate((st) => {
      const freed = Object.values(st.snap.allocations).filter((a) => !keep(a.sandboxId));
      return { result: freed.map((a) => structuredClone(a)), recs: freed.map((a) => ({ del: a.ip })) };
    });
  }

  async get(sandboxId: string): Promise<IpamAllocation | undefined> {
    return withFileLock(this.lockPath, () => {
      const st = this.load();
      const ip = st.bySandbox.get(sandboxId);
      return ip ? structuredClone(st.snap.allocations[ip]) : undefined;
    });
  }

  list(): Promise<IpamAllocation[]> {
    return withFileLock(this.lockPath, () => Object.values(this.load().snap.allocations).map((a) => structuredClone(a)));
  }

  /** Removes the store and its lock file (and the state dir when that leaves it empty). */
  async destroy(): Promise<void> {
    await withFileLock(this.lockPath, () => {
      rmSync(this.snapPath, { force: true });
      rmSync(this.logPath, { force: true });
      this.state = undefined;
    });
    removeStoreFiles(this.stateDir);
  }

  private mutate<T>(fn: (st: State) => { result: T; recs: Rec[] }): Promise<T> {
    return withFileLock(this.lockPath, () => {
      const st = this.load();
      const { result, recs } = fn(st);
      if (recs.length > 0) {
        this.append(st, recs);
        if (st.records > Math.max(256, 2 * Object.keys(st.snap.allocations).length)) this.compact(st);
      }
      return result;
    });
  }

  /** Brings the in-memory state up to date with the files (lock held). */
  private load(): State {
    let fd: number;
    try {
      fd = openSync(this.logPath, 'r+');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      return this.reload(undefined);
    }
    try {
      const size = fstatSync(fd).size;
      const st = this.state;
      if (st && size >= st.offset && this.journalGen(fd) === st.snap.gen) {
        if (size > st.offset) this.replay(st, fd, st.offset, size);
        return st;
      }
      return this.reload(fd);
    } finally {
      closeSync(fd);
    }
  }

  private reload(logFd: number | undefined): State {
    const subnet = formatCidr(this.subnet);
    let snap: Snapshot = { version: 1, gen: 0, subnet, allocations: {} };
    let raw: string | undefined;
    try {
      raw = readFileSync(this.snapPath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (raw !== undefined) {
      try {
        snap = JSON.parse(raw) as Snapshot;
      } catch (e) {
        throw new ConflictError(`ipam store ${this.snapPath} is corrupt`, { cause: e });
      }
    }
    const st: State = { snap, bySandbox: new Map(), offset: 0, records: 0 };
    if (logFd !== undefined && this.journalGen(logFd) === snap.gen) {
      this.replay(st, logFd, 0, fstatSync(logFd).size);
    } else {
      // No journal, or one already folded into the snapshot: start a fresh one.
      const header = JSON.stringify({ gen: snap.gen }) + '\n';
      mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
      writeFileSync(`${this.logPath}.tmp-${process.pid}`, header, { mode: 0o600 });
      renameSync(`${this.logPath}.tmp-${process.pid}`, this.logPath);
      st.offset = Buffer.byteLength(header);
    }
    for (const [ip, a] of Object.entries(snap.allocations)) st.bySandbox.set(a.sandboxId, ip);
    if (snap.subnet !== subnet) {
      if (Object.keys(snap.allocations).length > 0) {
        throw new ConflictError(`ipam store ${this.snapPath} holds addresses of ${snap.subnet}, not ${subnet}: tear those pods down first`);
      }
      snap.subnet = subnet;
      delete snap.lastReserved;
    }
    for (const ip of Object.keys(snap.allocations)) {
      if (!cidrContains(this.subnet, parseIPv4(ip))) throw new ConflictError(`ipam store ${this.snapPath}: ${ip} is outside ${subnet}`);
    }
    this.state = st;
    return st;
  }

  /** The generation in the journal's header line, or -1. */
  private journalGen(fd: number): number {
    const b = Buffer.alloc(64);
    const n = readSync(fd, b, 0, b.length, 0);
    const m = /^\{"gen":(\d+)\}\n/.exec(b.subarray(0, n).toString());
    return m ? Number(m[1]) : -1;
  }

  /** Applies journal bytes [from, to); a torn last line is cut off the file. */
  private replay(st: State, fd: number, from: number, to: number): void {
    const b = Buffer.alloc(to - from);
    readSync(fd, b, 0, b.length, from);
    const lastNl = b.lastIndexOf(0x0a);
    const whole = lastNl + 1;
    if (whole < b.length) ftruncateSync(fd, from + whole);
    const lines = b.subarray(0, whole).toString().split('\n');
    for (const line of lines) {
      if (!line) continue;
      let rec: Rec | { gen: number };
      try {
        rec = JSON.parse(line) as Rec | { gen: number };
      } catch (e) {
        throw new ConflictError(`ipam journal ${this.logPath} is corrupt at byte ${from}`, { cause: e });
      }
      if ('gen' in rec) continue;
      this.apply(st, rec);
    }
    st.offset = from + whole;
  }

  private apply(st: State, rec: Rec): void {
    st.records++;
    if ('set' in rec) {
      st.snap.allocations[rec.set.ip] = rec.set;
      st.bySandbox.set(rec.set.sandboxId, rec.set.ip);
      if (rec.last) st.snap.lastReserved = rec.last;
    } else {
      const a = st.snap.allocations[rec.del];
      if (a) st.bySandbox.delete(a.sandboxId);
      delete st.snap.allocations[rec.del];
    }
  }

  private append(st: State, recs: Rec[]): void {
    const data = Buffer.from(recs.map((r) => JSON.stringify(r) + '\n').join(''));
    const fd = openSync(this.logPath, 'a', 0o600);
    try {
      writeSync(fd, data);
    } catch (e) {
      this.state = undefined;
      throw e;
    } finally {
      closeSync(fd);
    }
    for (const r of recs) this.apply(st, r);
    st.offset += data.length;
  }

  /** Folds the journal into a new snapshot (new generation) and starts an empty journal. */
  private compact(st: State): void {
    const snap: Snapshot = { ...st.snap, gen: st.snap.gen + 1 };
    const tmp = `${this.snapPath}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(snap) + '\n', { mode: 0o600 });
    renameSync(tmp, this.snapPath);
    // A crash here leaves the old journal, whose generation no longer matches: it is ignored.
    const header = JSON.stringify({ gen: snap.gen }) + '\n';
    writeFileSync(`${this.logPath}.tmp-${process.pid}`, header, { mode: 0o600 });
    renameSync(`${this.logPath}.tmp-${process.pid}`, this.logPath);
    st.snap = snap;
    st.offset = Buffer.byteLength(header);
    st.records = 0;
  }
}

/** Removes the IPAM files from a state dir, and the dir itself when nothing else is in it. */
export function removeStoreFiles(stateDir: string): void {
  if (!existsSync(stateDir)) return;
  for (const f of readdirSync(stateDir)) {
    if ([IPAM_STORE_FILE, IPAM_JOURNAL_FILE, IPAM_LOCK_FILE].some((base) => f === base || f.startsWith(`${base}.tmp-`))) rmSync(join(stateDir, f), { force: true });
  }
  try {
    rmdirSync(stateDir);
  } catch {
    // not empty: something else lives there
  }
}
