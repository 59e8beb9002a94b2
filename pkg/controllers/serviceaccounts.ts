// The ServiceAccounts controller (kube-controller-manager's serviceaccount-controller): every
// active namespace has a `default` ServiceAccount, made when the namespace appears and made again
// when someone deletes it. Pods without a serviceAccountName run as it.
import type { KubeObject, ServiceAccount } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { Informer } from '../client/informer.js';
import { ServiceAccounts, StatusError } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { namespaceGone, NamespaceSyncer, type NS } from './namespace-syncer.js';

const log = logger('serviceaccount-controller');

/** The accounts every namespace gets. */
export const ENSURED_SERVICE_ACCOUNTS = ['default'];

type SA = ServiceAccount & KubeObject;

export class ServiceAccountsController extends NamespaceSyncer {
  constructor(
    private readonly client: ApiClient,
    private readonly informers: { namespaces: Informer<NS>; serviceaccounts: Informer<SA> },
  ) {
    super('serviceaccount', informers.namespaces);
    informers.serviceaccounts.on({
      delete: (sa) => {
        if (ENSURED_SERVICE_ACCOUNTS.includes(sa.metadata!.name!)) this.queue.add(sa.metadata!.namespace!);
      },
    });
  }

  protected async syncNamespace(namespace: string): Promise<void> {
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
