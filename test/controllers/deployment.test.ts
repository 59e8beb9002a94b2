// The Deployment controller (with the ReplicaSet controller) against a real apiserver+etcd:
// a ReplicaSet per template with the pod-template-hash label, a rolling update that stays
// within maxSurge and maxUnavailable, revisions and rollback, history cleanup, Recreate, pause,
// and the progress deadline. A fake kubelet marks pods Ready through the status subresource.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { Deployments, Events, Namespaces, Pods, ReplicaSets, ResourceQuotas } from '../../pkg/client/rest-client.js';
import { eventually, sleep, type TestControlPlane } from '../helpers/control-plane.js';
import { deployment, readyAll, startWithControllers } from '../helpers/workloads.js';

let cp: TestControlPlane;
let env: Awaited<ReturnType<typeof startWithControllers>> | undefined;

beforeAll(async () => {
  env = await startWithControllers();
  cp = env.cp;
});
afterAll(async () => {
  await env?.stop();
});

type Cond = { type: string; status: string; reason: string };
const rsOf = async (app: string) => (await cp.admin.list(ReplicaSets, 'default', { labelSelector: `app=${app}` })).items;
const activePods = async (app: string) => (await cp.admin.list(Pods, 'default', { labelSelector: `app=${app}` })).items.filter((p) => !p.metadata?.deletionTimestamp);
const spec = (o: KubeObject) => o.spec as Record<string, any>;
const revision = (o: KubeObject) => o.metadata?.annotations?.['deployment.kubernetes.io/revision'];

/** Plays kubelet until the Deployment reports its rollout complete (as kubectl rollout status decides). */
async function rolloutComplete(name: string, timeoutMs = 15_000): Promise<KubeObject> {
  return eventually(
    async () => {
      await readyAll(cp.admin, `app=${name}`);
      const d = await cp.admin.get(Deployments, 'default', name);
      const s = d.status as Record<string, any>;
      const want = spec(d).replicas;
      const progressing = (s.conditions as Cond[] | undefined)?.find((c) => c.type === 'Progressing');
      const done = s.observedGeneration >= d.metadata!.generation! && s.updatedReplicas === want && s.replicas === want && s.availableReplicas === want && progressing?.reason === 'NewReplicaSetAvailable';
      return done ? d : undefined;
    },
    { timeoutMs, intervalMs: 100, what: `rollout of ${name}` },
  );
}

