// OpenAPI v3 documents generated from schema.json and the patch table, in the shape kubectl 1.32
// reads: an index at /openapi/v3 and one document per group-version with `components.schemas`
// (io.k8s.api.core.v1.Pod, ...) and `paths` whose operations carry x-kubernetes-action,
// x-kubernetes-group-version-kind and, on PATCH, the fieldValidation parameter.
import { createHash } from 'node:crypto';
import { API_KINDS, definitionName, groupVersionPath, type KindInfo } from './kinds.js';
import { ENUMS } from './openapi-enums.js';
import { REVIEW_KINDS, reviewDefinitionName, reviewSchemas, type ReviewKind } from './openapi-reviews.js';
import { fieldTypeOf, isAtomicStruct } from './field-types.js';
import { patchMeta } from './patch-meta.js';
import { fieldsOfMessage, messageSchema, type FieldSchema } from './schema.js';

type Schema = Record<string, unknown>;

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const PATCH = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Required fields, as the Kubernetes types mark them. */
const REQUIRED: Record<string, string[]> = {
  Container: ['name'],
  EphemeralContainer: ['name'],
  ContainerPort: ['containerPort'],
  EnvVar: ['name'],
  VolumeMount: ['name', 'mountPath'],
  Volume: ['name'],
  PodSpec: ['containers'],
  Taint: ['key', 'effect'],
  NodeSelectorRequirement: ['key', 'operator'],
  LabelSelectorRequirement: ['key', 'operator'],
  NodeSelector: ['nodeSelectorTerms'],
  OwnerReference: ['apiVersion', 'kind', 'name', 'uid'],
  PodCondition: ['type', 'status'],
  NodeCondition: ['type', 'status'],
  NamespaceCondition: ['type', 'status'],
  NodeAddress: ['type', 'address'],
  Binding: ['target'],
  Event: ['metadata', 'involvedObject'],
  EventsEvent: ['eventTime'],
  PodTemplateList: ['items'],
  EventsEventList: ['items'],
  EventsEventSeries: ['count', 'lastObservedTime'],
  KeyToPath: ['key', 'path'],
  HostPathVolumeSource: ['path'],
  Sysctl: ['name', 'value'],
  HTTPHeader: ['name', 'value'],
  HTTPGetAction: ['port'],
  TCPSocketAction: ['port'],
  TopologySpreadConstraint: ['maxSkew', 'topologyKey', 'whenUnsatisfiable'],
  PodAffinityTerm: ['topologyKey'],
  WeightedPodAffinityTerm: ['weight', 'podAffinityTerm'],
  PreferredSchedulingTerm: ['weight', 'preference'],
  PodList: ['items'],
  NodeList: ['items'],
  NamespaceList: ['items'],
  EventList: ['items'],
  LeaseList: ['items'],
  ConfigMapList: ['items'],
  ReplicaSetList: ['items'],
  ReplicationControllerList: ['items'],
  ReplicationControllerCondition: ['type', 'status'],
  DeploymentList: ['items'],
  ReplicaSetSpec: ['selector'],
  DeploymentSpec: ['selector', 'template'],
  JobList: ['items'],
  CronJobList: ['items'],
  JobSpec: ['template'],
  JobCondition: ['type', 'status'],
  CronJobSpec: ['schedule', 'jobTemplate'],
  DaemonSetList: ['items'],
  DaemonSetSpec: ['selector', 'template'],
  StatefulSetList: ['items'],
  StatefulSetSpec: ['selector', 'template'],
  ControllerRevisionList: ['items'],
  ControllerRevision: ['revision'],
  SecretList: ['items'],
  NetworkPolicyList: ['items'],
  NetworkPolicySpec: ['podSelector'],
  IPBlock: ['cidr'],
  IngressList: ['items'],
  IngressClassList: ['items'],
  HTTPIngressRuleValue: ['paths'],
  HTTPIngressPath: ['pathType', 'backend'],
  IngressServiceBackend: ['name'],
  TypedLocalObjectReference: ['kind', 'name'],
  IngressClassParametersReference: ['kind', 'name'],
  PersistentVolumeList: ['items'],
  PersistentVolumeClaimList: ['items'],
  StorageClassList: ['items'],
  StorageClass: ['provisioner'],
  CSIDriverList: ['items'],
  FlowSchemaList: ['items'],
  FlowSchemaSpec: ['priorityLevelConfiguration'],
  FlowDistinguisherMethod: ['type'],
  PriorityLevelConfigurationReference: ['name'],
  PolicyRulesWithSubjects: ['subjects'],
  FlowSubject: ['kind'],
  UserSubject: ['name'],
  GroupSubject: ['name'],
  ServiceAccountSubject: ['namespace', 'name'],
  ResourcePolicyRule: ['verbs', 'apiGroups', 'resources'],
  NonResourcePolicyRule: ['verbs', 'nonResourceURLs'],
  PriorityLevelConfigurationList: ['items'],
  PriorityLevelConfigurationSpec: ['type'],
  LimitResponse: ['type'],
  CSIDriver: ['spec'],
  StorageTokenRequest: ['audience'],
  CSINodeList: ['items'],
  CSINode: ['spec'],
  CSINodeSpec: ['drivers'],
  CSINodeDriver: ['name', 'nodeID'],
  CSIStorageCapacityList: ['items'],
  CSIStorageCapacity: ['storageClassName'],
  VolumeAttachmentList: ['items'],
  VolumeAttachment: ['spec'],
  VolumeAttachmentSpec: ['attacher', 'source', 'nodeName'],
  VolumeAttachmentStatus: ['attached'],
  LocalVolumeSource: ['path'],
  PolicyRule: ['verbs'],
  Subject: ['kind', 'name'],
  RoleRef: ['apiGroup', 'kind', 'name'],
  RoleBinding: ['roleRef'],
  ClusterRoleBinding: ['roleRef'],
  RoleList: ['items'],
  ClusterRoleList: ['items'],
  RoleBindingList: ['items'],
  ClusterRoleBindingList: ['items'],
  PriorityClass: ['value'],
  CertificateSigningRequest: ['spec'],
  CertificateSigningRequestList: ['items'],
  CertificateSigningRequestSpec: ['request', 'signerName'],
  CertificateSigningRequestCondition: ['type', 'status'],
  ValidatingWebhookConfigurationList: ['items'],
  MutatingWebhookConfigurationList: ['items'],
  ValidatingWebhook: ['name', 'clientConfig', 'sideEffects', 'admissionReviewVersions'],
  MutatingWebhook: ['name', 'clientConfig', 'sideEffects', 'admissionReviewVersions'],
  ServiceReference: ['namespace', 'name'],
  MatchCondition: ['name', 'expression'],
  ValidatingAdmissionPolicyList: ['items'],
  ValidatingAdmissionPolicyBindingList: ['items'],
  Validation: ['expression'],
  Variable: ['name', 'expression'],
  AuditAnnotation: ['key', 'valueExpression'],
  PriorityClassList: ['items'],
  RuntimeClass: ['handler'],
  RuntimeClassList: ['items'],
  LimitRangeList: ['items'],
  ResourceQuotaList: ['items'],
  LimitRangeSpec: ['limits'],
  LimitRangeItem: ['type'],
  PodDisruptionBudgetList: ['items'],
  HorizontalPodAutoscalerList: ['items'],
  HorizontalPodAutoscalerV1List: ['items'],
  HorizontalPodAutoscalerSpec: ['scaleTargetRef', 'maxReplicas'],
  HorizontalPodAutoscalerSpecV1: ['scaleTargetRef', 'maxReplicas'],
  CrossVersionObjectReference: ['kind', 'name'],
  CrossVersionObjectReferenceV1: ['kind', 'name'],
  MetricSpec: ['type'],
  MetricStatus: ['type'],
  MetricTarget: ['type'],
  ResourceMetricSource: ['name', 'target'],
  HPAScalingPolicy: ['type', 'value', 'periodSeconds'],
  HorizontalPodAutoscalerCondition: ['type', 'status'],
  WatchEvent: ['type', 'object'],
};

