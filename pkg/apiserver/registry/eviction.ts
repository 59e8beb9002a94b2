// POST pods/NAME/eviction (policy/v1 Eviction), as kube-apiserver's EvictionREST: a pod that has
// already stopped disrupting nothing (terminal, Pending, being deleted) is deleted at once;
// otherwise the one PodDisruptionBudget selecting it must allow a disruption. The allowance is
// taken first, in its own write: the budget's status with disruptionsAllowed one lower and the
// pod in disruptedPods, conditional on the budget's resourceVersion (a conflict re-reads the
// budget and tries again). Then the pod gets the DisruptionTarget condition and its graceful
// deletion. No allowance is a 429 with the DisruptionBudget cause, which `kubectl drain` retries.
import { budgetSelects, isPodReady, updateDisruptionAllowedCondition, type PDB } from '../../api/disruption-budget.js';
import type { KubeObject, Pod } from '../../api/types.js';
import { logger } from '../../util/log.js';
import { rfc3339Now } from '../../util/time.js';
import * as errors from '../errors.js';
import { admissionForbidden, ApiError, isNotFound } from '../errors.js';
import { nodeNameOf } from '../authz.js';
import { nodeEvictionRefusal } from '../node-restriction.js';
import { deleteOptionsFrom } from './operations.js';
import type { DeleteOptions, RequestContext, Store } from './store.js';

const log = logger('eviction');

/** More approved evictions than this not yet seen by the disruption controller: refuse (MaxDisruptedPodSize). */
export const MAX_DISRUPTED_PODS = 2000;

/** EvictionsRetry: 20 tries 500 ms apart (10% jitter) while writes conflict. */
export interface EvictionRetry {
  steps: number;
  delayMs: number;
}
export const evictionRetry: EvictionRetry = { steps: 20, delayMs: 500 };

export interface EvictionStores {
  pods: Store;
  pdbs: Store;
}

type P = Pod & KubeObject;

const conflict = (e: unknown) => e instanceof ApiError && e.code === 409 && e.reason === 'Conflict';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms * (0.9 + Math.random() * 0.2)));

/** 429 TooManyRequests with a DisruptionBudget cause, as NewTooManyRequests plus the cause. */
function tooManyRequests(cause: string, retryAfterSeconds: number): ApiError {
  return new ApiError(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", { ...(retryAfterSeconds ? { retryAfterSeconds } : {}), causes: [{ reason: 'DisruptionBudget', message: cause }] });
}
const stillProcessing = (pdb: string) => tooManyRequests(`The disruption budget ${pdb} is still being processed by the server.`, 10);
const pdbForbidden = (name: string, why: string) => new ApiError(403, 'Forbidden', `poddisruptionbudget.policy "${name}" is forbidden: ${why}`, { name, group: 'policy', kind: 'poddisruptionbudget' });

/** Terminal, Pending or being deleted: the eviction cannot disrupt it further (canIgnorePDB). */
const canIgnoreBudget = (p: P) => ['Succeeded', 'Failed', 'Pending'].includes(p.status?.phase ?? '') || !!p.metadata?.deletionTimestamp;
/** A running pod is deleted only as the version the decision was made on (shouldEnforceResourceVersion). */
const enforceVersion = (p: P) => !['Succeeded', 'Failed'].includes(p.status?.phase ?? '') && !p.metadata?.deletionTimestamp;
const withVersion = (o: DeleteOptions, rv: string | undefined): DeleteOptions => ({ ...o, preconditions: { ...o.preconditions, resourceVersion: rv } });

/** Runs `fn` until it does not fail with a conflict `retry` allows, at most `steps` times. */
async function retryConflicts<T>(cfg: EvictionRetry, retry: boolean, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!retry || !conflict(e) || attempt >= cfg.steps) throw e;
      await pause(cfg.delayMs);
    }
  }
}

