// What our components need from the API, whichever frontend carries it: RestClient (HTTPS, the
// Kubernetes dialect) and GrpcApiClient (the gRPC frontend) both implement it, with the same
// semantics and the same StatusError on failure. connect.ts picks one for a kubeconfig.
import type { KubeObject } from '../api/types.js';

export interface ResourceRef {
  group?: string;
  version?: string;
  resource: string;
  namespaced: boolean;
}

export interface ListResult<T = KubeObject> {
  /** The list's kind and apiVersion as the REST client read them (PodList, v1); the gRPC list has none. */
  kind?: string;
  apiVersion?: string;
  items: T[];
  metadata: { resourceVersion?: string; continue?: string };
}

export interface WatchEvent<T = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface WatchHandle {
  /** Resolves when the stream ends (server closed, error or stop()). */
  done: Promise<void>;
  stop(): void;
}

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  /** Exact or NotOlderThan, with resourceVersion (both frontends send it). */
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  limit?: number;
  continue?: string;
}

export interface WatchQuery {
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

export interface DeleteOpts {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface ApiClient {
  /** `subresource`: e.g. `scale` (an autoscaling/v1 Scale) or `status`. */
  get<T = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string, subresource?: string): Promise<T>;
  list<T = KubeObject>(ref: ResourceRef, namespace?: string, q?: ListQuery): Promise<ListResult<T>>;
  create<T = KubeObject>(ref: ResourceRef, namespace: string | undefined, obj: unknown, q?: Record<string, string>): Promise<T>;
  update<T = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string, obj: unknown, subresource?: string): Promise<T>;
  patch<T = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string, patch: unknown, type?: PatchType, subresource?: string): Promise<T>;
  delete<T = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string, opts?: DeleteOpts): Promise<T>;
  bind(namespace: string, pod: string, node: string, uid?: string): Promise<unknown>;
  /** POST to a subresource of a named object (serviceaccounts/NAME/token): the reply object. */
  createSubresource<T = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string, subresource: string, obj: unknown): Promise<T>;
  /** POST pods/NAME/eviction (policy/v1 Eviction): a 429 StatusError when a disruption budget forbids it. */
  evict(namespace: string, pod: string, deleteOptions?: DeleteOpts): Promise<unknown>;
  /** Starts a watch: rejects with a StatusError if it cannot start; a resourceVersion too old is an ERROR event with a 410 Status. */
  watch<T = KubeObject>(ref: ResourceRef, namespace: string | undefined, q: WatchQuery, onEvent: (e: WatchEvent<T>) => void): Promise<WatchHandle>;
  /**
   * Closes every connection the client has open, watches and calls in flight included, so that
   * the next call dials afresh (client-go's connrotation Dialer.CloseAll, which the kubelet calls
   * when its heartbeats keep failing); the client stays usable.
   */
  closeAllConnections?(): void;
  close(): void;
}
