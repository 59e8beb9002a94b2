// The StatefulSet controller (kube-controller-manager's statefulset controller): pods with
// stable identities <set>-<ordinal> (hostname <set>-<ordinal>, subdomain the set's serviceName,
// so the cluster DNS answers <pod>.<service>.<ns>.svc), created, removed and updated as
// statefulset-util's plan says. Pod names are fixed, so a create that races a lagging informer
// gets 409 and waits; deletes are pinned to the pod's uid. Revisions are ControllerRevisions;
// status.currentRevision and updateRevision name them. An ordinal's claims (volumeClaimTemplates)
// are created before its pod, and their owners kept to the retention policy (statefulset-claims).
import type { KubeObject } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { EventSink } from '../client/event-sink.js';
import { recordEvent } from '../client/events.js';
import { keyOf, type Informer } from '../client/informer.js';
import { isNotFound, PersistentVolumeClaims, Pods, StatefulSets, StatusError } from '../client/rest-client.js';
import { claimOwnerRefs, claimsForOrdinal, type PVC } from './statefulset-claims.js';
import { logger } from '../util/log.js';
import { CONTROLLER_REVISION_HASH, syncHistory, templateOf, type CR } from './controller-history.js';
import { claimObjects, controllerOf, selectorMatches } from './controller-ref.js';
import { isPodReady } from './pod-ranking.js';
import { identityLabels, isHealthy, newStatefulSetPod, ordinalOf, planSync, statefulSetStatus, type P, type Plan, type STS } from './statefulset-util.js';
import { updateStatus } from './status-update.js';
import { WorkQueue } from './work-queue.js';

const log = logger('statefulset-controller');
const SOURCE = { component: 'statefulset-controller' };

export interface StatefulSetInformers {
  statefulsets: Informer<STS>;
  pods: Informer<P>;
  revisions: Informer<CR>;
  claims: Informer<PVC>;
}

export class StatefulSetController {
  readonly queue: WorkQueue;

  constructor(
    private readonly client: ApiClient,
    private readonly informers: StatefulSetInformers,
    private readonly events: EventSink,
  ) {
    this.queue = new WorkQueue('statefulset', (key) => this.sync(key));
    informers.statefulsets.on({ add: (s) => this.queue.add(keyOf(s)), update: (s) => this.queue.add(keyOf(s)), delete: (s) => this.queue.add(keyOf(s)) });
    informers.pods.on({ add: (p) => this.podChanged(p), update: (p, old) => this.podChanged(p, old), delete: (p) => this.podChanged(p) });
    // A claim that goes (or changes owners) may let a waiting ordinal start, or need its owners again.
    const claimChanged = (c: PVC) => {
      for (const s of informers.statefulsets.list()) {
        if (s.metadata?.namespace !== c.metadata?.namespace) continue;
        if ((s.spec?.volumeClaimTemplates ?? []).some((t) => c.metadata?.name?.startsWith(`${t.metadata?.name}-${s.metadata?.name}-`))) this.queue.add(keyOf(s));
      }
    };
    informers.claims.on({ update: claimChanged, delete: claimChanged });
  }

  start(): void {
    for (const s of this.informers.statefulsets.list()) this.queue.add(keyOf(s));
  }

  stop(): void {
    this.queue.stop();
  }

  private podChanged(p: P, old?: P): void {
    const ref = controllerOf(p);
    if (!ref) {
      for (const s of this.informers.statefulsets.list()) if (s.metadata?.namespace === p.metadata?.namespace && isMember(s, p)) this.queue.add(keyOf(s));
      return;
    }
    if (ref.kind !== 'StatefulSet') return;
    const key = `${p.metadata!.namespace}/${ref.name}`;
    this.queue.add(key);
    if (old && isPodReady(p) && !isPodReady(old)) {
      const min = this.informers.statefulsets.get(key)?.spec?.minReadySeconds ?? 0;
      if (min > 0) this.queue.addAfter(key, min * 1000 + 1000);
    }
  }