function valueSchema(kind: FieldSchema['kind'], format: string | undefined, type: string | undefined, deps: Set<string>): Schema {
  switch (kind) {
    case 'string':
      if (format === 'quantity') return ref(QUANTITY);
      return format === 'byte' ? { type: 'string', format: 'byte' } : { type: 'string' };
    case 'int':
      return { type: 'integer', format: format ?? 'int64' };
    case 'bool':
      return { type: 'boolean' };
    case 'double':
      return { type: 'number', format: 'double' };
    case 'value':
      return ref(INT_OR_STRING);
    case 'object':
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    case 'message':
      deps.add(type!);
      return { allOf: [ref(definitionName(type!))], default: {} };
    case 'map':
      return { type: 'object' };
  }
}

function gvkOf(typeName: string): Schema | undefined {
  const base = typeName.endsWith('List') ? typeName.slice(0, -4) : typeName;
  const k = API_KINDS.find((x) => x.typeName === base);
  if (k) return { 'x-kubernetes-group-version-kind': [{ group: k.group, kind: typeName === base ? k.kind : `${k.kind}List`, version: k.version }] };
  if (typeName === 'Scale') return { 'x-kubernetes-group-version-kind': [{ group: 'autoscaling', kind: 'Scale', version: 'v1' }] };
  if (typeName === 'TokenRequest') return { 'x-kubernetes-group-version-kind': [{ group: 'authentication.k8s.io', kind: 'TokenRequest', version: 'v1' }] };
  if (typeName === 'Status' || typeName === 'DeleteOptions' || typeName === 'WatchEvent') {
    return { 'x-kubernetes-group-version-kind': [{ group: '', kind: typeName, version: 'v1' }] };
  }
  return undefined;
}

