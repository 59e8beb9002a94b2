// Scheduling constraints of a pod spec: node affinity (node selector terms), pod (anti-)affinity
// terms, topology spread constraints and tolerations, validated as pkg/apis/core/validation does.
import { duplicate, forbidden, invalid, notSupported, required, VerbatimValue, type FieldError } from './field-error.js';
import { isDNS1123Label, isDNS1123Subdomain, isValidLabelValue } from './names.js';
import type { Affinity, LabelSelector, NodeSelector, NodeSelectorTerm, PodAffinityTerm, Toleration, TopologySpreadConstraint } from './types.js';
import { oneOf, qualifiedName, validateLabels } from './validation-meta.js';

export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const NODE_SELECTOR_OPS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'];
const LABEL_SELECTOR_OPS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

function validateNodeSelectorTerm(t: NodeSelectorTerm, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (t.matchExpressions ?? []).forEach((r, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    const values = r.values ?? [];
    // (ValidateNodeSelectorRequirement: an unknown operator is Invalid, not Unsupported; a Gt or Lt
    // value that is no integer passes — 1.32 checks neither it nor In values, the scheduler then
    // finds the term matches no node)
    if (!r.operator || !NODE_SELECTOR_OPS.includes(r.operator)) errs.push(invalid(`${p}.operator`, r.operator ?? '', 'not a valid selector operator'));
    else if ((r.operator === 'In' || r.operator === 'NotIn') && !values.length) errs.push(required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    else if ((r.operator === 'Exists' || r.operator === 'DoesNotExist') && values.length) errs.push(forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    else if ((r.operator === 'Gt' || r.operator === 'Lt') && values.length !== 1) {
      errs.push(required(`${p}.values`, "must be specified single value when `operator` is 'Lt' or 'Gt'"));
    }
    errs.push(...qualifiedName(r.key, `${p}.key`));
  });
  // (ValidateNodeFieldSelectorRequirement, in its order: the operator (and for In or NotIn the one
  // value), then the key, whose values must be node names)
  (t.matchFields ?? []).forEach((r, i) => {
    const p = `${path}.matchFields[${i}]`;
    if (r.operator !== 'In' && r.operator !== 'NotIn') errs.push(invalid(`${p}.operator`, r.operator ?? '', 'not a valid selector operator'));
    else if ((r.values ?? []).length !== 1) errs.push(required(`${p}.values`, 'must be only one value when `operator` is \'In\' or \'NotIn\' for node field selector'));
    if (r.key !== 'metadata.name') errs.push(invalid(`${p}.key`, r.key ?? '', 'not a valid field selector key'));
    else (r.values ?? []).forEach((v, j) => isDNS1123Subdomain(v).forEach((m) => errs.push(invalid(`${p}.values[${j}]`, v, m))));
  });
  return errs;
}

/** matchLabelKeys / mismatchLabelKeys: only with a labelSelector, label names each. */
function validateLabelKeys(keys: string[] | undefined, sel: LabelSelector | undefined, path: string): FieldError[] {
  if (!keys?.length) return [];
  if (!sel) return [forbidden(path, 'must not be specified when labelSelector is not set')];
  return keys.flatMap((k, i) => qualifiedName(k, `${path}[${i}]`));
}

const selectorKeys = (sel: LabelSelector | undefined) => new Set([...Object.keys(sel?.matchLabels ?? {}), ...(sel?.matchExpressions ?? []).map((e) => e.key ?? '')]);

function validatePodAffinityTerm(t: PodAffinityTerm, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of ['labelSelector', 'namespaceSelector'] as const) {
    const sel = t[k];
    if (sel) errs.push(...validateLabelSelector(sel, `${path}.${k}`));
  }
  for (const ns of t.namespaces ?? []) for (const m of isDNS1123Label(ns)) errs.push(invalid(`${path}.namespace`, ns, m));
  errs.push(...validateLabelKeys(t.matchLabelKeys, t.labelSelector, `${path}.matchLabelKeys`));
  errs.push(...validateLabelKeys(t.mismatchLabelKeys, t.labelSelector, `${path}.mismatchLabelKeys`));
  // A pod's selector already holds its matchLabelKeys as `In` requirements (added at creation):
  // a key of matchLabelKeys appearing in it twice was also in the user's selector.
  if (t.labelSelector && t.matchLabelKeys?.length) {
    const index = new Map(t.matchLabelKeys.map((k, i) => [k, i]));
    const seen = new Set(Object.keys(t.labelSelector.matchLabels ?? {}));
    for (const e of t.labelSelector.matchExpressions ?? []) {
      const key = e.key ?? '';
      const i = index.get(key);
      if (i !== undefined && seen.has(key)) errs.push(invalid(`${path}.matchLabelKeys[${i}]`, key, 'exists in both matchLabelKeys and labelSelector'));
      seen.add(key);
    }
  }
  const mismatch = new Set(t.mismatchLabelKeys ?? []);
  (t.matchLabelKeys ?? []).forEach((k, i) => {
    if (mismatch.has(k)) errs.push(invalid(`${path}.matchLabelKeys[${i}]`, k, 'exists in both matchLabelKeys and mismatchLabelKeys'));
  });
  // (an empty key is also checked as a label name, as validatePodAffinityTerm does: Required, then
  // the two Invalid messages of an empty name part)
  if (!t.topologyKey) errs.push(required(`${path}.topologyKey`, 'can not be empty'));
  errs.push(...qualifiedName(t.topologyKey, `${path}.topologyKey`));
  return errs;
}

const SCHEDULE_ACTIONS = ['DoNotSchedule', 'ScheduleAnyway'];
const NODE_INCLUSION_POLICIES = ['Honor', 'Ignore'];

/** validateTopologySpreadConstraints of pkg/apis/core/validation. */
export function validateTopologySpreadConstraints(cs: TopologySpreadConstraint[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  cs.forEach((c, i) => {
    const p = `${path}[${i}]`;
    if (!c.maxSkew || c.maxSkew <= 0) errs.push(invalid(`${p}.maxSkew`, c.maxSkew ?? 0, 'must be greater than zero'));
    if (!c.topologyKey) errs.push(required(`${p}.topologyKey`, 'can not be empty'));
    if (!SCHEDULE_ACTIONS.includes(c.whenUnsatisfiable ?? '')) errs.push(notSupported(`${p}.whenUnsatisfiable`, c.whenUnsatisfiable ?? '', SCHEDULE_ACTIONS));
    // {topologyKey, whenUnsatisfiable} names one kind of constraint: once only.
    if (cs.slice(i + 1).some((o) => o.topologyKey === c.topologyKey && o.whenUnsatisfiable === c.whenUnsatisfiable)) {
      errs.push(duplicate(`${p}.{topologyKey, whenUnsatisfiable}`, `{${c.topologyKey ?? ''}, ${c.whenUnsatisfiable ?? ''}}`));
    }
    if (c.minDomains != null) {
      if (c.minDomains <= 0) errs.push(invalid(`${p}.minDomains`, c.minDomains, 'must be greater than zero'));
      if (c.whenUnsatisfiable !== 'DoNotSchedule') errs.push(invalid(`${p}.minDomains`, c.minDomains, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${c.whenUnsatisfiable ?? ''}`));
    }
    errs.push(...oneOf(c.nodeAffinityPolicy, NODE_INCLUSION_POLICIES, `${p}.nodeAffinityPolicy`));
    errs.push(...oneOf(c.nodeTaintsPolicy, NODE_INCLUSION_POLICIES, `${p}.nodeTaintsPolicy`));
    errs.push(...validateLabelKeys(c.matchLabelKeys, c.labelSelector, `${p}.matchLabelKeys`));
    const inSelector = selectorKeys(c.labelSelector);
    (c.matchLabelKeys ?? []).forEach((k, j) => {
      if (c.labelSelector && inSelector.has(k)) errs.push(invalid(`${p}.matchLabelKeys[${j}]`, k, 'exists in both matchLabelKeys and labelSelector'));
    });
    if (c.labelSelector) errs.push(...validateLabelSelector(c.labelSelector, `${p}.labelSelector`));
  });
  return errs;
}

/**
 * ValidateLabelSelector: label keys and values, operators, and values only where the operator
 * takes them. As ValidateLabelSelectorRequirement: an unknown operator is Invalid ("not a valid
 * selector operator"), and each value must be a label value (AllowInvalidLabelValueInSelector is
 * false for a new object).
 */
export function validateLabelSelector(sel: LabelSelector, path: string): FieldError[] {
  const errs = validateLabels(sel.matchLabels, `${path}.matchLabels`);
  (sel.matchExpressions ?? []).forEach((e, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    if (!e.operator || !LABEL_SELECTOR_OPS.includes(e.operator)) errs.push(invalid(`${p}.operator`, e.operator ?? '', 'not a valid selector operator'));
    else if ((e.operator === 'In' || e.operator === 'NotIn') && !e.values?.length) errs.push(required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    else if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && e.values?.length) errs.push(forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    errs.push(...qualifiedName(e.key, `${p}.key`));
    (e.values ?? []).forEach((v, j) => {
      for (const m of isValidLabelValue(v)) errs.push(invalid(`${p}.values[${j}]`, v, m));
    });
  });
  return errs;
}

/** ValidateNodeSelector: at least one term, each valid. */
export function validateNodeSelector(sel: NodeSelector, path: string): FieldError[] {
  const terms = sel.nodeSelectorTerms ?? [];
  const errs: FieldError[] = terms.length ? [] : [required(`${path}.nodeSelectorTerms`, 'must have at least one node selector term')];
  terms.forEach((t, i) => errs.push(...validateNodeSelectorTerm(t, `${path}.nodeSelectorTerms[${i}]`)));
  return errs;
}

export function validateAffinity(a: Affinity, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const na = a.nodeAffinity;
  if (na?.requiredDuringSchedulingIgnoredDuringExecution) errs.push(...validateNodeSelector(na.requiredDuringSchedulingIgnoredDuringExecution, `${path}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`));
  (na?.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
    const p = `${path}.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
    if (t.weight == null || t.weight < 1 || t.weight > 100) errs.push(invalid(`${p}.weight`, t.weight ?? 0, 'must be in the range 1-100'));
    errs.push(...validateNodeSelectorTerm(t.preference ?? {}, `${p}.preference`));
  });
  for (const k of ['podAffinity', 'podAntiAffinity'] as const) {
    const pa = a[k];
    if (!pa) continue;
    (pa.requiredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => errs.push(...validatePodAffinityTerm(t, `${path}.${k}.requiredDuringSchedulingIgnoredDuringExecution[${i}]`)));
    (pa.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
      const p = `${path}.${k}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
      if (t.weight == null || t.weight < 1 || t.weight > 100) errs.push(invalid(`${p}.weight`, t.weight ?? 0, 'must be in the range 1-100'));
      errs.push(...validatePodAffinityTerm(t.podAffinityTerm ?? {}, `${p}.podAffinityTerm`));
    });
  }
  return errs;
}

/** Go's %#v of an internal core.Toleration (the bad value of a Duplicate or an Exists with a value). */
export function goToleration(t: Toleration): string {
  const secs = t.tolerationSeconds == null ? '(*int64)(nil)' : `(*int64)(${t.tolerationSeconds})`;
  return `core.Toleration{Key:${JSON.stringify(t.key ?? '')}, Operator:${JSON.stringify(t.operator ?? '')}, Value:${JSON.stringify(t.value ?? '')}, Effect:${JSON.stringify(t.effect ?? '')}, TolerationSeconds:${secs}}`;
}

export function validateTolerations(tolerations: Toleration[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  tolerations.forEach((t, i) => {
    const p = `${path}[${i}]`;
    if (t.key) errs.push(...qualifiedName(t.key, `${p}.key`));
    const op = t.operator || 'Equal';
    if (!t.key && op !== 'Exists') errs.push(invalid(`${p}.operator`, op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    if (t.tolerationSeconds != null && t.effect !== 'NoExecute') errs.push(invalid(`${p}.effect`, t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    if (op === 'Equal') for (const m of isValidLabelValue(t.value ?? '')) errs.push(invalid(`${p}.operator`, t.value, m));
    else if (op === 'Exists') {
      // (the bad value is the whole toleration, as ValidateTolerations passes it)
      if (t.value) errs.push(invalid(`${p}.operator`, new VerbatimValue(goToleration(t)), "value must be empty when `operator` is 'Exists'"));
    } else errs.push(notSupported(`${p}.operator`, t.operator, ['Equal', 'Exists']));
    errs.push(...oneOf(t.effect, TAINT_EFFECTS, `${p}.effect`));
  });
  return errs;
}
