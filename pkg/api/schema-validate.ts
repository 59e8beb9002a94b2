// Strict decoding: walks a JSON object against the proto-generated schema and reports unknown
// fields (`unknown field "spec.containers[0].foo"`) and values of the wrong JSON type, the way
// the Kubernetes apiserver does with fieldValidation=Strict. null is accepted anywhere (unset).
import { base64Error } from './base64.js';
import { typeInvalid, unknownField, type FieldError } from './field-error.js';
import { fieldsOfMessage, messageSchema, type FieldKind } from './schema.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const join = (path: string, name: string) => (path ? `${path}.${name}` : name);

/** Checks one scalar-ish value; pushes at most one error. */
function checkValue(kind: FieldKind, format: string | undefined, type: string | undefined, v: unknown, path: string, errs: FieldError[]): void {
  if (v === null) return;
  switch (kind) {
    case 'string':
      if (typeof v !== 'string') errs.push(typeInvalid(path, v, `expected string, got ${jsonType(v)}`));
      else if (format === 'byte') {
        // proto bytes: base64 in JSON, decoded strictly as Kubernetes does (a 400 when it is not).
        const bad = base64Error(v);
        if (bad) errs.push(typeInvalid(path, v, bad));
      }
      return;
    case 'bool':
      if (typeof v !== 'boolean') errs.push(typeInvalid(path, v, `expected boolean, got ${jsonType(v)}`));
      return;
    case 'double':
      if (typeof v !== 'number') errs.push(typeInvalid(path, v, `expected number, got ${jsonType(v)}`));
      return;
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v)) {
        errs.push(typeInvalid(path, v, `expected integer, got ${typeof v === 'number' ? 'number' : jsonType(v)}`));
      } else if (format === 'int32' && (v < INT32_MIN || v > INT32_MAX)) {
        errs.push(typeInvalid(path, v, 'value out of range for a 32-bit integer'));
      } else if (!Number.isSafeInteger(v)) {
        errs.push(typeInvalid(path, v, 'value out of range for a 64-bit integer'));
      }
      return;
    case 'value':
      // google.protobuf.Value is used only for IntOrString fields.
      if (typeof v === 'string') return;
      if (typeof v === 'number' && Number.isInteger(v)) return;
      errs.push(typeInvalid(path, v, `expected integer or string, got ${jsonType(v)}`));
      return;
    case 'object':
      if (!isPlainObject(v)) errs.push(typeInvalid(path, v, `expected object, got ${jsonType(v)}`));
      return;
    case 'message':
      walk(type!, v, path, errs);
      return;
    case 'map':
      return; // handled by the caller, which knows the value schema
  }
}

function walk(typeName: string, obj: unknown, path: string, errs: FieldError[]): void {
  if (obj === null) return;
  if (!isPlainObject(obj)) {
    errs.push(typeInvalid(path || '<root>', obj, `expected object, got ${jsonType(obj)}`));
    return;
  }
  const fields = fieldsOfMessage(typeName);
  for (const [key, v] of Object.entries(obj)) {
    const f = fields.get(key);
    const p = join(path, key);
    if (!f) {
      errs.push(unknownField(p));
      continue;
    }
    if (v === null || v === undefined) continue;
    if (f.kind === 'map') {
      if (!isPlainObject(v)) {
        errs.push(typeInvalid(p, v, `expected object, got ${jsonType(v)}`));
        continue;
      }
      const vs = f.value!;
      for (const [mk, mv] of Object.entries(v)) checkValue(vs.kind, vs.format, vs.type, mv, `${p}[${mk}]`, errs);
      continue;
    }
    if (f.repeated) {
      if (!Array.isArray(v)) {
        errs.push(typeInvalid(p, v, `expected array, got ${jsonType(v)}`));
        continue;
      }
      v.forEach((item, i) => checkValue(f.kind, f.format, f.type, item, `${p}[${i}]`, errs));
      continue;
    }
    checkValue(f.kind, f.format, f.type, v, p, errs);
  }
}

/**
 * Strictly decodes `obj` as message `typeName` (Pod, Node, ...): unknown fields come back as
 * FieldValueUnknown, mistyped values as FieldValueTypeInvalid, each with its path.
 */
export function decodeStrict(typeName: string, obj: unknown): FieldError[] {
  if (!messageSchema(typeName)) throw new Error(`decodeStrict: unknown type ${typeName}`);
  const errs: FieldError[] = [];
  walk(typeName, obj, '', errs);
  return errs;
}
