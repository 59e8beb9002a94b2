// IntOrString values that are a count or a percentage of a total (maxSurge, maxUnavailable):
// validation and scaling as k8s.io/apimachinery/pkg/util/intstr does.
import { invalid, type FieldError, VerbatimValue } from './field-error.js';

export type IntOrString = number | string;

const PERCENT = /^[0-9]+%$/;

/** ValidatePositiveIntOrPercent: a non-negative integer or a `N%` string. */
/** An IntOrString bad value as Go's %#v prints it (its String method has a pointer receiver): intstr.IntOrString{Type:1, IntVal:0, StrVal:"0%"}. */
export const goIntOrString = (v: unknown): VerbatimValue =>
  new VerbatimValue(typeof v === 'string' ? `intstr.IntOrString{Type:1, IntVal:0, StrVal:${JSON.stringify(v)}}` : `intstr.IntOrString{Type:0, IntVal:${typeof v === 'number' ? v : 0}, StrVal:""}`);

export function validateIntOrPercent(v: unknown, path: string): FieldError[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? [] : [invalid(path, v, 'must be greater than or equal to 0')];
  if (typeof v === 'string') {
    if (PERCENT.test(v)) return [];
    return [invalid(path, goIntOrString(v), "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
  }
  return [invalid(path, v, 'must be an integer or percentage (e.g \'5%\')')];
}

/** The percentage of a `N%` value, or undefined for an integer. */
export function percentOf(v: IntOrString | undefined): number | undefined {
  return typeof v === 'string' && PERCENT.test(v) ? Number(v.slice(0, -1)) : undefined;
}

/**
 * getIntOrPercentValue (apps validation): a valid percentage's number, else the integer; a string
 * that is neither counts as Go's strconv.Atoi reads it (IntValue), 0 when that fails.
 */
export function intOrPercentValue(v: IntOrString | undefined | null): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  return percentOf(v) ?? (/^[+-]?[0-9]+$/.test(v) ? Number(v) : 0);
}

/** GetScaledValueFromIntOrPercent: an integer as is, a percentage of `total` rounded up or down. */
export function scaledValue(v: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const p = percentOf(v);
  if (p === undefined) throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage: ${JSON.stringify(v)}`);
  const x = (p * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}