describe('Deployment controller', () => {
  it('creates <deployment>-<hash> with the pod-template-hash label on it and its pods, revision 1, and reports Available', async () => {
    const created = await cp.admin.create(Deployments, 'default', deployment('web', 2));
    const d = await rolloutComplete('web');
    const [rs] = await rsOf('web');
    const hash = rs!.metadata!.labels!['pod-template-hash']!;
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs!.metadata?.name).toBe(`web-${hash}`);
    expect(spec(rs!).selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'web', uid: created.metadata?.uid, controller: true, blockOwnerDeletion: true });
    expect(revision(rs!)).toBe('1');
    expect(revision(d)).toBe('1');
    // The revision is written through the status subresource (UpdateStatus): the Deployment's
    // first generation stays its only one.
    expect([d.metadata?.generation, (d.status as { observedGeneration: number }).observedGeneration]).toEqual([1, 1]);
    const pods = await activePods('web');
    expect(pods).toHaveLength(2);
    for (const p of pods) expect(p.metadata?.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    const conds = (d.status as { conditions: Cond[] }).conditions;
    expect(conds.find((c) => c.type === 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(conds.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    expect(d.status).toMatchObject({ replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 });
  });

  it('rolls a new template out within maxSurge 1 / maxUnavailable 0, then rolls back to revision 1 as revision 3', async () => {
    await cp.admin.create(Deployments, 'default', deployment('roll', 3, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }));
    const first = await rolloutComplete('roll');
    const oldTemplate = spec(first).template;
    await cp.admin.patch(Deployments, 'default', 'roll', { spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox:1.37' }] } } } }, 'strategic');
    // Step the rollout one pod at a time, checking the bounds at every step.
    let maxTotal = 0;
    let minAvailable = Infinity;
    await eventually(
      async () => {
        const sets = await rsOf('roll');
        const total = sets.reduce((n, rs) => n + spec(rs).replicas, 0);
        const available = sets.reduce((n, rs) => n + ((rs.status as { availableReplicas?: number }).availableReplicas ?? 0), 0);
        maxTotal = Math.max(maxTotal, total);
        if (sets.length === 2) minAvailable = Math.min(minAvailable, available);
        await readyAll(cp.admin, 'app=roll');
        const d = await cp.admin.get(Deployments, 'default', 'roll');
        const s = d.status as Record<string, any>;
        return sets.length === 2 && s.updatedReplicas === 3 && s.availableReplicas === 3 && s.replicas === 3 && s.observedGeneration === d.metadata?.generation;
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    expect(maxTotal).toBeLessThanOrEqual(4);
    expect(minAvailable).toBeGreaterThanOrEqual(3);
    const sets = await rsOf('roll');
    const byRev = Object.fromEntries(sets.map((rs) => [revision(rs), rs]));
    expect(spec(byRev['1']!).replicas).toBe(0);
    expect(spec(byRev['2']!).replicas).toBe(3);
    expect(spec(byRev['2']!).template.spec.containers[0].image).toBe('busybox:1.37');
    // Rollback as kubectl rollout undo does it: the old template patched back.
    await cp.admin.patch(Deployments, 'default', 'roll', [{ op: 'replace', path: '/spec/template', value: oldTemplate }], 'json');
    const back = await rolloutComplete('roll', 20_000);
    expect(revision(back)).toBe('3');
    // One generation per template change (1, the new image, the rollback), none per revision.
    expect(back.metadata?.generation).toBe(3);
    const after = await rsOf('roll');
    expect(after).toHaveLength(2);
    const reused = after.find((rs) => rs.metadata?.uid === byRev['1']!.metadata?.uid)!;
    expect(revision(reused)).toBe('3');
    expect(reused.metadata?.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1');
    expect(spec(reused).replicas).toBe(3);
  });

  it('keeps revisionHistoryLimit old ReplicaSets', async () => {
    await cp.admin.create(Deployments, 'default', deployment('hist', 1, { revisionHistoryLimit: 1 }));
    await rolloutComplete('hist');
    for (const tag of ['1.35', '1.34']) {
      await cp.admin.patch(Deployments, 'default', 'hist', { spec: { template: { spec: { containers: [{ name: 'main', image: `busybox:${tag}` }] } } } }, 'strategic');
      await rolloutComplete('hist');
    }
    const sets = await eventually(async () => {
      const s = await rsOf('hist');
      return s.length === 2 ? s : undefined;
    });
    expect(sets.map(revision).sort()).toEqual(['2', '3']);
  });

  it('Recreate scales the old ReplicaSet to zero, and waits for its pods to go, before creating the new one', async () => {
    await cp.admin.create(Deployments, 'default', deployment('recreate', 2, { strategy: { type: 'Recreate' } }));
    await rolloutComplete('recreate');
    await cp.admin.patch(Deployments, 'default', 'recreate', { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z' } } } } }, 'strategic');
    const seen: { total: number; sets: number; oldPods: number }[] = [];
    await eventually(
      async () => {
        const sets = await rsOf('recreate');
        const pods = await activePods('recreate');
        const hashes = new Set(pods.map((p) => p.metadata!.labels!['pod-template-hash']));
        seen.push({ total: pods.length, sets: sets.length, oldPods: hashes.size });
        await readyAll(cp.admin, 'app=recreate');
        const d = await cp.admin.get(Deployments, 'default', 'recreate');
        return (d.status as { updatedReplicas?: number; availableReplicas?: number }).availableReplicas === 2 && (d.status as { updatedReplicas?: number }).updatedReplicas === 2 && sets.length === 2;
      },
      { timeoutMs: 15_000, intervalMs: 30 },
    );
    // Never pods of two templates at once.
    expect(seen.every((s) => s.oldPods <= 1)).toBe(true);
  });

  it('a paused Deployment scales but does not roll out; the progress deadline marks a stuck rollout', async () => {
    await cp.admin.create(Deployments, 'default', deployment('paused', 1, { paused: true }));
    await sleep(500);
    expect(await rsOf('paused')).toHaveLength(0);
    const d = await eventually(async () => {
      const got = await cp.admin.get(Deployments, 'default', 'paused');
      return (got.status as { conditions?: Cond[] }).conditions?.some((c) => c.reason === 'DeploymentPaused') ? got : undefined;
    });
    expect(d).toBeDefined();
    await cp.admin.patch(Deployments, 'default', 'paused', { spec: { paused: false, progressDeadlineSeconds: 1 } });
    // Nobody marks these pods ready: after a second without progress the rollout has failed.
    const stuck = await eventually(
      async () => {
        const got = await cp.admin.get(Deployments, 'default', 'paused');
        return (got.status as { conditions?: Cond[] }).conditions?.find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
      },
      { timeoutMs: 10_000 },
    );
    expect(stuck).toMatchObject({ status: 'False' });
    expect(await activePods('paused')).toHaveLength(1);
  });

  it('scaling mid-rollout scales the ReplicaSets proportionally', async () => {
    await cp.admin.create(Deployments, 'default', deployment('prop', 4, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: 0 } } }));
    await rolloutComplete('prop');
    await cp.admin.patch(Deployments, 'default', 'prop', { spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox:1.37' }] } } } }, 'strategic');
    // New pods are never ready, so the rollout stays half way: old 4, new 2.
    await eventually(async () => {
      const sets = await rsOf('prop');
      return sets.length === 2 && sets.reduce((n, rs) => n + spec(rs).replicas, 0) === 6;
    });
    await cp.admin.patch(Deployments, 'default', 'prop', { spec: { replicas: 8 } }, 'merge', 'scale');
    const sets = await eventually(async () => {
      const s = await rsOf('prop');
      return s.reduce((n, rs) => n + spec(rs).replicas, 0) === 10 ? s : undefined;
    });
    expect(sets.map((rs) => spec(rs).replicas).sort()).toEqual([3, 7]);
  });

  it("carries its ReplicaSet's ReplicaFailure while a quota refuses pods, and drops it once they fit", async () => {
    await cp.admin.create(Namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'deploy-quota' } });
    await cp.admin.create(ResourceQuotas, 'deploy-quota', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'pods' }, spec: { hard: { pods: '1' } } });
    await cp.admin.create(Deployments, 'deploy-quota', deployment('capped', 2));
    const failureOf = async () => ((await cp.admin.get(Deployments, 'deploy-quota', 'capped')).status as { conditions?: Cond[] }).conditions?.find((c) => c.type === 'ReplicaFailure');
    const failing = await eventually(failureOf, { timeoutMs: 15_000, what: 'ReplicaFailure on the Deployment' });
    expect(failing).toMatchObject({ status: 'True', reason: 'FailedCreate' });
    await cp.admin.patch(ResourceQuotas, 'deploy-quota', 'pods', { spec: { hard: { pods: '10' } } });
    await eventually(async () => (await failureOf()) === undefined, { timeoutMs: 20_000, what: 'ReplicaFailure cleared' });
  });

  it('says a ReplicaSet the quota refuses with Progressing False ReplicaSetCreateError and a Warning event, until it fits', async () => {
    await cp.admin.create(Namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'deploy-rsquota' } });
    await cp.admin.create(ResourceQuotas, 'deploy-rsquota', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'sets' }, spec: { hard: { 'count/replicasets.apps': '0' } } });
    await cp.admin.create(Deployments, 'deploy-rsquota', deployment('refused', 1));
    const progressingOf = async () => ((await cp.admin.get(Deployments, 'deploy-rsquota', 'refused')).status as { conditions?: (Cond & { message: string })[] }).conditions?.find((c) => c.type === 'Progressing');
    const failed = await eventually(async () => ((await progressingOf())?.reason === 'ReplicaSetCreateError' ? progressingOf() : undefined), { timeoutMs: 15_000, what: 'ReplicaSetCreateError' });
    expect(failed).toMatchObject({ status: 'False' });
    expect(failed!.message).toMatch(/^Failed to create new replica set "refused-[a-z0-9]+": replicasets\.apps "refused-[a-z0-9]+" is forbidden: exceeded quota: sets, requested: count\/replicasets\.apps=1, used: count\/replicasets\.apps=0, limited: count\/replicasets\.apps=0$/);
    const events = await eventually(async () => {
      const evs = (await cp.admin.list(Events, 'deploy-rsquota', { fieldSelector: 'involvedObject.name=refused,reason=ReplicaSetCreateError' })).items;
      return evs.length ? evs : undefined;
    });
    expect(events[0]).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Deployment', name: 'refused' }, message: failed!.message });
    await cp.admin.patch(ResourceQuotas, 'deploy-rsquota', 'sets', { spec: { hard: { 'count/replicasets.apps': '5' } } });
    const created = await eventually(async () => ((await progressingOf())?.status === 'True' ? progressingOf() : undefined), { timeoutMs: 30_000, what: 'the ReplicaSet created' });
    expect(['NewReplicaSetCreated', 'ReplicaSetUpdated', 'NewReplicaSetAvailable']).toContain(created!.reason);
  });
});
