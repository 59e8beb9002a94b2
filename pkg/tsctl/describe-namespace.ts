// tsctl describe for Namespaces, as kubectl's NamespaceDescriber writes them: the phase, any
// conditions, then the namespace's ResourceQuotas (used and hard per resource) and LimitRanges,
// or "No resource quota." and "No LimitRange resource."; in tab-ended cells for ./tabwriter.ts.
import type { KubeObject } from '../api/types.js';
import { rfc1123z } from './describe-pod.js';

type Namespace = KubeObject & { status?: { phase?: string; conditions?: { type: string; status: string; lastTransitionTime?: string; reason?: string; message?: string }[] } };
export type ResourceQuota = KubeObject & { spec?: { scopes?: string[] }; status?: { hard?: Record<string, string>; used?: Record<string, string> } };
type LimitItem = { type: string; max?: Record<string, string>; min?: Record<string, string>; default?: Record<string, string>; defaultRequest?: Record<string, string>; maxLimitRequestRatio?: Record<string, string> };
export type LimitRange = KubeObject & { spec?: { limits?: LimitItem[] } };

const byName = <T extends KubeObject>(list: T[]) => [...list].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));

/** The lines after the namespace's Name, Labels and Annotations. */
export function describeNamespace(ns: Namespace, quotas: ResourceQuota[], limits: LimitRange[]): string[] {
  const out = [`Status:\t${ns.status?.phase ?? ''}`];
  const conditions = ns.status?.conditions ?? [];
  if (conditions.length) {
    out.push('Conditions:', '  Type\tStatus\tLastTransitionTime\tReason\tMessage', '  ----\t------\t------------------\t------\t-------');
    for (const c of conditions) out.push(`  ${c.type}\t${c.status}\t${rfc1123z(c.lastTransitionTime)}\t${c.reason ?? ''}\t${c.message ?? ''}`);
  }
  // (DescribeResourceQuotas)
  out.push('');
  if (!quotas.length) out.push('No resource quota.');
  else {
    out.push('Resource Quotas');
    for (const q of byName(quotas)) {
      out.push(`  Name:\t${q.metadata?.name ?? ''}`);
      if (q.spec?.scopes?.length) {
        // (each scope's help text under it, as DescribeResourceQuotas writes it)
        const scopes = [...q.spec.scopes].sort();
        out.push(`  Scopes:\t${scopes.join(', ')}`);
        for (const s of scopes) if (scopeHelp[s]) out.push(`  * ${scopeHelp[s]}`);
      }
      out.push('  Resource\tUsed\tHard', '  --------\t---\t---');
      const hard = q.status?.hard ?? {};
      for (const k of Object.keys(hard).sort()) out.push(`  ${k}\t${q.status?.used?.[k] ?? '0'}\t${hard[k]}`);
    }
  }
  // (DescribeLimitRanges: a row per type and resource, "-" where the range sets nothing)
  out.push('');
  if (!limits.length) out.push('No LimitRange resource.');
  else {
    out.push('Resource Limits', ' Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio', ' ----\t--------\t---\t---\t---------------\t-------------\t-----------------------');
    for (const lr of limits) out.push(...limitRangeRows(lr, ' '));
  }
  return out;
}

/**
 * describeLimitRangeSpec: a row per limit and resource, "-" where the limit sets nothing, each
 * after `prefix`. (kubectl walks a Go map, in no set order; tsctl sorts the resources.)
 */
export function limitRangeRows(lr: LimitRange, prefix: string): string[] {
  const out: string[] = [];
  for (const item of lr.spec?.limits ?? []) {
    const keys = new Set([...Object.keys(item.max ?? {}), ...Object.keys(item.min ?? {}), ...Object.keys(item.default ?? {}), ...Object.keys(item.defaultRequest ?? {}), ...Object.keys(item.maxLimitRequestRatio ?? {})]);
    for (const k of [...keys].sort()) {
      const v = (m: Record<string, string> | undefined) => m?.[k] ?? '-';
      out.push(`${prefix}${item.type}\t${k}\t${v(item.min)}\t${v(item.max)}\t${v(item.defaultRequest)}\t${v(item.default)}\t${v(item.maxLimitRequestRatio)}`);
    }
  }
  return out;
}

/** describe limitrange as kubectl 1.32's describeLimitRange writes it: no labels and no events. */
export function describeLimitRange(lr: LimitRange): string[] {
  return [
    `Name:\t${lr.metadata?.name ?? ''}`,
    `Namespace:\t${lr.metadata?.namespace ?? ''}`,
    'Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio',
    '----\t--------\t---\t---\t---------------\t-------------\t-----------------------',
    ...limitRangeRows(lr, ''),
  ];
}

/** helpTextForResourceQuotaScope. */
const scopeHelp: Record<string, string> = {
  Terminating: 'Matches all pods that have an active deadline. These pods have a limited lifespan on a node before being actively terminated by the system.',
  NotTerminating: 'Matches all pods that do not have an active deadline. These pods usually include long running pods whose container command is not expected to terminate.',
  BestEffort: 'Matches all pods that do not have resource requirements set. These pods have a best effort quality of service.',
  NotBestEffort: 'Matches all pods that have at least one resource requirement set. These pods have a burstable or guaranteed quality of service.',
};

/** describe resourcequota as kubectl 1.32's describeQuota writes it: no labels and no events. */
export function describeResourceQuota(q: ResourceQuota): string[] {
  const out = [`Name:\t${q.metadata?.name ?? ''}`, `Namespace:\t${q.metadata?.namespace ?? ''}`];
  const scopes = [...(q.spec?.scopes ?? [])].sort();
  if (scopes.length) {
    out.push(`Scopes:\t${scopes.join(', ')}`);
    for (const s of scopes) if (scopeHelp[s]) out.push(` * ${scopeHelp[s]}`);
  }
  out.push('Resource\tUsed\tHard', '--------\t----\t----');
  const hard = q.status?.hard ?? {};
  for (const k of Object.keys(hard).sort()) out.push(`${k}\t${q.status?.used?.[k] ?? '0'}\t${hard[k]}`);
  return out;
}
