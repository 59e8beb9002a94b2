// The agent's status manager: a pod worker's status goes to the API as a strategic merge patch,
// coalesced per pod (one in flight, the latest wins, unchanged ones skipped). A deleted pod's
// terminal status is written once its containers have stopped, and only then, torn down, is the
// pod deleted for good (grace 0, preconditioned on its UID), as the kubelet's. A patch that
// fails (the apiserver restarting) is tried again, 1 s doubling to 10 s, until it is written: a
// pod that has nothing new to report would otherwise show its old status for good (the
// kubelet's status manager resends every 10 s what the API does not have).
import type { Pod } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { Pods, StatusError } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { computeStatus, type PodView } from './pod-status.js';

const log = logger('nodeagent');

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 10_000;

/** `{ [key]: [...items, {$patch: replace}] }` when status has that list: the list replaces the stored one. */
function replaceList(status: object, key: string): Record<string, unknown[]> {
  const items = (status as Record<string, unknown>)[key];
  return Array.isArray(items) ? { [key]: [...items, { $patch: 'replace' }] } : {};
}

const withoutTimes = (k: string, v: unknown) => (k === 'lastTransitionTime' || k === 'lastProbeTime' ? undefined : v);

/** JSON with keys in order, and no transition or probe times: equal for statuses that say the same. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (k, x: unknown) => {
    if (withoutTimes(k, x) === undefined) return undefined;
    if (!x || typeof x !== 'object' || Array.isArray(x)) return x;
    return Object.fromEntries(Object.entries(x as Record<string, unknown>).filter(([, y]) => y !== undefined && y !== null).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

type Condition = { type?: string; status?: string; reason?: string; message?: string };

/** The status fields the node writes (others, such as nominatedNodeName, are the scheduler's or a controller's). */
const NODE_FIELDS = ['phase', 'message', 'reason', 'hostIP', 'hostIPs', 'podIP', 'podIPs', 'startTime', 'qosClass', 'initContainerStatuses', 'containerStatuses', 'ephemeralContainerStatuses'];

/** The node's fields of a status, and any other the computed status has. */
function nodeFields(status: object, computed: object): Record<string, unknown> {
  const keys = new Set([...NODE_FIELDS, ...Object.keys(computed)]);
  keys.delete('conditions');
  return Object.fromEntries(Object.entries(status).filter(([k]) => keys.has(k)));
}

/** The conditions the node sets (the kubelet's own). */
const NODE_CONDITIONS = new Set(['Initialized', 'Ready', 'ContainersReady', 'PodReadyToStartContainers']);
/** ... and PodScheduled: the conditions the kubelet owns (kubetypes.PodConditionByKubelet). */
const KUBELET_CONDITIONS = new Set([...NODE_CONDITIONS, 'PodScheduled']);

/**
 * The node's conditions as the patch carries them. One without a reason or message (True ones)
 * says so with null, so the merge by type removes the reason a False one left (Ready True with
 * reason ContainersNotReady stayed in the API after the pod became ready). One the API has
 * already goes without its lastProbeTime: the node never sets it, and a null in a strategic merge
 * patch deletes the key (upstream's two-way patch leaves out what did not change). The order is
 * 1.32's mergePodStatus's, as `$setElementOrder/conditions` of its CreateTwoWayMergePatch says:
 * the conditions others set first, as the API has them, then the kubelet's, PodScheduled (the
 * binding's) last of these.
 */
function conditionsPatch(status: object, held: object | undefined): Record<string, unknown> {
  const conds = (status as { conditions?: Condition[] }).conditions;
  if (!conds) return {};
  const heldConds = (held as { conditions?: Condition[] } | undefined)?.conditions ?? [];
  const has = new Set(heldConds.map((c) => c.type));
  const conditions = conds.map((c) => {
    const { lastProbeTime, ...rest } = c as Condition & { lastProbeTime?: unknown };
    const item = has.has(c.type) ? rest : { ...rest, lastProbeTime };
    return NODE_CONDITIONS.has(c.type ?? '') ? { reason: null, message: null, ...item } : item;
  });
  const order = [...new Set([...heldConds.filter((c) => !KUBELET_CONDITIONS.has(c.type ?? '')).map((c) => c.type), ...conds.map((c) => c.type)])];
  return { conditions, '$setElementOrder/conditions': order.map((type) => ({ type })) };
}

