// The DefaultIngressClass admission plugin (plugin/pkg/admission/network/defaultingressclass): an
// Ingress created without a class, by field or annotation, gets the default IngressClass's name
// (the newest of those marked default); one that names its class by the deprecated annotation gets
// the strategy's warning. And the default class the node agents' ingress controller serves,
// created at start when absent.
import { defaultIngressClass, DEFAULT_CLASS_ANNOTATION, INGRESS_CLASS_ANNOTATION, TSKUBE_INGRESS_CLASS, TSKUBE_INGRESS_CONTROLLER } from '../api/ingress-class.js';
import type { Ingress, IngressClass, KubeObject } from '../api/types.js';
import type { AdmissionPlugin } from './admission.js';
import { ApiError } from './errors.js';
import type { RequestContext, Store } from './registry/store.js';
import { logger } from '../util/log.js';

const log = logger('apiserver');

/** Every IngressClass as the apiserver holds them (with its own latest writes). */
export type IngressClassLister = () => Promise<IngressClass[]>;

export function defaultIngressClassAdmission(classes: IngressClassLister): AdmissionPlugin {
  return {
    name: 'DefaultIngressClass',
    resources: ['ingresses'],
    reads: ['ingressclasses'],
    async admit(req) {
      if (req.operation !== 'CREATE' || req.subresource) return;
      const ing = req.obj as Ingress;
      if (ing.metadata?.annotations?.[INGRESS_CLASS_ANNOTATION] !== undefined) {
        req.ctx.warnings.push(`annotation "${INGRESS_CLASS_ANNOTATION}" is deprecated, please use 'spec.ingressClassName' instead`);
        return;
      }
      if (ing.spec?.ingressClassName !== undefined) return;
      const def = defaultIngressClass(await classes());
      if (def?.metadata?.name) (ing.spec ??= {}).ingressClassName = def.metadata.name;
    },
  };
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
