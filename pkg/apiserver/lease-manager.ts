// etcd leases for objects that expire (events, --event-ttl), shared the way kube-apiserver's
// lease manager shares them: one lease serves every write made within a reuse window (5% of the
// TTL), and is granted for the TTL plus that window, so an object lives between TTL and
// TTL + 5%, and a burst of writes costs one grant instead of one each.
import type { Storage } from './storage.js';

interface Granted {
  id: string;
  ttlSeconds: number;
  /** Until when new writes may still use it (ms since epoch). */
  reuseUntil: number;
}

export class LeaseManager {
  private current: Granted | undefined;
  private granting: Promise<Granted> | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly now: () => number = Date.now,
  ) {}

  /** The lease ID to attach to a write that should expire after `ttlSeconds`. */
  async leaseFor(ttlSeconds: number): Promise<string> {
    const c = this.current;
    if (c && c.ttlSeconds === ttlSeconds && this.now() < c.reuseUntil) return c.id;
    this.granting ??= this.grant(ttlSeconds).finally(() => (this.granting = undefined));
    const g = await this.granting;
    // (a concurrent grant for another TTL is not ours: ask again)
    return g.ttlSeconds === ttlSeconds ? g.id : this.leaseFor(ttlSeconds);
  }

  private async grant(ttlSeconds: number): Promise<Granted> {
    const reuseSeconds = Math.max(1, Math.floor(ttlSeconds * 0.05));
    const start = this.now();
    const id = await this.storage.grantLease(ttlSeconds + reuseSeconds);
    this.current = { id, ttlSeconds, reuseUntil: start + reuseSeconds * 1000 };
    return this.current;
  }
}
