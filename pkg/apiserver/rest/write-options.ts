// The query options of a write (create, update, patch, delete), validated as apimachinery's
// ValidateCreateOptions, ValidateUpdateOptions, ValidatePatchOptions and ValidateDeleteOptions do.
import { goStrings, type FieldError } from '../../api/field-error.js';
import { fieldManagerErrors } from '../../api/managed-fields.js';
import { patchTypeOfMedia } from '../registry/operations.js';

/**
 * The options of a write, validated as apimachinery's ValidateCreateOptions,
 * ValidateUpdateOptions, ValidatePatchOptions and ValidateDeleteOptions' dryRun: a 422 on
 * `CreateOptions.meta.k8s.io` (and so on) listing every problem. Reads take none of these.
 */
export function writeOptionErrors(verb: string, q: URLSearchParams, contentType: string | undefined): { kind: string; errs: FieldError[] } | undefined {
  const kind = ({ create: 'CreateOptions', update: 'UpdateOptions', patch: 'PatchOptions', delete: 'DeleteOptions', deletecollection: 'DeleteOptions' } as Record<string, string>)[verb];
  if (!kind) return undefined;
  const errs: FieldError[] = [];
  const fieldManager = q.get('fieldManager') ?? '';
  if (verb === 'patch') {
    const type = patchTypeOfMedia[(contentType ?? '').split(';')[0]!.trim()];
    // (an unknown patch type is the handler's 415, before the options are looked at)
    if (!type) return undefined;
    if (type !== 'apply' && q.has('force')) errs.push({ type: 'FieldValueForbidden', field: 'force', detail: 'may not be specified for non-apply patch' });
    if (type === 'apply' && !fieldManager) errs.push({ type: 'FieldValueRequired', field: 'fieldManager', detail: 'is required for apply patch' });
  }
  if (kind !== 'DeleteOptions') errs.push(...fieldManagerErrors(fieldManager, 'fieldManager'));
  // (ValidateDryRun: "All" is the one value. A DELETE's are checked with the options it takes,
  // from its body when it has one: deleteOptionsFrom)
  const dryRun = kind === 'DeleteOptions' ? [] : q.getAll('dryRun');
  if (dryRun.some((v) => v !== 'All')) errs.push({ type: 'FieldValueNotSupported', field: 'dryRun', badValue: goStrings(dryRun), detail: 'supported values: "All"' });
  const fv = q.get('fieldValidation') ?? '';
  if (kind !== 'DeleteOptions' && !['', 'Ignore', 'Strict', 'Warn'].includes(fv)) errs.push({ type: 'FieldValueNotSupported', field: 'fieldValidation', badValue: fv, detail: 'supported values: "", "Ignore", "Strict", "Warn"' });
  return errs.length ? { kind, errs } : undefined;
}
