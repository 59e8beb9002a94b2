// A DaemonSet's template generation: the internal spec.templateGeneration, which apps/v1 serves
// as the annotation deprecated.daemonset.template.generation (Convert_apps_DaemonSet_To_v1_DaemonSet
// always writes it). It starts at 1 (or what a creating client's annotation says), moves by one
// only when the pod template changes (daemonSetStrategy.PrepareForUpdate), and no update or
// status write sets it otherwise. The controller labels daemon pods pod-template-generation with it.
import type { DaemonSet } from './types.js';

export const DEPRECATED_TEMPLATE_GENERATION = 'deprecated.daemonset.template.generation';

/** The DaemonSet's template generation, or undefined when its annotation is missing or not an integer (GetTemplateGeneration). */
export function templateGeneration(ds: DaemonSet | undefined): number | undefined {
  const v = ds?.metadata?.annotations?.[DEPRECATED_TEMPLATE_GENERATION];
  return v !== undefined && /^[+-]?[0-9]+$/.test(v) ? Number(v) : undefined;
}

const put = (ds: DaemonSet, generation: number) => {
  const meta = (ds.metadata ??= {});
  meta.annotations = { ...meta.annotations, [DEPRECATED_TEMPLATE_GENERATION]: String(generation) };
};

/**
 * Sets the annotation of a DaemonSet being created (PrepareForCreate: below 1 becomes 1) or
 * updated from `old` (its generation, one more when the template changed). `templateChanged`
 * compares the defaulted templates. An object stored without the annotation counts from its
 * metadata.generation, the value its pods were labelled with.
 */
export function prepareTemplateGeneration(ds: DaemonSet, old?: DaemonSet, templateChanged = false): void {
  if (!old) {
    const given = templateGeneration(ds) ?? 0;
    put(ds, given < 1 ? 1 : given);
    return;
  }
  const was = templateGeneration(old) ?? old.metadata?.generation ?? 1;
  put(ds, templateChanged ? was + 1 : was);
}
