// PodDisruptionBudgets against a real apiserver+etcd, controller manager and scheduler, with a
// fake kubelet whose readiness the test holds back: the disruption controller's status
// (expected, desired and current healthy pods, disruptions allowed, the condition) for counts,
// percentages and maxUnavailable over Deployments and StatefulSets; evictions refused with 429
// while the budget is spent and allowed once a replacement pod is Ready; the budget's
// accounting (one status write with disruptionsAllowed one lower and the pod in disruptedPods)
// made before the pod's DisruptionTarget condition and deletion; concurrent evictions racing
// for one disruption; two budgets → 500; dry runs; unready and finished pods; a budget over a
// Job's pods fails safe (SyncFailed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { Deployments, Jobs, Nodes, PodDisruptionBudgets, Pods, StatefulSets, type WatchEvent } from '../../pkg/client/rest-client.js';
import { eventually, failure, node, type TestControlPlane } from '../helpers/control-plane.js';
import { deployment, finishPod, job, markReady, startWithScheduler, statefulSet } from '../helpers/workloads.js';

let cp: TestControlPlane;
let env: Awaited<ReturnType<typeof startWithScheduler>> | undefined;
let ready: (p: KubeObject) => boolean = () => true;

beforeAll(async () => {
  env = await startWithScheduler('rest', { nodeMonitorGracePeriodMs: 600_000 }, { ready: (p) => ready(p) });
  cp = env.cp;
  for (const n of ['n1', 'n2']) await cp.admin.create(Nodes, undefined, node(n));
}, 60_000);
afterAll(async () => {
  await env?.stop();
});

type Status = { currentHealthy?: number; desiredHealthy?: number; expectedPods?: number; disruptionsAllowed?: number; observedGeneration?: number; disruptedPods?: Record<string, string>; conditions?: { type: string; status: string; reason: string; message: string }[] };
const pdb = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec });
const statusOf = async (name: string) => ((await cp.admin.get(PodDisruptionBudgets, 'default', name)).status ?? {}) as Status;
const untilStatus = (name: string, want: Partial<Status>, timeoutMs = 30_000) =>
  eventually(
    async () => {
      const st = await statusOf(name);
      return Object.entries(want).every(([k, v]) => JSON.stringify(st[k as keyof Status]) === JSON.stringify(v)) ? st : undefined;
    },
    { timeoutMs, what: `${name} status ${JSON.stringify(want)}` },
  );
