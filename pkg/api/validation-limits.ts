// core/v1 LimitRange: defaults (SetDefaults_LimitRangeItem) and Kubernetes' ValidateLimitRange.
import { duplicate, forbidden, invalid, notSupported, required, type FieldError } from './field-error.js';
import { compareQuantities, isValidQuantity, QUANTITY_FORMAT_MESSAGE, quantityToMilli } from './quantity.js';
import type { LimitRange, LimitRangeItem } from './types.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './validation-meta.js';

export const LIMIT_TYPES = ['Container', 'Pod', 'PersistentVolumeClaim'];
type Quantities = Record<string, string>;

/**
 * A Container item's default limit falls back to its max, its default request to its default
 * limit, then to its min: what a container naming nothing gets.
 */
export function defaultLimitRange(lr: LimitRange): void {
  for (const item of lr.spec?.limits ?? []) {
    if (item.type !== 'Container') continue;
    const def = (item.default ??= {});
    const req = (item.defaultRequest ??= {});
    for (const [k, v] of Object.entries(item.max ?? {})) def[k] ??= v;
    for (const [k, v] of Object.entries(def)) req[k] ??= v;
    for (const [k, v] of Object.entries(item.min ?? {})) req[k] ??= v;
  }
}

const standardForPods = (name: string) => ['cpu', 'memory', 'ephemeral-storage'].includes(name) || name.startsWith('hugepages-') || name.includes('/');

function resourceNameErrors(type: string, name: string, path: string): FieldError[] {
  if (type === 'PersistentVolumeClaim') return name === 'storage' ? [] : [invalid(path, name, 'must be a standard resource for persistent volume claims')];
  if (type === 'Container' || type === 'Pod') return standardForPods(name) ? [] : [invalid(path, name, `must be a standard resource for ${type === 'Pod' ? 'pods' : 'containers'}`)];
  return [];
}

function quantities(map: Quantities | undefined, type: string, path: string, errs: FieldError[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(map ?? {})) {
    errs.push(...resourceNameErrors(type, k, `${path}[${k}]`));
    if (!isValidQuantity(v)) {
      errs.push(invalid(`${path}[${k}]`, v, QUANTITY_FORMAT_MESSAGE));
      continue;
    }
    if (v.startsWith('-')) errs.push(invalid(`${path}[${k}]`, v, 'must be greater than or equal to 0'));
    out.set(k, v);
  }
  return out;
}

function validateItem(item: LimitRangeItem, path: string, errs: FieldError[]): void {
  const type = item.type ?? '';
  if (!type) errs.push(required(`${path}.type`));
  else if (!LIMIT_TYPES.includes(type) && !type.includes('/')) errs.push(notSupported(`${path}.type`, type, LIMIT_TYPES));
  const max = quantities(item.max, type, `${path}.max`, errs);
  const min = quantities(item.min, type, `${path}.min`, errs);
  let def = new Map<string, string>();
  let defReq = new Map<string, string>();
  if (type === 'Pod') {
    if (Object.keys(item.default ?? {}).length) errs.push(forbidden(`${path}.default`, "may not be specified when `type` is 'Pod'"));
    if (Object.keys(item.defaultRequest ?? {}).length) errs.push(forbidden(`${path}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
  } else {
    def = quantities(item.default, type, `${path}.default`, errs);
    defReq = quantities(item.defaultRequest, type, `${path}.defaultRequest`, errs);
  }
  if (type === 'PersistentVolumeClaim' && !min.has('storage') && !max.has('storage')) errs.push(required(`${path}.limits`, 'either minimum or maximum storage value is required, but neither was provided'));
  const ratios = quantities(item.maxLimitRequestRatio, type, `${path}.maxLimitRequestRatio`, errs);
  const keys = new Set([...max.keys(), ...min.keys(), ...def.keys(), ...defReq.keys(), ...ratios.keys()]);
  const gt = (a: string, b: string) => compareQuantities(a, b) > 0;
  for (const k of keys) {
    const [mn, mx, d, dr, ratio] = [min.get(k), max.get(k), def.get(k), defReq.get(k), ratios.get(k)];
    if (mn && mx && gt(mn, mx)) errs.push(invalid(`${path}.min[${k}]`, mn, `min value ${mn} is greater than max value ${mx}`));
    if (dr && mn && gt(mn, dr)) errs.push(invalid(`${path}.defaultRequest[${k}]`, dr, `min value ${mn} is greater than default request value ${dr}`));
    if (dr && mx && gt(dr, mx)) errs.push(invalid(`${path}.defaultRequest[${k}]`, dr, `default request value ${dr} is greater than max value ${mx}`));
    if (dr && d && gt(dr, d)) errs.push(invalid(`${path}.defaultRequest[${k}]`, dr, `default request value ${dr} is greater than default limit value ${d}`));
    if (d && mn && gt(mn, d)) errs.push(invalid(`${path}.default[${k}]`, mn, `min value ${mn} is greater than default value ${d}`));
    if (d && mx && gt(d, mx)) errs.push(invalid(`${path}.default[${k}]`, mx, `default value ${d} is greater than max value ${mx}`));
    if (ratio && compareQuantities(ratio, '1') < 0) errs.push(invalid(`${path}.maxLimitRequestRatio[${k}]`, ratio, `ratio ${ratio} is less than 1`));
    if (ratio && mn && mx && quantityToMilli(mn) > 0) {
      const limit = quantityToMilli(mx) / quantityToMilli(mn);
      if (quantityToMilli(ratio) / 1000 > limit) errs.push(invalid(`${path}.maxLimitRequestRatio[${k}]`, ratio, `ratio ${ratio} is greater than max/min = ${limit.toFixed(6)}`));
    }
  }
}

export function validateLimitRange(lr: LimitRange): FieldError[] {
  const errs = validateObjectMeta(lr.metadata, true, 'metadata');
  const seen = new Set<string>();
  (lr.spec?.limits ?? []).forEach((item, i) => {
    const path = `spec.limits[${i}]`;
    if (item.type && seen.has(item.type)) errs.push(duplicate(`${path}.type`, item.type));
    if (item.type) seen.add(item.type);
    validateItem(item, path, errs);
  });
  return errs;
}

export function validateLimitRangeUpdate(lr: LimitRange, old: LimitRange): FieldError[] {
  return [...validateObjectMetaUpdate(lr.metadata, old.metadata, true, 'metadata'), ...validateLimitRange(lr).filter((e) => !e.field.startsWith('metadata'))];
}
