// authorization.k8s.io/v1 reviews, answered by the apiserver's own authorizer and never stored
// (the answer is the request with its status filled in):
// - SelfSubjectAccessReview: "may I?" (`kubectl auth can-i`);
// - SubjectAccessReview: "may this user and these groups?" (as given: nothing is added);
// - LocalSubjectAccessReview: the same, limited to the namespace in its path;
// - SelfSubjectRulesReview: "what may I do in this namespace?" (`kubectl auth can-i --list`);
// and authentication.k8s.io/v1 SelfSubjectReview: "who am I?" (`kubectl auth whoami`) and
// TokenReview: "whose token is this?" (token-review.ts).
// Creating one is itself authorized like any create (system:basic-user grants the self reviews).
import { forbidden, invalid, required, VerbatimValue, type FieldError } from '../../api/field-error.js';
import { isValidLabelValue } from '../../api/names.js';
import type { KubeObject } from '../../api/types.js';
import { qualifiedName } from '../../api/validation-meta.js';
import type { Attributes, Authorizer, Decision } from '../authorizer.js';
import * as errors from '../errors.js';
import type { UserInfo } from '../registry/store.js';
import { answerTokenReview, type TokenReviewer } from '../token-review.js';

const GROUP = 'authorization.k8s.io';
const PREFIX = `/apis/${GROUP}/v1/`;
const WHOAMI_PATH = '/apis/authentication.k8s.io/v1/selfsubjectreviews';
const TOKEN_REVIEW_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';

export type ReviewResource = 'selfsubjectaccessreviews' | 'subjectaccessreviews' | 'localsubjectaccessreviews' | 'selfsubjectrulesreviews' | 'selfsubjectreviews' | 'tokenreviews';

const KINDS: Record<ReviewResource, string> = {
  selfsubjectaccessreviews: 'SelfSubjectAccessReview',
  subjectaccessreviews: 'SubjectAccessReview',
  localsubjectaccessreviews: 'LocalSubjectAccessReview',
  selfsubjectrulesreviews: 'SelfSubjectRulesReview',
  selfsubjectreviews: 'SelfSubjectReview',
  tokenreviews: 'TokenReview',
};

/** The review a path names: /apis/authorization.k8s.io/v1/<resource> or .../namespaces/<ns>/localsubjectaccessreviews. */
export function matchReviewPath(path: string): { resource: ReviewResource; namespace?: string } | undefined {
  if (path === WHOAMI_PATH) return { resource: 'selfsubjectreviews' };
  if (path === TOKEN_REVIEW_PATH) return { resource: 'tokenreviews' };
  if (!path.startsWith(PREFIX)) return undefined;
  const segs = path.slice(PREFIX.length).split('/').filter(Boolean).map(decodeURIComponent);
  if (segs.length === 1 && segs[0] !== 'localsubjectaccessreviews' && segs[0] !== 'selfsubjectreviews' && segs[0] !== 'tokenreviews' && segs[0]! in KINDS) return { resource: segs[0] as ReviewResource };
  if (segs.length === 3 && segs[0] === 'namespaces' && segs[2] === 'localsubjectaccessreviews') return { resource: 'localsubjectaccessreviews', namespace: segs[1] };
  return undefined;
}

interface SelectorRequirement {
  key?: string;
  operator?: string;
  values?: string[];
}
/** A list's selector a review may ask about (AuthorizeWithSelectors, beta and on in 1.32). */
interface SelectorAttributes {
  rawSelector?: string;
  requirements?: SelectorRequirement[];
}
interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  name?: string;
  fieldSelector?: SelectorAttributes;
  labelSelector?: SelectorAttributes;
}
interface NonResourceAttributes {
  path?: string;
  verb?: string;
}
interface ReviewSpec {
  resourceAttributes?: ResourceAttributes;
  nonResourceAttributes?: NonResourceAttributes;
  user?: string;
  groups?: string[];
  uid?: string;
  namespace?: string;
}

export interface ReviewDeps {
  authorizer: Authorizer;
  /** The object resource attributes name, for rules that depend on it (a pod's node). */
  load(a: ResourceAttributes): Promise<KubeObject | undefined>;
  /** TokenReviews (none: refused as not served). */
  reviewToken?: TokenReviewer;
}

/** The non-resource attributes as Go's %#v prints the internal struct in a field error (null when absent). */
const goNonResourceAttributes = (a: NonResourceAttributes | undefined): VerbatimValue =>
  new VerbatimValue(a ? `authorization.NonResourceAttributes{Path:${JSON.stringify(a.path ?? '')}, Verb:${JSON.stringify(a.verb ?? '')}}` : 'null');

const IN_OPS = "must be specified when `operator` is 'In' or 'NotIn'";
const EXISTS_OPS = "may not be specified when `operator` is 'Exists' or 'DoesNotExist'";

/**
 * validateFieldSelectorAttributes / validateLabelSelectorAttributes: a raw selector or
 * requirements, not both; each requirement as ValidateFieldSelectorRequirement (a key) or
 * ValidateLabelSelectorRequirement (a label key, label values) checks it, where an operator this
 * server does not know is taken (AllowUnknownOperatorInRequirement, for newer clients). A raw
 * selector that does not parse is not refused: the authorizer is handed the parse error.
 */
