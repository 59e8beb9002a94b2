// Controllers that keep something in every namespace (the default ServiceAccount, the
// kube-root-ca.crt ConfigMap): one sync per namespace, queued for each namespace when they start
// and again whenever a namespace changes; namespaces being deleted are left alone.
import type { KubeObject, Namespace } from '../api/types.js';
import type { Informer } from '../client/informer.js';
import { StatusError } from '../client/rest-client.js';
import { WorkQueue } from './work-queue.js';

export type NS = Namespace & KubeObject;

/** Whether objects may be made in the namespace (not being deleted). */
export const namespaceActive = (ns: NS | undefined): ns is NS => !!ns && !ns.metadata?.deletionTimestamp && (ns.status?.phase ?? 'Active') === 'Active';

/** A create refused because the namespace is gone or terminating: nothing to retry. */
export const namespaceGone = (e: unknown) => e instanceof StatusError && (e.code === 404 || (e.code === 403 && /being terminated/.test(e.message)));

export abstract class NamespaceSyncer {
  readonly queue: WorkQueue;

  constructor(name: string, protected readonly namespaces: Informer<NS>) {
    this.queue = new WorkQueue(name, (ns) => this.sync(ns));
    const changed = (ns: NS) => this.queue.add(ns.metadata!.name!);
    namespaces.on({ add: changed, update: changed });
  }

  /** Queues every namespace (the informers have listed). */
  start(): void {
    for (const ns of this.namespaces.list()) this.queue.add(ns.metadata!.name!);
  }

  stop(): void {
    this.queue.stop();
  }

  async sync(namespace: string): Promise<void> {
    if (namespaceActive(this.namespaces.get(namespace))) await this.syncNamespace(namespace);
  }

  /** Puts what the controller keeps right in an active namespace. */
  protected abstract syncNamespace(namespace: string): Promise<void>;
}
