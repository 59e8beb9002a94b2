// The Deployment controller (kube-controller-manager's deployment controller): a ReplicaSet per
// pod template (named <deployment>-<pod-template-hash>, the hash also labelling its pods), a
// rolling update within maxSurge and maxUnavailable or a Recreate, revisions in the
// deployment.kubernetes.io/revision annotation (what kubectl rollout history and undo read),
// old ReplicaSets pruned past revisionHistoryLimit, pause, proportional scaling, and the
// Available and Progressing conditions with the progress deadline.
import { omitZero } from '../api/omitempty.js';
import { labelSelectorFromObject, matchesLabelSelector } from '../api/selectors.js';
import type { DeploymentStatus, KubeObject, Pod } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { EventSink } from '../client/event-sink.js';
import { recordEvent } from '../client/events.js';
import { keyOf, type Informer } from '../client/informer.js';
import { Deployments, isNotFound, ReplicaSets, StatusError } from '../client/rest-client.js';
import { rfc3339Now } from '../util/time.js';
import { claimObjects, controllerOf, controllerRefTo } from './controller-ref.js';
import * as u from './deployment-util.js';
import { REPLICA_FAILURE } from './replica-manager.js';
import type { D, RS } from './deployment-util.js';
import { WorkQueue } from './work-queue.js';

const SOURCE = { component: 'deployment-controller' };

export interface DeploymentInformers {
  deployments: Informer<D>;
  replicasets: Informer<RS>;
  pods: Informer<Pod & KubeObject>;
}

const replicas = (o: { spec?: { replicas?: number } }) => o.spec?.replicas ?? 0;

