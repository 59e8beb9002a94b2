// Leader election on a coordination.k8s.io/v1 Lease, with client-go's timings: a 15 s lease,
// renewed within a 10 s deadline, retried every 2 s. Only the holder acts.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { KubeObject } from '../api/types.js';
import { Gauge } from 'prom-client';
import { logger } from '../util/log.js';
import type { ApiClient } from './api-client.js';
import { isNotFound, Leases, StatusError } from './rest-client.js';

const log = logger('leader-election');

/** One gauge for every elector in the process, labelled by lease name (as client-go's). */
/** client-go's leader election gauge, as 1.32 components serve it (component-base/metrics/prometheus/clientgo/leaderelection). */
const leaderStatus = new Gauge({
  name: 'leader_election_master_status',
  help: "[ALPHA] Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease. Please make sure to group by name.",
  labelNames: ['name'],
});

export interface LeaderElectionConfig {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSec: number;
  renewDeadlineSec: number;
  retryPeriodSec: number;
  onStartedLeading(): void;
  onStoppedLeading(): void;
}

/**
 * A holder identity as kube-controller-manager and kube-scheduler 1.32 make theirs: the host name,
 * an underscore and a new UUID (controllermanager.go and server.go: `id + "_" + uuid.NewUUID()`),
 * so that two processes on one host (or one restarted with the same pid) are told apart.
 */
export const defaultIdentity = () => `${hostname()}_${randomUUID()}`;

const microTime = (d = new Date()) => d.toISOString().replace('Z', '000Z');

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export class LeaderElector {
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private lastRenew = 0;
  /** When we last saw the lease change, by our own clock (client-go's observedTime). */
  private observed = { rv: '', at: 0 };

  constructor(private readonly client: ApiClient, private readonly cfg: LeaderElectionConfig) {}

  get isLeader(): boolean {
    return this.leading;
  }

  /**
   * The leaderElection health check (client-go's HealthzAdaptor over LeaderElector.Check): a
   * leader whose lease was last seen renewed more than its duration plus `maxTolerableExpiredMs`
   * ago is wedged; a candidate is healthy.
   */
  check(maxTolerableExpiredMs: number): void {
    if (!this.leading) return;
    if (Date.now() - this.observed.at > this.cfg.leaseDurationSec * 1000 + maxTolerableExpiredMs) throw new Error(`failed election to renew leadership on lease ${this.cfg.name}`);
  }

  start(): void {
    void this.tick();
  }

  async stop(release = true): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.leading && release) {
      // Best effort and bounded: the apiserver may be going away too.
      await Promise.race([this.release(), new Promise((r) => setTimeout(r, 2000))]);
    }
    this.setLeading(false);
  }

  private async release(): Promise<void> {
    {
      try {
        const lease = await this.client.get(Leases, this.cfg.namespace, this.cfg.name);
        const spec = (lease.spec ?? {}) as LeaseSpec;
        if (spec.holderIdentity === this.cfg.identity) {
          spec.holderIdentity = undefined;
          spec.leaseDurationSeconds = 1;
          await this.client.update(Leases, this.cfg.namespace, this.cfg.name, { ...lease, spec });
        }
      } catch {
        // best effort: the lease expires anyway
      }
    }
  }

  private setLeading(v: boolean): void {
    if (v === this.leading) return;
    this.leading = v;
    leaderStatus.set({ name: this.cfg.name }, v ? 1 : 0);
    log.info(v ? 'became leader' : 'lost leadership', { lease: `${this.cfg.namespace}/${this.cfg.name}`, identity: this.cfg.identity });
    if (v) this.cfg.onStartedLeading();
    else this.cfg.onStoppedLeading();
  }

  /**
   * One attempt, every retry period. A leader whose lease has not been renewed within the renew
   * deadline stops leading then, even while its call to the apiserver still hangs (client-go's
   * renew: each round of tryAcquireOrRenew runs under a RenewDeadline context), and an answer
   * that comes back later than the deadline does not count: by then the lease may have expired
   * for the others and been taken over.
   */
  private async tick(): Promise<void> {
    if (this.stopped) return;
    const deadlineMs = this.cfg.renewDeadlineSec * 1000;
    const started = Date.now();
    const watchdog = this.leading ? setTimeout(() => this.expireIfStale(), Math.max(0, this.lastRenew + deadlineMs - started)) : undefined;
    try {
      const ok = await this.tryAcquireOrRenew();
      if (this.stopped) return;
      if (Date.now() - started > deadlineMs) throw new Error(`the lease call took longer than the renew deadline (${this.cfg.renewDeadlineSec} s); its answer does not count`);
      if (ok) {
        this.lastRenew = started;
        this.setLeading(true);
      } else if (this.leading) {
        this.setLeading(false);
      }
    } catch (e) {
      if (this.stopped) return;
      log.warn('lease update failed', { err: e });
      this.expireIfStale();
    } finally {
      clearTimeout(watchdog);
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.cfg.retryPeriodSec * 1000);
  }

  /** Stops leading once the last renewal is older than the renew deadline. */
  private expireIfStale(): void {
    if (this.leading && !this.stopped && Date.now() - this.lastRenew >= this.cfg.renewDeadlineSec * 1000) {
      log.warn('failed to renew the lease within the renew deadline', { lease: `${this.cfg.namespace}/${this.cfg.name}`, renewDeadlineSec: this.cfg.renewDeadlineSec });
      this.setLeading(false);
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationSec } = this.cfg;
    const now = new Date();
    let lease: KubeObject;
    try {
      lease = await this.client.get(Leases, namespace, name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      const spec: LeaseSpec = { holderIdentity: identity, leaseDurationSeconds: leaseDurationSec, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 };
      try {
        const created = await this.client.create(Leases, namespace, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec });
        // (as client-go's setObservedRecord after a create)
        this.observed = { rv: created.metadata?.resourceVersion ?? '', at: Date.now() };
        return true;
      } catch (e2) {
        if (e2 instanceof StatusError && e2.code === 409) return false;
        throw e2;
      }
    }
    const spec = (lease.spec ?? {}) as LeaseSpec;
    const rv = lease.metadata?.resourceVersion ?? '';
    if (rv !== this.observed.rv) this.observed = { rv, at: Date.now() };
    const holder = spec.holderIdentity;
    const expired = Date.now() > this.observed.at + (spec.leaseDurationSeconds ?? leaseDurationSec) * 1000;
    if (holder && holder !== identity && !expired) return false;
    const next: LeaseSpec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds: leaseDurationSec,
      renewTime: microTime(now),
      acquireTime: holder === identity ? spec.acquireTime : microTime(now),
      leaseTransitions: holder === identity ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
    };
    try {
      const updated = await this.client.update(Leases, namespace, name, { ...lease, spec: next });
      this.observed = { rv: updated.metadata?.resourceVersion ?? '', at: Date.now() };
      return true;
    } catch (e) {
      if (e instanceof StatusError && e.code === 409) return false;
      throw e;
    }
  }
}
