// The root CA certificate publisher (kube-controller-manager's root-ca-cert-publisher): every
// active namespace has the ConfigMap kube-root-ca.crt whose `ca.crt` is the cluster CA, the
// bundle pods verify the apiserver with (the admission plugin projects it into every pod's
// kube-api-access volume). Changed or deleted, it is put back.
import type { ConfigMap, KubeObject } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { Informer } from '../client/informer.js';
import { core, StatusError } from '../client/rest-client.js';
import { ROOT_CA_CONFIGMAP } from '../serviceaccount/claims.js';
import { logger } from '../util/log.js';
import { namespaceGone, NamespaceSyncer, type NS } from './namespace-syncer.js';

const log = logger('root-ca-cert-publisher');

export const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
export const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

const ConfigMaps = core('configmaps');

type CM = ConfigMap & KubeObject;

export class RootCACertPublisher extends NamespaceSyncer {
  constructor(
    private readonly client: ApiClient,
    private readonly rootCA: string,
    /** The configmaps informer (all of them, or only kube-root-ca.crt ones). */
    private readonly informers: { namespaces: Informer<NS>; configmaps: Informer<CM> },
  ) {
    super('root-ca-cert-publisher', informers.namespaces);
    const cm = (c: CM) => {
      if (c.metadata?.name === ROOT_CA_CONFIGMAP) this.queue.add(c.metadata.namespace!);
    };
    informers.configmaps.on({ add: cm, update: cm, delete: cm });
  }

  protected async syncNamespace(namespace: string): Promise<void> {
    const data = { 'ca.crt': this.rootCA };
    const cm = this.informers.configmaps.get(`${namespace}/${ROOT_CA_CONFIGMAP}`);
    try {
      if (!cm) {
        await this.client.create(ConfigMaps, namespace, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, namespace, annotations: { [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION } }, data });
        log.info('published the root CA', { namespace });
        return;
      }
      const current = cm.data ?? {};
      if (Object.keys(current).length === 1 && current['ca.crt'] === this.rootCA && cm.metadata?.annotations?.[DESCRIPTION_ANNOTATION]) return;
      // (the informer's copy is shared: the update goes out on a copy; a stale one gets 409 and a retry)
      const next = structuredClone(cm);
      next.data = data;
      next.metadata!.annotations = { ...next.metadata!.annotations, [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION };
      await this.client.update(ConfigMaps, namespace, ROOT_CA_CONFIGMAP, next);
      log.info('put the root CA back', { namespace });
    } catch (e) {
      if (namespaceGone(e)) return;
      if (e instanceof StatusError && e.code === 409 && !cm) return; // made meanwhile: its informer event brings us back
      throw e;
    }
  }
}
