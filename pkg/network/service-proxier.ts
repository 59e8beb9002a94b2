// The service proxy of a node (kube-proxy's iptables mode): keeps the Services and EndpointSlices
// it is given, and after each change rebuilds every service rule and writes them in one
// iptables-restore (a full sync), at most once per minSyncMs; a periodic resync repairs rules
// someone else changed. Removed UDP endpoints lose their conntrack entries, so clients that keep
// a flow alive move on to the endpoints that remain. With a health server, the health check node
// ports of LoadBalancer Services with externalTrafficPolicy Local follow each sync.
import { deleteUdpConntrack, type UdpConntrackEntry } from './conntrack.js';
import { errorMessage, NetworkError } from './errors.js';
import { iptablesRestore, iptablesSave, removeChains, withIptablesLock } from './iptables.js';
import type { ProxierHealth } from './proxier-health.js';
import { lastChangeTriggerTime, type ProxyMetrics } from './proxy-metrics.js';
import { healthCheckedServices, type ServiceHealthServer } from './service-health.js';
import { servicePorts } from './service-model.js';
import { buildServiceRules, isServicePortChain, restorePlan, serviceChainNames } from './service-rules.js';
import { keyOfMeta, type EndpointSliceLike, type ProxiedServicePort, type ServiceLike } from './service-types.js';
import { logger } from '../util/log.js';

export interface ServiceProxierConfig {
  /** The whole pod network: traffic to a cluster IP from outside it is masqueraded. */
  clusterCIDR: string;
  /** The node's network namespace; default this process's. */
  nodeNetns?: string;
  /** Chain prefix, the pod network's (default TSK). */
  chainPrefix?: string;
  /** Least time between two syncs (kube-proxy's minSyncPeriod); default 200 ms. */
  minSyncMs?: number;
  /** A full rewrite even without changes this often (kube-proxy's syncPeriod); default 30 s, 0: never. */
  resyncMs?: number;
  /** Delay before retrying a failed sync; default 1 s. */
  retryMs?: number;
  /** This node's name: its endpoints are the local ones the traffic policies keep traffic to. */
  nodeName?: string;
  /** Serves the health check node ports of LoadBalancer Services with externalTrafficPolicy Local, after each sync. */
  health?: ServiceHealthServer;
  /** kube-proxy's own health (its :10256 /healthz and /livez): told of each queued change and each written sync. */
  proxierHealth?: ProxierHealth;
  /** kube-proxy's metrics (its :10249 /metrics): each sync's duration and end, the changes seen and pending, restore failures, network programming latency. */
  metrics?: ProxyMetrics;
}

export interface SyncResult {
  /** False when the rules were already what they should be. */
  applied: boolean;
  servicePorts: number;
  staleChains: string[];
  conntrackDeleted: number;
}

enum State {
  Idle,
  Scheduled,
  Syncing,
  Stopped,
}

/** Invariant: `applied` is the rules last written successfully (JSON), `lastPorts` the ports they were built from. */
export class ServiceProxier {
  readonly prefix: string;
  private readonly services = new Map<string, ServiceLike>();
  private readonly slices = new Map<string, EndpointSliceLike>();
  private readonly log = logger('service-proxy');
  private state = State.Idle;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private resync: NodeJS.Timeout | undefined;
  private lastSyncAt = 0;
  private applied = '';
  private lastPorts = new Map<string, ProxiedServicePort>();
  private current: Promise<SyncResult> | undefined;
  /** The Services and EndpointSlices changed since the last sync began (the change trackers' pending items), and the slices' trigger times. */
  private readonly pendingServices = new Set<string>();
  private readonly pendingSlices = new Set<string>();
  private readonly triggerTimes = new Map<string, number[]>();
  /** Trigger times before this are the initial list's, not changes the proxy saw (trackerStartTime). */
  private readonly startedAt = Date.now();
  /** Syncs done (applied or not), for tests and logs. */
  syncs = 0;

  constructor(private readonly cfg: ServiceProxierConfig) {
    this.prefix = cfg.chainPrefix ?? 'TSK';
    const resync = cfg.resyncMs ?? 30_000;
    if (resync > 0) {
      this.resync = setInterval(() => {
        this.applied = '';
        // (the runner's periodic sync: no change was queued)
        this.changed(false);
      }, resync);
      this.resync.unref();
    }
  }

  upsertService(s: ServiceLike): void {
    this.services.set(keyOfMeta(s.metadata), s);
    this.serviceChanged(keyOfMeta(s.metadata));
    this.changed();
  }

  deleteService(s: ServiceLike): void {
    if (!this.services.delete(keyOfMeta(s.metadata))) return;
    this.serviceChanged(keyOfMeta(s.metadata));
    this.changed();
  }

