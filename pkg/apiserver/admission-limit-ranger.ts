// The LimitRanger admission plugin, as Kubernetes': a new pod's containers (and init
// containers) that name no request or limit get the defaults of the LimitRanges of their
// namespace (noted in the kubernetes.io/limit-ranger annotation), then every Container and Pod
// item's min, max and maxLimitRequestRatio is enforced; a breach is a 403 naming each one.
// Pod updates are not looked at: containers' resources cannot change. A claim's storage request
// (on create and update) is held to the PersistentVolumeClaim items' min and max.
import type { Container, LimitRange, LimitRangeItem, PersistentVolumeClaim, Pod } from '../api/types.js';
import { podQOSClass } from '../api/defaults.js';
import { podTotalsMilli } from '../api/pod-resources.js';
import { canonicalQuantity, quantityToMilli } from '../api/quantity.js';
import type { AdmissionPlugin, AdmissionRequest } from './admission.js';
import * as errors from './errors.js';

const ANNOTATION = 'kubernetes.io/limit-ranger';
type Quantities = Record<string, string>;

/** The LimitRanges of a namespace, from memory. */
export type LimitRangeLister = (namespace: string) => LimitRange[];

/**
 * The plugin looks at pod creates (a pod's resources cannot change after) and at claim creates
 * and updates (a claim may grow).
 */
const applies = (req: AdmissionRequest) =>
  !req.subresource && !!req.namespace && (req.resource.name === 'pods' ? req.operation === 'CREATE' : req.operation === 'CREATE' || req.operation === 'UPDATE');

export function limitRangerAdmission(limitRanges: LimitRangeLister): AdmissionPlugin {
  return {
    name: 'LimitRanger',
    resources: ['pods', 'persistentvolumeclaims'],
    reads: ['limitranges'],
    readsFor: applies,
    // Defaults while admitting (mutating), the checks after the object's own validation, as
    // Kubernetes' Admit and Validate: an invalid object is a 422 before it is a 403.
    admit(req) {
      if (!applies(req) || !req.namespace || req.resource.name !== 'pods') return;
      const pod = req.obj as Pod;
      for (const lr of limitRanges(req.namespace)) {
        // The QoS class was worked out before admission: it follows the defaults set here.
        if (applyDefaults(pod, lr.spec?.limits ?? [])) (pod.status ??= {}).qosClass = podQOSClass(pod);
      }
    },
    validate(req) {
      if (!applies(req) || !req.namespace) return;
      const ranges = limitRanges(req.namespace);
      if (!ranges.length) return;
      if (req.resource.name === 'persistentvolumeclaims') {
        // PersistentVolumeClaimValidateLimitFunc: min and max of the claim's storage request.
        const requests = ((req.obj as PersistentVolumeClaim).spec?.resources?.requests ?? {}) as Quantities;
        const problems = ranges.flatMap((lr) => (lr.spec?.limits ?? []).filter((i) => i.type === 'PersistentVolumeClaim').flatMap((i) => checkClaim(requests, i)));
        if (problems.length) throw errors.admissionForbidden('', 'persistentvolumeclaims', req.name, problems.length === 1 ? problems[0]! : `[${problems.join(', ')}]`);
        return;
      }
      const pod = req.obj as Pod;
      const problems: string[] = [];
      for (const lr of ranges) for (const item of lr.spec?.limits ?? []) problems.push(...check(pod, item));
      if (problems.length) throw errors.admissionForbidden('', 'pods', req.name, problems.length === 1 ? problems[0]! : `[${problems.join(', ')}]`);
    },
  };
}

/** Defaults of the Container items for what each container leaves out; the annotation says what was set. */
function applyDefaults(pod: Pod, items: LimitRangeItem[]): boolean {
  const limits: Quantities = {};
  const requests: Quantities = {};
  for (const item of items) {
    if (item.type !== 'Container') continue;
    Object.assign(limits, item.default ?? {});
    Object.assign(requests, item.defaultRequest ?? {});
  }
  if (!Object.keys(limits).length && !Object.keys(requests).length) return false;
  const notes: string[] = [];
  // (mergePodResourceRequirements: containers, then init containers)
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    const res = (c.resources ??= {});
    const setLimits = fill((res.limits ??= {}), limits);
    const setRequests = fill((res.requests ??= {}), requests);
    if (setRequests.length) notes.push(`${setRequests.sort().join(', ')} request for ${isInit(pod, c) ? 'init container' : 'container'} ${c.name}`);
    if (setLimits.length) notes.push(`${setLimits.sort().join(', ')} limit for ${isInit(pod, c) ? 'init container' : 'container'} ${c.name}`);
  }
  if (notes.length) (pod.metadata!.annotations ??= {})[ANNOTATION] = `LimitRanger plugin set: ${notes.join('; ')}`;
  return notes.length > 0;
}

