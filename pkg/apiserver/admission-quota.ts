// The ResourceQuota admission plugin and the quotas' status, as Kubernetes keeps them: a create
// in a namespace with quotas (and an update of a service or claim, for what it adds) is charged
// to each quota whose scopes select it, in the quota's
// status.used, with an optimistic-concurrency update of the quota, so concurrent creates cannot
// both take the last of it; a create that would pass a hard limit is refused with Kubernetes'
// 403 ("exceeded quota: ..."), as is a pod that does not name a resource a quota limits. Usage is
// recounted from the objects that exist (the quota controller's part) so that deletions give it back.
import type { KubeObject, Pod, ResourceQuota } from '../api/types.js';
import { addUsage, formatAmount, formatUsage, missingPodResources, parseUsage, quotaSelects, STORAGE_CLASS_SUFFIX, usageGrowth, usageOf, type Usage } from '../api/quota.js';
import { quantityToMilli } from '../api/quantity.js';
import type { AdmissionPlugin, AdmissionRequest } from './admission.js';
import * as errors from './errors.js';

export interface QuotaAccess {
  /** The quotas of a namespace, from memory. */
  quotas(namespace: string): ResourceQuota[];
  /** The objects of a resource in a namespace, from memory. */
  objects(resource: string, group: string, namespace: string): KubeObject[] | undefined;
  /** Read-modify-write of a quota's status (retried on conflicts with a fresh copy). */
  updateStatus(namespace: string, name: string, mutate: (q: ResourceQuota) => ResourceQuota): Promise<void>;
}

/** The (resource, group) pairs whose objects a quota's hard limits count. */
export function trackedResources(hard: Record<string, string>): { resource: string; group: string }[] {
  const out = new Map<string, { resource: string; group: string }>();
  const add = (resource: string, group = '') => out.set(`${resource}.${group}`, { resource, group });
  for (const key of Object.keys(hard)) {
    const count = /^count\/([^.]+)(?:\.(.+))?$/.exec(key);
    if (count) add(count[1]!, count[2] ?? '');
    else if (key === 'requests.storage' || key.endsWith(`${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`) || key.endsWith(`${STORAGE_CLASS_SUFFIX}requests.storage`)) add('persistentvolumeclaims');
    else if (/^(pods|cpu|memory|ephemeral-storage|requests\.|limits\.)/.test(key)) add('pods');
    else if (key.startsWith('services')) add('services');
    else if (['configmaps', 'secrets', 'persistentvolumeclaims', 'replicationcontrollers', 'resourcequotas'].includes(key)) add(key);
  }
  return [...out.values()];
}

/** What the objects of a namespace use of a quota's hard limits now. */
export function currentUsage(q: ResourceQuota, access: Pick<QuotaAccess, 'objects'>): Usage {
  const hard = q.spec?.hard ?? {};
  const ns = q.metadata!.namespace!;
  const total: Usage = new Map();
  const now = Date.now();
  for (const { resource, group } of trackedResources(hard)) {
    for (const obj of access.objects(resource, group, ns) ?? []) {
      if (!quotaSelects(q, resource, obj)) continue;
      addUsage(total, usageOf(resource, group, obj, now), hard);
    }
  }
  return total;
}

