// The DefaultIngressClass admission plugin (plugin/pkg/admission/network/defaultingressclass): an
// Ingress created without a class, by field or annotation, gets the default IngressClass's name;
// and the default class the node agents' ingress controller serves, created at start when absent.
import { defaultIngressClass, INGRESS_CLASS_ANNOTATION, DEFAULT_CLASS_ANNOTATION, TSKUBE_INGRESS_CLASS, TSKUBE_INGRESS_CONTROLLER } from '../api/ingress-class.js';
import type { Ingress, IngressClass, KubeObject } from '../api/types.js';
import { ApiError } from './errors.js';
import type { RequestContext, Store } from './registry/store.js';
import { logger } from '../util/log.js';

const log = logger('apiserver');

/** Every IngressClass, from the watch cache once it has this apiserver's own writes of them. */
async function ingressClasses(classes: Store): Promise<IngressClass[]> {
  if (classes.cache.revision < classes.lastWriteRev) await classes.cache.waitFor(classes.lastWriteRev, 1000);
  return classes.cache.list({ keyPrefix: classes.prefix, matches: () => true }).items.map((x) => x.obj as IngressClass);
}

/**
 * Admit (create only): sets spec.ingressClassName to the default class when the Ingress names
 * none; one that names its class by the deprecated annotation gets the strategy's warning.
 */
export async function admitDefaultIngressClass(obj: KubeObject, ctx: RequestContext, classes: Store): Promise<void> {
  const ing = obj as Ingress & KubeObject;
  if (ing.metadata?.annotations?.[INGRESS_CLASS_ANNOTATION] !== undefined) {
    ctx.warnings.push(`annotation "${INGRESS_CLASS_ANNOTATION}" is deprecated, please use 'spec.ingressClassName' instead`);
    return;
  }
  if (ing.spec?.ingressClassName !== undefined) return;
  const def = defaultIngressClass(await ingressClasses(classes));
  if (!def?.metadata?.name) return;
  (ing.spec ??= {}).ingressClassName = def.metadata.name;
}

/** The `tskube` IngressClass (controller tskube.io/ingress, the default), unless one of that name exists. */
export async function ensureDefaultIngressClass(classes: Store, ctx: RequestContext): Promise<void> {
  const body: IngressClass & KubeObject = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: TSKUBE_INGRESS_CLASS, annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } },
    spec: { controller: TSKUBE_INGRESS_CONTROLLER },
  };
  try {
    await classes.create(undefined, body, ctx);
    log.info('created the default IngressClass', { name: TSKUBE_INGRESS_CLASS, controller: TSKUBE_INGRESS_CONTROLLER });
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 409)) throw e;
  }
}
