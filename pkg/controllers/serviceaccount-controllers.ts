// The controllers behind service accounts, as one group: the default ServiceAccount of every
// namespace, the root CA in every namespace (given the CA), and legacy token secrets (given the
// signing key). The controller manager runs them over its shared informers; a control plane
// without one (an apiserver in a test) can run them alone with their own informers.
import type { KeyObject } from 'node:crypto';
import type { ApiClient } from '../client/api-client.js';
import { Informer } from '../client/informer.js';
import { core, Namespaces, ServiceAccounts } from '../client/rest-client.js';
import { ROOT_CA_CONFIGMAP } from '../serviceaccount/claims.js';
import { loadPrivateKey } from '../serviceaccount/keys.js';
import { logger } from '../util/log.js';
import { RootCACertPublisher } from './root-ca-publisher.js';
import { TokensController } from './serviceaccount-tokens.js';
import { ServiceAccountsController } from './serviceaccounts.js';

const log = logger('controller-manager');

export interface ServiceAccountControllerConfig {
  /** The cluster CA (PEM): published as kube-root-ca.crt and put in token secrets; without it the publisher does not run. */
  rootCA?: string;
  /** The service account signing key (PEM file); without it legacy token secrets are not filled in. */
  serviceAccountPrivateKeyFile?: string;
}

interface Runnable {
  start(): void;
  stop(): void;
}

export function serviceAccountControllers(client: ApiClient, informers: { namespaces: Informer; serviceaccounts: Informer; configmaps: Informer; secrets: Informer }, c: ServiceAccountControllerConfig): Runnable[] {
  const namespaces = informers.namespaces as never;
  const serviceaccounts = informers.serviceaccounts as never;
  const out: Runnable[] = [new ServiceAccountsController(client, { namespaces, serviceaccounts })];
  if (c.rootCA) out.push(new RootCACertPublisher(client, c.rootCA, { namespaces, configmaps: informers.configmaps as never }));
  else log.warn('no root CA: the root CA publisher does not run (pods cannot verify the apiserver)');
  let key: KeyObject | undefined;
  try {
    if (c.serviceAccountPrivateKeyFile) key = loadPrivateKey(c.serviceAccountPrivateKeyFile);
    else log.info('no service account private key: legacy token secrets are not filled in');
  } catch (e) {
    log.error('cannot read the service account private key: legacy token secrets are not filled in', { path: c.serviceAccountPrivateKeyFile, err: e });
  }
  if (key) out.push(new TokensController(client, { serviceaccounts, secrets: informers.secrets as never }, key, c.rootCA));
  return out;
}

/** The group with informers of its own, started once they have listed; stop() stops both. */
export async function runServiceAccountControllers(client: ApiClient, c: ServiceAccountControllerConfig): Promise<{ stop(): void }> {
  const informers = {
    namespaces: new Informer(client, Namespaces),
    serviceaccounts: new Informer(client, ServiceAccounts),
    configmaps: new Informer(client, core('configmaps'), { fieldSelector: `metadata.name=${ROOT_CA_CONFIGMAP}` }),
    secrets: new Informer(client, core('secrets'), { fieldSelector: 'type=kubernetes.io/service-account-token' }),
  };
  const controllers = serviceAccountControllers(client, informers, c);
  for (const i of Object.values(informers)) i.start();
  await Promise.all(Object.values(informers).map((i) => i.hasSynced()));
  for (const ctl of controllers) ctl.start();
  return {
    stop() {
      for (const ctl of controllers) ctl.stop();
      for (const i of Object.values(informers)) i.stop();
    },
  };
}
