// Function dispatch: a call `fn(args)` or a method `target.fn(args)` goes to the standard
// library (size, conversions, string, time), cel-go's extensions Kubernetes enables, or
// Kubernetes' own libraries. A known name with arguments it has no overload for is
// `no such overload`, as in cel-go.
import { CONVERSIONS } from './conversions.js';
import { noSuchOverload } from './errors.js';
import { KUBERNETES_FUNCTIONS, KUBERNETES_METHODS, listIndexOf, setFunction } from './lib-kubernetes.js';
import { joinList, regexFindAll, regexMatches, STRING_FUNCTIONS, STRING_METHODS, stringSize, type Charge } from './lib-strings.js';
import { TIME_METHODS } from './lib-time.js';
import { cidrAddress, CelCIDR, NET_FUNCTIONS, NET_METHODS } from './lib-net.js';
import { CelFormat, FORMAT_FUNCTIONS, validateFormat } from './lib-format.js';
import { CelMap, CelOptional, celEquals, isReceiver, type CelValue } from './values.js';
import { CelEvalError } from './errors.js';

function size(v: CelValue): bigint {
  if (typeof v === 'string') return stringSize(v);
  if (v instanceof Uint8Array || Array.isArray(v)) return BigInt(v.length);
  if (v instanceof CelMap) return BigInt(v.size);
  throw noSuchOverload();
}

const GLOBALS: Record<string, (...a: CelValue[]) => CelValue> = {
  ...CONVERSIONS,
  ...STRING_FUNCTIONS,
  ...KUBERNETES_FUNCTIONS,
  ...NET_FUNCTIONS,
  ...FORMAT_FUNCTIONS,
  'optional.of': (...a) => new CelOptional(a[0] ?? null),
  'optional.none': () => CelOptional.NONE,
  'optional.ofNonZeroValue': (...a) => (isZero(a[0] ?? null) ? CelOptional.NONE : new CelOptional(a[0]!)),
  size: (...a) => {
    if (a.length !== 1) throw noSuchOverload();
    return size(a[0]!);
  },
};

/** The zero value of a value's type (0, "", [], {}, false, null). */
function isZero(v: CelValue): boolean {
  if (v === null || v === false || v === 0n || v === 0 || v === '') return true;
  if (Array.isArray(v) || v instanceof Uint8Array) return v.length === 0;
  if (v instanceof CelMap) return v.size === 0;
  return celEquals(v, 0n);
}

const OPTIONAL_METHODS: Record<string, (o: CelOptional, args: CelValue[]) => CelValue> = {
  hasValue: (o) => o.value !== undefined,
  value: (o) => {
    if (o.value === undefined) throw new CelEvalError('optional.none() dereference');
    return o.value;
  },
  orValue: (o, a) => o.value ?? a[0] ?? null,
  or: (o, a) => {
    if (o.value !== undefined) return o;
    if (!(a[0] instanceof CelOptional)) throw noSuchOverload();
    return a[0];
  },
};

/** Names that are global functions (for the compile-time check). */
export const GLOBAL_FUNCTIONS = new Set(Object.keys(GLOBALS));
/** Names that are methods of some type (for the compile-time check). */
export const METHOD_NAMES = new Set([...Object.keys(STRING_METHODS), ...Object.keys(TIME_METHODS), ...Object.keys(KUBERNETES_METHODS), 'size', 'join', 'indexOf', 'lastIndexOf', ...Object.keys(OPTIONAL_METHODS), ...Object.keys(NET_METHODS), 'ip', 'validate']);

/** The regex functions, which charge the budget by input length × program size. */
function regexCall(fn: string, target: CelValue, args: CelValue[], charge: Charge): CelValue | undefined {
  const [re, n] = args;
  if (typeof target !== 'string' || typeof re !== 'string') return undefined;
  if (fn === 'matches' && args.length === 1) return regexMatches(target, re, charge);
  if (fn === 'find' && args.length === 1) return regexFindAll(target, re, 1, charge)[0] ?? '';
  if (fn === 'findAll' && args.length === 1) return regexFindAll(target, re, -1, charge);
  if (fn === 'findAll' && args.length === 2 && typeof n === 'bigint') return regexFindAll(target, re, Number(n), charge);
  return undefined;
}

export function callGlobal(fn: string, args: CelValue[], charge: Charge = () => {}): CelValue {
  if (fn.startsWith('sets.') && args.length === 2) return setFunction(fn, args[0]!, args[1]!, charge);
  if (fn === 'matches' && args.length === 2) {
    const r = regexCall(fn, args[0]!, args.slice(1), charge);
    if (r !== undefined) return r;
  }
  const f = GLOBALS[fn];
  if (!f) throw noSuchOverload();
  return f(...args);
}

export function callMethod(fn: string, target: CelValue, args: CelValue[], charge: Charge = () => {}): CelValue {
  const arity = (max: number) => args.length <= max;
  if (isReceiver(target)) return target.callMethod(fn, args);
  const r = regexCall(fn, target, args, charge);
  if (r !== undefined) return r;
  if (fn === 'size' && args.length === 0) return size(target);
  if (target instanceof CelOptional && OPTIONAL_METHODS[fn]) return OPTIONAL_METHODS[fn](target, args);
  if (target instanceof CelCIDR && fn === 'ip' && !args.length) return cidrAddress(target);
  if (target instanceof CelFormat && fn === 'validate' && args.length === 1) return validateFormat(target, args[0]);
  if (NET_METHODS[fn] && arity(1)) return NET_METHODS[fn](target, ...args);
  if (Array.isArray(target)) {
    if (fn === 'join' && args.length <= 1) return joinList(target, args[0]);
    if ((fn === 'indexOf' || fn === 'lastIndexOf') && args.length === 1) return listIndexOf(target, args[0]!, fn === 'lastIndexOf');
  }
  if (typeof target === 'string' && STRING_METHODS[fn] && arity(3)) return STRING_METHODS[fn](target, ...args);
  if (TIME_METHODS[fn] && arity(1)) return TIME_METHODS[fn](target, args[0]);
  if (KUBERNETES_METHODS[fn] && arity(1)) return KUBERNETES_METHODS[fn](target, ...args);
  throw noSuchOverload();
}
