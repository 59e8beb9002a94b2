// Admission plugins of one resource, as kube-apiserver runs them around its strategies:
// mutating ones on create after defaulting and before validation, validating ones on an
// update of the main resource once it has validated. They throw an ApiError to refuse.
import type { KubeObject } from '../../api/types.js';
import type { RequestContext } from './request-types.js';

export interface AdmissionPlugin {
  /** On create: may change the object (defaults that need other objects, finalizers). */
  admitCreate?(obj: KubeObject, ctx: RequestContext): void;
  /** On an update of the main resource (not a subresource): may refuse it. */
  validateUpdate?(obj: KubeObject, old: KubeObject, ctx: RequestContext): void;
}

/** Several plugins as one, run in order. */
export function chainAdmission(plugins: AdmissionPlugin[]): AdmissionPlugin | undefined {
  if (!plugins.length) return undefined;
  return {
    admitCreate: (obj, ctx) => plugins.forEach((p) => p.admitCreate?.(obj, ctx)),
    validateUpdate: (obj, old, ctx) => plugins.forEach((p) => p.validateUpdate?.(obj, old, ctx)),
  };
}
