// core/v1 ResourceQuota: what an object counts for against a quota (Kubernetes' quota
// evaluators for pods, services and object counts), which quotas' scopes select it, the usage of
// a namespace, and ValidateResourceQuota.
import { invalid, required, VerbatimValue, type FieldError } from './field-error.js';
import { isExtendedResourceName } from './resource-names.js';
import { formatMilli, formatQuantity, isValidQuantity, QUANTITY_FORMAT_MESSAGE, quantityFormat, quantityToMilli } from './quantity.js';
import { podTotalsMilli } from './pod-resources.js';
import { podQOSClass } from './defaults.js';
import type { PersistentVolumeClaim, Pod, ResourceQuota } from './types.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './validation-meta.js';
import { isQualifiedName } from './names.js';
import { isTerminalPhase } from './pod-phase.js';

/** Usage in milli-units by quota resource name. */
export type Usage = Map<string, number>;

export const QUOTA_SCOPES = ['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity'];

/** Resources with their own counting names (the rest are counted as count/<resource>[.<group>]). */
const OBJECT_COUNT_NAMES: Record<string, string> = {
  pods: 'pods',
  services: 'services',
  configmaps: 'configmaps',
  secrets: 'secrets',
  persistentvolumeclaims: 'persistentvolumeclaims',
  replicationcontrollers: 'replicationcontrollers',
  resourcequotas: 'resourcequotas',
};

/** A pod that no longer uses its resources: terminal, or deleted with its grace period over. */
export function podIsTerminal(p: Pod, now = Date.now()): boolean {
  const phase = p.status?.phase;
  if (isTerminalPhase(phase)) return true;
  const del = p.metadata?.deletionTimestamp;
  return !!del && Date.parse(del) + (p.metadata?.deletionGracePeriodSeconds ?? 0) * 1000 < now;
}

/** Whether every scope of the quota selects the pod (other kinds are selected only by unscoped quotas). */
export function quotaSelects(q: ResourceQuota, resource: string, obj: object): boolean {
  const scopes = q.spec?.scopes ?? [];
  const exprs = q.spec?.scopeSelector?.matchExpressions ?? [];
  if (!scopes.length && !exprs.length) return true;
  if (resource !== 'pods') return false;
  const pod = obj as Pod;
  const terminating = pod.spec?.activeDeadlineSeconds !== undefined && pod.spec?.activeDeadlineSeconds !== null;
  const bestEffort = podQOSClass(pod) === 'BestEffort';
  const scope = (name: string, op = 'Exists', values: string[] = []): boolean => {
    switch (name) {
      case 'Terminating':
        return terminating;
      case 'NotTerminating':
        return !terminating;
      case 'BestEffort':
        return bestEffort;
      case 'NotBestEffort':
        return !bestEffort;
      case 'CrossNamespacePodAffinity':
        return false;
      case 'PriorityClass': {
        const pc = pod.spec?.priorityClassName ?? '';
        if (op === 'Exists') return pc !== '';
        if (op === 'DoesNotExist') return pc === '';
        return op === 'In' ? values.includes(pc) : !values.includes(pc);
      }
      default:
        return false;
    }
  };
  return scopes.every((s) => scope(s)) && exprs.every((e) => scope(e.scopeName ?? '', e.operator, e.values ?? []));
}

/** What one object counts for, in milli-units (counts are 1000 per object). */
export function usageOf(resource: string, group: string, obj: object, now = Date.now()): Usage {
  const u: Usage = new Map();
  u.set(`count/${resource}${group ? `.${group}` : ''}`, 1000);
  // PodUsageFunc: count/pods counts every pod in storage; `pods` and compute resources only
  // those not yet at the end of their life.
  if (resource === 'pods' && !group && podIsTerminal(obj as Pod, now)) return u;
  const countName = OBJECT_COUNT_NAMES[resource];
  if (countName && !group) u.set(countName, 1000);
  if (resource === 'pods' && !group) {
    const pod = obj as Pod;
    for (const [k, m] of podTotalsMilli(pod, 'requests', { overhead: true })) {
      u.set(`requests.${k}`, m);
      if (k === 'cpu' || k === 'memory' || k === 'ephemeral-storage') u.set(k, m);
    }
    for (const [k, m] of podTotalsMilli(pod, 'limits', { overhead: true })) u.set(`limits.${k}`, m);
  } else if (resource === 'persistentvolumeclaims' && !group) {
    for (const [k, v] of pvcUsage(obj as PersistentVolumeClaim)) u.set(k, v);
  } else if (resource === 'services' && !group) {
    const spec = ((obj as { spec?: unknown }).spec ?? {}) as { type?: string; ports?: { nodePort?: number }[]; allocateLoadBalancerNodePorts?: boolean };
    const ports = spec.ports ?? [];
    if (spec.type === 'NodePort') u.set('services.nodeports', ports.length * 1000);
    if (spec.type === 'LoadBalancer') {
      // (a load balancer that allocates no node ports uses only those it names)
      u.set('services.nodeports', (spec.allocateLoadBalancerNodePorts === false ? ports.filter((p) => p.nodePort).length : ports.length) * 1000);
      u.set('services.loadbalancers', 1000);
    }
  }
  return u;
}

