// matchLabelKeys and mismatchLabelKeys of pod (anti-)affinity terms, applied as kube-apiserver
// applies them when a pod is created (MatchLabelKeysInPodAffinity): each key the pod has a label
// for becomes a requirement of the term's labelSelector, `key In (value)` or `key NotIn (value)`.
// A term without a labelSelector matches nothing and is left alone. Only pods: templates keep
// their keys, and each pod made from one gets its own values.
import type { Pod, PodAffinityTerm } from './types.js';

function apply(t: PodAffinityTerm, labels: Record<string, string>): void {
  if ((!t.matchLabelKeys?.length && !t.mismatchLabelKeys?.length) || !t.labelSelector) return;
  const exprs = (t.labelSelector.matchExpressions ??= []);
  for (const key of t.matchLabelKeys ?? []) if (key in labels) exprs.push({ key, operator: 'In', values: [labels[key]!] });
  for (const key of t.mismatchLabelKeys ?? []) if (key in labels) exprs.push({ key, operator: 'NotIn', values: [labels[key]!] });
}

export function applyAffinityLabelKeys(pod: Pod): void {
  const a = pod.spec?.affinity;
  if (!a) return;
  const labels = pod.metadata?.labels ?? {};
  for (const pa of [a.podAffinity, a.podAntiAffinity]) {
    for (const t of pa?.requiredDuringSchedulingIgnoredDuringExecution ?? []) apply(t, labels);
    for (const w of pa?.preferredDuringSchedulingIgnoredDuringExecution ?? []) if (w.podAffinityTerm) apply(w.podAffinityTerm, labels);
  }
}
