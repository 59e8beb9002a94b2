// Pod (anti)affinity terms parsed once per pod, as kube-scheduler's framework.AffinityTerm: the
// namespaces a term looks in (its own list, or the pod's namespace when it names none and has no
// namespaceSelector), its namespaceSelector, its label selector and its topology key.
// matchLabelKeys and mismatchLabelKeys are already in the selector: the apiserver adds them when
// the pod is created (pkg/api/pod-affinity-label-keys.ts), as kube-apiserver does.
import { labelSelectorFromObject, matchesLabelSelector, type ParsedLabelSelector } from '../../api/selectors.js';
import type { PodAffinityTerm, WeightedPodAffinityTerm } from '../../api/types.js';
import type { Pod } from '../framework.js';
import type { ClusterLister } from '../cluster-lister.js';

export interface AffinityTerm {
  namespaces: Set<string>;
  /** Matches the labels of the candidate pod's namespace; `nothing` when the term has none. */
  namespaceSelector: ParsedLabelSelector;
  selector: ParsedLabelSelector;
  topologyKey: string;
  /** For preferred terms; 1 for required ones. */
  weight: number;
}

export interface PodAffinityInfo {
  requiredAffinity: AffinityTerm[];
  requiredAntiAffinity: AffinityTerm[];
  preferredAffinity: AffinityTerm[];
  preferredAntiAffinity: AffinityTerm[];
}

const nothing: ParsedLabelSelector = { requirements: [], nothing: true };
const none: PodAffinityInfo = { requiredAffinity: [], requiredAntiAffinity: [], preferredAffinity: [], preferredAntiAffinity: [] };

function parseSelector(sel: PodAffinityTerm['labelSelector']): ParsedLabelSelector {
  try {
    return labelSelectorFromObject(sel);
  } catch {
    return nothing; // validated by the apiserver; a bad one matches nothing
  }
}

function parseTerm(pod: Pod, t: PodAffinityTerm, weight: number): AffinityTerm {
  const namespaces = new Set(t.namespaces ?? []);
  if (!namespaces.size && !t.namespaceSelector) namespaces.add(pod.metadata?.namespace ?? 'default');
  return {
    namespaces,
    namespaceSelector: t.namespaceSelector ? parseSelector(t.namespaceSelector) : nothing,
    selector: parseSelector(t.labelSelector),
    topologyKey: t.topologyKey ?? '',
    weight,
  };
}

const weighted = (pod: Pod, ts: WeightedPodAffinityTerm[] | undefined) => (ts ?? []).filter((t) => t.podAffinityTerm).map((t) => parseTerm(pod, t.podAffinityTerm!, t.weight ?? 0));

const cache = new WeakMap<Pod, PodAffinityInfo>();

/** The pod's terms, parsed once per pod object (informers replace the object on every update). */
export function podAffinityInfo(pod: Pod): PodAffinityInfo {
  const a = pod.spec?.affinity;
  if (!a?.podAffinity && !a?.podAntiAffinity) return none;
  let info = cache.get(pod);
  if (!info) {
    info = {
      requiredAffinity: (a.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => parseTerm(pod, t, 1)),
      requiredAntiAffinity: (a.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => parseTerm(pod, t, 1)),
      preferredAffinity: weighted(pod, a.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
      preferredAntiAffinity: weighted(pod, a.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    };
    cache.set(pod, info);
  }
  return info;
}

/**
 * The incoming pod's terms with their namespaceSelector resolved into namespace names (as
 * kube-scheduler's mergeAffinityTermNamespacesIfNotEmpty): matching them against other pods then
 * needs no namespace labels. An empty selector (`{}`) keeps matching every namespace.
 */
export function withResolvedNamespaces(terms: AffinityTerm[], lister: ClusterLister): AffinityTerm[] {
  return terms.map((t) => {
    if (t.namespaceSelector.nothing || !t.namespaceSelector.requirements.length) return t;
    const namespaces = new Set(t.namespaces);
    for (const n of lister.namespacesMatching(t.namespaceSelector)) namespaces.add(n);
    return { ...t, namespaces, namespaceSelector: nothing };
  });
}

/** kube-scheduler's AffinityTerm.Matches: the pod is in one of the term's namespaces and its labels match. */
export function termMatches(t: AffinityTerm, pod: Pod, nsLabels: Record<string, string> | undefined): boolean {
  const ns = pod.metadata?.namespace ?? 'default';
  if (!t.namespaces.has(ns) && !namespaceSelected(t.namespaceSelector, nsLabels)) return false;
  return matchesLabelSelector(t.selector, pod.metadata?.labels);
}

function namespaceSelected(sel: ParsedLabelSelector, nsLabels: Record<string, string> | undefined): boolean {
  if (sel.nothing) return false;
  if (!sel.requirements.length) return true; // {}: every namespace
  return !!nsLabels && matchesLabelSelector(sel, nsLabels);
}

/** The pod matches every term (kube-scheduler's podMatchesAllAffinityTerms); false for no terms. */
export function podMatchesAllTerms(terms: AffinityTerm[], pod: Pod): boolean {
  return terms.length > 0 && terms.every((t) => termMatches(t, pod, undefined));
}

/** Counts per topology pair (key → value → count); a pair counting zero is dropped, as in kube-scheduler. */
export class TopologyCounts {
  readonly byKey = new Map<string, Map<string, number>>();
  private pairs = 0;

  get size(): number {
    return this.pairs;
  }

  add(key: string, value: string, delta: number): void {
    let m = this.byKey.get(key);
    if (!m) this.byKey.set(key, (m = new Map()));
    const had = m.has(value);
    const v = (m.get(value) ?? 0) + delta;
    if (v === 0) {
      if (had) {
        m.delete(value);
        this.pairs--;
      }
      return;
    }
    m.set(value, v);
    if (!had) this.pairs++;
  }

  get(key: string, value: string): number {
    return this.byKey.get(key)?.get(value) ?? 0;
  }

  clone(): TopologyCounts {
    const c = new TopologyCounts();
    for (const [k, m] of this.byKey) c.byKey.set(k, new Map(m));
    c.pairs = this.pairs;
    return c;
  }
}