function validateSelectorAttributes(sel: SelectorAttributes | undefined, path: string, labels: boolean): FieldError[] {
  if (!sel) return [];
  const errs: FieldError[] = [];
  const reqs = sel.requirements ?? [];
  if (sel.rawSelector && reqs.length) errs.push(invalid(`${path}.rawSelector`, sel.rawSelector, 'may not specified at the same time as requirements'));
  if (!sel.rawSelector && !reqs.length) errs.push(required(`${path}.requirements`, `when ${path} is specified, requirements or rawSelector is required`));
  reqs.forEach((r, i) => {
    const p = `${path}.requirements[${i}]`;
    if (!labels && !r.key) errs.push(required(`${p}.key`, 'must be specified'));
    if ((r.operator === 'In' || r.operator === 'NotIn') && !r.values?.length) errs.push(required(`${p}.values`, IN_OPS));
    if ((r.operator === 'Exists' || r.operator === 'DoesNotExist') && r.values?.length) errs.push(forbidden(`${p}.values`, EXISTS_OPS));
    if (labels) {
      errs.push(...qualifiedName(r.key ?? '', `${p}.key`));
      (r.values ?? []).forEach((v, j) => errs.push(...isValidLabelValue(v).map((m) => invalid(`${p}.values[${j}]`, v, m))));
    }
  });
  return errs;
}

/** ValidateSubjectAccessReviewSpec: exactly one kind of attributes; a subject when the review names one; well-formed selectors. */
function validateSpec(spec: ReviewSpec, needsSubject: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.resourceAttributes && spec.nonResourceAttributes) errs.push(invalid('spec.nonResourceAttributes', goNonResourceAttributes(spec.nonResourceAttributes), 'cannot be specified in combination with resourceAttributes'));
  if (!spec.resourceAttributes && !spec.nonResourceAttributes) errs.push(invalid('spec.resourceAttributes', goNonResourceAttributes(undefined), 'exactly one of nonResourceAttributes or resourceAttributes must be specified'));
  if (needsSubject && !spec.user && !spec.groups?.length) errs.push(invalid('spec.user', spec.user ?? '', 'at least one of user or group must be specified'));
  errs.push(...validateSelectorAttributes(spec.resourceAttributes?.fieldSelector, 'spec.resourceAttributes.fieldSelector', false));
  errs.push(...validateSelectorAttributes(spec.resourceAttributes?.labelSelector, 'spec.resourceAttributes.labelSelector', true));
  return errs;
}

async function decide(user: UserInfo, spec: ReviewSpec, deps: ReviewDeps): Promise<Decision> {
  if (spec.nonResourceAttributes) {
    const { path = '', verb = '' } = spec.nonResourceAttributes;
    return deps.authorizer.authorizePath(user, verb, path);
  }
  const a = spec.resourceAttributes!;
  const attrs: Attributes = { verb: a.verb ?? '', group: a.group ?? '', resource: a.resource ?? '', subresource: a.subresource || undefined, namespace: a.namespace || undefined, name: a.name || undefined };
  return deps.authorizer.authorize(user, attrs, () => deps.load(a));
}

/** Answers a review of `resource` posted by `user` (in `namespace` for a local one). */
export async function answerReview(resource: ReviewResource, user: UserInfo, body: unknown, namespace: string | undefined, deps: ReviewDeps): Promise<KubeObject> {
  const kind = KINDS[resource];
  const review = (body ?? {}) as { metadata?: Record<string, unknown>; spec?: ReviewSpec };
  const spec = review.spec ?? {};
  const metadata: Record<string, unknown> = { creationTimestamp: null };
  const reply = (status: Record<string, unknown>): KubeObject => ({ apiVersion: `${GROUP}/v1`, kind, metadata: metadata as never, spec: spec as never, status: status as never });
  if (resource === 'tokenreviews') {
    if (!deps.reviewToken) throw errors.notFound('authentication.k8s.io', 'tokenreviews', '');
    return answerTokenReview(body, deps.reviewToken);
  }
  if (resource === 'selfsubjectreviews') {
    const userInfo = { username: user.name, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups, ...(user.extra && Object.keys(user.extra).length ? { extra: user.extra } : {}) };
    return { apiVersion: 'authentication.k8s.io/v1', kind, metadata: metadata as never, status: { userInfo } as never };
  }
  if (resource === 'selfsubjectrulesreviews') {
    if (!spec.namespace) throw errors.badRequest('no namespace on request');
    return reply({ ...deps.authorizer.rulesFor(user, spec.namespace) });
  }
  const errs = validateSpec(spec, resource !== 'selfsubjectaccessreviews');
  if (resource === 'localsubjectaccessreviews') {
    const ns = (review.metadata?.namespace as string | undefined) || namespace;
    if (ns !== namespace) throw errors.badRequest(`spec.resourceAttributes.namespace must match namespace: ${namespace}`);
    metadata.namespace = ns;
    if (spec.resourceAttributes && spec.resourceAttributes.namespace !== ns) errs.push(invalid('spec.resourceAttributes.namespace', spec.resourceAttributes.namespace ?? '', 'must match metadata.namespace'));
    if (spec.nonResourceAttributes) errs.push(invalid('spec.nonResourceAttributes', spec.nonResourceAttributes, 'disallowed on this kind of request'));
  }
  if (errs.length) throw errors.invalid(kind, GROUP, '', errs);
  // A SubjectAccessReview asks about the subject exactly as given: no system:authenticated is added.
  const subject: UserInfo = resource === 'selfsubjectaccessreviews' ? user : { name: spec.user ?? '', groups: spec.groups ?? [], ...(spec.uid ? { uid: spec.uid } : {}) };
  const d = await decide(subject, spec, deps);
  return reply(d.allowed ? { allowed: true, ...(d.reason ? { reason: d.reason } : {}) } : { allowed: false, ...(d.reason ? { reason: d.reason } : {}) });
}

/** What creating a review is authorized as. */
export const reviewAttributes = (resource: ReviewResource, namespace: string | undefined): Attributes => ({ verb: 'create', group: resource === 'selfsubjectreviews' || resource === 'tokenreviews' ? 'authentication.k8s.io' : GROUP, resource, namespace });
