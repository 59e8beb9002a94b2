// Validation of ConfigMaps and Secrets (Kubernetes' ValidateConfigMap, ValidateSecret and their
// updates): config keys, the 1 MiB total, the keys each well-known secret type requires, and
// what `type` and `immutable: true` freeze.
import { base64DecodedLength } from './base64.js';
import { forbidden, invalid, required, tooLong, type FieldError } from './field-error.js';
import { isConfigMapKey } from './names.js';
import type { ConfigMap, ObjectMeta, Secret } from './types.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './validation-meta.js';

/** The most data one ConfigMap or Secret may hold (core.MaxSecretSize). */
export const MAX_CONFIG_SIZE = 1024 * 1024;

export const SECRET_TYPES = {
  opaque: 'Opaque',
  serviceAccountToken: 'kubernetes.io/service-account-token',
  dockercfg: 'kubernetes.io/dockercfg',
  dockerConfigJson: 'kubernetes.io/dockerconfigjson',
  basicAuth: 'kubernetes.io/basic-auth',
  sshAuth: 'kubernetes.io/ssh-auth',
  tls: 'kubernetes.io/tls',
  bootstrapToken: 'bootstrap.kubernetes.io/token',
} as const;

const SERVICE_ACCOUNT_NAME_KEY = 'kubernetes.io/service-account.name';
const IMMUTABLE_SET = 'field is immutable when `immutable` is set';

type StringMap = Record<string, string> | undefined | null;

/** Every key of `map` must be a config key; reported as `<path>[<key>]`. */
function validateKeys(map: StringMap, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const key of Object.keys(map ?? {})) {
    for (const msg of isConfigMapKey(key)) errs.push(invalid(`${path}[${key}]`, key, msg));
  }
  return errs;
}

const textSize = (map: StringMap) => Object.values(map ?? {}).reduce((n, v) => n + Buffer.byteLength(String(v ?? '')), 0);
const binarySize = (map: StringMap) => Object.values(map ?? {}).reduce((n, v) => n + base64DecodedLength(String(v ?? '')), 0);

export function validateConfigMap(cm: ConfigMap): FieldError[] {
  return [...validateObjectMeta(cm.metadata, true, 'metadata'), ...validateConfigMapData(cm)];
}

function validateConfigMapData(cm: ConfigMap): FieldError[] {
  const errs = validateKeys(cm.data, 'data');
  for (const key of Object.keys(cm.data ?? {})) {
    if (cm.binaryData && key in cm.binaryData) errs.push(invalid(`data[${key}]`, key, 'duplicate of key present in binaryData'));
  }
  errs.push(...validateKeys(cm.binaryData, 'binaryData'));
  // Kubernetes names no field here: the limit is on the whole collection.
  if (textSize(cm.data) + binarySize(cm.binaryData) > MAX_CONFIG_SIZE) errs.push(tooLong('[]', undefined, MAX_CONFIG_SIZE)); // (field.NewPath(""), which Go prints as [])
  return errs;
}

export function validateConfigMapUpdate(cm: ConfigMap, old: ConfigMap): FieldError[] {
  const errs = validateObjectMetaUpdate(cm.metadata, old.metadata, true, 'metadata');
  if (old.immutable) {
    if (!cm.immutable) errs.push(forbidden('immutable', IMMUTABLE_SET));
    if (!sameMap(cm.data, old.data)) errs.push(forbidden('data', IMMUTABLE_SET));
    if (!sameMap(cm.binaryData, old.binaryData)) errs.push(forbidden('binaryData', IMMUTABLE_SET));
  }
  return [...errs, ...validateConfigMapData(cm)];
}

/** Secrets: `data` is validated after stringData was merged into it (registry strategy). */
export function validateSecret(s: Secret): FieldError[] {
  return [...validateObjectMeta(s.metadata, true, 'metadata'), ...validateSecretData(s)];
}

function validateSecretData(s: Secret): FieldError[] {
  const data = s.data ?? {};
  const errs = validateKeys(data, 'data');
  // stringData is merged away before validation; a caller that validates it unmerged gets its keys checked.
  errs.push(...validateKeys(s.stringData, 'stringData'));
  if (binarySize(data) > MAX_CONFIG_SIZE) errs.push(tooLong('data', undefined, MAX_CONFIG_SIZE));
  errs.push(...validateSecretType(s.type ?? '', data, s.metadata));
  return errs;
}

/** The keys (or annotation) each well-known type requires; other types are free-form. */
function validateSecretType(type: string, data: Record<string, string>, meta: ObjectMeta | undefined): FieldError[] {
  const has = (k: string) => k in data;
  const need = (k: string) => required(`data[${k}]`);
  switch (type) {
    case SECRET_TYPES.serviceAccountToken:
      return meta?.annotations?.[SERVICE_ACCOUNT_NAME_KEY] ? [] : [required(`metadata.annotations[${SERVICE_ACCOUNT_NAME_KEY}]`)];
    case SECRET_TYPES.dockercfg:
      return has('.dockercfg') ? jsonObjectErrors(data['.dockercfg']!, 'data[.dockercfg]') : [need('.dockercfg')];
    case SECRET_TYPES.dockerConfigJson:
      return has('.dockerconfigjson') ? jsonObjectErrors(data['.dockerconfigjson']!, 'data[.dockerconfigjson]') : [need('.dockerconfigjson')];
    case SECRET_TYPES.basicAuth:
      // Either may be empty, but one of them must be there.
      return has('username') || has('password') ? [] : [need('username'), need('password')];
    case SECRET_TYPES.sshAuth:
      return base64DecodedLength(data['ssh-privatekey'] ?? '') > 0 ? [] : [need('ssh-privatekey')];
    case SECRET_TYPES.tls:
      return [...(has('tls.crt') ? [] : [need('tls.crt')]), ...(has('tls.key') ? [] : [need('tls.key')])];
    default:
      return [];
  }
}

/** Docker config secrets must hold a JSON object; the contents are never echoed. */
function jsonObjectErrors(base64: string, path: string): FieldError[] {
  try {
    const v: unknown = JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
    // (json.Unmarshal into a map: null leaves it nil, without error)
    if (v === null || (typeof v === 'object' && !Array.isArray(v))) return [];
    const goKind = Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v;
    return [invalid(path, '<secret contents redacted>', `json: cannot unmarshal ${goKind} into Go value of type map[string]interface {}`)];
  } catch {
    // JSON.parse quotes the text it choked on: say only that it is not JSON.
    return [invalid(path, '<secret contents redacted>', 'invalid JSON: not a JSON object')];
  }
}

export function validateSecretUpdate(s: Secret, old: Secret): FieldError[] {
  const errs = validateObjectMetaUpdate(s.metadata, old.metadata, true, 'metadata');
  if ((s.type ?? '') !== (old.type ?? '')) errs.push(invalid('type', s.type ?? '', 'field is immutable'));
  if (old.immutable) {
    if (!s.immutable) errs.push(forbidden('immutable', IMMUTABLE_SET));
    if (!sameMap(s.data, old.data)) errs.push(forbidden('data', IMMUTABLE_SET));
  }
  return [...errs, ...validateSecretData(s)];
}

/** reflect.DeepEqual of two string maps, nil and empty alike (both serialize as absent). */
function sameMap(a: StringMap, b: StringMap): boolean {
  const ak = Object.keys(a ?? {});
  if (ak.length !== Object.keys(b ?? {}).length) return false;
  return ak.every((k) => b != null && k in b && b[k] === a![k]);
}