/** <class>.storageclass.storage.k8s.io/<resource>: a claim's usage charged to its StorageClass too. */
export const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';

/**
 * pvcEvaluator.Usage: the claim, by its class too, and its storage request rounded up to whole
 * bytes (status.allocatedResources when a resize made it larger, as RecoverVolumeExpansionFailure,
 * on by default in 1.32, has it). The class is the beta annotation's, else spec.storageClassName,
 * which DefaultStorageClass admission has set by the time quota sees a create.
 */
function pvcUsage(pvc: PersistentVolumeClaim): Usage {
  const u: Usage = new Map();
  const annotations = pvc.metadata?.annotations ?? {};
  const cls = 'volume.beta.kubernetes.io/storage-class' in annotations ? annotations['volume.beta.kubernetes.io/storage-class']! : (pvc.spec?.storageClassName ?? '');
  if (cls) u.set(`${cls}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`, 1000);
  const wholeBytes = (q: string | undefined) => (q !== undefined && isValidQuantity(q) ? Math.ceil(quantityToMilli(q) / 1000) * 1000 : undefined);
  let storage = wholeBytes(pvc.spec?.resources?.requests?.storage);
  const allocated = wholeBytes((pvc.status as { allocatedResources?: Record<string, string> } | undefined)?.allocatedResources?.storage);
  if (storage !== undefined && allocated !== undefined && allocated > storage) storage = allocated;
  if (storage !== undefined) {
    u.set('requests.storage', storage);
    if (cls) u.set(`${cls}${STORAGE_CLASS_SUFFIX}requests.storage`, storage);
  }
  return u;
}

/** What an update adds: the growth of each resource from the old object's usage (quota.SubtractWithNonNegativeResult), zeros left out. */
export function usageGrowth(now: Usage, before: Usage): Usage {
  const out: Usage = new Map();
  for (const [k, v] of now) if (v > (before.get(k) ?? 0)) out.set(k, v - (before.get(k) ?? 0));
  return out;
}

/** Quota resources a pod must name for each container (a quota on limits.cpu needs every container to set it). */
export function missingPodResources(q: ResourceQuota, pod: Pod): string[] {
  const out: string[] = [];
  for (const key of Object.keys(q.spec?.hard ?? {})) {
    const m = /^(requests|limits)\.(cpu|memory)$/.exec(key) ?? (key === 'cpu' || key === 'memory' ? [key, 'requests', key] : null);
    if (!m) continue;
    const [, which, res] = m as unknown as [string, 'requests' | 'limits', string];
    const lacking = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].filter((c) => (c.resources?.[which] as Record<string, string> | undefined)?.[res] === undefined).map((c) => c.name);
    if (lacking.length) out.push(`${key} for: ${lacking.join(',')}`);
  }
  return out;
}

/** Adds `u` into `total`, for the resources `hard` names. */
export function addUsage(total: Usage, u: Usage, hard: Record<string, string>): void {
  for (const key of Object.keys(hard)) {
    const v = u.get(key);
    if (v) total.set(key, (total.get(key) ?? 0) + v);
  }
}

/** A usage as the quantities status.used shows, for every resource `hard` names, in the hard value's format. */
export function formatUsage(u: Usage, hard: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(hard).sort()) out[key] = formatAmount(u.get(key) ?? 0, hard[key]!);
  return out;
}

