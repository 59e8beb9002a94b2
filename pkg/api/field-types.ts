// How server-side apply sees each field of a type: a struct (fields known from the schema), a
// map (every key its own field: labels, annotations, resources.limits), a list keyed by merge
// keys (containers by name, ports by containerPort+protocol), a list used as a set (finalizers),
// or an atomic leaf (scalars, `+structType=atomic` structs such as label selectors,
// `+mapType=atomic` maps such as nodeSelector, and every list patch-meta.ts does not merge:
// command, args, tolerations, containerStatuses, ...). Derived from the proto schema and the
// strategic-merge metadata, with the `+listType` markers of the Kubernetes 1.32 types where they
// say otherwise. The OpenAPI documents publish these types (x-kubernetes-list-type,
// -list-map-keys, -map-type), so what kubectl reads is what the server does.
import { mergesItems, patchMeta } from './patch-meta.js';
import { fieldsOfMessage, messageSchema, type FieldSchema } from './schema.js';
import type { Json } from './fieldpath.js';

export type FieldType =
  | { kind: 'leaf' }
  | { kind: 'struct'; name: string }
  | { kind: 'map'; value: FieldType }
  | { kind: 'set' }
  | { kind: 'keyed'; keys: string[]; defaults: Record<string, Json>; item: FieldType };

export const LEAF: FieldType = { kind: 'leaf' };

type ListOverride = { keys: string[]; defaults?: Record<string, Json> } | 'atomic' | 'set';

/** `+listType` where Kubernetes' apply schema differs from the patchMergeKey (or there is none). */
const APPLY_LIST_OVERRIDES: Record<string, Record<string, ListOverride>> = {
  // (an item without protocol is TCP's: the key's default in the apply schema)
  Container: { ports: { keys: ['containerPort', 'protocol'], defaults: { protocol: 'TCP' } } },
  EphemeralContainer: { ports: { keys: ['containerPort', 'protocol'], defaults: { protocol: 'TCP' } } },
  // Port 53 over UDP and over TCP (CoreDNS) are two ports, not a duplicate.
  ServiceSpec: { ports: { keys: ['port', 'protocol'], defaults: { protocol: 'TCP' } } },
  PodSpec: { topologySpreadConstraints: { keys: ['topologyKey', 'whenUnsatisfiable'] } },
  // Several addresses may share a type (two InternalIPs). 1.32's apply schema keys them by type
  // and owns duplicates together; ours would lose the second from ownership, so the list stays one value.
  NodeStatus: { addresses: 'atomic' },
  // Merged by ip or type in a strategic patch, one value to apply (`+listType=atomic`).
  PodStatus: { hostIPs: 'atomic' },
  JobStatus: { conditions: 'atomic' },
  // `+listType=map` without a patch strategy.
  CertificateSigningRequestStatus: { conditions: { keys: ['type'] } },
  ValidatingAdmissionPolicyStatus: { conditions: { keys: ['type'] } },
  ResourceRequirements: { claims: { keys: ['name'] } },
  // `+listType=set` without a patch strategy.
  Endpoint: { addresses: 'set' },
  UncountedTerminatedPods: { succeeded: 'set', failed: 'set' },
  PodFailurePolicyOnExitCodesRequirement: { values: 'set' },
  // storage.k8s.io/v1 CSIDriver: `+listType=set` without a patch strategy.
  CSIDriverSpec: { volumeLifecycleModes: 'set' },
  ValidatingAdmissionPolicyBindingSpec: { validationActions: 'set' },
};

/**
 * `+structType=atomic`: structs set, owned and merged as one value wherever they appear (a
 * selector's matchLabels and matchExpressions go together), recorded as `f:selector: {}`.
 */
const ATOMIC_STRUCTS = new Set([
  'LabelSelector',
  'OwnerReference',
  'ObjectReference',
  'LocalObjectReference',
  'TypedLocalObjectReference',
  'ConfigMapKeySelector',
  'SecretKeySelector',
  'ObjectFieldSelector',
  'ResourceFieldSelector',
  'NodeSelector',
  'NodeSelectorTerm',
  'ScopeSelector',
  'EndpointAddress',
  'EndpointPort',
  'EndpointSlicePort',
  'ServiceBackendPort',
  'CrossVersionObjectReferenceV1',
  'RoleRef',
  'Subject',
  'MatchResources',
  'NamedRuleWithOperations',
  'ParamKind',
  'ParamRef',
  'Variable',
]);

/** `+mapType=atomic`: maps replaced whole, not key by key (a pod's nodeSelector, a service's selector). */
const ATOMIC_MAPS: Record<string, ReadonlySet<string>> = {
  PodSpec: new Set(['nodeSelector']),
  ServiceSpec: new Set(['selector']),
  ReplicationControllerSpec: new Set(['selector']),
  Scheduling: new Set(['nodeSelector']),
};