/**
 * Null for the pod's message and reason when the API holds one and the computed status has none:
 * the merge patch removes it (a pod no longer evicted, or a status someone else wrote). Other
 * fields are left: one the node does not know yet (an address before the sandbox is found again)
 * is not taken away.
 */
function removals(computed: object, held: object | undefined): Record<string, null> {
  const c = computed as Record<string, unknown>;
  const h = (held ?? {}) as Record<string, unknown>;
  return Object.fromEntries(['message', 'reason'].filter((k) => h[k] != null && c[k] === undefined).map((k) => [k, null]));
}

/**
 * Whether the status computed says what the API holds already, as the kubelet's
 * isPodStatusByKubeletEqual judges it: each condition the agent reports, looked up by type
 * (order, times and conditions others set do not count), says the same; the node's other fields
 * are equal (what the scheduler or a controller set beside them does not count).
 */
export function sameStatus(computed: object, held: object | undefined): boolean {
  if (!held) return false;
  const mine = ((computed as { conditions?: Condition[] }).conditions ?? []);
  const theirs = ((held as { conditions?: Condition[] }).conditions ?? []);
  for (const c of mine) {
    const h = theirs.find((x) => x.type === c.type);
    if (!h || h.status !== c.status || (h.reason ?? '') !== (c.reason ?? '') || (h.message ?? '') !== (c.message ?? '')) return false;
  }
  return canonical(nodeFields(computed, computed)) === canonical(nodeFields(held, computed));
}

/** A pod whose status is reported: a pod worker's view (PodWorker is one). */
export interface ReportedPod extends PodView {
  readonly uid: string;
  /** namespace/name, for logs. */
  readonly key: string;
  /** The pod is gone from the API. */
  readonly deleted: boolean;
  /** The pod's worker has torn it down after its deletion: its status was written, nothing more is. */
  readonly tornDown?: boolean;
}

export class PodStatusManager {
  /** The status last written, by pod UID (without transition and probe times). */
  private sent = new Map<string, string>();
  /** The write under way of each pod, by UID. */
  private inFlight = new Map<string, Promise<unknown>>();
  private pending = new Set<string>();
  /** Retries of failed patches, by pod UID, with the delay of the next one. */
  private retries = new Map<string, { timer: NodeJS.Timeout; delayMs: number }>();
  private stopped = false;
  /** By pod UID, the API's status (canonical) that a reconcile last answered: each is answered once, so no write repeats for ever. */
  private reconciled = new Map<string, string>();

  constructor(
    private readonly client: ApiClient,
    private readonly nodeIP: string,
    /** The UID of the API pod a worker's status goes to: the pod's own, or its mirror pod's for a static pod (undefined: none yet). */
    private readonly statusTarget: (pod: Pod, uid: string) => string | undefined,
  ) {}

  async report(w: ReportedPod): Promise<void> {
    const uid = w.uid;
    if (this.stopped) return;
    if (this.inFlight.has(uid)) {
      this.pending.add(uid);
      return;
    }
    const done = this.write(w);
    this.inFlight.set(uid, done);
    try {
      const r = await done;
      if (r === 'failed') this.retryLater(w);
      else this.cancelRetry(uid);
    } finally {
      this.inFlight.delete(uid);
      if (this.pending.delete(uid)) void this.report(w);
    }
  }

  /**
   * Writes the status of a pod whose containers have stopped after its deletion, and resolves
   * once the API holds it: the kubelet deletes a pod for good only when the API has its terminal
   * phase (canBeDeleted), so a pod held by a finalizer keeps it. Tried again (1 s doubling to
   * 10 s) until written; false when the pod is gone (or replaced) or the agent stops first.
   */
  async reportTerminal(w: ReportedPod): Promise<boolean> {
    const uid = w.uid;
    let delayMs = FIRST_RETRY_MS;
    for (;;) {
      // (a report under way finishes first: its answer may be what is written now)
      while (this.inFlight.has(uid)) await this.inFlight.get(uid);
      if (this.stopped) return false;
      this.cancelRetry(uid);
      const done = this.write(w);
      this.inFlight.set(uid, done);
      const r = await done.finally(() => this.inFlight.delete(uid));
      this.pending.delete(uid);
      if (r !== 'failed') return r !== 'gone';
      await new Promise((res) => setTimeout(res, delayMs).unref());
      delayMs = Math.min(delayMs * 2, MAX_RETRY_MS);
    }
  }

