// The ServiceAccounts controller (kube-controller-manager's serviceaccount-controller): every
// active namespace has a `default` ServiceAccount, made when the namespace appears and made again
// when someone deletes it. Pods without a serviceAccountName run as it.
import type { KubeObject, Namespace, ServiceAccount } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { Informer } from '../client/informer.js';
import { ServiceAccounts, StatusError } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { WorkQueue } from './work-queue.js';

const log = logger('serviceaccount-controller');

/** The accounts every namespace gets. */
export const ENSURED_SERVICE_ACCOUNTS = ['default'];

type NS = Namespace & KubeObject;
type SA = ServiceAccount & KubeObject;

/** Whether objects may be made in the namespace (not being deleted). */
export const namespaceActive = (ns: NS | undefined): ns is NS => !!ns && !ns.metadata?.deletionTimestamp && (ns.status?.phase ?? 'Active') === 'Active';

/** A create refused because the namespace is gone or terminating: nothing to retry. */
export const namespaceGone = (e: unknown) => e instanceof StatusError && (e.code === 404 || (e.code === 403 && /being terminated/.test(e.message)));

export class ServiceAccountsController {
  readonly queue: WorkQueue;

  constructor(
    private readonly client: ApiClient,
    private readonly informers: { namespaces: Informer<NS>; serviceaccounts: Informer<SA> },
  ) {
    this.queue = new WorkQueue('serviceaccount', (ns) => this.sync(ns));
    informers.namespaces.on({ add: (ns) => this.queue.add(ns.metadata!.name!), update: (ns) => this.queue.add(ns.metadata!.name!) });
    informers.serviceaccounts.on({
      delete: (sa) => {
        if (ENSURED_SERVICE_ACCOUNTS.includes(sa.metadata!.name!)) this.queue.add(sa.metadata!.namespace!);
      },
    });
  }

  /** Queues every namespace (the informers have listed). */
  start(): void {
    for (const ns of this.informers.namespaces.list()) this.queue.add(ns.metadata!.name!);
  }

  stop(): void {
    this.queue.stop();
  }

  async sync(namespace: string): Promise<void> {
    if (!namespaceActive(this.informers.namespaces.get(namespace))) return;
    for (const name of ENSURED_SERVICE_ACCOUNTS) {
      if (this.informers.serviceaccounts.get(`${namespace}/${name}`)) continue;
      try {
        await this.client.create(ServiceAccounts, namespace, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
        log.info('created service account', { namespace, name });
      } catch (e) {
        if (e instanceof StatusError && e.code === 409) continue;
        if (namespaceGone(e)) return;
        throw e;
      }
    }
  }
}
