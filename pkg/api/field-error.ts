// Field errors in the shape of k8s.io/apimachinery/pkg/util/validation/field: each names the
// path of the field (`spec.containers[0].name`) and why it is wrong. The apiserver turns a list
// of them into a 422 (or 400 for decoding errors) `kind: Status` with one cause per error.

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotFound'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueForbidden'
  | 'FieldValueTypeInvalid'
  | 'FieldValueUnknown';

export interface FieldError {
  type: FieldErrorType;
  /** Path in Kubernetes notation: `spec.containers[0].resources.limits[cpu]`. */
  field: string;
  /** Human-readable reason, without the field path. */
  detail: string;
  badValue?: unknown;
}

const typeText: Record<FieldErrorType, string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotFound: 'Not found',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueForbidden: 'Forbidden',
  FieldValueTypeInvalid: 'Invalid value',
  FieldValueUnknown: 'unknown field',
};

/** `spec.containers[0].name: Invalid value: "Foo": a lowercase RFC 1123 label must ...` */
export function formatFieldError(e: FieldError): string {
  if (e.type === 'FieldValueUnknown') return `unknown field "${e.field}"`;
  return `${e.field}: ${fieldErrorBody(e)}`;
}

/** The error without its field (Go's ErrorBody): what a Status cause's message holds, beside its field. */
export function fieldErrorBody(e: FieldError): string {
  if (e.type === 'FieldValueUnknown') return `unknown field "${e.field}"`;
  let s = typeText[e.type];
  // (Go's ErrorBody leaves the value out of Required, Forbidden and TooLong errors)
  if (e.badValue !== undefined && e.type !== 'FieldValueRequired' && e.type !== 'FieldValueForbidden' && e.type !== 'FieldValueTooLong') {
    s += `: ${e.badValue instanceof VerbatimValue ? e.badValue.text : JSON.stringify(e.badValue)}`;
  }
  if (e.detail) s += `: ${e.detail}`;
  return s;
}

/** A bad value printed as it is, not as JSON (Go's `%#v` of a struct, such as a CEL ValidationRule). */
export class VerbatimValue {
  constructor(readonly text: string) {}
  toJSON(): string {
    return this.text;
  }
}

/** A map[string]string bad value as Go's %#v prints it, keys sorted: map[string]string{"a":"b", "c":"d"}. */
export const goStringMap = (m: Record<string, string> | undefined): VerbatimValue =>
  new VerbatimValue(m ? `map[string]string{${Object.keys(m).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(m[k])}`).join(', ')}}` : 'map[string]string(nil)');

/** A []string bad value as Go's %#v prints it: []string{"a", "b"}. */
export const goStrings = (xs: string[] | undefined): VerbatimValue => new VerbatimValue(`[]string{${(xs ?? []).map((x) => JSON.stringify(x)).join(', ')}}`);

export const required = (field: string, detail = ''): FieldError => ({ type: 'FieldValueRequired', field, detail });
export const invalid = (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueInvalid', field, badValue, detail });
export const notSupported = (field: string, badValue: unknown, supported: string[]): FieldError => ({
  type: 'FieldValueNotSupported',
  field,
  badValue,
  detail: `supported values: ${supported.map((s) => `"${s}"`).join(', ')}`,
});
export const notFound = (field: string, badValue: unknown, detail = ''): FieldError => ({ type: 'FieldValueNotFound', field, badValue, detail });
export const duplicate = (field: string, badValue: unknown): FieldError => ({ type: 'FieldValueDuplicate', field, badValue, detail: '' });
/** Go's field.TooMany: `n` items where at most `max` may be. */
export const tooMany = (field: string, n: number, max: number): FieldError => ({ type: 'FieldValueTooMany', field, badValue: n, detail: `must have at most ${max} items` });
export const forbidden = (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, detail });
export const tooLong = (field: string, badValue: unknown, max: number): FieldError => ({ type: 'FieldValueTooLong', field, badValue, detail: `must have at most ${max} bytes` });
export const typeInvalid = (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueTypeInvalid', field, badValue, detail });
export const unknownField = (field: string): FieldError => ({ type: 'FieldValueUnknown', field, detail: '' });
