// Which IngressClass an Ingress belongs to, and so which controller serves it: spec.ingressClassName,
// else the deprecated kubernetes.io/ingress.class annotation (controllers still honour it), else —
// for an Ingress made before any default class existed — the cluster's default class. The
// apiserver's DefaultIngressClass admission, its node authorizer (the TLS Secrets a node's ingress
// controller may read) and the controllers all decide with these functions.
import type { Ingress, IngressClass } from './types.js';

export const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
/** The controller the node agents run (the role Traefik plays in k3s). */
export const TSKUBE_INGRESS_CONTROLLER = 'tskube.io/ingress';
/** The IngressClass the apiserver creates at bootstrap (when absent), marked the default. */
export const TSKUBE_INGRESS_CLASS = 'tskube';
/** The Node annotation where a node agent lists the addresses its ingress controller listens on (comma-separated). */
export const NODE_INGRESS_ADDRESSES = 'ingress.tskube.io/addresses';

/** The class an Ingress names (field, then annotation); undefined when it names none. */
export function ingressClassOf(ing: Ingress): string | undefined {
  return ing.spec?.ingressClassName ?? ing.metadata?.annotations?.[INGRESS_CLASS_ANNOTATION];
}

export const isDefaultClass = (c: IngressClass): boolean => c.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true';

/** As Kubernetes' DefaultIngressClass plugin: of the classes marked default, the newest (then by name). */
export function defaultIngressClass(classes: Iterable<IngressClass>): IngressClass | undefined {
  let best: IngressClass | undefined;
  for (const c of classes) {
    if (!isDefaultClass(c)) continue;
    if (!best) {
      best = c;
      continue;
    }
    const t = Date.parse(c.metadata?.creationTimestamp ?? '') || 0;
    const bt = Date.parse(best.metadata?.creationTimestamp ?? '') || 0;
    if (t > bt || (t === bt && (c.metadata?.name ?? '') < (best.metadata?.name ?? ''))) best = c;
  }
  return best;
}

/** Whether `controller` serves `ing`, given every IngressClass (by name). */
export function servedBy(ing: Ingress, classes: ReadonlyMap<string, IngressClass>, controller: string): boolean {
  const name = ingressClassOf(ing);
  const cls = name !== undefined ? classes.get(name) : defaultIngressClass(classes.values());
  return cls?.spec?.controller === controller;
}
