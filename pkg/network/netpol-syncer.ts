// Writes a node's network policy rules: after each change (coalesced, at most once per minSyncMs)
// the pods' resolved policies are turned into rules and written in one iptables-restore; a
// periodic resync repairs rules someone else changed. `removeNetpolRules` takes them all away.
import { errorMessage, NetworkError } from './errors.js';
import { iptablesRestore, iptablesSave, removeChains, withIptablesLock } from './iptables.js';
import { buildNetpolRules, isNetpolChain, netpolRestorePlan, type IsolatedPod } from './netpol-rules.js';
import { logger } from '../util/log.js';

export interface NetpolSyncerConfig {
  /** The isolated local pods as they are now (called at each sync). */
  resolve: () => IsolatedPod[];
  /** The node's network namespace; default this process's. */
  nodeNetns?: string;
  /** Chain prefix, the pod network's (default TSK). */
  chainPrefix?: string;
  /** Least time between two syncs; default 200 ms. */
  minSyncMs?: number;
  /** A full rewrite even without changes this often; default 30 s, 0: never. */
  resyncMs?: number;
  /** Delay before retrying a failed sync; default 1 s. */
  retryMs?: number;
}

export interface NetpolSyncResult {
  /** False when the rules were already what they should be. */
  applied: boolean;
  isolatedPods: number;
  staleChains: string[];
}

/** Invariant: at most one sync runs; `pending` says another is owed once it ends; `applied` is the last text written. */
export class NetpolSyncer {
  readonly prefix: string;
  private readonly log = logger('network-policy');
  private timer: NodeJS.Timeout | undefined;
  private resync: NodeJS.Timeout | undefined;
  private running: Promise<NetpolSyncResult> | undefined;
  /** The sync requestSync callers wait for, until it starts. */
  private requested: Promise<NetpolSyncResult> | undefined;
  private pending = false;
  private stopped = false;
  private lastSyncAt = 0;
  private applied = '';
  /** Syncs done (applied or not), for tests and logs. */
  syncs = 0;

  constructor(private readonly cfg: NetpolSyncerConfig) {
    this.prefix = cfg.chainPrefix ?? 'TSK';
    const every = cfg.resyncMs ?? 30_000;
    if (every > 0) {
      this.resync = setInterval(() => {
        this.applied = '';
        this.changed();
      }, every);
      this.resync.unref();
    }
  }

  /** Something the rules depend on changed: sync soon (once for a burst of changes). */
  changed(): void {
    if (this.stopped) return;
    if (this.running) {
      this.pending = true;
      return;
    }
    if (this.timer) return;
    const wait = Math.max(0, this.lastSyncAt + (this.cfg.minSyncMs ?? 200) - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.syncNow().catch(async (e) => {
        this.log.error('network policy rules sync failed; retrying', { error: errorMessage(e) });
        await new Promise((r) => setTimeout(r, this.cfg.retryMs ?? 1000));
        this.applied = '';
        this.changed();
      });
    }, wait);
  }

  /**
   * A sync that starts after this call, as soon as the one in progress (if any) ends, without
   * waiting minSyncMs; callers at the same moment share it. Resolves when its rules are written.
   */
  requestSync(): Promise<NetpolSyncResult> {
    if (!this.requested) {
      const p = (async () => {
        while (this.running) await this.running.catch(() => {});
        this.requested = undefined;
        return this.syncNow();
      })();
      this.requested = p;
      p.catch(() => {});
    }
    return this.requested;
  }

  /** Syncs now (after the one in progress); resolves when the rules are written. */
  async syncNow(): Promise<NetpolSyncResult> {
    while (this.running) await this.running.catch(() => {});
    if (this.stopped) throw new NetworkError('network policy syncer is stopped');
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = false;
    this.lastSyncAt = Date.now();
    this.running = this.sync();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
      if (this.pending) this.changed();
    }
  }

  private async sync(): Promise<NetpolSyncResult> {
    const t0 = Date.now();
    const netns = this.cfg.nodeNetns;
    const pods = this.cfg.resolve();
    const rules = buildNetpolRules(this.prefix, pods);
    const text = rules.rules.join('\n');
    this.syncs++;
    // The same rules as last written: nothing to read or write (the periodic resync still checks).
    if (text === this.applied) return { applied: false, staleChains: [], isolatedPods: pods.length };
    const staleChains = await withIptablesLock(netns, async () => {
      const plan = netpolRestorePlan(this.prefix, rules, await iptablesSave(netns));
      await iptablesRestore(netns, { filter: plan.filter });
      this.applied = text;
      return plan.staleChains;
    });
    this.log.debug('network policy rules synced', { isolatedPods: pods.length, staleChains: staleChains.length, ms: Date.now() - t0 });
    return { applied: true, staleChains, isolatedPods: pods.length };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.resync);
    await this.running?.catch(() => {});
  }
}

/** Removes every network policy chain and the jumps to them: the enforcement turned off, or the node cleaned up. */
export function removeNetpolRules(netns: string | undefined, prefix = 'TSK'): Promise<void> {
  return withIptablesLock(netns, () => removeChains(netns, (ch) => isNetpolChain(prefix, ch)));
}