export async function evictPod(stores: EvictionStores, namespace: string, name: string, eviction: KubeObject, ctx: RequestContext, system: RequestContext, cfg = evictionRetry): Promise<void> {
  // (NodeRestriction's admitPodEviction, which runs in the create handler's admission before
  // EvictionREST looks at the Eviction: a node evicts only the pods bound to it)
  const node = ctx.user && nodeNameOf(ctx.user);
  if (node) {
    const podName = name || (eviction.metadata?.name ?? '');
    const missing = (e: unknown) => {
      if (isNotFound(e)) return undefined;
      throw e;
    };
    const pod = podName ? ((await stores.pods.get(namespace, podName).catch(missing)) as Pod | undefined) : undefined;
    const why = nodeEvictionRefusal(node, podName, pod);
    if (why instanceof ApiError) throw why;
    if (why) throw admissionForbidden('', 'pods', podName, why);
  }
  // (admission of the Eviction, pods/eviction CREATE: mutating before EvictionREST reads it,
  // validating once it has checked it, as createValidation; webhooks see a policy/v1 Eviction)
  const review = { subresource: 'eviction', name, namespace, obj: eviction, kind: { group: 'policy', version: 'v1', kind: 'Eviction' }, ctx };
  await stores.pods.admitSubresourceCreate('admit', review);
  if (eviction.kind && eviction.kind !== 'Eviction') throw errors.badRequest(`not a Eviction object: ${eviction.kind}`);
  if (eviction.metadata?.name !== name) throw errors.badRequest('name in URL does not match name in Eviction object');
  const body = eviction.deleteOptions as Record<string, unknown> | undefined;
  const bodyDryRun = Array.isArray(body?.dryRun) ? (body!.dryRun as string[]) : [];
  if (ctx.dryRun && bodyDryRun.length && !bodyDryRun.includes('All')) throw errors.badRequest(`Non-matching dry-run options in request and content: [All] and [${bodyDryRun.join(' ')}]`);
  // (the eviction's own dry run is any dryRun at all, as IsDryRun reads it: its values are not validated)
  const original = deleteOptionsFrom(body && { ...body, dryRun: undefined });
  const dryRun = ctx.dryRun || bodyDryRun.length > 0;
  if (dryRun) original.dryRun = true;
  await stores.pods.admitSubresourceCreate('validate', review);
  const versionUnset = !original.preconditions?.resourceVersion;

  // A pod that disrupts nothing more is deleted without asking any budget.
  let pod!: P;
  let done = false;
  await retryConflicts(cfg, versionUnset, async () => {
    pod = (await stores.pods.get(namespace, name)) as P;
    if (!canIgnoreBudget(pod)) return;
    const opts = enforceVersion(pod) && versionUnset ? withVersion(original, pod.metadata?.resourceVersion) : original;
    await markAndDelete(stores.pods, namespace, name, opts, ctx, dryRun);
    done = true;
  });
  if (done) return;

  const pdbs = (await stores.pdbs.list(namespace, { matches: () => true })).items.map((x) => x.obj as PDB).filter((b) => budgetSelects(b, pod));
  if (pdbs.length > 1) throw new ApiError(500, '', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  let pinToVersion = false;
  const pdb = pdbs[0];
  if (pdb) {
    const st = pdb.status ?? {};
    // An unready pod counts for nothing: it may go when the policy says so, or while the budget is met.
    const unready = !isPodReady(pod);
    if (unready && (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow' || ((st.currentHealthy ?? 0) >= (st.desiredHealthy ?? 0) && (st.desiredHealthy ?? 0) > 0))) {
      pinToVersion = true;
    } else {
      let current = pdb;
      let refresh = false;
      await retryConflicts(cfg, true, async () => {
        if (refresh) current = (await stores.pdbs.get(namespace, pdb.metadata!.name!)) as PDB;
        refresh = true;
        await takeDisruption(stores.pdbs, current, name, dryRun, system);
      });
    }
  }
  const opts = pinToVersion ? withVersion(original, pod.metadata?.resourceVersion) : original;
  try {
    await markAndDelete(stores.pods, namespace, name, opts, ctx, dryRun);
  } catch (e) {
    // The pod changed since it was judged unready: let the client try again.
    if (conflict(e) && pinToVersion && versionUnset) throw stillProcessing(pdb!.metadata!.name!);
    throw e;
  }
}

/** checkAndDecrement: one disruption less in the budget's status, conditional on its resourceVersion. */
async function takeDisruption(pdbs: Store, pdb: PDB, podName: string, dryRun: boolean, system: RequestContext): Promise<void> {
  const name = pdb.metadata!.name!;
  const st = { ...(pdb.status ?? {}) };
  if ((st.observedGeneration ?? 0) < (pdb.metadata?.generation ?? 0)) throw stillProcessing(name);
  const allowed = st.disruptionsAllowed ?? 0;
  if (allowed < 0) throw pdbForbidden(name, 'pdb disruptions allowed is negative');
  if (Object.keys(st.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) throw pdbForbidden(name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  if (allowed === 0) throw tooManyRequests(`The disruption budget ${name} needs ${st.desiredHealthy ?? 0} healthy pods and has ${st.currentHealthy ?? 0} currently`, 0);
  const next: PDB = { ...pdb, status: { ...st, disruptionsAllowed: allowed - 1 } };
  if (allowed - 1 === 0) updateDisruptionAllowedCondition(next);
  if (dryRun) return;
  next.status!.disruptedPods = { ...(st.disruptedPods ?? {}), [podName]: rfc3339Now() };
  // (metadata.resourceVersion stays the one read: a budget changed since is a 409, and a retry)
  await pdbs.update(pdb.metadata!.namespace, name, next, system, 'status');
  log.debug('disruption taken', { pdb: `${pdb.metadata!.namespace}/${name}`, pod: podName, disruptionsAllowed: allowed - 1 });
}

/**
 * addConditionAndDeletePod: DisruptionTarget=True (EvictionByEvictionAPI) on the latest pod, checked
 * against the options' preconditions, then the deletion (its resourceVersion precondition moved to
 * the version that write made). Neither write goes through admission.
 */
async function markAndDelete(pods: Store, namespace: string, name: string, opts: DeleteOptions, request: RequestContext, dryRun: boolean): Promise<void> {
  // (both writes with rest.ValidateAllObjectFunc: the eviction was admitted, they are not)
  const ctx: RequestContext = { ...request, withoutAdmission: true };
  let options = opts;
  if (!dryRun) {
    const pre = opts.preconditions;
    const updated = await pods.guaranteedUpdate(namespace, name, ctx, 'status', (latest) => {
      if (pre?.uid && pre.uid !== latest.metadata?.uid) {
        throw errors.conflict('', 'Pod', name, `the UID in the precondition (${pre.uid}) does not match the UID in record (${latest.metadata?.uid}). The object might have been deleted and then recreated`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== latest.metadata?.resourceVersion) {
        throw errors.conflict('', 'Pod', name, `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${latest.metadata?.resourceVersion}). The object might have been modified`);
      }
      addDisruptionTarget(latest as P);
      return latest;
    });
    if (pre?.resourceVersion) options = withVersion(opts, updated.metadata?.resourceVersion);
  }
  await pods.delete(namespace, name, { ...options, dryRun: dryRun || undefined }, ctx);
}

/** podutil.UpdatePodCondition with DisruptionTarget=True: the transition time moves only with the status. */
function addDisruptionTarget(pod: P): void {
  const status = (pod.status ??= {});
  const conditions = (status.conditions ??= []);
  const want = { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' };
  const i = conditions.findIndex((c) => c.type === want.type);
  if (i < 0) conditions.push({ ...want, lastProbeTime: null as never, lastTransitionTime: rfc3339Now() });
  else {
    const old = conditions[i]!;
    conditions[i] = { ...old, ...want, lastTransitionTime: old.status === want.status ? old.lastTransitionTime : rfc3339Now() };
  }
}