/**
 * The fields whose Go type is a non-pointer metav1.Time or MicroTime: a zero one is serialized as
 * null (omitempty does not drop a struct), so a null there is a value the object holds and a field
 * it sets, as structured-merge-diff's SetFromValue counts a null leaf (a template's
 * `creationTimestamp: null`, a pod condition's `lastProbeTime: null`). Anywhere else a null
 * decodes to Go's nil, which omitempty drops: no field.
 */
const NULL_WHEN_ZERO: Record<string, ReadonlySet<string>> = {
  ObjectMeta: new Set(['creationTimestamp']),
  PodCondition: new Set(['lastProbeTime', 'lastTransitionTime']),
  NodeCondition: new Set(['lastHeartbeatTime', 'lastTransitionTime']),
  NamespaceCondition: new Set(['lastTransitionTime']),
  PersistentVolumeClaimCondition: new Set(['lastProbeTime', 'lastTransitionTime']),
  ReplicationControllerCondition: new Set(['lastTransitionTime']),
  ContainerStateRunning: new Set(['startedAt']),
  ContainerStateTerminated: new Set(['startedAt', 'finishedAt']),
  DeploymentCondition: new Set(['lastUpdateTime', 'lastTransitionTime']),
  ReplicaSetCondition: new Set(['lastTransitionTime']),
  StatefulSetCondition: new Set(['lastTransitionTime']),
  DaemonSetCondition: new Set(['lastTransitionTime']),
  JobCondition: new Set(['lastProbeTime', 'lastTransitionTime']),
  HorizontalPodAutoscalerCondition: new Set(['lastTransitionTime']),
  CertificateSigningRequestCondition: new Set(['lastUpdateTime', 'lastTransitionTime']),
  Condition: new Set(['lastTransitionTime']),
  Event: new Set(['firstTimestamp', 'lastTimestamp', 'eventTime']),
  EventSeries: new Set(['lastObservedTime']),
  EventsEvent: new Set(['eventTime', 'deprecatedFirstTimestamp', 'deprecatedLastTimestamp']),
  EventsEventSeries: new Set(['lastObservedTime']),
  TokenRequestStatus: new Set(['expirationTimestamp']),
  VolumeError: new Set(['time']),
};

/** Whether a null in field `key` of a value of type `t` is a field (a zero Go time), not an absent one. */
export const nullIsField = (t: FieldType, key: string): boolean => t.kind === 'struct' && !!NULL_WHEN_ZERO[t.name]?.has(key);

/** Whether a struct of the schema is `+structType=atomic` (published as x-kubernetes-map-type: atomic). */
export const isAtomicStruct = (name: string): boolean => ATOMIC_STRUCTS.has(name);

/** Field types by struct, then field name (two lookups, no key string built per field). */
const cache = new Map<string, Map<string, FieldType>>();

/** Structs described by a schema rather than a proto message (custom resources), by name. */
const described = new Map<string, Map<string, FieldType>>();

/** Registers (or replaces) a struct whose fields have the given types. */
export function describeStruct(name: string, fields: Map<string, FieldType>): FieldType {
  described.set(name, fields);
  return structType(name);
}

export const structType = (name: string): FieldType => ({ kind: 'struct', name });

function typeOfValue(kind: string, type: string | undefined): FieldType {
  return kind === 'message' && type && messageSchema(type) && !ATOMIC_STRUCTS.has(type) ? structType(type) : LEAF;
}

function listType(owner: string, f: FieldSchema): FieldType {
  const item = typeOfValue(f.kind, f.type);
  const o = APPLY_LIST_OVERRIDES[owner]?.[f.name];
  if (o === 'atomic') return LEAF;
  if (o === 'set') return { kind: 'set' };
  if (o) return { kind: 'keyed', keys: o.keys, defaults: o.defaults ?? {}, item };
  const meta = patchMeta(owner, f.name);
  if (!mergesItems(meta)) return LEAF;
  if (meta.mergeKey) return { kind: 'keyed', keys: [meta.mergeKey], defaults: {}, item };
  return f.kind === 'message' ? LEAF : { kind: 'set' };
}

/** The type of field `key` of struct `owner`; unknown fields are leaves. */
export function fieldTypeOf(owner: string, key: string): FieldType {
  const d = described.get(owner);
  if (d) return d.get(key) ?? LEAF;
  let byKey = cache.get(owner);
  if (!byKey) cache.set(owner, (byKey = new Map()));
  let t = byKey.get(key);
  if (t) return t;
  const f = messageSchema(owner) ? fieldsOfMessage(owner).get(key) : undefined;
  if (!f) t = LEAF;
  else if (f.kind === 'map') t = ATOMIC_MAPS[owner]?.has(key) ? LEAF : { kind: 'map', value: typeOfValue(f.value!.kind, f.value!.type) };
  else if (f.repeated) t = listType(owner, f);
  else t = typeOfValue(f.kind, f.type);
  byKey.set(key, t);
  return t;
}

/** The type of a child of a struct or map. */
export function childType(t: FieldType, key: string): FieldType {
  if (t.kind === 'struct') return fieldTypeOf(t.name, key);
  if (t.kind === 'map') return t.value;
  return LEAF;
}