const podsOf = async (app: string) => (await cp.admin.list(Pods, 'default', { labelSelector: `app=${app}` })).items.filter((p) => !p.metadata?.deletionTimestamp);
const isReady = (p: KubeObject) => ((p.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
const evict = (name: string, extra: Record<string, unknown> = {}) => cp.admin.request(`/api/v1/namespaces/default/pods/${name}/eviction`, { method: 'POST', body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' }, ...extra } });
const readyPods = async (app: string, n: number) => eventually(async () => {
  const ps = (await podsOf(app)).filter(isReady);
  return ps.length === n ? ps : undefined;
}, { timeoutMs: 15_000, what: `${n} ready pods of ${app}` });

describe('disruption controller', () => {
  it('keeps the status of a count, a percentage and maxUnavailable over a Deployment', async () => {
    await cp.admin.create(Deployments, 'default', deployment('web', 3));
    await readyPods('web', 3);
    await cp.admin.create(PodDisruptionBudgets, 'default', pdb('web-min', { minAvailable: 2, selector: { matchLabels: { app: 'web' } } }));
    const st = await untilStatus('web-min', { currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1, observedGeneration: 1 });
    expect(st.conditions).toEqual([expect.objectContaining({ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods' })]);
    // a changed spec is a new generation; the controller observes it
    await cp.admin.patch(PodDisruptionBudgets, 'default', 'web-min', { spec: { minAvailable: '100%' } });
    const all = await untilStatus('web-min', { desiredHealthy: 3, disruptionsAllowed: 0, observedGeneration: 2 });
    expect(all.conditions).toEqual([expect.objectContaining({ status: 'False', reason: 'InsufficientPods', observedGeneration: 2 })]);
    await cp.admin.delete(PodDisruptionBudgets, 'default', 'web-min');
    // 34% of 3 unavailable rounds up to 2: 1 must stay
    await cp.admin.create(PodDisruptionBudgets, 'default', pdb('web-max', { maxUnavailable: '34%', selector: { matchLabels: { app: 'web' } } }));
    await untilStatus('web-max', { expectedPods: 3, desiredHealthy: 1, disruptionsAllowed: 2 });
    await cp.admin.delete(PodDisruptionBudgets, 'default', 'web-max');
  });

  it('counts a StatefulSet through its scale, and fails safe (SyncFailed) for pods of a controller without one', async () => {
    await cp.admin.create(StatefulSets, 'default', statefulSet('db', 2));
    await readyPods('db', 2);
    await cp.admin.create(PodDisruptionBudgets, 'default', pdb('db', { maxUnavailable: 1, selector: { matchLabels: { app: 'db' } } }));
    await untilStatus('db', { expectedPods: 2, desiredHealthy: 1, currentHealthy: 2, disruptionsAllowed: 1 });
    const j = job('batch', { parallelism: 1, completions: 1 });
    (j.spec as { template: { spec: { containers: { command: string[] }[] } } }).template.spec.containers[0]!.command = ['sleep', '3600'];
    await cp.admin.create(Jobs, 'default', j);
    await cp.admin.create(PodDisruptionBudgets, 'default', pdb('batch', { minAvailable: '50%', selector: { matchLabels: { 'batch.kubernetes.io/job-name': 'batch' } } }));
    const st = await eventually(async () => {
      const s = await statusOf('batch');
      return s.conditions?.some((c) => c.reason === 'SyncFailed') ? s : undefined;
    });
    expect(st.disruptionsAllowed).toBe(0);
    expect(st.conditions).toEqual([expect.objectContaining({ type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message: 'jobs.batch does not implement the scale subresource' })]);
    const reasons = async () => (await cp.admin.request<{ items: { reason?: string }[] }>('/api/v1/namespaces/default/events', { query: { fieldSelector: 'involvedObject.name=batch,involvedObject.kind=PodDisruptionBudget' } })).items.map((e) => e.reason);
    await eventually(async () => (await reasons()).includes('CalculateExpectedPodCountFailed'), { what: 'CalculateExpectedPodCountFailed event' });
    await cp.admin.delete(Jobs, 'default', 'batch', { propagationPolicy: 'Background' });
    await cp.admin.delete(PodDisruptionBudgets, 'default', 'batch');
  });
});

describe('eviction', () => {
  it('is refused with 429 while the budget allows nothing, and allowed once a replacement pod is Ready', async () => {
    await cp.admin.create(Deployments, 'default', deployment('api', 2));
    await readyPods('api', 2);
    await cp.admin.create(PodDisruptionBudgets, 'default', pdb('api', { minAvailable: 2, selector: { matchLabels: { app: 'api' } } }));
    await untilStatus('api', { currentHealthy: 2, desiredHealthy: 2, disruptionsAllowed: 0 });
    const [victim] = await podsOf('api');
    const refused = await failure(evict(victim!.metadata!.name!));
    expect(refused.code).toBe(429);
    expect(refused.status).toMatchObject({
      reason: 'TooManyRequests',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget api needs 2 healthy pods and has 2 currently' }] },
    });
    expect((await cp.admin.get(Pods, 'default', victim!.metadata!.name!)).metadata?.deletionTimestamp).toBeUndefined();
    // A third pod that is not Ready yet changes nothing...
    const before = new Set((await podsOf('api')).map((p) => p.metadata!.name));
    ready = (p) => before.has(p.metadata!.name!);
    await cp.admin.patch(Deployments, 'default', 'api', { spec: { replicas: 3 } });
    const extra = await eventually(async () => (await podsOf('api')).find((p) => !before.has(p.metadata!.name!)));
    await untilStatus('api', { currentHealthy: 2, disruptionsAllowed: 0 });
    expect((await failure(evict(victim!.metadata!.name!))).code).toBe(429);
    // ... until it is Ready: then one disruption is allowed and spent by the eviction.
    ready = () => true;
    await untilStatus('api', { currentHealthy: 3, disruptionsAllowed: 1 });
    expect(extra.metadata?.name).toBeDefined();
    const ok = await evict(victim!.metadata!.name!);
    expect(ok).toMatchObject({ kind: 'Status', status: 'Success', code: 201 });
    await eventually(async () => (await cp.admin.get(Pods, 'default', victim!.metadata!.name!).catch(() => undefined)) === undefined, { what: 'victim gone' });
    await cp.admin.delete(Deployments, 'default', 'api');
    await cp.admin.delete(PodDisruptionBudgets, 'default', 'api');
  });

  it('records the disruption in the budget (one write, first), then marks the pod DisruptionTarget and deletes it gracefully', async () => {
    ready = () => true;
    await cp.admin.create(Deployments, 'default', deployment('acct', 2));
    const [victim] = await readyPods('acct', 2);
    await cp.admin.create(PodDisruptionBudgets, 'default', pdb('acct', { minAvailable: 1, selector: { matchLabels: { app: 'acct' } } }));
    const budget = (await untilStatus('acct', { currentHealthy: 2, disruptionsAllowed: 1 })) && (await cp.admin.get(PodDisruptionBudgets, 'default', 'acct'));
    const name = victim!.metadata!.name!;
    // Hold the pod's deletion (the fake kubelet confirms deletes), and record every write from here on.
    const events: { kind: string; rv: number; obj: KubeObject }[] = [];
    const from = budget.metadata!.resourceVersion!;
    const pw = await cp.admin.watch(Pods, 'default', { resourceVersion: from, fieldSelector: `metadata.name=${name}` }, (e: WatchEvent) => events.push({ kind: 'pod', rv: Number(e.object.metadata?.resourceVersion), obj: e.object }));
    const bw = await cp.admin.watch(PodDisruptionBudgets, 'default', { resourceVersion: from, fieldSelector: 'metadata.name=acct' }, (e: WatchEvent) => events.push({ kind: 'pdb', rv: Number(e.object.metadata?.resourceVersion), obj: e.object }));
    try {
      await evict(name, { deleteOptions: { gracePeriodSeconds: 5 } });
      await eventually(() => events.some((e) => e.kind === 'pod' && e.obj.metadata?.deletionTimestamp), { what: 'pod deletion seen' });
    } finally {
      pw.stop();
      bw.stop();
    }
    events.sort((a, b) => a.rv - b.rv);
    const first = events[0]!;
    // The first write is the budget's, with both the decrement and the pod recorded.
    expect(first.kind).toBe('pdb');
    const st = first.obj.status as Status;
    expect(st.disruptionsAllowed).toBe(0);
    expect(Object.keys(st.disruptedPods ?? {})).toEqual([name]);
    expect(st.conditions).toEqual([expect.objectContaining({ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods' })]);
    // Then the pod: DisruptionTarget first, the graceful deletion after.
    const podWrites = events.filter((e) => e.kind === 'pod');
    const marked = podWrites.find((e) => ((e.obj.status as Status).conditions ?? []).some((c) => c.type === 'DisruptionTarget'))!;
    expect(((marked.obj.status as Status).conditions ?? []).find((c) => c.type === 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' });
    expect(marked.obj.metadata?.deletionTimestamp).toBeUndefined();
    const deleting = podWrites.find((e) => e.obj.metadata?.deletionTimestamp)!;
    expect(deleting.rv).toBeGreaterThan(marked.rv);
    expect(marked.rv).toBeGreaterThan(first.rv);
    expect(deleting.obj.metadata?.deletionGracePeriodSeconds).toBe(5);
    // The controller sees the pod being deleted and clears it from disruptedPods once it is gone from the count.
    await eventually(async () => {
      const s = await statusOf('acct');
      return !s.disruptedPods?.[name] ? s : undefined;
    });
    await cp.admin.delete(Deployments, 'default', 'acct');
    await cp.admin.delete(PodDisruptionBudgets, 'default', 'acct');
  });

  it('lets one of two concurrent evictions through a budget of one', async () => {
    await cp.admin.create(Deployments, 'default', deployment('race', 3));
    const pods = await readyPods('race', 3);
    await cp.admin.create(PodDisruptionBudgets, 'default', pdb('race', { minAvailable: 2, selector: { matchLabels: { app: 'race' } } }));
    await untilStatus('race', { currentHealthy: 3, disruptionsAllowed: 1 });
    // (the evicted pod's replacement stays unready: otherwise the loser's retry, 500 ms on, may
    // rightly find the budget met again and evict too)
    const before = new Set(pods.map((p) => p.metadata!.name!));
    ready = (p) => before.has(p.metadata!.name!);
    try {
      const results = await Promise.allSettled([evict(pods[0]!.metadata!.name!), evict(pods[1]!.metadata!.name!)]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason.code).toBe(429);
    } finally {
      ready = () => true;
    }
    await cp.admin.delete(Deployments, 'default', 'race');
    await cp.admin.delete(PodDisruptionBudgets, 'default', 'race');
  });

  it('refuses a pod two budgets select with 500, and dry runs change nothing', async () => {
    await cp.admin.create(Deployments, 'default', deployment('two', 2));
    const [p] = await readyPods('two', 2);
    await cp.admin.create(PodDisruptionBudgets, 'default', pdb('two-a', { maxUnavailable: 1, selector: { matchLabels: { app: 'two' } } }));
    await untilStatus('two-a', { disruptionsAllowed: 1 });
    const before = await cp.admin.get(PodDisruptionBudgets, 'default', 'two-a');
    const dry = await cp.admin.request(`/api/v1/namespaces/default/pods/${p!.metadata!.name}/eviction`, { method: 'POST', query: { dryRun: 'All' }, body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: p!.metadata!.name } } });
    expect(dry).toMatchObject({ status: 'Success' });
    expect((await cp.admin.get(PodDisruptionBudgets, 'default', 'two-a')).metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    const pod = await cp.admin.get(Pods, 'default', p!.metadata!.name!);
    expect(pod.metadata?.deletionTimestamp).toBeUndefined();
    expect(pod.metadata?.resourceVersion).toBe(p!.metadata?.resourceVersion);
    await cp.admin.create(PodDisruptionBudgets, 'default', pdb('two-b', { minAvailable: 1, selector: { matchLabels: { app: 'two' } } }));
    const e = await failure(evict(p!.metadata!.name!));
    expect(e.code).toBe(500);
    expect(e.status).toMatchObject({ status: 'Failure', message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.', code: 500 });
    expect(e.status?.reason).toBeUndefined();
    await cp.admin.delete(Deployments, 'default', 'two');
    for (const n of ['two-a', 'two-b']) await cp.admin.delete(PodDisruptionBudgets, 'default', n);
  });

  it('lets unready pods go while the budget holds (IfHealthyBudget) or always (AlwaysAllow)', async () => {
    await cp.admin.create(Deployments, 'default', deployment('sick', 3));
    const pods = await readyPods('sick', 3);
    await cp.admin.create(PodDisruptionBudgets, 'default', pdb('sick', { minAvailable: 2, selector: { matchLabels: { app: 'sick' } } }));
    await untilStatus('sick', { currentHealthy: 3, disruptionsAllowed: 1 });
    const flip = async (p: KubeObject) => {
      const cur = await cp.admin.get(Pods, 'default', p.metadata!.name!);
      const conditions = ((cur.status as Status).conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, status: 'False' } : c));
      await cp.admin.update(Pods, 'default', p.metadata!.name!, { ...cur, status: { ...(cur.status as object), conditions } }, 'status');
    };
    // Only the third pod may be (re)marked Ready from here on: replacements stay unready.
    ready = (p) => p.metadata?.name === pods[2]!.metadata!.name;
    // One pod turns unready: 2 healthy, 2 desired, no disruption allowed; but the unready pod may go, and costs nothing.
    await flip(pods[0]!);
    const held = await untilStatus('sick', { currentHealthy: 2, disruptionsAllowed: 0 });
    await evict(pods[0]!.metadata!.name!);
    expect((await statusOf('sick')).disruptedPods).toEqual(held.disruptedPods);
    // With too few healthy pods, IfHealthyBudget keeps an unready pod; AlwaysAllow lets it go.
    await flip(pods[1]!);
    await untilStatus('sick', { currentHealthy: 1, disruptionsAllowed: 0 });
    expect((await failure(evict(pods[1]!.metadata!.name!))).code).toBe(429);
    await cp.admin.patch(PodDisruptionBudgets, 'default', 'sick', { spec: { unhealthyPodEvictionPolicy: 'AlwaysAllow' } });
    await untilStatus('sick', { observedGeneration: 2 });
    expect(await evict(pods[1]!.metadata!.name!)).toMatchObject({ status: 'Success' });
    // A Ready pod is still guarded.
    expect((await failure(evict(pods[2]!.metadata!.name!))).code).toBe(429);
    ready = () => true;
    await cp.admin.delete(Deployments, 'default', 'sick');
    await cp.admin.delete(PodDisruptionBudgets, 'default', 'sick');
  });

  it('deletes a pod that has finished without asking its budget', async () => {
    const done = await cp.admin.create(Pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'done', labels: { app: 'done' } }, spec: { nodeName: 'n1', restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36' }] } });
    // (as the fake kubelet may have it first: Running and Ready, then ended)
    await markReady(cp.admin, await cp.admin.get(Pods, 'default', 'done')).catch(() => undefined);
    await finishPod(cp.admin, await cp.admin.get(Pods, 'default', 'done'), 'Succeeded');
    await cp.admin.create(PodDisruptionBudgets, 'default', pdb('done', { minAvailable: 1, selector: { matchLabels: { app: 'done' } } }));
    await untilStatus('done', { expectedPods: 1, currentHealthy: 0, disruptionsAllowed: 0 });
    expect(await evict('done')).toMatchObject({ status: 'Success' });
    expect((await failure(cp.admin.get(Pods, 'default', 'done'))).code).toBe(404);
    expect(done.metadata?.uid).toBeDefined();
    await cp.admin.delete(PodDisruptionBudgets, 'default', 'done');
  });
});
