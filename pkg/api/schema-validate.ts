// Strict decoding: walks a JSON object against the proto-generated schema and reports unknown
// fields (`unknown field "spec.containers[0].foo"`) and values of the wrong JSON type, the way
// the Kubernetes apiserver does with fieldValidation=Strict. null is accepted anywhere: a field
// left unset, an element of a list or map the zero value of its type.
//
// A value of the wrong type is told as Go's encoding/json tells it (sigs.k8s.io/json's
// UnmarshalTypeError): `json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas
// of type int32`, naming the innermost struct, the path of JSON names from the root (no indices, no
// map keys) and the Go type. Quantities (fields marked `+quantity` in proto/) take a string or a
// number, as resource.Quantity's UnmarshalJSON does; a number becomes its string here.
import { base64Error } from './base64.js';
import { goTimeParseError, RFC3339, RFC3339_MICRO } from './go-time.js';
import { canonicalQuantity, isValidQuantity, QUANTITY_FORMAT_MESSAGE } from './quantity.js';
import { typeInvalid, unknownField, type FieldError } from './field-error.js';
import { fieldsOfMessage, messageSchema, type FieldKind } from './schema.js';
import goTypesJson from './go-types.json' with { type: 'json' };
import { isObject } from './json-object.js';

/**
 * Fields whose Go type is a named one (v1.Protocol, v1.ResourceList, []v1.Capability), keyed
 * `Message.jsonName`: the type as reflect prints it and, for a slice or map, its element's
 * (scripts/gen-go-types.ts, from k8s.io/api's types.go).
 */
const GO_TYPES = goTypesJson as Record<string, { type: string; element?: string } | undefined>;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** A JSON value as Go's decoder names it in an UnmarshalTypeError. */
function goValue(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'object' ? 'object' : typeof v;
}

const join = (path: string, name: string) => (path ? `${path}.${name}` : name);

// Our message names where they are not k8s.io/api's Go type names, and the Go package of each.
const AUTOSCALING_V2 = new Set([
  'HorizontalPodAutoscaler', 'HorizontalPodAutoscalerList', 'HorizontalPodAutoscalerSpec', 'CrossVersionObjectReference', 'MetricSpec', 'ObjectMetricSource',
  'PodsMetricSource', 'ResourceMetricSource', 'ContainerResourceMetricSource', 'ExternalMetricSource', 'MetricIdentifier', 'MetricTarget',
  'HorizontalPodAutoscalerBehavior', 'HPAScalingRules', 'HPAScalingPolicy', 'HorizontalPodAutoscalerStatus', 'HorizontalPodAutoscalerCondition',
  'MetricStatus', 'ObjectMetricStatus', 'PodsMetricStatus', 'ResourceMetricStatus', 'ContainerResourceMetricStatus', 'ExternalMetricStatus', 'MetricValueStatus',
]);

/**
 * The Go struct name of one of our messages: HorizontalPodAutoscalerSpecV1 is autoscaling/v1's
 * HorizontalPodAutoscalerSpec, EventsEvent events/v1's Event, FlowSubject flowcontrol/v1's Subject,
 * EndpointSlicePort discovery/v1's EndpointPort, StorageTokenRequest storage/v1's TokenRequest.
 */
export function goStructName(message: string): string {
  if (message === 'FlowSubject') return 'Subject';
  if (message === 'EndpointSlicePort') return 'EndpointPort';
  if (message === 'StorageTokenRequest') return 'TokenRequest';
  return message.replace(/V1(?=List$|$)/, '').replace(/^Events(?=Event)/, '');
}

/** The Go type of a message as reflect prints it: `v1.PodSpec`, `v2.MetricSpec`. */
const goMessageType = (message: string) => `${AUTOSCALING_V2.has(message) ? 'v2' : 'v1'}.${goStructName(message)}`;

interface ScalarSchema {
  kind: FieldKind;
  format?: string;
  type?: string;
}

/** The Go type of one value of a field (no slice or map around it). */
function goType(s: ScalarSchema): string {
  switch (s.kind) {
    case 'string':
      return s.format === 'byte' ? '[]uint8' : s.format === 'quantity' ? 'resource.Quantity' : 'string';
    case 'bool':
      return 'bool';
    case 'double':
      return 'float64';
    case 'int':
      return s.format === 'int64' ? 'int64' : 'int32';
    case 'value':
      return 'intstr.IntOrString';
    case 'object':
      return 'map[string]interface {}';
    case 'message':
      return goMessageType(s.type!);
    case 'map':
      return 'map[string]string';
  }
}

/** Where a value sits, for Go's message: the innermost struct and the JSON names from the root. */
interface GoContext {
  struct: string;
  path: string;
}

function goTypeError(path: string, v: unknown, at: GoContext, type: string, value = goValue(v)): FieldError {
  return typeInvalid(path, v, `json: cannot unmarshal ${value} into Go struct field ${goStructName(at.struct)}.${at.path} of type ${type}`);
}

/**
 * Checks one value; pushes at most one error. Returns the value to keep (a number given for a
 * quantity becomes its string). `named` is the value's Go type when it is a named one.
 */