/** Milli-units as a quantity written like `like` (1Gi → binary suffixes). */
export function formatAmount(milli: number, like: string): string {
  if (milli % 1000 !== 0) return formatMilli(milli);
  const binary = isValidQuantity(like) && quantityFormat(like) === 'BinarySI';
  return formatQuantity(milli / 1000, binary ? 'BinarySI' : 'DecimalSI');
}

/** status.used parsed back into milli-units. */
export function parseUsage(used: Record<string, string> | undefined): Usage {
  const u: Usage = new Map();
  for (const [k, v] of Object.entries(used ?? {})) if (isValidQuantity(v)) u.set(k, quantityToMilli(v));
  return u;
}

/** Resource names as core/v1's helper knows them (IsStandardResourceName), and those a quota counts (IsStandardQuotaResourceName). */
const STANDARD_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage', 'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'pods', 'resourcequotas', 'services', 'replicationcontrollers', 'secrets', 'configmaps', 'persistentvolumeclaims', 'storage', 'requests.storage', 'services.nodeports', 'services.loadbalancers']);
const STANDARD_QUOTA_RESOURCES = new Set([...STANDARD_RESOURCES].filter((r) => r !== 'storage'));
const isHugePages = (r: string) => r.startsWith('hugepages-') || r.startsWith('requests.hugepages-');
/** The resources scoped quotas may count: pod counts, and pods' compute resources for the scopes other than BestEffort. */
const POD_COUNT = new Set(['pods']);
const POD_COMPUTE = new Set(['cpu', 'memory', 'limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory']);

/** ValidateResourceQuotaResourceName: a qualified name; unqualified, a standard resource, and one a quota counts. */
function quotaResourceNameErrors(k: string, path: string): FieldError[] {
  const errs = isQualifiedName(k).map((m) => invalid(path, k, m));
  if (errs.length || k.includes('/')) return errs;
  if (!STANDARD_RESOURCES.has(k) && !isHugePages(k)) errs.push(invalid(path, k, 'must be a standard resource type or fully qualified'));
  if (!STANDARD_QUOTA_RESOURCES.has(k) && !isHugePages(k)) errs.push(invalid(path, k, 'must be a standard resource for quota'));
  return errs;
}

/** A []core.ResourceQuotaScope bad value as Go's %#v prints it (nil when the field is absent). */
const goScopes = (scopes: string[] | undefined) => new VerbatimValue(scopes ? `[]core.ResourceQuotaScope{${scopes.map((x) => JSON.stringify(x)).join(', ')}}` : '[]core.ResourceQuotaScope(nil)');
const goStringSlice = (xs: string[] | undefined) => (xs ? `[]string{${xs.map((x) => JSON.stringify(x)).join(', ')}}` : '[]string(nil)');

/** The spec.scopeSelector bad value: Go's %#v of the core.ScopeSelector (ErrorBody dereferences the pointer). */
function goScopeSelector(sel: NonNullable<NonNullable<ResourceQuota['spec']>['scopeSelector']>): VerbatimValue {
  const exprs = sel.matchExpressions;
  const req = (e: NonNullable<typeof exprs>[number]) => `core.ScopedResourceSelectorRequirement{ScopeName:${JSON.stringify(e.scopeName ?? '')}, Operator:${JSON.stringify(e.operator ?? '')}, Values:${goStringSlice(e.values)}}`;
  return new VerbatimValue(`core.ScopeSelector{MatchExpressions:${exprs ? `[]core.ScopedResourceSelectorRequirement{${exprs.map(req).join(', ')}}` : '[]core.ScopedResourceSelectorRequirement(nil)'}}`);
}

/**
 * A resource.Quantity bad value as Go's %#v prints it (ValidateResourceQuantityValue passes the
 * Quantity itself, whose String has a pointer receiver): ParseQuantity's fast path keeps an
 * int64Amount, and the text only when it is already canonical. A value off the fast path is an
 * inf.Dec behind a pointer, whose address Go prints and we cannot.
 */