  /** Computes the status of `w` and patches it when the API may not have it: 'same' when not needed. */
  private async write(w: ReportedPod): Promise<'same' | 'written' | 'gone' | 'failed'> {
    const uid = w.uid;
    // (a pod gone from the API, or torn down after its deletion, has nothing more to say: what a
    // torn-down worker would compute, without its containers, is not how the pod ended)
    if (w.deleted || w.tornDown) return 'gone';
    const target = this.statusTarget(w.pod, uid);
    if (!target) return 'same';
    const status = computeStatus(w, this.nodeIP);
    const text = JSON.stringify(status, withoutTimes);
    if (this.sent.get(uid) === text) return 'same';
    // The first report of a pod (this agent just started, or the pod is new to it) is not sent
    // when the API already holds it, as the kubelet's status manager compares with the pod it
    // has: a restarted agent does not rewrite every pod of the node.
    if (!this.sent.has(uid) && target === uid && sameStatus(status, w.pod.status)) {
      this.sent.set(uid, text);
      return 'same';
    }
    try {
      // podIPs and hostIPs merge by ip in a strategic merge patch: a pod whose sandbox was made
      // anew (after a reboot) has a new address, which must replace the old, not join it.
      const patch = { ...removals(status, w.pod.status), ...status, ...conditionsPatch(status, w.pod.status), ...replaceList(status, 'podIPs'), ...replaceList(status, 'hostIPs') };
      await this.client.patch(Pods, w.pod.metadata!.namespace, w.pod.metadata!.name!, { metadata: { uid: target }, status: patch }, 'strategic', 'status');
      this.sent.set(uid, text);
      return 'written';
    } catch (e) {
      // (404: the pod is gone; 409: another pod of that name by now)
      if (e instanceof StatusError && (e.code === 404 || e.code === 409)) return 'gone';
      log.warn('status update failed', { pod: w.key, err: e });
      return 'failed';
    }
  }

  /** Reports `w` again after a failed patch (one retry pending per pod). */
  private retryLater(w: ReportedPod): void {
    const prev = this.retries.get(w.uid);
    if (prev) clearTimeout(prev.timer);
    const delayMs = prev ? Math.min(prev.delayMs * 2, MAX_RETRY_MS) : FIRST_RETRY_MS;
    const timer = setTimeout(() => void this.report(w), delayMs);
    timer.unref();
    this.retries.set(w.uid, { timer, delayMs });
  }

  private cancelRetry(uid: string): void {
    const r = this.retries.get(uid);
    if (!r) return;
    clearTimeout(r.timer);
    this.retries.delete(uid);
  }

  /**
   * The kubelet status manager's reconcile (every 10 s): a pod whose status in the API is not the
   * one last written (someone else wrote it, or the write was lost) has it written again. A
   * static pod's mirror is left out (its pod here is the manifest's, not the API's).
   */
  reconcile(workers: Iterable<ReportedPod>): void {
    if (this.stopped) return;
    for (const w of workers) {
      const uid = w.uid;
      const sent = this.sent.get(uid);
      if (sent === undefined || this.inFlight.has(uid) || this.retries.has(uid) || w.deleted || w.pod.metadata?.deletionTimestamp) continue;
      if (this.statusTarget(w.pod, uid) !== uid) continue;
      const status = computeStatus(w, this.nodeIP);
      if (JSON.stringify(status, withoutTimes) !== sent || sameStatus(status, w.pod.status)) continue;
      // (a difference a write cannot mend, a field the node does not report, is answered once)
      const held = canonical(w.pod.status ?? {});
      if (this.reconciled.get(uid) === held) continue;
      this.reconciled.set(uid, held);
      log.info('pod status in the API differs from the node\'s; writing it again', { pod: w.key });
      this.sent.delete(uid);
      void this.report(w);
    }
  }

  /** Forgets what was sent for a pod: the next report writes its status again. */
  forget(uid: string): void {
    this.sent.delete(uid);
    this.reconciled.delete(uid);
    this.cancelRetry(uid);
  }

  /** No more patches (the agent stops). */
  stop(): void {
    this.stopped = true;
    for (const uid of [...this.retries.keys()]) this.cancelRetry(uid);
  }

  /** The worker has torn the pod down: delete it for good (already gone, or another pod by now: fine). */
  async confirmDeleted(pod: Pod): Promise<void> {
    try {
      await this.client.delete(Pods, pod.metadata!.namespace, pod.metadata!.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata!.uid } });
    } catch (e) {
      if (!(e instanceof StatusError && (e.code === 404 || e.code === 409))) throw e;
    }
  }
}