/** errors.HasStatusCause(err, NamespaceTerminatingCause): NamespaceLifecycle's refusal in a namespace being deleted. */
const namespaceTerminating = (e: unknown) =>
  e instanceof StatusError && ((e.status?.details as { causes?: { reason?: string }[] } | undefined)?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');
const active = (sets: RS[]) => sets.filter((rs) => replicas(rs) > 0);

function selects(d: D, o: KubeObject): boolean {
  try {
    return matchesLabelSelector(labelSelectorFromObject(d.spec?.selector), o.metadata?.labels ?? {});
  } catch {
    return false;
  }
}

export class DeploymentController {
  readonly queue: WorkQueue;

  constructor(
    private readonly client: ApiClient,
    private readonly informers: DeploymentInformers,
    private readonly events: EventSink,
  ) {
    this.queue = new WorkQueue('deployment', (key) => this.sync(key));
    const add = (d: D) => this.queue.add(keyOf(d));
    informers.deployments.on({ add, update: add, delete: add });
    informers.replicasets.on({
      add: (rs) => this.enqueueOwner(rs, true),
      update: (rs, old) => {
        this.enqueueOwner(rs, true);
        if (controllerOf(old)?.uid !== controllerOf(rs)?.uid) this.enqueueOwner(old, false);
      },
      delete: (rs) => this.enqueueOwner(rs, false),
    });
    // Recreate waits for the old pods to be gone.
    informers.pods.on({
      delete: (p) => {
        const ref = controllerOf(p);
        const rs = ref?.kind === 'ReplicaSet' ? informers.replicasets.get(`${p.metadata!.namespace}/${ref.name}`) : undefined;
        if (rs) this.enqueueOwner(rs, false);
      },
    });
  }

  start(): void {
    for (const d of this.informers.deployments.list()) this.queue.add(keyOf(d));
  }

  stop(): void {
    this.queue.stop();
  }

  private enqueueOwner(rs: RS, orphansToo: boolean): void {
    const ref = controllerOf(rs);
    const ns = rs.metadata!.namespace;
    if (ref) {
      if (ref.kind === 'Deployment') this.queue.add(`${ns}/${ref.name}`);
      return;
    }
    if (!orphansToo) return;
    for (const d of this.informers.deployments.list()) if (d.metadata?.namespace === ns && selects(d, rs)) this.queue.add(keyOf(d));
  }

  async sync(key: string): Promise<void> {
    const cached = this.informers.deployments.get(key);
    if (!cached) return;
    const d = structuredClone(cached);
    const ns = d.metadata!.namespace!;
    const candidates = this.informers.replicasets.list().filter((rs) => rs.metadata?.namespace === ns);
    const rsList = ((await claimObjects(this.client, candidates, { owner: d, apiVersion: 'apps/v1', kind: 'Deployment', matches: (o) => selects(d, o), ref: ReplicaSets })) as RS[]).map((rs) =>
      structuredClone(rs),
    );
    if (d.metadata?.deletionTimestamp) return this.syncStatusOnly(d, rsList);
    await this.checkPausedConditions(d);
    if (d.spec?.paused || this.isScalingEvent(d, rsList)) return this.syncScale(d, rsList);
    if (d.spec?.strategy?.type === 'Recreate') return this.rolloutRecreate(d, rsList);
    return this.rolloutRolling(d, rsList);
  }

  // ---- ReplicaSets ----

  /** The ReplicaSet of the current template (oldest if several) and the others. */
  private split(d: D, rsList: RS[]): { newRS: RS | undefined; oldRSs: RS[] } {
    const sorted = [...rsList].sort(u.byCreation);
    const newRS = sorted.find((rs) => u.equalIgnoreHash(rs.spec?.template, d.spec?.template));
    return { newRS, oldRSs: sorted.filter((rs) => rs !== newRS) };
  }

  /** getAllReplicaSetsAndSyncRevision: the new ReplicaSet (created if asked) at the newest revision. */
  private async getAll(d: D, rsList: RS[], create: boolean): Promise<{ newRS: RS | undefined; oldRSs: RS[] }> {
    const { newRS, oldRSs } = this.split(d, rsList);
    const newRevision = String(u.maxRevision(oldRSs) + 1);
    if (newRS) {
      const ann = (newRS.metadata!.annotations ??= {});
      // (SetNewReplicaSetAnnotations: the revision and the deployment's own annotations; the
      // desired and max replicas it was sized for change only when it is scaled, so that a
      // scaling event is still seen, and spread in proportion, afterwards)
      const want: Record<string, string> = { ...u.copiedAnnotations(d), [u.REVISION]: u.revisionOf(newRS) < Number(newRevision) ? newRevision : ann[u.REVISION]! };
      // A ReplicaSet given a newer revision is a rollback to it: its earlier revisions are kept.
      if (ann[u.REVISION] && u.revisionOf(newRS) < Number(newRevision)) want[u.REVISION_HISTORY] = u.revisionHistory(ann[u.REVISION_HISTORY], ann[u.REVISION]);
      const minReady = d.spec?.minReadySeconds ?? 0;
      if (Object.entries(want).some(([k, v]) => ann[k] !== v) || (newRS.spec!.minReadySeconds ?? 0) !== minReady) {
        Object.assign(ann, want);
        newRS.spec!.minReadySeconds = minReady;
        Object.assign(newRS, await this.client.update<RS>(ReplicaSets, newRS.metadata!.namespace, newRS.metadata!.name!, newRS));
      }
      await this.syncRevision(d, newRS);
      if (!u.conditionOf(d.status, u.PROGRESSING) && u.hasProgressDeadline(d)) {
        const s = { ...(d.status ?? {}) };
        u.setCondition(s, u.newCondition(u.PROGRESSING, 'True', u.FOUND_NEW_RS, `Found new replica set "${newRS.metadata!.name}"`, rfc3339Now()));
        await this.updateStatus(d, s);
      }
      return { newRS, oldRSs };
    }
    if (!create) return { newRS: undefined, oldRSs };
    return { newRS: await this.createNewReplicaSet(d, oldRSs, newRevision), oldRSs };
  }

  private async createNewReplicaSet(d: D, oldRSs: RS[], revision: string): Promise<RS> {
    const hash = u.computeHash(d.spec?.template, d.status?.collisionCount);
    const template = structuredClone(d.spec!.template!);
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [u.POD_TEMPLATE_HASH]: hash } };
    const selector = structuredClone(d.spec!.selector!);
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [u.POD_TEMPLATE_HASH]: hash };
    const draft: RS = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata!.name}-${hash}`,
        namespace: d.metadata!.namespace,
        labels: template.metadata.labels,
        annotations: { ...u.copiedAnnotations(d), [u.REVISION]: revision, [u.DESIRED_REPLICAS]: String(replicas(d)), [u.MAX_REPLICAS]: String(replicas(d) + u.maxSurge(d)) },
        ownerReferences: [controllerRefTo(d, 'apps/v1', 'Deployment')],
      },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    };
    draft.spec!.replicas = u.newRSNewReplicas(d, oldRSs, draft);
    let created: RS;
    try {
      created = await this.client.create<RS>(ReplicaSets, d.metadata!.namespace, draft);
    } catch (e) {
      if (!(e instanceof StatusError && e.code === 409)) {
        // A refusal (a quota, an admission webhook or policy) is said on the Deployment; a
        // namespace being deleted refuses every create, and is not.
        if (!namespaceTerminating(e)) await this.replicaSetCreateFailed(d, draft.metadata!.name!, e);
        throw e;
      }
      // Ours already (an informer that lags), or a hash collision: count it and try another name.
      const existing = await this.client.get<RS>(ReplicaSets, d.metadata!.namespace, draft.metadata!.name!);
      if (controllerOf(existing)?.uid === d.metadata!.uid && u.equalIgnoreHash(existing.spec?.template, d.spec?.template)) return existing;
      const s = { ...(d.status ?? {}), collisionCount: (d.status?.collisionCount ?? 0) + 1 };
      await this.updateStatus(d, s);
      throw new Error(`replica set ${draft.metadata!.name} exists with another template; collisionCount now ${s.collisionCount}`);
    }
    if (replicas(created) > 0) this.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata!.name} from 0 to ${replicas(created)}`);
    await this.syncRevision(d, created);
    if (u.hasProgressDeadline(d)) {
      const s = { ...(d.status ?? {}) };
      u.setCondition(s, u.newCondition(u.PROGRESSING, 'True', u.NEW_RS_CREATED, `Created new replica set "${created.metadata!.name}"`, rfc3339Now()));
      await this.updateStatus(d, s);
    }
    return created;
  }

  /**
   * getNewReplicaSet when the create is refused: Progressing False with ReplicaSetCreateError
   * (when the Deployment has a progress deadline) and a Warning event, both saying why.
   */
  private async replicaSetCreateFailed(d: D, name: string, e: unknown): Promise<void> {
    const msg = `Failed to create new replica set "${name}": ${e instanceof Error ? e.message : String(e)}`;
    if (u.hasProgressDeadline(d)) {
      const s = { ...(d.status ?? {}) };
      u.setCondition(s, u.newCondition(u.PROGRESSING, 'False', u.FAILED_RS_CREATE, msg, rfc3339Now()));
      // (the refusal is the error to report; a failed status write is not)
      await this.updateStatus(d, s).catch(() => undefined);
    }
    this.event(d, 'Warning', u.FAILED_RS_CREATE, msg);
  }

  /**
   * The Deployment carries its newest ReplicaSet's revision, written through the status
   * subresource as getNewReplicaSet's UpdateStatus does: no new generation (the main resource
   * would count an annotation change), so `kubectl rollout status` does not wait again.
   */
  private async syncRevision(d: D, newRS: RS): Promise<void> {
    const rev = newRS.metadata?.annotations?.[u.REVISION];
    if (!rev || d.metadata?.annotations?.[u.REVISION] === rev) return;
    const out = await this.client.update<D>(Deployments, d.metadata!.namespace, d.metadata!.name!, { ...d, metadata: { ...d.metadata, annotations: { ...d.metadata?.annotations, [u.REVISION]: rev } } }, 'status');
    d.metadata = out.metadata;
  }

  /** Sets spec.replicas (and the desired/max annotations) of a ReplicaSet; false if nothing changed. */
  private async scaleReplicaSet(rs: RS, to: number, d: D): Promise<boolean> {
    const from = replicas(rs);
    const ann = (rs.metadata!.annotations ??= {});
    const desired = String(replicas(d));
    const max = String(replicas(d) + u.maxSurge(d));
    if (from === to && ann[u.DESIRED_REPLICAS] === desired && ann[u.MAX_REPLICAS] === max) return false;
    rs.spec!.replicas = to;
    ann[u.DESIRED_REPLICAS] = desired;
    ann[u.MAX_REPLICAS] = max;
    Object.assign(rs, await this.client.update<RS>(ReplicaSets, rs.metadata!.namespace, rs.metadata!.name!, rs));
    if (from !== to) this.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.metadata!.name} from ${from} to ${to}`);
    return from !== to;
  }

  private async applyScales(sets: RS[], counts: Map<string, number>, d: D): Promise<number> {
    let changed = 0;
    for (const rs of sets) {
      const to = counts.get(rs.metadata!.name!);
      if (to !== undefined && (await this.scaleReplicaSet(rs, to, d))) changed++;
    }
    return changed;
  }

  // ---- strategies ----

  private async rolloutRolling(d: D, rsList: RS[]): Promise<void> {
    const { newRS, oldRSs } = await this.getAll(d, rsList, true);
    const all = [...oldRSs, newRS!];
    if (await this.reconcileNewReplicaSet(all, newRS!, d)) return this.syncRolloutStatus(all, newRS, d);
    if (await this.reconcileOldReplicaSets(all, active(oldRSs), newRS!, d)) return this.syncRolloutStatus(all, newRS, d);
    if (u.deploymentComplete(d, d.status ?? {})) await this.cleanup(oldRSs, d);
    return this.syncRolloutStatus(all, newRS, d);
  }

  private async reconcileNewReplicaSet(all: RS[], newRS: RS, d: D): Promise<boolean> {
    if (replicas(newRS) === replicas(d)) return false;
    if (replicas(newRS) > replicas(d)) return this.scaleReplicaSet(newRS, replicas(d), d);
    return this.scaleReplicaSet(newRS, u.newRSNewReplicas(d, all, newRS), d);
  }

  private async reconcileOldReplicaSets(all: RS[], oldActive: RS[], newRS: RS, d: D): Promise<boolean> {
    if (u.specReplicas(oldActive) === 0) return false;
    const max = u.maxScaledDown(d, all, newRS);
    if (max <= 0) return false;
    const cleaned = await this.applyScales(oldActive, u.unhealthyScaleDowns(oldActive, max), d);
    const scaled = await this.applyScales(oldActive, u.rollingScaleDowns(d, [...oldActive, newRS], oldActive), d);
    return cleaned + scaled > 0;
  }

  private async rolloutRecreate(d: D, rsList: RS[]): Promise<void> {
    let { newRS, oldRSs } = await this.getAll(d, rsList, false);
    const all = () => [...oldRSs, ...(newRS ? [newRS] : [])];
    const zero = new Map(active(oldRSs).map((rs) => [rs.metadata!.name!, 0]));
    if ((await this.applyScales(active(oldRSs), zero, d)) > 0) return this.syncRolloutStatus(all(), newRS, d);
    if (this.oldPodsRunning(oldRSs)) return this.syncRolloutStatus(all(), newRS, d);
    if (!newRS) ({ newRS, oldRSs } = await this.getAll(d, rsList, true));
    await this.scaleReplicaSet(newRS!, replicas(d), d);
    if (u.deploymentComplete(d, d.status ?? {})) await this.cleanup(oldRSs, d);
    return this.syncRolloutStatus(all(), newRS, d);
  }

  /** Pods of old ReplicaSets that still exist (terminating ones too) and are not finished. */
  private oldPodsRunning(oldRSs: RS[]): boolean {
    if (u.actualReplicas(oldRSs) > 0) return true;
    const uids = new Set(oldRSs.map((rs) => rs.metadata!.uid));
    return this.informers.pods.list().some((p) => uids.has(controllerOf(p)?.uid) && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  }

  /** A change of spec.replicas mid-rollout (or while paused): scale without rolling. */
  private isScalingEvent(d: D, rsList: RS[]): boolean {
    const { newRS, oldRSs } = this.split(d, rsList);
    return active([...oldRSs, ...(newRS ? [newRS] : [])]).some((rs) => {
      const desired = rs.metadata?.annotations?.[u.DESIRED_REPLICAS];
      return desired !== undefined && Number(desired) !== replicas(d);
    });
  }

  private async syncScale(d: D, rsList: RS[]): Promise<void> {
    const { newRS, oldRSs } = await this.getAll(d, rsList, false);
    await this.scale(d, newRS, oldRSs);
    if (d.spec?.paused) await this.cleanup(oldRSs, d);
    const all = [...oldRSs, ...(newRS ? [newRS] : [])];
    await this.updateStatus(d, u.calculateStatus(d, all, newRS, rfc3339Now()));
  }

  private async scale(d: D, newRS: RS | undefined, oldRSs: RS[]): Promise<void> {
    const all = [...oldRSs, ...(newRS ? [newRS] : [])];
    const act = active(all);
    const only = act.length === 1 ? act[0] : act.length === 0 ? (newRS ?? [...oldRSs].sort(u.byCreation).at(-1)) : undefined;
    if (only) {
      await this.scaleReplicaSet(only, replicas(d), d);
      return;
    }
    const saturated = newRS && replicas(newRS) === replicas(d) && (newRS.status?.availableReplicas ?? 0) === replicas(d);
    if (saturated) {
      await this.applyScales(active(oldRSs), new Map(active(oldRSs).map((rs) => [rs.metadata!.name!, 0])), d);
      return;
    }
    if (u.isRollingUpdate(d)) await this.applyScales(act, u.proportionalScale(d, act), d);
  }

  /** Old ReplicaSets past revisionHistoryLimit, oldest revision first, once scaled to zero. */
  private async cleanup(oldRSs: RS[], d: D): Promise<void> {
    const limit = d.spec?.revisionHistoryLimit;
    if (limit === undefined || limit === null) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
    const diff = cleanable.length - limit;
    if (diff <= 0) return;
    const sorted = [...cleanable].sort((a, b) => u.revisionOf(a) - u.revisionOf(b) || u.byCreation(a, b));
    for (const rs of sorted.slice(0, diff)) {
      if ((rs.status?.replicas ?? 0) !== 0 || replicas(rs) !== 0 || (rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        await this.client.delete(ReplicaSets, rs.metadata!.namespace, rs.metadata!.name!, { preconditions: { uid: rs.metadata!.uid } });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  // ---- status ----

  private async checkPausedConditions(d: D): Promise<void> {
    if (!u.hasProgressDeadline(d)) return;
    const cond = u.conditionOf(d.status, u.PROGRESSING);
    const pausedCond = cond?.reason === u.PAUSED;
    const now = rfc3339Now();
    const s = { ...(d.status ?? {}) };
    if (d.spec?.paused && !pausedCond) u.setCondition(s, u.newCondition(u.PROGRESSING, 'Unknown', u.PAUSED, 'Deployment is paused', now));
    else if (!d.spec?.paused && pausedCond) u.setCondition(s, u.newCondition(u.PROGRESSING, 'Unknown', u.RESUMED, 'Deployment is resumed', now));
    else return;
    await this.updateStatus(d, s);
  }

  private async syncStatusOnly(d: D, rsList: RS[]): Promise<void> {
    const { newRS, oldRSs } = await this.getAll(d, rsList, false);
    await this.updateStatus(d, u.calculateStatus(d, [...oldRSs, ...(newRS ? [newRS] : [])], newRS, rfc3339Now()));
  }

  /** syncRolloutStatus: counts, Available, and Progressing against the progress deadline. */
  private async syncRolloutStatus(all: RS[], newRS: RS | undefined, d: D): Promise<void> {
    const nowMs = Date.now();
    const now = rfc3339Now();
    const s = u.calculateStatus(d, all, newRS, now);
    const deadline = u.hasProgressDeadline(d) ? d.spec?.progressDeadlineSeconds : undefined;
    if (deadline == null) s.conditions = (s.conditions ?? []).filter((c) => c.type !== u.PROGRESSING);
    const cur = u.conditionOf(s, u.PROGRESSING);
    const complete = s.replicas === s.updatedReplicas && cur?.reason === u.NEW_RS_AVAILABLE;
    const name = newRS?.metadata?.name;
    if (deadline != null && !complete) {
      if (u.deploymentComplete(d, s)) {
        u.setCondition(s, u.newCondition(u.PROGRESSING, 'True', u.NEW_RS_AVAILABLE, `ReplicaSet "${name}" has successfully progressed.`, now));
      } else if (u.deploymentProgressing(d, s)) {
        const c = u.newCondition(u.PROGRESSING, 'True', u.RS_UPDATED, name ? `ReplicaSet "${name}" is progressing.` : 'Deployment is progressing.', now);
        if (cur?.status === 'True') c.lastTransitionTime = cur.lastTransitionTime;
        s.conditions = [...(s.conditions ?? []).filter((x) => x.type !== u.PROGRESSING), c];
      } else if (u.deploymentTimedOut(d, s, nowMs)) {
        u.setCondition(s, u.newCondition(u.PROGRESSING, 'False', u.TIMED_OUT, `ReplicaSet "${name}" has timed out progressing.`, now));
      }
    }
    // A ReplicaSet that cannot create or delete its pods (a quota, say) says so on the Deployment.
    const failure = u.replicaFailure(all, newRS);
    if (failure) u.setCondition(s, failure);
    else s.conditions = (s.conditions ?? []).filter((c) => c.type !== REPLICA_FAILURE);
    await this.updateStatus(d, s);
    // A rollout that stops progressing is looked at again when its deadline passes.
    const c = u.conditionOf(s, u.PROGRESSING);
    if (deadline != null && c && c.reason !== u.NEW_RS_AVAILABLE && c.reason !== u.TIMED_OUT && !u.deploymentComplete(d, s)) {
      const left = Date.parse(c.lastUpdateTime ?? now) + deadline * 1000 - nowMs;
      this.queue.addAfter(keyOf(d), Math.max(left, 0) + 1000);
    }
  }

  private async updateStatus(d: D, computed: DeploymentStatus): Promise<void> {
    // (the counts are omitempty, as the status a Kubernetes controller writes)
    const s = omitZero(computed, ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'observedGeneration']);
    if (JSON.stringify(s) === JSON.stringify(d.status ?? {})) return;
    const out = await this.client.update<D>(Deployments, d.metadata!.namespace, d.metadata!.name!, { ...d, status: s }, 'status');
    d.metadata = out.metadata;
    d.status = out.status;
  }

  private event(d: D, type: string, reason: string, message: string): void {
    const obj = { ...d, apiVersion: 'apps/v1', kind: 'Deployment' };
    this.events.enqueue(() => recordEvent(this.client, obj, SOURCE, type, reason, message));
  }
}
