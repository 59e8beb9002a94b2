// Validation of the volume sources that write files into a pod (configMap, secret, downwardAPI,
// projected), as pkg/apis/core/validation does it: each file's path stays inside the volume
// (ValidateLocalNonReservedPath: relative, no '..' element, not starting with '..'), modes are
// 0..0777, keys and paths are required, and a projected volume's paths do not collide.
import { forbidden, invalid, required, type FieldError } from './field-error.js';
import type { ConfigMapVolumeSource, DownwardAPIVolumeFile, KeyToPath, ProjectedVolumeSource, SecretVolumeSource } from './generated/tskube/api/v1/volume.js';
import { VOLUME_FIELD_PATHS, validateObjectFieldSelector, validateResourceFieldSelector } from './validation-downward-api.js';
import { validateTokenProjection } from './validation-serviceaccount.js';

const FILE_MODE = 'must be a number between 0 and 0777 (octal), both inclusive';
const PROJECTION_SOURCES = ['secret', 'downwardAPI', 'configMap', 'serviceAccountToken', 'clusterTrustBundle'] as const;

const mode = (m: number | undefined, path: string): FieldError[] => (m != null && (m < 0 || m > 0o777) ? [invalid(path, m, FILE_MODE)] : []);

/** ValidateLocalNonReservedPath: a path that stays inside the volume. */
export function validateLocalNonReservedPath(p: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (p.startsWith('/')) errs.push(invalid(path, p, 'must be a relative path'));
  if (p.split('/').includes('..')) errs.push(invalid(path, p, "must not contain '..'"));
  else if (p.startsWith('..')) errs.push(invalid(path, p, "must not start with '..'"));
  return errs;
}

function validateKeyToPath(kp: KeyToPath, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!kp.key) errs.push(required(`${path}.key`));
  if (!kp.path) errs.push(required(`${path}.path`));
  errs.push(...validateLocalNonReservedPath(kp.path ?? '', `${path}.path`), ...mode(kp.mode, `${path}.mode`));
  return errs;
}

/** validateDownwardAPIVolumeFile: its errors are at the source's path, not the item's (as upstream). */
function validateDownwardAPIFile(f: DownwardAPIVolumeFile, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!f.path) errs.push(required(`${path}.path`));
  errs.push(...validateLocalNonReservedPath(f.path ?? '', `${path}.path`));
  if (f.fieldRef) {
    errs.push(...validateObjectFieldSelector(f.fieldRef, VOLUME_FIELD_PATHS, `${path}.fieldRef`));
    if (f.resourceFieldRef) errs.push(invalid(path, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
  } else if (f.resourceFieldRef) {
    // (for a volume the container must be named; its resource is then checked only when it is)
    errs.push(...validateResourceFieldSelector(f.resourceFieldRef, `${path}.resourceFieldRef`, true));
  } else {
    errs.push(required(path, 'one of fieldRef and resourceFieldRef is required'));
  }
  errs.push(...mode(f.mode, `${path}.mode`));
  return errs;
}

/** A configMap or secret volume: the object it names (at `nameField`), its default mode and its items. */
function validateKeyedSource(name: string | undefined, nameField: string, s: { items?: KeyToPath[]; defaultMode?: number }, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!name) errs.push(required(`${path}.${nameField}`));
  errs.push(...mode(s.defaultMode, `${path}.defaultMode`));
  (s.items ?? []).forEach((kp, i) => errs.push(...validateKeyToPath(kp, `${path}.items[${i}]`)));
  return errs;
}

export const validateConfigMapVolumeSource = (s: ConfigMapVolumeSource, path: string): FieldError[] => validateKeyedSource(s.name, 'name', s, path);

export const validateSecretVolumeSource = (s: SecretVolumeSource, path: string): FieldError[] => validateKeyedSource(s.secretName, 'secretName', s, path);

export function validateDownwardAPIVolumeSource(s: { items?: DownwardAPIVolumeFile[]; defaultMode?: number }, path: string): FieldError[] {
  const errs = mode(s.defaultMode, `${path}.defaultMode`);
  for (const f of s.items ?? []) errs.push(...validateDownwardAPIFile(f, path));
  return errs;
}

/** validateProjectedVolumeSource and validateProjectionSources. */
export function validateProjectedVolumeSource(s: ProjectedVolumeSource, path: string): FieldError[] {
  const errs = mode(s.defaultMode, `${path}.defaultMode`);
  const paths = new Set<string>();
  const claim = (p: string | undefined, bad: unknown) => {
    if (!p) return;
    if (paths.has(p)) errs.push(invalid(path, bad, 'conflicting duplicate paths'));
    paths.add(p);
  };
  (s.sources ?? []).forEach((src, i) => {
    const sp = `${path}.sources[${i}]`;
    if (PROJECTION_SOURCES.filter((k) => src[k] != null).length > 1) errs.push(forbidden(sp, 'may not specify more than 1 volume type'));
    for (const kind of ['secret', 'configMap'] as const) {
      const ref = src[kind];
      if (!ref) continue;
      if (!ref.name) errs.push(required(`${sp}.${kind}.name`));
      (ref.items ?? []).forEach((kp, ki) => {
        errs.push(...validateKeyToPath(kp, `${sp}.${kind}.items[${ki}]`));
        claim(kp.path, ref.name ?? '');
      });
    }
    for (const f of src.downwardAPI?.items ?? []) {
      errs.push(...validateDownwardAPIFile(f, `${sp}.downwardAPI`));
      claim(f.path, f.path);
    }
    const token = src.serviceAccountToken;
    if (token) {
      // (a token's path errors are reported at the projected volume's path, as upstream does)
      errs.push(...validateTokenProjection(token, `${sp}.serviceAccountToken`, `${path}.path`));
      if (token.path) errs.push(...validateLocalNonReservedPath(token.path, `${path}.path`));
    }
  });
  return errs;
}
