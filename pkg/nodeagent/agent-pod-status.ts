// The agent's status manager: a pod worker's status goes to the API as a strategic merge patch,
// coalesced per pod (one in flight, the latest wins, unchanged ones skipped), and a pod torn
// down after its deletion is deleted for good (grace 0, preconditioned on its UID).
import type { Pod } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { Pods, StatusError } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { computeStatus, type PodView } from './pod-status.js';

const log = logger('nodeagent');

/** `{ [key]: [...items, {$patch: replace}] }` when status has that list: the list replaces the stored one. */
function replaceList(status: object, key: string): Record<string, unknown[]> {
  const items = (status as Record<string, unknown>)[key];
  return Array.isArray(items) ? { [key]: [...items, { $patch: 'replace' }] } : {};
}

/** A pod whose status is reported: a pod worker's view (PodWorker is one). */
export interface ReportedPod extends PodView {
  readonly uid: string;
  /** namespace/name, for logs. */
  readonly key: string;
  /** The pod is gone from the API. */
  readonly deleted: boolean;
}

export class PodStatusManager {
  /** The status last written, by pod UID (without transition and probe times). */
  private sent = new Map<string, string>();
  private inFlight = new Set<string>();
  private pending = new Set<string>();

  constructor(
    private readonly client: ApiClient,
    private readonly nodeIP: string,
    /** The UID of the API pod a worker's status goes to: the pod's own, or its mirror pod's for a static pod (undefined: none yet). */
    private readonly statusTarget: (pod: Pod, uid: string) => string | undefined,
  ) {}

  async report(w: ReportedPod): Promise<void> {
    const uid = w.uid;
    if (this.inFlight.has(uid)) {
      this.pending.add(uid);
      return;
    }
    if (w.deleted || w.pod.metadata?.deletionTimestamp) return;
    const target = this.statusTarget(w.pod, uid);
    if (!target) return;
    const status = computeStatus(w, this.nodeIP);
    const text = JSON.stringify(status, (k, v) => (k === 'lastTransitionTime' || k === 'lastProbeTime' ? undefined : v));
    if (this.sent.get(uid) === text) return;
    this.inFlight.add(uid);
    try {
      // podIPs and hostIPs merge by ip in a strategic merge patch: a pod whose sandbox was made
      // anew (after a reboot) has a new address, which must replace the old, not join it.
      const patch = { ...status, ...replaceList(status, 'podIPs'), ...replaceList(status, 'hostIPs') };
      await this.client.patch(Pods, w.pod.metadata!.namespace, w.pod.metadata!.name!, { metadata: { uid: target }, status: patch }, 'strategic', 'status');
      this.sent.set(uid, text);
    } catch (e) {
      if (!(e instanceof StatusError && (e.code === 404 || e.code === 409))) log.warn('status update failed', { pod: w.key, err: e });
    } finally {
      this.inFlight.delete(uid);
      if (this.pending.delete(uid)) void this.report(w);
    }
  }

  /** Forgets what was sent for a pod: the next report writes its status again. */
  forget(uid: string): void {
    this.sent.delete(uid);
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