export function goQuantity(text: string): VerbatimValue {
  const m = /^([+-]?)0*(\d*)(?:\.(\d*))?(.*)$/.exec(text)!;
  const [, sign, intDigits, denom = '', suffix] = m;
  const num = intDigits || '0';
  const binary: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
  const decimal: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
  const format = suffix! in binary ? 'BinarySI' : /^[eE]/.test(suffix!) ? 'DecimalExponent' : 'DecimalSI';
  const exponent = format === 'BinarySI' ? binary[suffix!]! : format === 'DecimalExponent' ? Number(suffix!.slice(1)) : decimal[suffix!]!;
  let scale = format === 'BinarySI' ? 0 : exponent;
  let mantissa = 1n;
  let precision = 18 - (num.length + denom.length);
  if (format === 'BinarySI') {
    if (denom.length === 0) {
      mantissa = 1n << BigInt(exponent);
      precision = 15 - num.length - Math.trunc((exponent * 3) / 10) - 1;
    } else precision = -1;
  }
  const slow = (f: string) => new VerbatimValue(`resource.Quantity{i:resource.int64Amount{value:0, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(0xc000000000)}, s:"", Format:"${f}"}`);
  if (precision < 0 || (scale -= denom.length) < -9) return slow(format);
  const shifted = num + denom;
  const value = BigInt(shifted);
  let result = value * mantissa;
  if (value > 2n ** 63n - 1n || result > 2n ** 63n - 1n) return slow(format);
  if (sign === '-') result = -result;
  const canonical = format === 'BinarySI' ? exponent % 10 === 0 && (value & 7n) !== 0n : scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0';
  return new VerbatimValue(`resource.Quantity{i:resource.int64Amount{value:${result}, scale:${scale}}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:${JSON.stringify(canonical ? text : '')}, Format:"${format}"}`);
}

/** Counts, and extended resources (IsIntegerResourceName): what a quota may only hold whole numbers of. */
const INTEGER_RESOURCES = new Set(['pods', 'resourcequotas', 'services', 'replicationcontrollers', 'secrets', 'configmaps', 'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers']);
/** IsExtendedResourceName: qualified, outside kubernetes.io, not requests.*; count/pods and <class>.storageclass.storage.k8s.io/requests.storage are ones. */
const isIntegerResourceName = (k: string) => INTEGER_RESOURCES.has(k) || isExtendedResourceName(k);

/** validateResourceQuotaScopes: known scopes, each valid for every standard resource counted, no conflicting pair. */
function quotaScopeErrors(q: ResourceQuota): FieldError[] {
  const scopes = q.spec?.scopes ?? [];
  if (!scopes.length) return [];
  const errs: FieldError[] = [];
  const hard = Object.keys(q.spec?.hard ?? {}).sort();
  const value = goScopes(scopes);
  for (const scope of scopes) {
    if (!QUOTA_SCOPES.includes(scope)) errs.push(invalid('spec.scopes', value, 'unsupported scope'));
    for (const k of hard) if (!scopeValidFor(scope, k)) errs.push(invalid('spec.scopes', value, 'unsupported scope applied to resource'));
  }
  for (const [a, b] of CONFLICTING_SCOPES) {
    if (scopes.includes(a) && scopes.includes(b)) errs.push(invalid('spec.scopes', value, 'conflicting scopes'));
  }
  return errs;
}

const CONFLICTING_SCOPES = [['BestEffort', 'NotBestEffort'], ['Terminating', 'NotTerminating']] as const;

/** IsResourceQuotaScopeValidForResource, for the standard quota resources a scope is checked against. */
function scopeValidFor(scope: string, k: string): boolean {
  if (!STANDARD_QUOTA_RESOURCES.has(k) && !isHugePages(k)) return true;
  return scope === 'BestEffort' ? POD_COUNT.has(k) : QUOTA_SCOPES.includes(scope) ? POD_COUNT.has(k) || POD_COMPUTE.has(k) : true;
}

/** Scopes a selector may only ask to exist (they are yes/no properties of a pod). */
const EXISTS_ONLY_SCOPES = ['BestEffort', 'NotBestEffort', 'Terminating', 'NotTerminating', 'CrossNamespacePodAffinity'];

/**
 * validateScopedResourceSelectorRequirement: every expression is reported at the unindexed
 * spec.scopeSelector.matchExpressions path, as 1.32 reports it.
 */
