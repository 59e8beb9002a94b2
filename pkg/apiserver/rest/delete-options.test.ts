// A DELETE's options as 1.32's DeleteResource decodes them (handlers/delete.go) and
// ValidateDeleteOptions checks them: an explicit empty propagationPolicy is set, and refused; a
// body of whitespace is a body.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.js';
import { deleteOptionsFrom } from '../registry/operations.js';
import { decodeDeleteOptionsBody, deleteOptionsTypeError } from './delete-options.js';
import { deleteOptionsQuery } from './handlers.js';

function refusal(f: () => unknown): ApiError {
  try {
    f();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('not refused');
}

const UNSUPPORTED = 'supported values: "Foreground", "Background", "Orphan", "nil"';

describe('propagationPolicy', () => {
  it('"" in a body is set, and unsupported (a *DeletionPropagation)', () => {
    const e = refusal(() => deleteOptionsFrom({ propagationPolicy: '' }));
    expect([e.code, e.reason, e.message]).toEqual([422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "": ${UNSUPPORTED}`]);
    expect(e.details).toMatchObject({ group: 'meta.k8s.io', kind: 'DeleteOptions', causes: [{ reason: 'FieldValueNotSupported', field: 'propagationPolicy' }] });
  });

  it('"" beside orphanDependents is both set as well', () => {
    const e = refusal(() => deleteOptionsFrom({ propagationPolicy: '', orphanDependents: false }));
    expect(e.message).toBe(`DeleteOptions.meta.k8s.io "" is invalid: [propagationPolicy: Invalid value: "": orphanDependents and deletionPropagation cannot be both set, propagationPolicy: Unsupported value: "": ${UNSUPPORTED}]`);
  });

  it('null is unset', () => {
    expect(deleteOptionsFrom({ propagationPolicy: null })).toEqual({});
    expect(deleteOptionsFrom({ propagationPolicy: 'Orphan' })).toEqual({ propagationPolicy: 'Orphan' });
  });

  it('?propagationPolicy= (or without a value) is set to its first value, "" included', () => {
    for (const q of ['propagationPolicy=', 'propagationPolicy', 'propagationPolicy=&propagationPolicy=Orphan']) {
      const opts = deleteOptionsQuery(new URLSearchParams(q));
      expect(opts.propagationPolicy).toBe('');
      expect(refusal(() => deleteOptionsFrom(opts)).message).toBe(`DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "": ${UNSUPPORTED}`);
    }
    expect(deleteOptionsQuery(new URLSearchParams('propagationPolicy=Foreground&propagationPolicy=')).propagationPolicy).toBe('Foreground');
    expect(deleteOptionsQuery(new URLSearchParams('gracePeriodSeconds=3'))).not.toHaveProperty('propagationPolicy');
  });
});

describe('a body of whitespace', () => {
  it('is decoded as JSON and fails in Interpret: a 500 without a reason, as 1.32 answers it', () => {
    for (const type of ['application/json', 'application/json; charset=utf-8', '']) {
      const e = refusal(() => decodeDeleteOptionsBody(Buffer.from(' \n\t'), type));
      expect(e.code).toBe(500);
      expect(e.toStatus()).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: "couldn't get version/kind; json parse error: unexpected end of JSON input", code: 500 });
    }
  });

  it('is null as YAML: empty options, the query not read', () => {
    expect(decodeDeleteOptionsBody(Buffer.from('  \n'), 'application/yaml')).toEqual({});
  });

  it('does not change a body with something in it', () => {
    expect(decodeDeleteOptionsBody(Buffer.from(' {"propagationPolicy":"Orphan"} '), 'application/json')).toEqual({ propagationPolicy: 'Orphan' });
  });
});

describe('a member of the wrong type', () => {
  it('is the JSON decoder\'s error, served as a 500 without a reason as 1.32 serves it', () => {
    const e = refusal(() => decodeDeleteOptionsBody(Buffer.from('{"gracePeriodSeconds":"soon"}'), 'application/json'));
    expect(e.toStatus()).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'json: cannot unmarshal string into Go struct field DeleteOptions.gracePeriodSeconds of type int64', code: 500 });
  });

  it('names the first in the body\'s order, with encoding/json\'s words for each type', () => {
    expect(deleteOptionsTypeError({ gracePeriodSeconds: 1.5 })).toBe('json: cannot unmarshal number 1.5 into Go struct field DeleteOptions.gracePeriodSeconds of type int64');
    expect(deleteOptionsTypeError({ orphanDependents: 'yes', propagationPolicy: 1 })).toBe('json: cannot unmarshal string into Go struct field DeleteOptions.orphanDependents of type bool');
    expect(deleteOptionsTypeError({ propagationPolicy: 1 })).toBe('json: cannot unmarshal number into Go struct field DeleteOptions.propagationPolicy of type v1.DeletionPropagation');
    expect(deleteOptionsTypeError({ dryRun: 'All' })).toBe('json: cannot unmarshal string into Go struct field DeleteOptions.dryRun of type []string');
    expect(deleteOptionsTypeError({ dryRun: [true] })).toBe('json: cannot unmarshal bool into Go struct field DeleteOptions.dryRun of type string');
    expect(deleteOptionsTypeError({ preconditions: [] })).toBe('json: cannot unmarshal array into Go struct field DeleteOptions.preconditions of type v1.Preconditions');
    expect(deleteOptionsTypeError({ preconditions: { uid: {} } })).toBe('json: cannot unmarshal object into Go struct field Preconditions.preconditions.uid of type types.UID');
  });

  it('leaves nulls, unknown members and well-typed ones alone', () => {
    expect(deleteOptionsTypeError({ gracePeriodSeconds: null, dryRun: ['All'], preconditions: { uid: 'u', resourceVersion: '1' }, kind: 'DeleteOptions', apiVersion: 'v1', whatever: 3 })).toBeUndefined();
  });
});

describe('a body that is no JSON object', () => {
  it('fails in Interpret, which decodes apiVersion and kind into a struct first; null is empty options', () => {
    const findKind = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';
    for (const [text, kind] of [['[]', 'array'], ['"x"', 'string'], ['1.5', 'number'], ['true', 'bool']] as const) {
      const e = refusal(() => decodeDeleteOptionsBody(Buffer.from(text), 'application/json'));
      expect([e.code, e.reason, e.message]).toEqual([500, '', `couldn't get version/kind; json parse error: json: cannot unmarshal ${kind} into Go value of type ${findKind}`]);
    }
    expect(decodeDeleteOptionsBody(Buffer.from('null'), 'application/json')).toBeNull();
  });
});
