// OpenAPI v3 schemas and paths of the review kinds, which have no proto message because they are
// never stored: authentication.k8s.io/v1 (TokenReview, SelfSubjectReview) and
// authorization.k8s.io/v1 (SubjectAccessReview, SelfSubjectAccessReview,
// LocalSubjectAccessReview, SelfSubjectRulesReview). kubectl's client-side validation looks a
// kind up in its group-version's document; without these `kubectl create -f` of a review failed
// with "the server could not find the requested resource" unless run with --validate=false.
// The fields and required lists follow k8s.io/api/authentication/v1 and authorization/v1.

type Schema = Record<string, unknown>;

const AUTHN = 'io.k8s.api.authentication.v1';
const AUTHZ = 'io.k8s.api.authorization.v1';
const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const sub = (name: string, description: string) => ({ description, allOf: [ref(name)], default: {} });
const str = (description: string) => ({ type: 'string', description, default: '' });
const bool = (description: string) => ({ type: 'boolean', description, default: false });
const strings = (description: string) => ({ type: 'array', description, items: { type: 'string', default: '' }, 'x-kubernetes-list-type': 'atomic' });

function kindSchema(group: string, kind: string, description: string, spec: string, status: string): Schema {
  return {
    description,
    type: 'object',
    required: ['spec'],
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
      kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
      metadata: sub(OBJECT_META, "Standard object's metadata."),
      spec: sub(spec, 'Spec holds information about the request being evaluated.'),
      status: sub(status, 'Status is filled in by the server and indicates whether the request is allowed or not.'),
    },
    'x-kubernetes-group-version-kind': [{ group, kind, version: 'v1' }],
  };
}

const userInfo: Schema = {
  description: 'UserInfo holds the information about the user needed to implement the user.Info interface.',
  type: 'object',
  properties: {
    username: str('The name that uniquely identifies this user among all active users.'),
    uid: str('A unique value that identifies this user across time.'),
    groups: strings('The names of groups this user is a part of.'),
    extra: { type: 'object', description: 'Any additional information provided by the authenticator.', additionalProperties: { type: 'array', items: { type: 'string', default: '' } } },
  },
};

const authentication: Record<string, Schema> = {
  [`${AUTHN}.TokenReview`]: {
    ...kindSchema('authentication.k8s.io', 'TokenReview', 'TokenReview attempts to authenticate a token to a known user.', `${AUTHN}.TokenReviewSpec`, `${AUTHN}.TokenReviewStatus`),
  },
  [`${AUTHN}.TokenReviewSpec`]: {
    description: 'TokenReviewSpec is a description of the token authentication request.',
    type: 'object',
    properties: {
      token: str('Token is the opaque bearer token.'),
      audiences: strings('Audiences is a list of the identifiers that the resource server presented with the token identifies as.'),
    },
  },
  [`${AUTHN}.TokenReviewStatus`]: {
    description: 'TokenReviewStatus is the result of the token authentication request.',
    type: 'object',
    properties: {
      authenticated: bool('Authenticated indicates that the token was associated with a known user.'),
      user: sub(`${AUTHN}.UserInfo`, 'User is the UserInfo associated with the provided token.'),
      audiences: strings("Audiences are audience identifiers chosen by the authenticator that are compatible with both the TokenReview and token."),
      error: str("Error indicates that the token couldn't be checked"),
    },
  },
  [`${AUTHN}.UserInfo`]: userInfo,
  [`${AUTHN}.SelfSubjectReview`]: {
    description: 'SelfSubjectReview contains the user information that the kube-apiserver has about the user making this request.',
    type: 'object',
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
      kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
      metadata: sub(OBJECT_META, "Standard object's metadata."),
      status: sub(`${AUTHN}.SelfSubjectReviewStatus`, 'Status is filled in by the server with the user attributes.'),
    },
    'x-kubernetes-group-version-kind': [{ group: 'authentication.k8s.io', kind: 'SelfSubjectReview', version: 'v1' }],
  },
  [`${AUTHN}.SelfSubjectReviewStatus`]: {
    description: 'SelfSubjectReviewStatus is filled by the kube-apiserver and sent back to a user.',
    type: 'object',
    properties: { userInfo: sub(`${AUTHN}.UserInfo`, 'User attributes of the user making this request.') },
  },
};

const selectorRequirement: Schema = {
  description: 'FieldSelectorRequirement is a selector that contains values, a key, and an operator that relates the key and values.',
  type: 'object',
  required: ['key', 'operator'],
  properties: {
    key: str('key is the field selector key that the requirement applies to.'),
    operator: str('operator represents a key\'s relationship to a set of values. Valid operators are In, NotIn, Exists, DoesNotExist.'),
    values: strings('values is an array of string values.'),
  },
};

