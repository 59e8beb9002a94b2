// The ReplicaSet controller: the replica manager over apps/v1 ReplicaSets (LabelSelector).
import type { KubeObject, Pod, ReplicaSet } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { EventSink } from '../client/event-sink.js';
import type { Informer } from '../client/informer.js';
import { ReplicaSets } from '../client/rest-client.js';
import { selectorMatches } from './controller-ref.js';
import { ReplicaManager, type ReplicatedKind } from './replica-manager.js';

type RS = ReplicaSet & KubeObject;

export const REPLICA_SET_KIND: ReplicatedKind<RS> = {
  kind: 'ReplicaSet',
  apiVersion: 'apps/v1',
  ref: ReplicaSets,
  component: 'replicaset-controller',
  selects: (rs, p) => selectorMatches(rs.spec?.selector, p),
};

export class ReplicaSetController extends ReplicaManager<RS> {
  constructor(client: ApiClient, informers: { replicasets: Informer<RS>; pods: Informer<Pod & KubeObject> }, events: EventSink) {
    super(client, { owners: informers.replicasets, pods: informers.pods }, events, REPLICA_SET_KIND);
  }
}
