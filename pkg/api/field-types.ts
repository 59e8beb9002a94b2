// How server-side apply sees each field of a type: a struct (fields known from the schema), a
// map (every key its own field: labels, annotations, nodeSelector, resources.limits), a list
// keyed by merge keys (containers by name, ports by containerPort+protocol), a list used as a
// set (finalizers), or an atomic leaf (scalars, and every list patch-meta.ts does not name:
// command, args, tolerations, containerStatuses, ...). Derived from the proto schema and the
// strategic-merge metadata, with the few list keys Kubernetes declares differently for apply.
import { listPatchMeta } from './patch-meta.js';
import { fieldsOfMessage, messageSchema, type FieldSchema } from './schema.js';
import type { Json } from './fieldpath.js';

export type FieldType =
  | { kind: 'leaf' }
  | { kind: 'struct'; name: string }
  | { kind: 'map'; value: FieldType }
  | { kind: 'set' }
  | { kind: 'keyed'; keys: string[]; defaults: Record<string, Json>; item: FieldType };

export const LEAF: FieldType = { kind: 'leaf' };

/** `+listType=map` keys (or atomic lists) where Kubernetes' apply schema differs from patchMergeKey. */
const APPLY_LIST_OVERRIDES: Record<string, Record<string, { keys: string[]; defaults?: Record<string, Json> } | 'atomic'>> = {
  Container: { ports: { keys: ['containerPort', 'protocol'], defaults: { protocol: 'TCP' } } },
  EphemeralContainer: { ports: { keys: ['containerPort', 'protocol'], defaults: { protocol: 'TCP' } } },
  PodSpec: { topologySpreadConstraints: { keys: ['topologyKey', 'whenUnsatisfiable'] } },
  // Several addresses may share a type (two InternalIPs): Kubernetes keeps the list atomic.
  NodeStatus: { addresses: 'atomic' },
};

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
  return kind === 'message' && type && messageSchema(type) ? structType(type) : LEAF;
}

function listType(owner: string, f: FieldSchema): FieldType {
  const item = typeOfValue(f.kind, f.type);
  const o = APPLY_LIST_OVERRIDES[owner]?.[f.name];
  if (o === 'atomic') return LEAF;
  if (o) return { kind: 'keyed', keys: o.keys, defaults: o.defaults ?? {}, item };
  const meta = listPatchMeta(owner, f.name);
  if (!meta) return LEAF;
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
  else if (f.kind === 'map') t = { kind: 'map', value: typeOfValue(f.value!.kind, f.value!.type) };
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