function scopeSelectorErrors(q: ResourceQuota): FieldError[] {
  const sel = q.spec?.scopeSelector;
  if (!sel) return [];
  const path = 'spec.scopeSelector.matchExpressions';
  const errs: FieldError[] = [];
  const hard = Object.keys(q.spec?.hard ?? {}).sort();
  const names: string[] = [];
  for (const e of sel.matchExpressions ?? []) {
    const scope = e.scopeName ?? '';
    const op = e.operator ?? '';
    const values = e.values ?? [];
    if (!QUOTA_SCOPES.includes(scope)) errs.push(invalid(`${path}.scopeName`, scope, 'unsupported scope'));
    for (const k of hard) if (!scopeValidFor(scope, k)) errs.push(invalid(path, goScopeSelector(sel), 'unsupported scope applied to resource'));
    if (EXISTS_ONLY_SCOPES.includes(scope) && op !== 'Exists') {
      errs.push(invalid(`${path}.operator`, op, "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity"));
    }
    if (op === 'In' || op === 'NotIn') {
      if (!values.length) errs.push(required(`${path}.values`, "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (values.length) errs.push(invalid(`${path}.values`, new VerbatimValue(goStringSlice(values)), "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"));
    } else errs.push(invalid(`${path}.operator`, op, 'not a valid selector operator'));
    names.push(scope);
  }
  // (upstream names spec.scopes as the bad value here, not the selector)
  for (const [a, b] of CONFLICTING_SCOPES) if (names.includes(a) && names.includes(b)) errs.push(invalid(path, goScopes(q.spec?.scopes), 'conflicting scopes'));
  return errs;
}

/** ValidateResourceQuotaResourceName and ValidateResourceQuantityValue of each entry of a hard (or used) list. */
function quotaListErrors(list: Record<string, string> | undefined, at: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(list ?? {})) {
    const path = `${at}[${k}]`;
    errs.push(...quotaResourceNameErrors(k, path));
    if (!isValidQuantity(v)) {
      errs.push(invalid(path, v, QUANTITY_FORMAT_MESSAGE));
      continue;
    }
    const milli = quantityToMilli(v);
    if (milli < 0) errs.push(invalid(path, v, 'must be greater than or equal to 0'));
    if (isIntegerResourceName(k) && milli % 1000 !== 0) errs.push(invalid(path, goQuantity(v), 'must be an integer'));
  }
  return errs;
}

/** ValidateResourceQuotaSpec: each hard limit (ValidateResourceQuotaResourceName, ValidateResourceQuantityValue), the scopes, the scope selector. */
function quotaSpecErrors(q: ResourceQuota): FieldError[] {
  return [...quotaListErrors(q.spec?.hard, 'spec.hard'), ...quotaScopeErrors(q), ...scopeSelectorErrors(q)];
}

/**
 * ValidateResourceQuotaStatusUpdate (resourcequotas/status): the metadata as any update's, and
 * each status.hard and status.used entry as a spec.hard one is checked.
 */
/**
 * ValidateResourceQuotaStatusUpdate: metadata as any update's, the request's resourceVersion
 * (`sentResourceVersion`: a status PUT without one is refused, though the strategy allows
 * unconditional updates), then the hard and used lists.
 */
export function validateResourceQuotaStatusUpdate(q: ResourceQuota, old: ResourceQuota, sentResourceVersion: string | undefined): FieldError[] {
  const errs = validateObjectMetaUpdate(q.metadata, old.metadata, true, 'metadata');
  if (!sentResourceVersion) errs.push(required('resourceVersion'));
  return [...errs, ...quotaListErrors(q.status?.hard, 'status.hard'), ...quotaListErrors(q.status?.used, 'status.used')];
}

export function validateResourceQuota(q: ResourceQuota): FieldError[] {
  return [...validateObjectMeta(q.metadata, true, 'metadata'), ...quotaSpecErrors(q)];
}

/** ValidateResourceQuotaUpdate: the spec as on create, and spec.scopes (as a set) may not change; the scope selector may. */
export function validateResourceQuotaUpdate(q: ResourceQuota, old: ResourceQuota): FieldError[] {
  const errs = [...validateObjectMetaUpdate(q.metadata, old.metadata, true, 'metadata'), ...quotaSpecErrors(q)];
  const now = new Set(q.spec?.scopes ?? []);
  const before = new Set(old.spec?.scopes ?? []);
  if (now.size !== before.size || [...now].some((x) => !before.has(x))) errs.push(invalid('spec.scopes', goScopes(q.spec?.scopes), 'field is immutable'));
  return errs;
}