/** prettyPrint: name=value pairs in Go's byte order of the names (sort.Strings), not the locale's. */
const pretty = (m: Map<string, string>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join(',');

/** Why adding `delta` to `used` passes a hard limit of `q`, or undefined. */
function exceeded(q: ResourceQuota, used: Usage, delta: Usage): string | undefined {
  const hard = q.spec?.hard ?? {};
  const requested = new Map<string, string>();
  const usedOut = new Map<string, string>();
  const limited = new Map<string, string>();
  for (const [key, h] of Object.entries(hard)) {
    const d = delta.get(key);
    if (!d) continue;
    const u = used.get(key) ?? 0;
    if (u + d > quantityToMilli(h)) {
      requested.set(key, formatAmount(d, h));
      usedOut.set(key, formatAmount(u, h));
      limited.set(key, h);
    }
  }
  if (!requested.size) return undefined;
  return `exceeded quota: ${q.metadata!.name}, requested: ${pretty(requested)}, used: ${pretty(usedOut)}, limited: ${pretty(limited)}`;
}

/**
 * The kinds whose evaluators charge updates too (Handles): a service's type can change to
 * NodePort or LoadBalancer, a claim's request can grow. 1.32's pod evaluator handles creates
 * only (in-place resize is alpha there), and object counts cannot change on update.
 */
const CHARGED_ON_UPDATE = new Set(['services', 'persistentvolumeclaims']);

/** Quota is charged for creates of namespaced objects, and updates of the kinds above (not their subresources). */
const charges = (req: AdmissionRequest) =>
  !req.subresource && !!req.namespace && req.resource.namespaced && (req.operation === 'CREATE' || (req.operation === 'UPDATE' && !req.resource.group && CHARGED_ON_UPDATE.has(req.resource.name)));

export function quotaAdmission(access: QuotaAccess, onCharged: (key: string) => void = () => {}): AdmissionPlugin {
  return {
    name: 'ResourceQuota',
    // Every namespaced kind can be counted (count/<resource>); the lookup is cheap when a namespace has no quota.
    resources: ['*'],
    reads: ['resourcequotas'],
    readsFor: charges,
    async validate(req) {
      if (!charges(req) || !req.namespace) return;
      const quotas = access.quotas(req.namespace);
      if (!quotas.length) return;
      const { name: resource, group } = req.resource;
      const obj = req.obj!;
      const selected = quotas.filter((q) => Object.keys(q.spec?.hard ?? {}).length && quotaSelects(q, resource, obj));
      const usage = usageOf(resource, group, obj);
      // An update is charged what it adds to the stored object's usage, by the quotas that counted
      // that object already; a quota that did not is charged the whole usage (CheckRequest).
      const old = req.operation === 'UPDATE' && req.old?.metadata?.resourceVersion ? req.old : undefined;
      const growth = old && usageGrowth(usage, usageOf(resource, group, old));
      const refuse = (why: string) => errors.admissionForbidden(group, resource, req.name, why);
      const charged: { q: ResourceQuota; delta: Usage }[] = [];
      for (const q of selected) {
        if (resource === 'pods' && !group) {
          const missing = missingPodResources(q, obj as Pod);
          if (missing.length) throw refuse(`failed quota: ${q.metadata!.name}: must specify ${missing.join('; ')}`);
        }
        const hard = q.spec?.hard ?? {};
        const delta = growth && quotaSelects(q, resource, old) ? growth : usage;
        if (!Object.keys(hard).some((k) => delta.get(k))) continue;
        // Checked against what is known now first, so that no quota is charged for a write another refuses.
        const why = exceeded(q, q.status?.used ? parseUsage(q.status.used) : currentUsage(q, access), delta);
        if (why) throw refuse(why);
        charged.push({ q, delta });
      }
      if (req.ctx.dryRun) return;
      for (const { q, delta } of charged) {
        const hard = q.spec?.hard ?? {};
        const key = `${q.metadata!.namespace}/${q.metadata!.name}`;
        // (before and after: a recount that started before this charge must not overwrite it)
        onCharged(key);
        await access.updateStatus(q.metadata!.namespace!, q.metadata!.name!, (fresh) => {
          const used = fresh.status?.used ? parseUsage(fresh.status.used) : currentUsage(fresh, access);
          const why = exceeded(fresh, used, delta);
          if (why) throw refuse(why);
          addUsage(used, delta, hard);
          return { ...fresh, status: { hard: { ...hard }, used: formatUsage(used, hard) } };
        });
        onCharged(key);
      }
    },
  };
}
