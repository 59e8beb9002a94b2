// The ReplicationController controller (kube-controller-manager's "replicationcontroller", which
// wraps the ReplicaSet controller): the replica manager over core/v1 ReplicationControllers,
// whose selector is a plain label map (equality on every key).
import type { KubeObject, Pod, ReplicationController } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { EventSink } from '../client/event-sink.js';
import type { Informer } from '../client/informer.js';
import { ReplicationControllers } from '../client/rest-client.js';
import { ReplicaManager, type ReplicatedKind } from './replica-manager.js';

type RC = ReplicationController & KubeObject;

/** A map selector selects the pods that carry every one of its labels; an empty one selects nothing (validation refuses it). */
export function mapSelects(selector: Record<string, string> | undefined, o: KubeObject): boolean {
  const entries = Object.entries(selector ?? {});
  const labels = o.metadata?.labels ?? {};
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

export const REPLICATION_CONTROLLER_KIND: ReplicatedKind<RC> = {
  kind: 'ReplicationController',
  apiVersion: 'v1',
  ref: ReplicationControllers,
  component: 'replication-controller',
  selects: (rc, p) => mapSelects(rc.spec?.selector, p),
};

export class ReplicationControllerController extends ReplicaManager<RC> {
  constructor(client: ApiClient, informers: { replicationcontrollers: Informer<RC>; pods: Informer<Pod & KubeObject> }, events: EventSink) {
    super(client, { owners: informers.replicationcontrollers, pods: informers.pods }, events, REPLICATION_CONTROLLER_KIND);
  }
}