  upsertEndpointSlice(s: EndpointSliceLike): void {
    const key = keyOfMeta(s.metadata);
    this.slices.set(key, s);
    this.sliceChanged(key);
    // (the time of the change that made this version, for the network programming latency)
    const t = lastChangeTriggerTime(s.metadata?.annotations);
    if (t !== undefined && t > this.startedAt) this.triggerTimes.set(key, [...(this.triggerTimes.get(key) ?? []), t]);
    this.changed();
  }

  deleteEndpointSlice(s: EndpointSliceLike): void {
    const key = keyOfMeta(s.metadata);
    if (!this.slices.delete(key)) return;
    // (a deletion's trigger time is the last update's, not the deletion's: not measured)
    this.triggerTimes.delete(key);
    this.sliceChanged(key);
    this.changed();
  }

  /** ServiceChangeTracker.Update: counted, and pending until the next sync takes it. */
  private serviceChanged(key: string): void {
    const m = this.cfg.metrics;
    if (!m) return;
    m.serviceChangesTotal.inc();
    this.pendingServices.add(key);
    m.serviceChangesPending.set(this.pendingServices.size);
  }

  /** EndpointsChangeTracker.EndpointSliceUpdate: counted, and pending until the next sync takes it. */
  private sliceChanged(key: string): void {
    const m = this.cfg.metrics;
    if (!m) return;
    m.endpointChangesTotal.inc();
    this.pendingSlices.add(key);
    m.endpointChangesPending.set(this.pendingSlices.size);
  }

  /** Replaces everything known (after an informer relist). */
  replaceAll(services: Iterable<ServiceLike>, slices: Iterable<EndpointSliceLike>): void {
    this.services.clear();
    this.slices.clear();
    for (const s of services) this.services.set(keyOfMeta(s.metadata), s);
    for (const s of slices) this.slices.set(keyOfMeta(s.metadata), s);
    this.changed();
  }

  /** The service ports as they would be programmed now. */
  ports(): ProxiedServicePort[] {
    return servicePorts(this.services.values(), this.slices.values(), this.cfg.nodeName);
  }

  /** Schedules a sync: at once when the last one is older than minSyncMs, else when it will be. */
  private changed(queued = true): void {
    this.dirty = true;
    this.cfg.proxierHealth?.queuedUpdate();
    if (queued) this.cfg.metrics?.lastQueued.set(Date.now() / 1000);
    if (this.state !== State.Idle) return;
    this.state = State.Scheduled;
    const wait = Math.max(0, this.lastSyncAt + (this.cfg.minSyncMs ?? 200) - Date.now());
    this.timer = setTimeout(() => void this.runScheduled(), wait);
  }

  private async runScheduled(): Promise<void> {
    this.timer = undefined;
    if (this.state !== State.Scheduled) return;
    try {
      await this.syncNow();
    } catch (e) {
      this.log.error('service rules sync failed; retrying', { error: errorMessage(e) });
      await new Promise((r) => setTimeout(r, this.cfg.retryMs ?? 1000));
      this.applied = '';
      if ((this.state as State) === State.Idle) this.changed();
    }
  }

  /** Syncs now (waiting for one in progress first); resolves when the rules are written. */
  async syncNow(): Promise<SyncResult> {
    while (this.current) await this.current.catch(() => {});
    if (this.state === State.Stopped) throw new NetworkError('service proxy is stopped');
    clearTimeout(this.timer);
    this.state = State.Syncing;
    this.dirty = false;
    this.lastSyncAt = Date.now();
    this.current = this.sync();
    try {
      return await this.current;
    } finally {
      this.current = undefined;
      if (this.state === State.Syncing) {
        this.state = State.Idle;
        if (this.dirty) this.changed();
      }
    }
  }