function messageToSchema(typeName: string, deps: Set<string>): Schema {
  const properties: Record<string, Schema> = {};
  for (const f of fieldsOfMessage(typeName).values()) {
    let s: Schema;
    if (f.kind === 'map') {
      s = { type: 'object', additionalProperties: valueSchema(f.value!.kind, f.value!.format, f.value!.type, deps) };
      if (fieldTypeOf(typeName, f.name).kind === 'leaf') s['x-kubernetes-map-type'] = 'atomic';
    } else if (f.repeated) {
      const item = valueSchema(f.kind, f.format, f.type, deps);
      s = { type: 'array', items: f.kind === 'message' ? { ...item } : item };
      // The list type is the one server-side apply uses (which may differ from the patch's merge key).
      const t = fieldTypeOf(typeName, f.name);
      if (t.kind === 'keyed') {
        s['x-kubernetes-list-type'] = 'map';
        s['x-kubernetes-list-map-keys'] = t.keys;
      } else {
        s['x-kubernetes-list-type'] = t.kind === 'set' ? 'set' : 'atomic';
      }
    } else {
      s = valueSchema(f.kind, f.format, f.type, deps);
    }
    const meta = patchMeta(typeName, f.name);
    if (meta) {
      s['x-kubernetes-patch-strategy'] = meta.strategy;
      if (meta.mergeKey) s['x-kubernetes-patch-merge-key'] = meta.mergeKey;
    }
    const values = ENUMS[`${typeName}.${f.name}`];
    if (values) {
      if (s.type === 'array') s.items = { ...(s.items as Schema), enum: values };
      else s = { ...s, enum: values };
    }
    if (f.description) {
      // Siblings of a bare $ref are ignored by OpenAPI 3.0 readers: wrap it in allOf first.
      if ('$ref' in s) s = { allOf: [s] };
      s = { description: f.description, ...s };
    }
    properties[f.name] = s;
  }
  const description = messageSchema(typeName)?.description;
  const out: Schema = { ...(description ? { description } : {}), type: 'object', properties };
  if (REQUIRED[typeName]) out.required = REQUIRED[typeName];
  // (upstream publishes `+structType=atomic` with the map extension: a struct is a map to apply)
  if (isAtomicStruct(typeName)) out['x-kubernetes-map-type'] = 'atomic';
  return { ...out, ...(gvkOf(typeName) ?? {}) };
}

/** Schemas of `roots` and everything they reference, keyed by definition name. */
export function collectSchemas(roots: string[]): Record<string, Schema> {
  const out: Record<string, Schema> = {
    // (IntOrString's OpenAPIV3OneOfTypes: no type of its own, so kubectl explain names it <IntOrString>)
    [INT_OR_STRING]: {
      description: 'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.',
      format: 'int-or-string',
      oneOf: [{ type: 'integer' }, { type: 'string' }],
    },
    // (Quantity's OpenAPIV3OneOfTypes: a string, or a number such as `cpu: 1`)
    [QUANTITY]: { description: 'Quantity is a fixed-point representation of a number: a signed decimal number with an optional SI (k, M, G, T, P, E, m, u, n), binary (Ki, Mi, Gi, Ti, Pi, Ei) or decimal exponent (e3) suffix, such as 100m, 1.5 or 512Mi.', oneOf: [{ type: 'string' }, { type: 'number' }] },
    [PATCH]: { type: 'object', description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.' },
  };
  const queue = [...roots];
  const seen = new Set<string>();
  while (queue.length) {
    const t = queue.shift()!;
    if (seen.has(t) || !messageSchema(t)) continue;
    seen.add(t);
    const deps = new Set<string>();
    out[definitionName(t)] = messageToSchema(t, deps);
    queue.push(...deps);
  }
  return sortedByName(out);
}

const sortedByName = (schemas: Record<string, Schema>) => Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => (a < b ? -1 : 1)));