  async sync(key: string): Promise<void> {
    const cached = this.informers.statefulsets.get(key);
    if (!cached) return;
    const set = structuredClone(cached);
    const ns = set.metadata!.namespace!;
    const candidates = this.informers.pods.list().filter((p) => p.metadata?.namespace === ns);
    const pods = (await claimObjects(this.client, candidates, { owner: set, apiVersion: 'apps/v1', kind: 'StatefulSet', matches: (o) => isMember(set, o as P), ref: Pods })) as P[];
    const live = new Set([...pods.map((p) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH]), set.status?.currentRevision]);
    const history = await syncHistory(this.client, this.informers.revisions, { obj: set, kind: 'StatefulSet' }, (r) => live.has(r.metadata?.name));
    const update = history.update;
    const current = history.revisions.find((r) => r.metadata?.name === set.status?.currentRevision) ?? update;
    const rev = { current: current.metadata!.name!, update: update.metadata!.name! };
    let planError: unknown;
    if (!set.metadata?.deletionTimestamp) {
      await this.updateClaimOwners(set, pods);
      const now = Date.now();
      const plan = planSync(set, pods, rev, isHealthy(set, now));
      try {
        await this.execute(set, plan, (revision) => templateOf(revision === rev.current ? current : update));
      } catch (e) {
        planError = e;
      }
    }
    const status = statefulSetStatus(set, pods, rev, Date.now());
    if (JSON.stringify(status) !== JSON.stringify(set.status ?? {})) await updateStatus(this.client, StatefulSets, set, status);
    if (planError) throw planError;
    const min = set.spec?.minReadySeconds ?? 0;
    if (min > 0 && status.readyReplicas !== status.availableReplicas) this.queue.addAfter(key, min * 1000);
  }

  private async execute(set: STS, plan: Plan, templateFor: (revision: string) => ReturnType<typeof templateOf>): Promise<void> {
    const ns = set.metadata!.namespace!;
    const setName = set.metadata!.name!;
    const creates = plan.create.map(async ({ ordinal, revision }) => {
      const pod = newStatefulSetPod(set, templateFor(revision), ordinal, revision);
      await this.createClaims(set, ordinal, pod.metadata!.name!);
      try {
        await this.client.create(Pods, ns, pod);
        this.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata!.name} in StatefulSet ${setName} successful`);
      } catch (e) {
        // Made by an earlier sync the informer has not shown yet.
        if (e instanceof StatusError && e.code === 409) return;
        this.event(set, 'Warning', 'FailedCreate', `create Pod ${pod.metadata!.name} in StatefulSet ${setName} failed error: ${(e as Error).message}`);
        throw e;
      }
    });
    const deletes = plan.delete.map(async (p) => {
      try {
        await this.client.delete(Pods, ns, p.metadata!.name!, { preconditions: { uid: p.metadata!.uid } });
        this.event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${p.metadata!.name} in StatefulSet ${setName} successful`);
      } catch (e) {
        if (e instanceof StatusError && (e.code === 404 || e.code === 409)) return;
        this.event(set, 'Warning', 'FailedDelete', `delete Pod ${p.metadata!.name} in StatefulSet ${setName} failed error: ${(e as Error).message}`);
        throw e;
      }
    });
    // (UpdateStatefulPod: the identity labels put back — the same for any pod of that name; events as recordPodEvent's)
    const updates = plan.update.map(async (p) => {
      try {
        await this.client.patch(Pods, ns, p.metadata!.name!, { metadata: { labels: identityLabels(set, p) } }, 'strategic');
        this.event(set, 'Normal', 'SuccessfulUpdate', `update Pod ${p.metadata!.name} in StatefulSet ${setName} successful`);
      } catch (e) {
        if (e instanceof StatusError && (e.code === 404 || e.code === 409)) return;
        this.event(set, 'Warning', 'FailedUpdate', `update Pod ${p.metadata!.name} in StatefulSet ${setName} failed error: ${(e as Error).message}`);
        throw e;
      }
    });
    const results = await Promise.allSettled([...creates, ...deletes, ...updates]);
    if (plan.create.length || plan.delete.length) log.debug('synced pods', { statefulset: `${ns}/${setName}`, created: plan.create.map((c) => c.ordinal), deleted: plan.delete.map((p) => p.metadata?.name) });
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failed) throw failed.reason;
  }

  /**
   * The ordinal's claims, before its pod (createPersistentVolumeClaims): the missing ones are
   * created, owned as the retention policy says; one still being deleted holds the pod back.
   */
  private async createClaims(set: STS, ordinal: number, podName: string): Promise<void> {
    const setName = set.metadata!.name!;
    for (const claim of claimsForOrdinal(set, ordinal).values()) {
      const ns = claim.metadata!.namespace!;
      const name = claim.metadata!.name!;
      const existing = this.informers.claims.get(`${ns}/${name}`);
      if (existing?.metadata?.deletionTimestamp) {
        const err = new Error(`pvc ${name} is being deleted`);
        this.event(set, 'Warning', 'FailedCreate', `create Pod ${podName} in StatefulSet ${setName} failed error: ${err.message}`);
        throw err;
      }
      if (existing) continue;
      const owners = claimOwnerRefs(claim, set, ordinal, undefined);
      if (owners?.length) claim.metadata!.ownerReferences = owners;
      try {
        await this.client.create(PersistentVolumeClaims, ns, claim);
        this.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${name} Pod ${podName} in StatefulSet ${setName} success`);
      } catch (e) {
        if (e instanceof StatusError && e.code === 409) continue;
        this.event(set, 'Warning', 'FailedCreate', `create Claim ${name} for Pod ${podName} in StatefulSet ${setName} failed error: ${(e as Error).message}`);
        throw e;
      }
    }
  }

  /** Each pod's claims get the owners the retention policy gives them (UpdatePodClaimForRetentionPolicy). */
  private async updateClaimOwners(set: STS, pods: P[]): Promise<void> {
    if (!set.spec?.volumeClaimTemplates?.length) return;
    const setName = set.metadata!.name!;
    for (const pod of pods) {
      const ordinal = ordinalOf(setName, pod.metadata?.name);
      if (ordinal === undefined) continue;
      for (const want of claimsForOrdinal(set, ordinal).values()) {
        const claim = this.informers.claims.get(`${want.metadata!.namespace}/${want.metadata!.name}`);
        if (!claim || claim.metadata?.deletionTimestamp) continue;
        const owners = claimOwnerRefs(claim, set, ordinal, pod);
        if (!owners) continue;
        try {
          await this.client.update(PersistentVolumeClaims, claim.metadata!.namespace, claim.metadata!.name!, { ...claim, metadata: { ...claim.metadata, ownerReferences: owners } });
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
    }
  }

  private event(set: STS, type: string, reason: string, message: string): void {
    const obj = { ...set, apiVersion: 'apps/v1', kind: 'StatefulSet' } as KubeObject;
    this.events.enqueue(() => recordEvent(this.client, obj, SOURCE, type, reason, message));
  }
}

/** The selector matches and the name is `<set>-<ordinal>` (isMemberOf). */
function isMember(set: STS, p: P): boolean {
  return ordinalOf(set.metadata!.name!, p.metadata?.name) !== undefined && selectorMatches(set.spec?.selector, p);
}
