// authorization.k8s.io/v1 SelfSubjectAccessReview: "may I?" asked of the apiserver's own
// authorizer, which is what `kubectl auth can-i` sends. The review is not stored: the answer
// is the request with its status filled in.
import { required } from '../../api/field-error.js';
import type { KubeObject } from '../../api/types.js';
import { authorize, type IngressTLSRefs, type PodsOnNode } from '../authz.js';
import * as errors from '../errors.js';
import type { UserInfo } from '../registry/store.js';

export const ACCESS_REVIEW_PATH = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

/** The paths any authenticated user may GET: discovery, OpenAPI, version, health. */
const openPaths = /^\/(api|apis|openapi|version|healthz|readyz|livez)(\/|$)/;

/**
 * Answers a SelfSubjectAccessReview for `user`. `load` fetches the object the attributes name,
 * for rules that depend on it (a pod's node).
 */
export async function selfSubjectAccessReview(user: UserInfo, review: unknown, load: (a: ResourceAttributes) => Promise<KubeObject | undefined>, podsOnNode: PodsOnNode, ingressTLS?: IngressTLSRefs): Promise<KubeObject> {
  const r = (review ?? {}) as { spec?: { resourceAttributes?: ResourceAttributes; nonResourceAttributes?: { path?: string; verb?: string } } };
  const spec = r.spec ?? {};
  let status: { allowed: boolean; reason?: string };
  if (spec.resourceAttributes) {
    const a = spec.resourceAttributes;
    if (!a.verb) throw errors.invalid('SelfSubjectAccessReview', 'authorization.k8s.io', '', [required('spec.resourceAttributes.verb')]);
    const d = await authorize(user, { verb: a.verb, group: a.group ?? '', resource: a.resource ?? '', subresource: a.subresource || undefined, namespace: a.namespace || undefined, name: a.name || undefined }, () => load(a), podsOnNode, ingressTLS);
    status = d.allowed ? { allowed: true } : { allowed: false, reason: d.reason };
  } else if (spec.nonResourceAttributes) {
    const { path = '', verb = '' } = spec.nonResourceAttributes;
    const admin = user.groups.includes('system:masters');
    status = admin || (verb === 'get' && openPaths.test(path)) ? { allowed: true } : { allowed: false, reason: 'no rule allows it' };
  } else {
    throw errors.invalid('SelfSubjectAccessReview', 'authorization.k8s.io', '', [required('spec', 'exactly one of nonResourceAttributes or resourceAttributes must be specified')]);
  }
  return { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: { creationTimestamp: null } as never, spec: spec as never, status: status as never };
}
