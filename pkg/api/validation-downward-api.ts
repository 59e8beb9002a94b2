// The downward API's selectors, as pkg/apis/core/validation checks them for env vars and for
// downwardAPI volume files alike: validateObjectFieldSelector (the field path converted as
// podshelper.ConvertDownwardAPIFieldLabel does, a label or annotation key a qualified name, the
// rest one of the expressions the caller allows) and validateContainerResourceFieldSelector with
// validateContainerResourceDivisor (the few divisors each resource takes).
import { invalid, notSupported, required, type FieldError } from './field-error.js';
import { isQualifiedName } from './names.js';
import { canonicalQuantity, isValidQuantity, parseQuantity } from './quantity.js';

/** validEnvDownwardAPIFieldPathExpressions, sorted as sets.List gives them in the error. */
export const ENV_FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs'];
/** validVolumeDownwardAPIFieldPathExpressions, sorted. */
export const VOLUME_FIELD_PATHS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];
/** validContainerResourceFieldPathExpressions, sorted. */
export const RESOURCE_FIELD_PATHS = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'];
const HUGEPAGES_PREFIXES = ['limits.hugepages-', 'requests.hugepages-'];

/** The labels ConvertDownwardAPIFieldLabel knows for v1 pods (spec.host being the old name of spec.nodeName). */
const CONVERTIBLE = new Set(['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.restartPolicy', 'spec.serviceAccountName', 'spec.schedulerName', 'status.phase', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs']);

/** fieldpath.SplitMaybeSubscriptedPath: `metadata.labels['k']` → ['metadata.labels', 'k']. */
export function splitSubscriptedPath(fieldPath: string): [string, string] | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const s = fieldPath.slice(0, -2);
  const at = s.indexOf("['");
  if (at <= 0) return undefined;
  return [s.slice(0, at), s.slice(at + 2)];
}

/** ConvertDownwardAPIFieldLabel's error for a path a v1 pod does not have, or the internal path. */
function convertFieldPath(apiVersion: string, fieldPath: string): { path: string } | { error: string } {
  if (apiVersion !== 'v1') return { error: `unsupported pod version: ${apiVersion}` };
  const sub = splitSubscriptedPath(fieldPath);
  if (sub) return sub[0] === 'metadata.annotations' || sub[0] === 'metadata.labels' ? { path: fieldPath } : { error: `field label does not support subscript: ${fieldPath}` };
  if (fieldPath === 'spec.host') return { path: 'spec.nodeName' };
  return CONVERTIBLE.has(fieldPath) ? { path: fieldPath } : { error: `field label not supported: ${fieldPath}` };
}

/**
 * validateObjectFieldSelector at `path` (the fieldRef). The apiVersion is defaulted to v1 before
 * validation (SetDefaults_ObjectFieldSelector), so only one set to another version is refused here.
 */
export function validateObjectFieldSelector(fs: { apiVersion?: string; fieldPath?: string }, expressions: readonly string[], path: string): FieldError[] {
  const fieldPath = fs.fieldPath ?? '';
  if (!fieldPath) return [required(`${path}.fieldPath`)];
  const converted = convertFieldPath(fs.apiVersion || 'v1', fieldPath);
  if ('error' in converted) return [invalid(`${path}.fieldPath`, fieldPath, `error converting fieldPath: ${converted.error}`)];
  const sub = splitSubscriptedPath(converted.path);
  if (sub) {
    // (a key's errors are reported at the selector itself; annotation keys are matched lower-cased)
    const key = sub[0] === 'metadata.annotations' ? sub[1].toLowerCase() : sub[1];
    return isQualifiedName(key).map((m) => invalid(path, key, m));
  }
  if (!expressions.includes(converted.path)) return [notSupported(`${path}.fieldPath`, converted.path, [...expressions])];
  return [];
}

const DIVISORS_CPU = ['1m', '1'];
const DIVISORS_BYTES = ['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'];
const BYTES_LIST = '1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei';

/** validateContainerResourceDivisor: the divisor's canonical form must be one the resource takes (an unset or zero one is not checked). */
function validateDivisor(resource: string, divisor: string | undefined, path: string): FieldError[] {
  if (divisor == null || divisor === '') return [];
  // A divisor that is no quantity at all fails to decode in kube-apiserver; tskube says so here.
  if (!isValidQuantity(divisor)) return [invalid(`${path}.divisor`, divisor, 'must be a valid quantity')];
  if (parseQuantity(divisor) === 0) return [];
  const d = canonicalQuantity(divisor);
  // (the bad value Kubernetes reports is the resource's name, not the divisor)
  const bad = (msg: string) => [invalid(`${path}.divisor`, resource, msg)];
  switch (resource) {
    case 'limits.cpu':
    case 'requests.cpu':
      return DIVISORS_CPU.includes(d) ? [] : bad("only divisor's values 1m and 1 are supported with the cpu resource");
    case 'limits.memory':
    case 'requests.memory':
      return DIVISORS_BYTES.includes(d) ? [] : bad(`only divisor's values ${BYTES_LIST} are supported with the memory resource`);
    case 'limits.ephemeral-storage':
    case 'requests.ephemeral-storage':
      return DIVISORS_BYTES.includes(d) ? [] : bad(`only divisor's values ${BYTES_LIST} are supported with the local ephemeral storage resource`);
  }
  if (HUGEPAGES_PREFIXES.some((p) => resource.startsWith(p)) && !DIVISORS_BYTES.includes(d)) return bad(`only divisor's values ${BYTES_LIST} are supported with the hugepages resource`);
  return [];
}

/** validateContainerResourceFieldSelector at `path` (the resourceFieldRef); a volume's must name its container. */
export function validateResourceFieldSelector(fs: { containerName?: string; resource?: string; divisor?: string }, path: string, volume: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const r = fs.resource ?? '';
  if (volume && !fs.containerName) errs.push(required(`${path}.containerName`));
  else if (!r) errs.push(required(`${path}.resource`));
  else if (!RESOURCE_FIELD_PATHS.includes(r) && !HUGEPAGES_PREFIXES.some((p) => r.startsWith(p))) errs.push(notSupported(`${path}.resource`, r, RESOURCE_FIELD_PATHS));
  errs.push(...validateDivisor(r, fs.divisor, path));
  return errs;
}