function checkValue(s: ScalarSchema, v: unknown, path: string, at: GoContext, errs: FieldError[], named?: string): unknown {
  if (v === null) return v;
  switch (s.kind) {
    case 'string':
      if (s.format === 'quantity') {
        // (ParseQuantity of the raw JSON: neither a string nor a number is ever one)
        if (typeof v !== 'string' && typeof v !== 'number') errs.push(typeInvalid(path, v, QUANTITY_FORMAT_MESSAGE));
        // A quantity is kept in its canonical form, as resource.Quantity re-encodes it (0.5 → 500m,
        // 1e9 → 1G); one that does not parse is left to validation, which names it.
        const q = String(v);
        return isValidQuantity(q) ? canonicalQuantity(q) : v;
      } else if (named === 'v1.Time' || named === 'v1.MicroTime') {
        // (metav1.Time's UnmarshalJSON: a string of its own, then time.Parse; either error is Go's own)
        const why = typeof v !== 'string' ? `json: cannot unmarshal ${goValue(v)} into Go value of type string` : goTimeParseError(v, named === 'v1.Time' ? RFC3339 : RFC3339_MICRO);
        if (why) errs.push(typeInvalid(path, v, why));
      } else if (typeof v !== 'string') {
        errs.push(goTypeError(path, v, at, named ?? goType(s)));
      } else if (s.format === 'byte') {
        // proto bytes: base64 in JSON, decoded strictly as Kubernetes does (a 400 when it is not).
        // The value is not echoed (Go's CorruptInputError names only the byte): it is most often
        // a Secret's.
        const bad = base64Error(v);
        if (bad) errs.push(typeInvalid(path, undefined, bad));
      }
      return v;
    case 'bool':
      if (typeof v !== 'boolean') errs.push(goTypeError(path, v, at, 'bool'));
      return v;
    case 'double':
      if (typeof v !== 'number') errs.push(goTypeError(path, v, at, 'float64'));
      return v;
    case 'int':
    case 'value': {
      // IntOrString's UnmarshalJSON takes a string, else decodes an int32 (and says so).
      if (s.kind === 'value' && typeof v === 'string') return v;
      const type = s.kind === 'value' ? 'int32' : goType(s);
      if (typeof v !== 'number') errs.push(goTypeError(path, v, at, type));
      else if (!Number.isInteger(v) || (type === 'int32' && (v < INT32_MIN || v > INT32_MAX)) || !Number.isSafeInteger(v)) {
        errs.push(goTypeError(path, v, at, type, `number ${String(v)}`));
      }
      return v;
    }
    case 'object':
      if (!isObject(v)) errs.push(goTypeError(path, v, at, goType(s)));
      return v;
    case 'message':
      if (!isObject(v)) errs.push(goTypeError(path, v, at, goType(s)));
      else walk(s.type!, v, path, at.path, errs);
      return v;
    case 'map':
      return v; // handled by the caller, which knows the value schema
  }
}

/**
 * What Go's decoder leaves for a null element of a slice or value of a map: the element's zero
 * value (json.Unmarshal of null into a struct, string or number does nothing). So `containers:
 * [null]` is an empty container, which validation then finds wanting, not a hole in the list.
 */
function zeroValue(s: ScalarSchema): unknown {
  switch (s.kind) {
    case 'string':
      return s.format === 'quantity' ? '0' : s.format === 'byte' ? null : '';
    case 'bool':
      return false;
    case 'double':
    case 'int':
    case 'value':
      return 0;
    case 'message':
      return {};
    case 'map':
    case 'object':
      return null;
  }
}

function walk(typeName: string, obj: Record<string, unknown>, path: string, goPath: string, errs: FieldError[]): void {
  const fields = fieldsOfMessage(typeName);
  for (const [key, v] of Object.entries(obj)) {
    const f = fields.get(key);
    const p = join(path, key);
    if (!f) {
      errs.push(unknownField(p));
      continue;
    }
    if (v === null || v === undefined) continue;
    const at: GoContext = { struct: typeName, path: join(goPath, key) };
    const named = GO_TYPES[`${typeName}.${key}`];
    if (f.kind === 'map') {
      const vs = f.value!;
      if (!isObject(v)) {
        errs.push(goTypeError(p, v, at, named?.type ?? `map[string]${goType(vs)}`));
        continue;
      }
      for (const [mk, mv] of Object.entries(v)) {
        if (mv === null) {
          v[mk] = zeroValue(vs);
          continue;
        }
        const nv = checkValue(vs, mv, `${p}[${mk}]`, at, errs, named?.element);
        if (nv !== mv) v[mk] = nv;
      }
      continue;
    }
    if (f.repeated) {
      if (!Array.isArray(v)) {
        errs.push(goTypeError(p, v, at, named?.type ?? `[]${goType(f)}`));
        continue;
      }
      v.forEach((item, i) => {
        if (item === null) {
          v[i] = zeroValue(f);
          return;
        }
        const nv = checkValue(f, item, `${p}[${i}]`, at, errs, named?.element);
        if (nv !== item) v[i] = nv;
      });
      continue;
    }
    const nv = checkValue(f, v, p, at, errs, named?.type);
    if (nv !== v) obj[key] = nv;
  }
}

/**
 * Strictly decodes `obj` as message `typeName` (Pod, Node, ...): unknown fields come back as
 * FieldValueUnknown, mistyped values as FieldValueTypeInvalid (detail: Go's message), each with
 * its path, `prefix` before it when `obj` sits at that path of a larger object. Numbers given for
 * quantities are turned into strings in place.
 */
export function decodeStrict(typeName: string, obj: unknown, prefix = ''): FieldError[] {
  if (!messageSchema(typeName)) throw new Error(`decodeStrict: unknown type ${typeName}`);
  const errs: FieldError[] = [];
  if (obj === null) return errs;
  if (!isObject(obj)) {
    errs.push(typeInvalid(prefix || '<root>', obj, `json: cannot unmarshal ${goValue(obj)} into Go value of type ${goMessageType(typeName)}`));
    return errs;
  }
  walk(typeName, obj, prefix, prefix, errs);
  return errs;
}