const isInit = (pod: Pod, c: Container) => (pod.spec?.initContainers ?? []).includes(c);

/** Sets what `into` lacks from `from`; the names set. */
function fill(into: Quantities, from: Quantities): string[] {
  const set: string[] = [];
  for (const [k, v] of Object.entries(from)) {
    if (into[k] !== undefined) continue;
    into[k] = v;
    set.push(k);
  }
  return set;
}

/** A pod's requests or limits, as quantities. */
function podTotal(pod: Pod, which: 'requests' | 'limits'): Quantities {
  return Object.fromEntries([...podTotalsMilli(pod, which)].map(([k, m]) => [k, canonicalQuantity(`${m}m`)]));
}

/** minConstraint: each minimum against the request, then the limit. */
function minProblems(type: string, mins: Quantities, requests: Quantities, limits: Quantities): string[] {
  const out: string[] = [];
  for (const [k, min] of Object.entries(mins)) {
    const m = canonicalQuantity(min);
    const req = requests[k];
    const lim = limits[k];
    if (req === undefined) out.push(`minimum ${k} usage per ${type} is ${m}.  No request is specified`);
    else if (quantityToMilli(req) < quantityToMilli(min)) out.push(`minimum ${k} usage per ${type} is ${m}, but request is ${canonicalQuantity(req)}`);
    else if (lim !== undefined && quantityToMilli(lim) < quantityToMilli(min)) out.push(`minimum ${k} usage per ${type} is ${m}, but limit is ${canonicalQuantity(lim)}`);
  }
  return out;
}

/** A claim against a PersistentVolumeClaim item: its requests only (minConstraint, maxRequestConstraint). */
function checkClaim(requests: Quantities, item: LimitRangeItem): string[] {
  const type = 'PersistentVolumeClaim';
  const out = minProblems(type, item.min ?? {}, requests, {});
  for (const [k, max] of Object.entries(item.max ?? {})) {
    const req = requests[k];
    if (req === undefined) out.push(`maximum ${k} usage per ${type} is ${canonicalQuantity(max)}.  No request is specified`);
    else if (quantityToMilli(req) > quantityToMilli(max)) out.push(`maximum ${k} usage per ${type} is ${canonicalQuantity(max)}, but request is ${canonicalQuantity(req)}`);
  }
  return out;
}

function check(pod: Pod, item: LimitRangeItem): string[] {
  const type = item.type;
  const subjects: { requests: Quantities; limits: Quantities }[] = [];
  if (type === 'Container') {
    for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) subjects.push({ requests: (c.resources?.requests ?? {}) as Quantities, limits: (c.resources?.limits ?? {}) as Quantities });
  } else if (type === 'Pod') subjects.push({ requests: podTotal(pod, 'requests'), limits: podTotal(pod, 'limits') });
  else return [];
  const out: string[] = [];
  for (const { requests, limits } of subjects) {
    out.push(...minProblems(type, item.min ?? {}, requests, limits));
    for (const [k, max] of Object.entries(item.max ?? {})) {
      const m = canonicalQuantity(max);
      const req = requests[k];
      const lim = limits[k];
      if (lim === undefined) out.push(`maximum ${k} usage per ${type} is ${m}.  No limit is specified`);
      else if (quantityToMilli(lim) > quantityToMilli(max)) out.push(`maximum ${k} usage per ${type} is ${m}, but limit is ${canonicalQuantity(lim)}`);
      else if (req !== undefined && quantityToMilli(req) > quantityToMilli(max)) out.push(`maximum ${k} usage per ${type} is ${m}, but request is ${canonicalQuantity(req)}`);
    }
    for (const [k, ratio] of Object.entries(item.maxLimitRequestRatio ?? {})) {
      const r = canonicalQuantity(ratio);
      const req = requests[k] === undefined ? 0 : quantityToMilli(requests[k]!);
      const lim = limits[k] === undefined ? 0 : quantityToMilli(limits[k]!);
      if (!req) out.push(`${k} max limit to request ratio per ${type} is ${r}, but no request is specified or request is 0`);
      else if (!lim) out.push(`${k} max limit to request ratio per ${type} is ${r}, but no limit is specified or limit is 0`);
      else if (lim / req > quantityToMilli(ratio) / 1000) out.push(`${k} max limit to request ratio per ${type} is ${r}, but provided ratio is ${(lim / req).toFixed(6)}`);
    }
  }
  return out;
}
