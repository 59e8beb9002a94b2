// The node authorizer's one edge for ingress: a node's ingress controller (tskube.io/ingress, in
// every node agent) terminates TLS with the kubernetes.io/tls Secrets that the Ingresses it serves
// name in spec.tls, so a node may get a Secret that such an Ingress of the same namespace names,
// and no other (read from the watch caches, as the pods-on-node edge is).
import { servedBy, TSKUBE_INGRESS_CONTROLLER } from '../api/ingress-class.js';
import type { Ingress, IngressClass } from '../api/types.js';
import type { IngressTLSRefs } from './authz.js';
import type { CacheSettler } from './admission.js';
import type { Store } from './registry/store.js';
import { ingressclasses, ingresses, type ResourceInfo } from './registry/resources.js';

const cached = <T>(store: Store, prefix: string): T[] => store.cache.list({ keyPrefix: prefix, matches: () => true }).items.map((x) => x.obj as T);

export function ingressTLSRefs(stores: ReadonlyMap<ResourceInfo, Store>, settle?: CacheSettler): IngressTLSRefs {
  return async (namespace, secret) => {
    const lag = settle?.(['ingresses', 'ingressclasses']);
    if (lag) await lag;
    const ing = stores.get(ingresses)!;
    const cls = stores.get(ingressclasses)!;
    const named = cached<Ingress>(ing, `${ing.prefix}${namespace}/`).filter((i) => i.spec?.tls?.some((t) => t.secretName === secret));
    if (!named.length) return false;
    const classes = new Map(cached<IngressClass>(cls, cls.prefix).map((c) => [c.metadata?.name ?? '', c]));
    return named.some((i) => servedBy(i, classes, TSKUBE_INGRESS_CONTROLLER));
  };
}