const authorization: Record<string, Schema> = {
  [`${AUTHZ}.SubjectAccessReview`]: kindSchema('authorization.k8s.io', 'SubjectAccessReview', 'SubjectAccessReview checks whether or not a user or group can perform an action.', `${AUTHZ}.SubjectAccessReviewSpec`, `${AUTHZ}.SubjectAccessReviewStatus`),
  [`${AUTHZ}.LocalSubjectAccessReview`]: kindSchema(
    'authorization.k8s.io',
    'LocalSubjectAccessReview',
    'LocalSubjectAccessReview checks whether or not a user or group can perform an action in a given namespace.',
    `${AUTHZ}.SubjectAccessReviewSpec`,
    `${AUTHZ}.SubjectAccessReviewStatus`,
  ),
  [`${AUTHZ}.SelfSubjectAccessReview`]: kindSchema(
    'authorization.k8s.io',
    'SelfSubjectAccessReview',
    'SelfSubjectAccessReview checks whether or the current user can perform an action.',
    `${AUTHZ}.SelfSubjectAccessReviewSpec`,
    `${AUTHZ}.SubjectAccessReviewStatus`,
  ),
  [`${AUTHZ}.SelfSubjectRulesReview`]: kindSchema(
    'authorization.k8s.io',
    'SelfSubjectRulesReview',
    'SelfSubjectRulesReview enumerates the set of actions the current user can perform within a namespace.',
    `${AUTHZ}.SelfSubjectRulesReviewSpec`,
    `${AUTHZ}.SubjectRulesReviewStatus`,
  ),
  [`${AUTHZ}.SubjectAccessReviewSpec`]: {
    description: 'SubjectAccessReviewSpec is a description of the access request. Exactly one of ResourceAuthorizationAttributes and NonResourceAuthorizationAttributes must be set.',
    type: 'object',
    properties: {
      resourceAttributes: sub(`${AUTHZ}.ResourceAttributes`, 'ResourceAuthorizationAttributes describes information for a resource access request.'),
      nonResourceAttributes: sub(`${AUTHZ}.NonResourceAttributes`, 'NonResourceAttributes describes information for a non-resource access request.'),
      user: str('User is the user you\'re testing for.'),
      groups: strings('Groups is the groups you\'re testing for.'),
      extra: { type: 'object', description: 'Extra corresponds to the user.Info.GetExtra() method from the authenticator.', additionalProperties: { type: 'array', items: { type: 'string', default: '' } } },
      uid: str('UID information about the requesting user.'),
    },
  },
  [`${AUTHZ}.SelfSubjectAccessReviewSpec`]: {
    description: 'SelfSubjectAccessReviewSpec is a description of the access request. Exactly one of ResourceAuthorizationAttributes and NonResourceAuthorizationAttributes must be set.',
    type: 'object',
    properties: {
      resourceAttributes: sub(`${AUTHZ}.ResourceAttributes`, 'ResourceAuthorizationAttributes describes information for a resource access request.'),
      nonResourceAttributes: sub(`${AUTHZ}.NonResourceAttributes`, 'NonResourceAttributes describes information for a non-resource access request.'),
    },
  },
  [`${AUTHZ}.SelfSubjectRulesReviewSpec`]: {
    description: 'SelfSubjectRulesReviewSpec defines the specification for SelfSubjectRulesReview.',
    type: 'object',
    properties: { namespace: str('Namespace to evaluate rules for. Required.') },
  },
  [`${AUTHZ}.ResourceAttributes`]: {
    description: 'ResourceAttributes includes the authorization attributes available for resource requests to the Authorizer interface.',
    type: 'object',
    properties: {
      namespace: str('Namespace is the namespace of the action being requested. "" (empty) means all namespaces for cluster-scoped resources.'),
      verb: str('Verb is a kubernetes resource API verb, like: get, list, watch, create, update, delete, proxy.  "*" means all.'),
      group: str('Group is the API Group of the Resource.  "*" means all.'),
      version: str('Version is the API Version of the Resource.  "*" means all.'),
      resource: str('Resource is one of the existing resource types.  "*" means all.'),
      subresource: str('Subresource is one of the existing resource types.  "" means none.'),
      name: str('Name is the name of the resource being requested for a "get" or deleted for a "delete". "" (empty) means all.'),
      fieldSelector: { description: 'fieldSelector describes the limitation on access based on field.', allOf: [ref(`${AUTHZ}.FieldSelectorAttributes`)] },
      labelSelector: { description: 'labelSelector describes the limitation on access based on labels.', allOf: [ref(`${AUTHZ}.LabelSelectorAttributes`)] },
    },
  },
  [`${AUTHZ}.FieldSelectorAttributes`]: {
    description: 'FieldSelectorAttributes indicates a field limited access.',
    type: 'object',
    properties: {
      rawSelector: str('rawSelector is the serialization of a field selector that would be included in a query parameter.'),
      requirements: { type: 'array', description: 'requirements is the parsed interpretation of a field selector.', items: { allOf: [ref('io.k8s.apimachinery.pkg.apis.meta.v1.FieldSelectorRequirement')], default: {} }, 'x-kubernetes-list-type': 'atomic' },
    },
  },
  [`${AUTHZ}.LabelSelectorAttributes`]: {
    description: 'LabelSelectorAttributes indicates a label limited access.',
    type: 'object',
    properties: {
      rawSelector: str('rawSelector is the serialization of a label selector that would be included in a query parameter.'),
      requirements: { type: 'array', description: 'requirements is the parsed interpretation of a label selector.', items: { allOf: [ref('io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement')], default: {} }, 'x-kubernetes-list-type': 'atomic' },
    },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldSelectorRequirement': selectorRequirement,
  [`${AUTHZ}.NonResourceAttributes`]: {
    description: 'NonResourceAttributes includes the authorization attributes available for non-resource requests to the Authorizer interface.',
    type: 'object',
    properties: { path: str('Path is the URL path of the request'), verb: str('Verb is the standard HTTP verb') },
  },
  [`${AUTHZ}.SubjectAccessReviewStatus`]: {
    description: 'SubjectAccessReviewStatus',
    type: 'object',
    required: ['allowed'],
    properties: {
      allowed: bool('Allowed is required. True if the action would be allowed, false otherwise.'),
      denied: bool('Denied is optional. True if the action would be denied, otherwise false.'),
      reason: str('Reason is optional.  It indicates why a request was allowed or denied.'),
      evaluationError: str('EvaluationError is an indication that some error occurred during the authorization check.'),
    },
  },
  [`${AUTHZ}.SubjectRulesReviewStatus`]: {
    description: 'SubjectRulesReviewStatus contains the result of a rules check.',
    type: 'object',
    required: ['resourceRules', 'nonResourceRules', 'incomplete'],
    properties: {
      resourceRules: { type: 'array', description: 'ResourceRules is the list of actions the subject is allowed to perform on resources.', items: { allOf: [ref(`${AUTHZ}.ResourceRule`)], default: {} }, 'x-kubernetes-list-type': 'atomic' },
      nonResourceRules: { type: 'array', description: 'NonResourceRules is the list of actions the subject is allowed to perform on non-resources.', items: { allOf: [ref(`${AUTHZ}.NonResourceRule`)], default: {} }, 'x-kubernetes-list-type': 'atomic' },
      incomplete: bool('Incomplete is true when the rules returned by this call are incomplete.'),
      evaluationError: str('EvaluationError can appear in combination with Rules.'),
    },
  },
  [`${AUTHZ}.ResourceRule`]: {
    description: 'ResourceRule is the list of actions the subject is allowed to perform on resources.',
    type: 'object',
    required: ['verbs'],
    properties: {
      verbs: strings('Verb is a list of kubernetes resource API verbs, like: get, list, watch, create, update, delete, proxy.  "*" means all.'),
      apiGroups: strings('APIGroups is the name of the APIGroup that contains the resources.'),
      resources: strings('Resources is a list of resources this rule applies to.  "*" means all in the specified apiGroups.'),
      resourceNames: strings('ResourceNames is an optional white list of names that the rule applies to.  An empty set means that everything is allowed.  "*" means all.'),
    },
  },
  [`${AUTHZ}.NonResourceRule`]: {
    description: 'NonResourceRule holds information that describes a rule for the non-resource',
    type: 'object',
    required: ['verbs'],
    properties: {
      verbs: strings('Verb is a list of kubernetes non-resource API verbs, like: get, post, put, delete, patch, head, options.  "*" means all.'),
      nonResourceURLs: strings('NonResourceURLs is a set of partial urls that a user should have access to.'),
    },
  },
};

/** A review resource: served at its group-version's root (or under namespaces/{namespace}), create only. */
export interface ReviewKind {
  group: string;
  kind: string;
  resource: string;
  namespaced: boolean;
}

export const REVIEW_KINDS: ReviewKind[] = [
  { group: 'authentication.k8s.io', kind: 'TokenReview', resource: 'tokenreviews', namespaced: false },
  { group: 'authentication.k8s.io', kind: 'SelfSubjectReview', resource: 'selfsubjectreviews', namespaced: false },
  { group: 'authorization.k8s.io', kind: 'SubjectAccessReview', resource: 'subjectaccessreviews', namespaced: false },
  { group: 'authorization.k8s.io', kind: 'SelfSubjectAccessReview', resource: 'selfsubjectaccessreviews', namespaced: false },
  { group: 'authorization.k8s.io', kind: 'SelfSubjectRulesReview', resource: 'selfsubjectrulesreviews', namespaced: false },
  { group: 'authorization.k8s.io', kind: 'LocalSubjectAccessReview', resource: 'localsubjectaccessreviews', namespaced: true },
];

/** The review schemas of one group (`authentication.k8s.io` or `authorization.k8s.io`), keyed by definition name. */
export function reviewSchemas(group: string): Record<string, Schema> {
  return group === 'authentication.k8s.io' ? authentication : group === 'authorization.k8s.io' ? authorization : {};
}

/** The definition name of a review kind: io.k8s.api.authorization.v1.SubjectAccessReview. */
export const reviewDefinitionName = (r: ReviewKind) => `${r.group === 'authentication.k8s.io' ? AUTHN : AUTHZ}.${r.kind}`;
