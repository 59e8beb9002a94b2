// Host-local IPAM: hands out addresses of one pod CIDR, persisted in one JSON file under the
// state dir and guarded by a file lock, so no address is handed out twice, even by two agents
// racing or across restarts. Writes are atomic (temp file + rename); a crash mid-setup leaves a
// `reserved` allocation behind that gc (releaseExcept) frees.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync, mkdirSync, readdirSync, rmdirSync } from 'node:fs';
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

interface Store {
  version: 1;
  subnet: string;
  lastReserved?: string;
  /** Keyed by IP. */
  allocations: Record<string, IpamAllocation>;
}

export const IPAM_STORE_FILE = 'ipam.json';
export const IPAM_LOCK_FILE = 'ipam.lock';

const sandboxIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function validateSandboxId(id: string): void {
  if (!sandboxIdPattern.test(id)) throw new InvalidArgumentError(`invalid sandbox id "${id}": want [A-Za-z0-9][A-Za-z0-9_.-]{0,127}`);
}

export class HostLocalIpam {
  private readonly subnet: Cidr;
  private readonly storePath: string;
  private readonly lockPath: string;

  constructor(private readonly stateDir: string, podCIDR: string) {
    this.subnet = parseCidr(podCIDR);
    hostRange(this.subnet); // rejects CIDRs too small to hold a pod
    this.storePath = join(stateDir, IPAM_STORE_FILE);
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
    return this.mutate((store) => {
      admit?.(Object.values(store.allocations).filter((a) => a.sandboxId !== sandboxId));
      const found = Object.values(store.allocations).find((a) => a.sandboxId === sandboxId);
      if (found) return { allocation: found, existing: true };
      const { first, last } = hostRange(this.subnet);
      const size = last - first + 1;
      const after = store.lastReserved ? parseIPv4(store.lastReserved) : last;
      let start = after + 1;
      if (start < first || start > last) start = first;
      for (let i = 0; i < size; i++) {
        const cand = first + ((start - first + i) % size);
        const ip = formatIPv4(cand);
        if (store.allocations[ip]) continue;
        const allocation: IpamAllocation = { ip, sandboxId, state: 'reserved', createdAt: new Date().toISOString(), ...meta };
        store.allocations[ip] = allocation;
        store.lastReserved = ip;
        return { allocation, existing: false };
      }
      throw new ExhaustedError(`ipam ${formatCidr(this.subnet)}: no free address for sandbox "${sandboxId}" (${size} in use)`);
    });
  }

  /** Updates the sandbox's allocation; undefined when it has none. */
  update(sandboxId: string, patch: Partial<Pick<IpamAllocation, 'state' | 'hostPorts' | 'netnsPath'>>): Promise<IpamAllocation | undefined> {
    return this.mutate((store) => {
      const a = Object.values(store.allocations).find((x) => x.sandboxId === sandboxId);
      if (!a) return undefined;
      Object.assign(a, patch);
      return a;
    });
  }

  /** Frees the sandbox's address; returns what was freed, undefined when it had none. */
  release(sandboxId: string): Promise<IpamAllocation | undefined> {
    return this.mutate((store) => {
      for (const [ip, a] of Object.entries(store.allocations)) {
        if (a.sandboxId === sandboxId) {
          delete store.allocations[ip];
          return a;
        }
      }
      return undefined;
    });
  }

  /** Frees every allocation whose sandbox is not in keep (the gc pass). */
  releaseExcept(keep: (sandboxId: string) => boolean): Promise<IpamAllocation[]> {
    return this.mutate((store) => {
      const freed: IpamAllocation[] = [];
      for (const [ip, a] of Object.entries(store.allocations)) {
        if (!keep(a.sandboxId)) {
          delete store.allocations[ip];
          freed.push(a);
        }
      }
      return freed;
    });
  }

  async get(sandboxId: string): Promise<IpamAllocation | undefined> {
    return (await this.list()).find((a) => a.sandboxId === sandboxId);
  }

  list(): Promise<IpamAllocation[]> {
    return withFileLock(this.lockPath, () => Object.values(this.read().allocations));
  }

  /** Removes the store and its lock file (and the state dir when that leaves it empty). */
  destroy(): Promise<void> {
    return withFileLock(this.lockPath, () => {
      rmSync(this.storePath, { force: true });
    }).then(() => removeStoreFiles(this.stateDir));
  }

  private mutate<T>(fn: (store: Store) => T): Promise<T> {
    return withFileLock(this.lockPath, () => {
      const store = this.read();
      const result = fn(store);
      this.write(store);
      return result;
    });
  }

  private read(): Store {
    const subnet = formatCidr(this.subnet);
    let raw: string;
    try {
      raw = readFileSync(this.storePath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, subnet, allocations: {} };
      throw e;
    }
    let store: Store;
    try {
      store = JSON.parse(raw) as Store;
    } catch (e) {
      throw new ConflictError(`ipam store ${this.storePath} is corrupt`, { cause: e });
    }
    if (store.subnet !== subnet) {
      if (Object.keys(store.allocations ?? {}).length > 0) {
        throw new ConflictError(`ipam store ${this.storePath} holds addresses of ${store.subnet}, not ${subnet}: tear those pods down first`);
      }
      return { version: 1, subnet, allocations: {} };
    }
    for (const ip of Object.keys(store.allocations)) {
      if (!cidrContains(this.subnet, parseIPv4(ip))) throw new ConflictError(`ipam store ${this.storePath}: ${ip} is outside ${subnet}`);
    }
    return store;
  }

  private write(store: Store): void {
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    const tmp = `${this.storePath}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(store, null, 1) + '\n', { mode: 0o600 });
    renameSync(tmp, this.storePath);
  }
}

/** Removes the IPAM files from a state dir, and the dir itself when nothing else is in it. */
export function removeStoreFiles(stateDir: string): void {
  if (!existsSync(stateDir)) return;
  for (const f of readdirSync(stateDir)) {
    if (f === IPAM_STORE_FILE || f === IPAM_LOCK_FILE || f.startsWith(`${IPAM_STORE_FILE}.tmp-`)) rmSync(join(stateDir, f), { force: true });
  }
  try {
    rmdirSync(stateDir);
  } catch {
    // not empty: something else lives there
  }
}
