// Creating and deleting a controller's pods as Kubernetes' controllers do (PodControl with
// slowStartBatch): expectations set first, creates in batches of 1, 2, 4, ... so a template that
// cannot be created fails once rather than n times, deletes pinned to the pod's uid, an Event for
// each, and expectations lowered for what failed (it will never be observed).
import type { KubeObject, Pod } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { isNotFound, Pods } from '../client/rest-client.js';
import type { Expectations } from './expectations.js';

type P = Pod & KubeObject;

export interface PodControl {
  client: ApiClient;
  expectations: Expectations;
  /** The controller's queue key (namespace/name) of the owner. */
  key: string;
  namespace: string;
  event(type: string, reason: string, message: string): void;
}

/** Creates `pods` (slow start); throws the first error after recording it. */
export async function createPods(ctl: PodControl, pods: P[]): Promise<void> {
  const n = pods.length;
  ctl.expectations.expectCreations(ctl.key, n);
  let done = 0;
  for (let batch = 1; done < n; batch *= 2) {
    const results = await Promise.allSettled(pods.slice(done, done + batch).map((p) => ctl.client.create<P>(Pods, ctl.namespace, p)));
    done += results.length;
    for (const r of results) if (r.status === 'fulfilled') ctl.event('Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata?.name}`);
    const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    if (failed.length) {
      // The creates that failed, and the ones never attempted, will not be observed.
      for (let i = 0; i < failed.length + (n - done); i++) ctl.expectations.creationObserved(ctl.key);
      const err = failed[0]!.reason;
      ctl.event('Warning', 'FailedCreate', `Error creating: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }
}

/** Deletes `victims` (a pod already gone counts as deleted); throws the first error. */
export async function deletePods(ctl: PodControl, victims: P[]): Promise<void> {
  ctl.expectations.expectDeletions(ctl.key, victims.map((p) => p.metadata!.uid!));
  const results = await Promise.allSettled(
    victims.map(async (p) => {
      try {
        await ctl.client.delete(Pods, ctl.namespace, p.metadata!.name!, { preconditions: { uid: p.metadata!.uid } });
        ctl.event('Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata!.name}`);
      } catch (e) {
        ctl.expectations.deletionObserved(ctl.key, p.metadata!.uid!);
        if (isNotFound(e)) return;
        ctl.event('Warning', 'FailedDelete', `Error deleting: ${(e as Error).message}`);
        throw e;
      }
    }),
  );
  const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
  if (failed) throw failed.reason;
}