  private async sync(): Promise<SyncResult> {
    const t0 = Date.now();
    const m = this.cfg.metrics;
    const netns = this.cfg.nodeNetns;
    // (the changes this sync programs: no longer pending; their trigger times are measured once it has)
    this.pendingServices.clear();
    this.pendingSlices.clear();
    m?.serviceChangesPending.set(0);
    m?.endpointChangesPending.set(0);
    const taken = new Map(this.triggerTimes);
    const triggers = [...taken.values()].flat();
    this.triggerTimes.clear();
    const ports = this.ports();
    const rules = buildServiceRules(this.prefix, this.cfg.clusterCIDR, ports);
    const { applied, staleChains } = await withIptablesLock(netns, async () => {
      const plan = restorePlan(this.prefix, rules, await iptablesSave(netns));
      // (the rules wanted, not the restore input: that also carries the jumps a first sync adds,
      // so the next sync would find it changed and write the same rules again)
      const text = JSON.stringify(rules);
      if (text === this.applied && plan.staleChains.length === 0 && plan.jumpsAdded.length === 0) return { applied: false, staleChains: [] };
      try {
        await iptablesRestore(netns, plan.tables);
      } catch (e) {
        m?.restoreFailures.inc();
        throw e;
      }
      this.applied = text;
      return { applied: true, staleChains: plan.staleChains };
    }).catch((e: unknown) => {
      // (not programmed: the retry measures them)
      for (const [k, ts] of taken) this.triggerTimes.set(k, [...ts, ...(this.triggerTimes.get(k) ?? [])]);
      throw e;
    });
    if (m) {
      // (as syncProxyRules' deferred observations: every sync here rewrites every rule, a full one)
      const seconds = (Date.now() - t0) / 1000;
      m.syncDuration.observe(seconds);
      m.syncFullDuration.observe(seconds);
      const now = Date.now();
      m.lastSync.set(now / 1000);
      for (const t of triggers) m.networkProgramming.observe(Math.max(0, (now - t) / 1000));
      m.rulesTotal.set({ table: 'nat' }, rules.nat.length);
      m.rulesTotal.set({ table: 'filter' }, rules.filter.length);
      m.rulesLast.set({ table: 'nat' }, applied ? rules.nat.length : 0);
      m.rulesLast.set({ table: 'filter' }, applied ? rules.filter.length : 0);
    }
    const previous = this.lastPorts;
    this.lastPorts = new Map(ports.map((p) => [p.id, p]));
    this.syncs++;
    // (as syncProxyRules ends: the rules are current, whatever was queued before is done)
    this.cfg.proxierHealth?.updated();
    await this.cfg.health?.sync(healthCheckedServices(ports));
    const conntrackDeleted = await this.clearStaleUdp(previous, ports);
    if (applied) this.log.debug('service rules synced', { servicePorts: ports.length, staleChains: staleChains.length, conntrackDeleted, ms: Date.now() - t0 });
    return { applied, servicePorts: ports.length, staleChains, conntrackDeleted };
  }

  /**
   * UDP has no connection to end: flows to an endpoint that went away, and flows to a service
   * port that had no endpoints (not DNATed), would stay as they are while the client keeps sending.
   */
  private async clearStaleUdp(previous: Map<string, ProxiedServicePort>, ports: readonly ProxiedServicePort[]): Promise<number> {
    const gone = new Set<string>();
    const revived: ProxiedServicePort[] = [];
    const now = new Map(ports.map((p) => [p.id, p]));
    for (const [id, old] of previous) {
      if (old.protocol !== 'UDP') continue;
      const cur = now.get(id);
      const keep = new Set((cur?.protocol === 'UDP' ? cur.endpoints : []).map((e) => `${e.ip}:${e.port}`));
      for (const e of old.endpoints) if (!keep.has(`${e.ip}:${e.port}`)) gone.add(`${e.ip}:${e.port}`);
    }
    for (const p of ports) {
      const old = previous.get(p.id);
      if (p.protocol === 'UDP' && p.endpoints.length > 0 && (!old || old.endpoints.length === 0)) revived.push(p);
    }
    if (gone.size === 0 && revived.length === 0) return 0;
    const match = (e: UdpConntrackEntry) => {
      const natted = e.reply.src !== e.orig.dst;
      if (natted && gone.has(`${e.reply.src}:${e.reply.sport}`)) return true;
      return !natted && revived.some((p) => (e.orig.dst === p.clusterIP && e.orig.dport === p.port) || (p.nodePort !== undefined && e.orig.dport === p.nodePort));
    };
    try {
      return await deleteUdpConntrack(this.cfg.nodeNetns, match);
    } catch (e) {
      this.log.warn('clearing UDP conntrack entries of removed endpoints', { error: errorMessage(e) });
      return 0;
    }
  }

  /** Stops syncing (rules stay, as kube-proxy leaves them on exit; removeServiceRules clears them). */
  async stop(): Promise<void> {
    this.state = State.Stopped;
    clearTimeout(this.timer);
    clearInterval(this.resync);
    await this.current?.catch(() => {});
    await this.cfg.health?.stop();
  }
}

/** Removes the service proxy's chains and jumps (not the node's chains): the proxy turned off. */
export function removeServiceRules(netns: string | undefined, prefix = 'TSK'): Promise<void> {
  const c = serviceChainNames(prefix);
  return withIptablesLock(netns, () => removeChains(netns, (ch) => ch === c.services || ch === c.nodeports || isServicePortChain(prefix, ch)));
}