// ---- paths ----

const qp = (name: string, description: string, type = 'string') => ({ name, in: 'query', description, schema: { type, uniqueItems: true } });
const pathParam = (name: string, description: string) => ({ name, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } });
const P = {
  pretty: qp('pretty', "If 'true', then the output is pretty printed."),
  dryRun: qp('dryRun', 'When present, indicates that modifications should not be persisted. Valid value: All'),
  fieldManager: qp('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  fieldValidation: qp(
    'fieldValidation',
    'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict.',
  ),
  force: qp('force', 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people.', 'boolean'),
  labelSelector: qp('labelSelector', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  fieldSelector: qp('fieldSelector', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  limit: qp('limit', 'limit is a maximum number of responses to return for a list call.', 'integer'),
  continue: qp('continue', 'The continue option should be set when retrieving more results from the server.'),
  resourceVersion: qp('resourceVersion', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  resourceVersionMatch: qp('resourceVersionMatch', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
  timeoutSeconds: qp('timeoutSeconds', 'Timeout for the list/watch call.', 'integer'),
  watch: qp('watch', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.', 'boolean'),
  allowWatchBookmarks: qp('allowWatchBookmarks', 'allowWatchBookmarks requests watch events with type "BOOKMARK".', 'boolean'),
  gracePeriodSeconds: qp('gracePeriodSeconds', 'The duration in seconds before the object should be deleted.', 'integer'),
  propagationPolicy: qp('propagationPolicy', "Whether and how garbage collection will be performed. Either 'Orphan', 'Background' or 'Foreground'."),
};
const listParams = [P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.resourceVersion, P.resourceVersionMatch, P.timeoutSeconds, P.watch];

const jsonBody = (name: string) => ({
  content: { '*/*': { schema: ref(name) } },
  required: true,
});
const responses = (codes: Record<string, string>) =>
  Object.fromEntries([
    ...Object.entries(codes).map(([code, name]) => [code, { description: code === '201' ? 'Created' : code === '202' ? 'Accepted' : 'OK', content: { 'application/json': { schema: ref(name) }, 'application/yaml': { schema: ref(name) } } }]),
    ['401', { description: 'Unauthorized' }],
  ]);

/** ToValidOperationID: the characters that are not letters or digits dropped, the letter after each capitalised. */
export function operationIdPart(s: string, capitalizeFirst: boolean): string {
  let out = '';
  let upper = capitalizeFirst;
  for (const c of s) {
    if (!/[A-Za-z0-9]/.test(c)) {
      upper = true;
      continue;
    }
    out += upper ? c.toUpperCase() : c;
    upper = false;
  }
  return out;
}

/** The group's part of an operation id (capitalised) or tag: rbac.authorization.k8s.io is RbacAuthorization, rbacAuthorization. */
function groupPart(group: string, capitalizeFirst: boolean): string {
  return operationIdPart(group.replace(/\.k8s\.io$/, ''), capitalizeFirst);
}

/**
 * A group-version's operation id part and tag, as GetOperationIDAndTags takes them from the path
 * (apiserver/pkg/endpoints/openapi/openapi.go): the core group is core, a group loses .k8s.io
 * and its dots (listRbacAuthorizationV1ClusterRole, tag rbacAuthorization_v1).
 */
export function groupVersionNames(group: string, version: string): { id: string; tag: string } {
  const g = group ? group : 'core';
  return { id: groupPart(g, true) + operationIdPart(version, true), tag: `${groupPart(g, false)}_${operationIdPart(version, false)}` };
}

function opId(verb: string, k: KindInfo, scope: 'namespaced' | 'cluster' | 'all', suffix = ''): string {
  const ns = scope === 'namespaced' ? 'Namespaced' : '';
  const tail = scope === 'all' ? `${k.kind}ForAllNamespaces` : `${ns}${k.kind}${suffix}`;
  return `${verb}${groupVersionNames(k.group, k.version).id}${tail}`;
}

/** Definition names and PATCH media types of a kind whose schema is not a proto message (custom resources). */
export interface PathOptions {
  def?: string;
  listDef?: string;
  patchMedia?: string[];
}

const ALL_PATCH_MEDIA = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

/** The paths (operations) of kind `k` in its group-version's document. */
export function pathsFor(k: KindInfo, opts: PathOptions = {}): Record<string, Schema> {
  const def = opts.def ?? definitionName(k.typeName);
  const listDef = opts.listDef ?? definitionName(`${k.typeName}List`);
  const gvk = { group: k.group, kind: k.kind, version: k.version };
  const prefix = `/${groupVersionPath(k.group, k.version)}`;
  const coll = k.namespaced ? `${prefix}/namespaces/{namespace}/${k.resource}` : `${prefix}/${k.resource}`;
  const scope = k.namespaced ? 'namespaced' : 'cluster';
  const common = [...(k.namespaced ? [pathParam('namespace', 'object name and auth scope, such as for teams and projects')] : []), P.pretty];
  const itemCommon = [pathParam('name', `name of the ${k.kind}`), ...common];
  const tags = [groupVersionNames(k.group, k.version).tag];
  const op = (action: string, id: string, extra: Schema) => ({ tags, operationId: id, 'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': gvk, ...extra });
  const patchOp = (id: string) =>
    op('patch', id, {
      description: `partially update the specified ${k.kind}`,
      parameters: [P.dryRun, P.fieldManager, P.fieldValidation, P.force],
      requestBody: {
        content: Object.fromEntries(
          (opts.patchMedia ?? ALL_PATCH_MEDIA).map((t) => [t, { schema: ref(PATCH) }]),
        ),
        required: true,
      },
      responses: responses({ '200': def, '201': def }),
    });
  const paths: Record<string, Schema> = {
    [coll]: {
      get: op('list', opId('list', k, scope), { description: `list or watch objects of kind ${k.kind}`, parameters: listParams, responses: responses({ '200': listDef }) }),
      post: op('post', opId('create', k, scope), {
        description: `create a ${k.kind}`,
        parameters: [P.dryRun, P.fieldManager, P.fieldValidation],
        requestBody: jsonBody(def),
        responses: responses({ '200': def, '201': def, '202': def }),
      }),
      // (namespaces have no deletecollection: each is finalized on its own)
      ...(k.group === '' && k.resource === 'namespaces'
        ? {}
        : {
            delete: op('deletecollection', opId('deleteCollection', k, scope), {
              description: `delete collection of ${k.kind}`,
              parameters: [...listParams.filter((p) => p.name !== 'watch' && p.name !== 'allowWatchBookmarks'), P.dryRun, P.gracePeriodSeconds, P.propagationPolicy],
              requestBody: { content: { '*/*': { schema: ref(definitionName('DeleteOptions')) } } },
              responses: responses({ '200': definitionName('Status') }),
            }),
          }),
      parameters: common,
    },
    [`${coll}/{name}`]: {
      get: op('get', opId('read', k, scope), { description: `read the specified ${k.kind}`, responses: responses({ '200': def }) }),
      put: op('put', opId('replace', k, scope), {
        description: `replace the specified ${k.kind}`,
        parameters: [P.dryRun, P.fieldManager, P.fieldValidation],
        requestBody: jsonBody(def),
        responses: responses({ '200': def, '201': def }),
      }),
      patch: patchOp(opId('patch', k, scope)),
      delete: op('delete', opId('delete', k, scope), {
        description: `delete a ${k.kind}`,
        parameters: [P.dryRun, P.gracePeriodSeconds, P.propagationPolicy],
        requestBody: { content: { '*/*': { schema: ref(definitionName('DeleteOptions')) } } },
        responses: responses({ '200': def, '202': def }),
      }),
      parameters: itemCommon,
    },
  };
  // Subresources that read and write (part of) the whole object: status, ephemeralcontainers.
  for (const [sub, suffix, what] of [['status', 'Status', 'status'], ['ephemeralcontainers', 'Ephemeralcontainers', 'ephemeralcontainers']] as const) {
    if (!k.subresources.includes(sub)) continue;
    paths[`${coll}/{name}/${sub}`] = {
      get: op('get', opId('read', k, scope, suffix), { description: `read ${what} of the specified ${k.kind}`, responses: responses({ '200': def }) }),
      put: op('put', opId('replace', k, scope, suffix), {
        description: `replace ${what} of the specified ${k.kind}`,
        parameters: [P.dryRun, P.fieldManager, P.fieldValidation],
        requestBody: jsonBody(def),
        responses: responses({ '200': def, '201': def }),
      }),
      patch: patchOp(opId('patch', k, scope, suffix)),
      parameters: itemCommon,
    };
  }
  if (k.subresources.includes('scale')) {
    const scale = definitionName('Scale');
    const sop = (action: string, verb: string, extra: Schema) => ({ ...op(action, opId(verb, k, scope, 'Scale'), extra), 'x-kubernetes-group-version-kind': { group: 'autoscaling', kind: 'Scale', version: 'v1' } });
    const patch = patchOp(opId('patch', k, scope, 'Scale'));
    paths[`${coll}/{name}/scale`] = {
      get: sop('get', 'read', { description: `read scale of the specified ${k.kind}`, responses: responses({ '200': scale }) }),
      put: sop('put', 'replace', {
        description: `replace scale of the specified ${k.kind}`,
        parameters: [P.dryRun, P.fieldManager, P.fieldValidation],
        requestBody: jsonBody(scale),
        responses: responses({ '200': scale, '201': scale }),
      }),
      patch: { ...patch, description: `partially update scale of the specified ${k.kind}`, responses: responses({ '200': scale, '201': scale }), 'x-kubernetes-group-version-kind': { group: 'autoscaling', kind: 'Scale', version: 'v1' } },
      parameters: itemCommon,
    };
  }
  // Subresources that only create: pods/binding (Binding), serviceaccounts/token (authentication.k8s.io/v1 TokenRequest).
  const creators = [
    ['binding', 'Binding', 'Binding', 'binding', { group: '', kind: 'Binding', version: 'v1' }],
    ['token', 'TokenRequest', 'Token', 'token', { group: 'authentication.k8s.io', kind: 'TokenRequest', version: 'v1' }],
  ] as const;
  for (const [sub, typeName, suffix, what, gvk] of creators) {
    if (!k.subresources.includes(sub)) continue;
    const body = definitionName(typeName);
    paths[`${coll}/{name}/${sub}`] = {
      post: {
        ...op('post', opId('create', k, scope, suffix), {
          description: `create ${what} of a ${k.kind}`,
          parameters: [P.dryRun, P.fieldManager, P.fieldValidation],
          requestBody: jsonBody(body),
          responses: responses({ '200': body, '201': body, '202': body }),
        }),
        'x-kubernetes-group-version-kind': gvk,
      },
      parameters: itemCommon,
    };
  }
  if (k.namespaced) {
    paths[`${prefix}/${k.resource}`] = {
      get: op('list', opId('list', k, 'all'), { description: `list or watch objects of kind ${k.kind}`, parameters: listParams, responses: responses({ '200': listDef }) }),
      parameters: [P.pretty],
    };
  }
  return paths;
}

// ---- documents ----

function groupVersions(): string[] {
  return [...new Set([...API_KINDS, ...REVIEW_KINDS.map((r) => ({ ...r, version: 'v1' }))].map((k) => groupVersionPath(k.group, k.version)))];
}

/** The create-only path of a review kind (its answer is the request with status filled in). */
function reviewPaths(r: ReviewKind): Record<string, Schema> {
  const def = reviewDefinitionName(r);
  const prefix = `/${groupVersionPath(r.group, 'v1')}`;
  const path = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.resource}` : `${prefix}/${r.resource}`;
  const gvk = { group: r.group, kind: r.kind, version: 'v1' };
  return {
    [path]: {
      post: {
        tags: [groupVersionNames(r.group, 'v1').tag],
        description: `create a ${r.kind}`,
        operationId: `create${groupVersionNames(r.group, 'v1').id}${r.namespaced ? 'Namespaced' : ''}${r.kind}`,
        parameters: [P.dryRun, P.fieldManager, P.fieldValidation],
        requestBody: jsonBody(def),
        responses: responses({ '200': def, '201': def, '202': def }),
        'x-kubernetes-action': 'post',
        'x-kubernetes-group-version-kind': gvk,
      },
      parameters: [...(r.namespaced ? [pathParam('namespace', 'object name and auth scope, such as for teams and projects')] : []), P.pretty],
    },
  };
}

const docs = new Map<string, { doc: Schema; hash: string }>();

function build(gv: string): { doc: Schema; hash: string } | undefined {
  const cached = docs.get(gv);
  if (cached) return cached;
  const kinds = API_KINDS.filter((k) => groupVersionPath(k.group, k.version) === gv);
  const reviews = REVIEW_KINDS.filter((r) => groupVersionPath(r.group, 'v1') === gv);
  if (!kinds.length && !reviews.length) return undefined;
  const roots = kinds.flatMap((k) => [k.typeName, `${k.typeName}List`, ...(k.subresources.includes('binding') ? ['Binding'] : []), ...(k.subresources.includes('scale') ? ['Scale'] : []), ...(k.subresources.includes('token') ? ['TokenRequest'] : [])]);
  if (reviews.length) roots.push('ObjectMeta', 'LabelSelectorRequirement');
  const paths: Record<string, Schema> = {};
  for (const k of kinds) Object.assign(paths, pathsFor(k));
  for (const r of reviews) Object.assign(paths, reviewPaths(r));
  // (the group-version's own discovery: APIGroupVersionHandler's GET /, getAPIResources)
  const [, group, version] = gv.startsWith('api/') ? ['', '', gv.slice('api/'.length)] : gv.split('/');
  const names = groupVersionNames(group!, version!);
  const resourceList = ref(`${META}.APIResourceList`);
  paths[`/${gv}/`] = {
    get: {
      tags: [names.tag],
      description: 'get available resources',
      operationId: `get${names.id}APIResources`,
      responses: { '200': { description: 'OK', content: Object.fromEntries(DISCOVERY_MEDIA.map((m) => [m, { schema: resourceList }])) }, '401': { description: 'Unauthorized' } },
    },
  };
  const doc: Schema = {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: {
      schemas: sortedByName({ ...collectSchemas([...roots, 'Status', 'DeleteOptions', 'WatchEvent']), ...(reviews.length ? reviewSchemas(reviews[0]!.group) : {}), ...discoverySchemas(`${META}.APIResourceList`) }),
      securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } },
    },
  };
  const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
  const entry = { doc, hash };
  docs.set(gv, entry);
  return entry;
}

// ---- the other web services' documents ----
// kube-apiserver's InstallV3 (apiserver/pkg/server/routes/openapi.go) publishes one document per
// go-restful WebService, keyed by its root path: besides each group-version, the legacy and group
// discovery roots (api, apis, apis/<group>), version and the service account issuer's OIDC
// discovery (.well-known/openid-configuration, openid/v1/jwks). Their operation ids and tags are
// GetOperationIDAndTags' (apiserver/pkg/endpoints/openapi): the path's group with .k8s.io cut and
// its dots dropped, camel-cased.

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const str = { type: 'string', default: '' };
const typeMeta = { apiVersion: { type: 'string' }, kind: { type: 'string' } };
const discoveryGvk = (kind: string) => [{ group: '', kind, version: 'v1' }];
const cidrs = { type: 'array', items: { ...ref(`${META}.ServerAddressByClientCIDR`), default: {} } };
const DISCOVERY_SCHEMAS: Record<string, Schema> = {
  [`${META}.APIVersions`]: {
    type: 'object',
    required: ['versions', 'serverAddressByClientCIDRs'],
    properties: { ...typeMeta, serverAddressByClientCIDRs: cidrs, versions: { type: 'array', items: str } },
    'x-kubernetes-group-version-kind': discoveryGvk('APIVersions'),
  },
  [`${META}.APIGroup`]: {
    type: 'object',
    required: ['name', 'versions'],
    properties: {
      ...typeMeta,
      name: str,
      preferredVersion: { ...ref(`${META}.GroupVersionForDiscovery`), default: {} },
      serverAddressByClientCIDRs: cidrs,
      versions: { type: 'array', items: { ...ref(`${META}.GroupVersionForDiscovery`), default: {} } },
    },
    'x-kubernetes-group-version-kind': discoveryGvk('APIGroup'),
  },
  [`${META}.APIGroupList`]: {
    type: 'object',
    required: ['groups'],
    properties: { ...typeMeta, groups: { type: 'array', items: { ...ref(`${META}.APIGroup`), default: {} } } },
    'x-kubernetes-group-version-kind': discoveryGvk('APIGroupList'),
  },
  [`${META}.APIResourceList`]: {
    type: 'object',
    required: ['groupVersion', 'resources'],
    properties: { ...typeMeta, groupVersion: str, resources: { type: 'array', items: { ...ref(`${META}.APIResource`), default: {} } } },
    'x-kubernetes-group-version-kind': discoveryGvk('APIResourceList'),
  },
  [`${META}.APIResource`]: {
    type: 'object',
    required: ['name', 'singularName', 'namespaced', 'kind', 'verbs'],
    properties: {
      categories: { type: 'array', items: str },
      group: { type: 'string' },
      kind: str,
      name: str,
      namespaced: { type: 'boolean', default: false },
      shortNames: { type: 'array', items: str },
      singularName: str,
      storageVersionHash: { type: 'string' },
      verbs: { type: 'array', items: str },
      version: { type: 'string' },
    },
  },
  [`${META}.GroupVersionForDiscovery`]: { type: 'object', required: ['groupVersion', 'version'], properties: { groupVersion: str, version: str } },
  [`${META}.ServerAddressByClientCIDR`]: { type: 'object', required: ['clientCIDR', 'serverAddress'], properties: { clientCIDR: str, serverAddress: str } },
  // (1.32's k8s.io/apimachinery/pkg/version.Info: no emulation fields yet)
  'io.k8s.apimachinery.pkg.version.Info': {
    type: 'object',
    required: ['major', 'minor', 'gitVersion', 'gitCommit', 'gitTreeState', 'buildDate', 'goVersion', 'compiler', 'platform'],
    properties: Object.fromEntries(['buildDate', 'compiler', 'gitCommit', 'gitTreeState', 'gitVersion', 'goVersion', 'major', 'minor', 'platform'].map((f) => [f, str])),
  },
};

/** A discovery schema and those it refers to. */
function discoverySchemas(name: string): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  const want = [name];
  while (want.length) {
    const n = want.pop()!;
    if (out[n] || !DISCOVERY_SCHEMAS[n]) continue;
    out[n] = DISCOVERY_SCHEMAS[n]!;
    for (const m of JSON.stringify(DISCOVERY_SCHEMAS[n]).matchAll(/#\/components\/schemas\/([^"]+)/g)) want.push(m[1]!);
  }
  return out;
}

/** A document whose one path answers GET with `schema` (or a plain string) in `media`. */
function singleGetDoc(path: string, operationId: string, tag: string, description: string, media: string[], schemaName: string | undefined): Schema {
  const schema = schemaName ? ref(schemaName) : { type: 'string' };
  const schemas = schemaName ? discoverySchemas(schemaName) : {};
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths: {
      [path]: {
        get: {
          tags: [tag],
          description,
          operationId,
          responses: { '200': { description: 'OK', content: Object.fromEntries(media.map((m) => [m, { schema }])) }, '401': { description: 'Unauthorized' } },
        },
      },
    },
    components: {
      schemas: sortedByName(schemas),
      securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } },
    },
  };
}

const DISCOVERY_MEDIA = ['application/json', 'application/vnd.kubernetes.protobuf', 'application/yaml'];

/** The documents of the web services that are not a group-version, by their index key. */
function rootDocs(): Map<string, Schema> {
  const out = new Map<string, Schema>();
  out.set('api', singleGetDoc('/api/', 'getCoreAPIVersions', 'core', 'get available API versions', DISCOVERY_MEDIA, `${META}.APIVersions`));
  out.set('apis', singleGetDoc('/apis/', 'getAPIVersions', 'apis', 'get available API versions', DISCOVERY_MEDIA, `${META}.APIGroupList`));
  const groups = [...new Set([...API_KINDS.map((k) => k.group), ...REVIEW_KINDS.map((r) => r.group)])].filter((g) => g !== '');
  for (const g of groups) out.set(`apis/${g}`, singleGetDoc(`/apis/${g}/`, `get${groupPart(g, true)}APIGroup`, groupPart(g, false), 'get information of a group', DISCOVERY_MEDIA, `${META}.APIGroup`));
  out.set('version', singleGetDoc('/version/', 'getCodeVersion', 'version', 'get the code version', ['application/json'], 'io.k8s.apimachinery.pkg.version.Info'));
  out.set('.well-known/openid-configuration', singleGetDoc('/.well-known/openid-configuration/', 'getServiceAccountIssuerOpenIDConfiguration', 'WellKnown', "get service account issuer OpenID configuration, also known as the 'OIDC discovery doc'", ['application/json'], undefined));
  out.set('openid/v1/jwks', singleGetDoc('/openid/v1/jwks/', 'getServiceAccountIssuerOpenIDKeyset', 'openid', 'get service account issuer OpenID JSON Web Key Set (contains public token verification keys)', ['application/jwk-set+json'], undefined));
  return out;
}

let rootCache: Map<string, { doc: Schema; hash: string }> | undefined;
function rootEntries(): Map<string, { doc: Schema; hash: string }> {
  rootCache ??= new Map([...rootDocs()].map(([k, doc]) => [k, { doc, hash: createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase() }]));
  return rootCache;
}

/**
 * GET /openapi/v3: one entry per document (each group-version, and api, apis, apis/<group>,
 * version and the OIDC discovery ones), pointing at it by content hash.
 */
export function openapiV3Index(): { paths: Record<string, { serverRelativeURL: string }> } {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of groupVersions()) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${build(gv)!.hash}` };
  for (const [key, { hash }] of rootEntries()) paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  return { paths };
}

/** GET /openapi/v3/<key> (`api/v1`, `apis/coordination.k8s.io/v1`, `apis/apps`, `version`); undefined for unknown ones. */
export function openapiV3Doc(groupVersion: string): Record<string, unknown> | undefined {
  const gv = groupVersion.split('?')[0].replace(/^\/+|\/+$/g, '');
  return build(gv)?.doc ?? rootEntries().get(gv)?.doc;
}
