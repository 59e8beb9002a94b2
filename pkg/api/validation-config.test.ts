import { describe, expect, it } from 'vitest';
import { base64Error } from './base64.js';
import { defaultConfigMap, defaultSecret } from './defaults.js';
import { formatFieldError } from './field-error.js';
import { decodeStrict } from './schema-validate.js';
import type { ConfigMap, Secret } from './types.js';
import { validateConfigMap, validateConfigMapUpdate, validateSecret, validateSecretUpdate } from './validation.js';

const meta = { name: 'c', namespace: 'default' };
const b64 = (s: string) => Buffer.from(s).toString('base64');
const messages = (errs: Parameters<typeof formatFieldError>[0][]) => errs.map(formatFieldError);

describe('config keys', () => {
  it('are [-._a-zA-Z0-9]+, at most 253 characters, not . or .., with Kubernetes messages', () => {
    expect(validateConfigMap({ metadata: meta, data: { 'key.name': 'a', KEY_NAME: 'b', 'key-name': 'c', '.dotfile': 'd' } })).toEqual([]);
    expect(messages(validateConfigMap({ metadata: meta, data: { 'a b': 'x' } }))).toEqual([
      `data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
    ]);
    expect(messages(validateConfigMap({ metadata: meta, binaryData: { '..': b64('x') } }))).toEqual([`binaryData[..]: Invalid value: "..": must not be '..'`]);
    expect(messages(validateConfigMap({ metadata: meta, data: { '.': '' } }))).toEqual([`data[.]: Invalid value: ".": must not be '.'`]);
    expect(messages(validateConfigMap({ metadata: meta, data: { '..x': '' } }))).toEqual([`data[..x]: Invalid value: "..x": must not start with '..'`]);
    const long = 'k'.repeat(254);
    expect(messages(validateSecret({ metadata: meta, data: { [long]: '' } }))).toEqual([`data[${long}]: Invalid value: "${long}": must be no more than 253 characters`]);
    expect(validateSecret({ metadata: meta, stringData: { 'no/slash': 'x' } }).map((e) => e.field)).toEqual(['stringData[no/slash]']);
  });
});

describe('validateConfigMap', () => {
  it('needs a namespaced DNS-subdomain name and keeps data and binaryData apart', () => {
    expect(validateConfigMap({ metadata: { name: 'Bad_Name', namespace: 'default' } }).map((e) => e.field)).toEqual(['metadata.name']);
    expect(messages(validateConfigMap({ metadata: meta, data: { k: 'a' }, binaryData: { k: b64('b') } }))).toEqual(['data[k]: Invalid value: "k": duplicate of key present in binaryData']);
  });
  it('limits data plus decoded binaryData to 1 MiB', () => {
    const half = 'x'.repeat(512 * 1024);
    expect(validateConfigMap({ metadata: meta, data: { a: half }, binaryData: { b: b64(half) } })).toEqual([]);
    expect(messages(validateConfigMap({ metadata: meta, data: { a: half, c: 'x' }, binaryData: { b: b64(half) } }))).toEqual(['[]: Too long: must have at most 1048576 bytes']);
    // Multi-byte characters count as their UTF-8 bytes.
    expect(validateConfigMap({ metadata: meta, data: { a: 'é'.repeat(512 * 1024 + 1) } })).toHaveLength(1);
  });
  it('freezes data, binaryData and immutable itself once immutable is true', () => {
    const old: ConfigMap = { metadata: meta, data: { a: '1' }, binaryData: { b: b64('2') }, immutable: true };
    expect(validateConfigMapUpdate({ ...old, metadata: { ...meta, labels: { x: 'y' } } }, old)).toEqual([]);
    expect(messages(validateConfigMapUpdate({ metadata: meta, data: { a: '9' }, immutable: false }, old))).toEqual([
      'immutable: Forbidden: field is immutable when `immutable` is set',
      'data: Forbidden: field is immutable when `immutable` is set',
      'binaryData: Forbidden: field is immutable when `immutable` is set',
    ]);
    // Mutable config maps may change, and may become immutable.
    expect(validateConfigMapUpdate({ metadata: meta, data: { a: '2' }, immutable: true }, { metadata: meta, data: { a: '1' } })).toEqual([]);
  });
});

describe('validateSecret', () => {
  it('requires the keys of the well-known types', () => {
    const req = (s: Secret) => validateSecret({ metadata: meta, ...s }).map((e) => `${e.type} ${e.field}`);
    expect(req({ type: 'kubernetes.io/tls', data: {} })).toEqual(['FieldValueRequired data[tls.crt]', 'FieldValueRequired data[tls.key]']);
    expect(req({ type: 'kubernetes.io/tls', data: { 'tls.crt': b64('c'), 'tls.key': b64('k') } })).toEqual([]);
    expect(req({ type: 'kubernetes.io/dockerconfigjson' })).toEqual(['FieldValueRequired data[.dockerconfigjson]']);
    expect(req({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('{"auths":{}}') } })).toEqual([]);
    expect(req({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('[1]') } })).toEqual(['FieldValueInvalid data[.dockerconfigjson]']);
    // json.Unmarshal into a map: null is no error; a bool is Go's "bool"
    expect(req({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('null') } })).toEqual([]);
    expect(validateSecret({ metadata: meta, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('true') } }).map((e) => e.detail)).toEqual(['json: cannot unmarshal bool into Go value of type map[string]interface {}']);
    expect(req({ type: 'kubernetes.io/basic-auth', data: {} })).toEqual(['FieldValueRequired data[username]', 'FieldValueRequired data[password]']);
    expect(req({ type: 'kubernetes.io/basic-auth', data: { password: '' } })).toEqual([]);
    expect(req({ type: 'kubernetes.io/ssh-auth', data: { 'ssh-privatekey': '' } })).toEqual(['FieldValueRequired data[ssh-privatekey]']);
    expect(req({ type: 'kubernetes.io/service-account-token' })).toEqual(['FieldValueRequired metadata.annotations[kubernetes.io/service-account.name]']);
    expect(req({ type: 'example.com/anything', data: { x: '' } })).toEqual([]);
  });
  it('never echoes the contents of a docker config that is not JSON', () => {
    const [e] = validateSecret({ metadata: meta, type: 'kubernetes.io/dockercfg', data: { '.dockercfg': b64('hunter2') } });
    expect(e).toMatchObject({ field: 'data[.dockercfg]', badValue: '<secret contents redacted>' });
    expect(JSON.stringify(e)).not.toContain('hunter2');
  });
  it('limits the decoded data to 1 MiB', () => {
    expect(validateSecret({ metadata: meta, data: { a: b64('x'.repeat(1024 * 1024)) } })).toEqual([]);
    expect(messages(validateSecret({ metadata: meta, data: { a: b64('x'.repeat(1024 * 1024 + 1)) } }))).toEqual(['data: Too long: must have at most 1048576 bytes']);
  });
  it('keeps type, and once immutable, data and immutable', () => {
    const old: Secret = { metadata: meta, type: 'Opaque', data: { a: b64('1') } };
    expect(messages(validateSecretUpdate({ ...old, type: 'example.com/other' }, old))).toEqual(['type: Invalid value: "example.com/other": field is immutable']);
    const frozen = { ...old, immutable: true };
    expect(validateSecretUpdate({ ...frozen, metadata: { ...meta, annotations: { a: 'b' } } }, frozen)).toEqual([]);
    expect(messages(validateSecretUpdate({ ...old, data: { a: b64('2') } }, frozen))).toEqual([
      'immutable: Forbidden: field is immutable when `immutable` is set',
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
  });
});

describe('defaultSecret', () => {
  it('defaults the type to Opaque and merges stringData into data, stringData winning', () => {
    const s = defaultSecret({ metadata: meta, data: { a: b64('old'), b: b64('keep') }, stringData: { a: 'new', c: 'é' } });
    expect(s).toEqual({ metadata: meta, type: 'Opaque', data: { a: b64('new'), b: b64('keep'), c: b64('é') } });
    expect(defaultSecret({ type: 'kubernetes.io/tls' }).type).toBe('kubernetes.io/tls');
  });
  it('a null ConfigMap value decodes as the empty string, as in Go', () => {
    expect(defaultConfigMap({ data: { a: null as unknown as string, b: 'x' } }).data).toEqual({ a: '', b: 'x' });
  });
});

describe('base64 of bytes fields', () => {
  it("decodes as Go's StdEncoding: padding required, newlines skipped, the offset of the first bad byte", () => {
    for (const ok of ['', 'cQ==', 'cXE=', 'cXFx', 'cX\nFx', 'cQ==\n']) expect(base64Error(ok), ok).toBeUndefined();
    expect(base64Error('cQ')).toBe('illegal base64 data at input byte 0');
    expect(base64Error('abc')).toBe('illegal base64 data at input byte 0');
    expect(base64Error('not base64!')).toBe('illegal base64 data at input byte 3');
    expect(base64Error('cQ=')).toBe('illegal base64 data at input byte 3');
    expect(base64Error('c===')).toBe('illegal base64 data at input byte 1');
    expect(base64Error('cQ==cQ==')).toBe('illegal base64 data at input byte 4');
    expect(base64Error('cQ_-')).toBe('illegal base64 data at input byte 2');
  });
  it('is checked by strict decoding of Secret.data and ConfigMap.binaryData, not of text maps', () => {
    expect(decodeStrict('Secret', { data: { p: 'cQ==' }, stringData: { s: 'not base64!' } })).toEqual([]);
    expect(decodeStrict('Secret', { data: { p: 'q' } })).toEqual([{ type: 'FieldValueTypeInvalid', field: 'data[p]', badValue: undefined, detail: 'illegal base64 data at input byte 0' }]);
    expect(decodeStrict('ConfigMap', { data: { t: 'plain text' }, binaryData: { b: 'x y' } }).map((e) => e.field)).toEqual(['binaryData[b]']);
    expect(decodeStrict('ConfigMap', { data: { t: 1 } })[0]).toMatchObject({ field: 'data[t]', detail: 'json: cannot unmarshal number into Go struct field ConfigMap.data of type string' });
  });
});
