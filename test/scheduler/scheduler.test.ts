// The scheduler against a real apiserver and etcd, nodes as API objects: each plugin's effect,
// kube-scheduler's FailedScheduling message, capacity accounting at 1000 pods on 50 nodes,
// requeue when capacity appears, and failover between two leader-elected schedulers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { Events, Nodes, Pods, PriorityClasses, type WatchEvent } from '../../pkg/client/rest-client.js';
import { Scheduler } from '../../pkg/scheduler/scheduler.js';
import { eventually, failure, node, pod, sleep, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
let sched: Scheduler;

const fastQueue = { initialBackoffMs: 100, maxBackoffMs: 500, unschedulableFlushMs: 60_000 };

beforeAll(async () => {
  cp = await startControlPlane();
  sched = new Scheduler(cp.admin, { leaderElect: false, queue: fastQueue });
  await sched.start();
});
afterAll(async () => {
  await sched?.stop();
  await cp?.stop();
});

async function createNode(name: string, o: { cpu?: string; memory?: string; pods?: string; labels?: Record<string, string>; taints?: unknown[]; unschedulable?: boolean; ready?: boolean } = {}) {
  const n = node(name, o) as { metadata: { labels: Record<string, string> }; spec: Record<string, unknown>; status: { conditions: { status: string }[] } };
  Object.assign(n.metadata.labels, o.labels ?? {});
  if (o.taints) n.spec.taints = o.taints;
  if (o.unschedulable) n.spec.unschedulable = true;
  // (a node not Ready carries the taint the node lifecycle controller gives it: that is what the scheduler sees)
  if (o.ready === false) {
    n.status.conditions[0]!.status = 'False';
    n.spec.taints = [...((n.spec.taints as unknown[]) ?? []), { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }];
  }
  await cp.admin.create(Nodes, undefined, n);
}

const nodeOf = async (name: string, ns = 'default') => ((await cp.admin.get(Pods, ns, name)).spec as { nodeName?: string }).nodeName;
const boundNode = (name: string, timeoutMs = 10_000) => eventually(() => nodeOf(name), { timeoutMs, what: `pod ${name} bound` });

function withSpec(name: string, spec: Record<string, unknown>, ns = 'default') {
  const p = pod(name) as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
  p.metadata.namespace = ns;
  Object.assign(p.spec, spec);
  return p;
}

async function clearNodes(): Promise<void> {
  for (const n of (await cp.admin.list(Nodes)).items) await cp.admin.delete(Nodes, undefined, n.metadata!.name!);
  for (const p of (await cp.admin.list(Pods, 'default')).items) await cp.admin.delete(Pods, 'default', p.metadata!.name!, { gracePeriodSeconds: 0 });
  await eventually(() => sched.nodes.size === 0);
}

describe('plugins', () => {
  it('binds a pod to a ready node and records a Scheduled event', async () => {
    await createNode('n1');
    await cp.admin.create(Pods, 'default', pod('basic'));
    expect(await boundNode('basic')).toBe('n1');
    const p = await cp.admin.get(Pods, 'default', 'basic');
    expect((p.status as { conditions: { type: string; status: string }[] }).conditions).toContainEqual(expect.objectContaining({ type: 'PodScheduled', status: 'True' }));
    await eventually(async () => (await cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=basic,reason=Scheduled' })).items.length === 1);
    await clearNodes();
  });

  it('NodeUnschedulable, NodeReady, NodeSelector, NodeAffinity and TaintToleration choose the only fitting node', async () => {
    await createNode('cordoned', { unschedulable: true });
    await createNode('notready', { ready: false });
    await createNode('gpu', { labels: { accel: 'gpu', zone: 'a' }, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    await createNode('plain-a', { labels: { zone: 'a' } });
    await createNode('plain-b', { labels: { zone: 'b' } });
    await cp.admin.create(Pods, 'default', withSpec('sel', { nodeSelector: { zone: 'b' } }));
    expect(await boundNode('sel')).toBe('plain-b');
    await cp.admin.create(Pods, 'default', withSpec('gpu-pod', { nodeSelector: { accel: 'gpu' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }));
    expect(await boundNode('gpu-pod')).toBe('gpu');
    // Readiness reaches the scheduler as a taint only: a pod that tolerates it may go there.
    await cp.admin.create(Pods, 'default', withSpec('tolerant', { nodeSelector: { 'kubernetes.io/hostname': 'notready' }, tolerations: [{ operator: 'Exists' }] }));
    expect(await boundNode('tolerant')).toBe('notready');
    await cp.admin.create(Pods, 'default', withSpec('aff', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } } }));
    expect(await boundNode('aff')).toBe('plain-a');
    for (let i = 0; i < 6; i++) {
      await cp.admin.create(Pods, 'default', withSpec(`pref-${i}`, { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] } }] } } }));
    }
    for (let i = 0; i < 6; i++) expect(await boundNode(`pref-${i}`)).toBe('plain-b');
    // Nothing else ever lands on the cordoned or not-ready node.
    const placed = (await cp.admin.list(Pods, 'default')).items.filter((p) => p.metadata?.name !== 'tolerant').map((p) => (p.spec as { nodeName?: string }).nodeName);
    expect(placed).not.toContain('cordoned');
    expect(placed).not.toContain('notready');
    await clearNodes();
  });

  it('NodePorts keeps two pods wanting one hostPort apart', async () => {
    await createNode('h1');
    await createNode('h2');
    const hp = (name: string) => withSpec(name, { containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 80, hostPort: 8080 }] }] });
    await cp.admin.create(Pods, 'default', hp('hp-1'));
    await cp.admin.create(Pods, 'default', hp('hp-2'));
    const a = await boundNode('hp-1');
    const b = await boundNode('hp-2');
    expect(new Set([a, b])).toEqual(new Set(['h1', 'h2']));
    await cp.admin.create(Pods, 'default', hp('hp-3'));
    await eventually(async () => {
      const p = await cp.admin.get(Pods, 'default', 'hp-3');
      const c = (p.status as { conditions?: { type: string; status: string; message?: string }[] }).conditions?.find((x) => x.type === 'PodScheduled');
      return c?.status === 'False' && c.message === "0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.";
    });
    // A pod pinned to a node by name (as a DaemonSet's) is filtered there only: the other
    // nodes are NodeAffinity's PreFilterResult's absent ones.
    const pinned = hp('hp-pinned');
    (pinned.spec as Record<string, unknown>).affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['h1'] }] }] } } };
    await cp.admin.create(Pods, 'default', pinned);
    await eventually(async () => {
      const p = await cp.admin.get(Pods, 'default', 'hp-pinned');
      const c = (p.status as { conditions?: { type: string; status: string; message?: string }[] }).conditions?.find((x) => x.type === 'PodScheduled');
      return c?.status === 'False' && c.message === "0/2 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, 1 node(s) didn't satisfy plugin(s) [NodeAffinity]. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.";
    }, { what: 'the pinned pod told why' });
    await clearNodes();
  });

  it('reports FailedScheduling in kube-scheduler\'s form and requeues when capacity appears', async () => {
    await createNode('gpu', { cpu: '8', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    await createNode('small-1', { cpu: '1' });
    await createNode('small-2', { cpu: '1' });
    await cp.admin.create(Pods, 'default', withSpec('big', { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '2' } } }] }));
    // (then why preemption cannot help, per node: the taint is not for it to undo; the small nodes hold no pod to remove)
    const msg = '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.';
    await eventually(async () => {
      const p = await cp.admin.get(Pods, 'default', 'big');
      const c = (p.status as { conditions?: { type: string; status: string; reason?: string; message?: string }[] }).conditions?.find((x) => x.type === 'PodScheduled');
      return c?.status === 'False' && c.reason === 'Unschedulable' && c.message === msg;
    });
    const evs = await eventually(async () => {
      const l = await cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=big,reason=FailedScheduling' });
      return l.items.length ? l.items : undefined;
    });
    expect((evs[0] as KubeObject & { message?: string; type?: string }).message).toBe(msg);
    expect((evs[0] as KubeObject & { type?: string }).type).toBe('Warning');
    // (the scheduler's own PodScheduled=False write is no reason to try again: one attempt, one
    // event, however many backoffs pass, until the cluster changes)
    await sleep(1000);
    expect((await cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=big,reason=FailedScheduling' })).items).toHaveLength(1);
    await createNode('big-node', { cpu: '4' });
    expect(await boundNode('big', 15_000)).toBe('big-node');
    await clearNodes();
  });

  it('sends a pod waiting for room back at once when a bound pod ends, which kube-scheduler sees as its deletion', async () => {
    await createNode('one', { cpu: '1' });
    const wants = (name: string) => withSpec(name, { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '800m' } } }] });
    await cp.admin.create(Pods, 'default', wants('runner'));
    expect(await boundNode('runner')).toBe('one');
    await cp.admin.create(Pods, 'default', wants('waiter'));
    await eventually(async () => (await cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=waiter,reason=FailedScheduling' })).items.length === 1);
    await sleep(500);
    // (the unschedulable flush is a minute away: only the ended pod can bring the waiter back this soon)
    await cp.admin.patch(Pods, 'default', 'runner', { status: { phase: 'Succeeded' } }, 'merge', 'status');
    expect(await boundNode('waiter', 5_000)).toBe('one');
    await clearNodes();
  });
});

describe('scheduling gates', () => {
  it('a gated pod is SchedulingGated and left alone (a binding is refused); gates can only be removed, and then it is scheduled', async () => {
    await createNode('g1');
    const created = await cp.admin.create<KubeObject>(Pods, 'default', withSpec('gated', { schedulingGates: [{ name: 'example.com/quota' }, { name: 'example.com/data' }] }));
    type Cond = { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: unknown };
    expect((created.status as { conditions: Cond[] }).conditions).toEqual([{ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: null, reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' }]);
    const t = await cp.admin.request<{ rows: { cells: unknown[] }[] }>('/api/v1/namespaces/default/pods/gated', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(t.rows[0]!.cells[2]).toBe('SchedulingGated');
    const bind = await failure(cp.admin.createSubresource(Pods, 'default', 'gated', 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'gated' }, target: { apiVersion: 'v1', kind: 'Node', name: 'g1' } }));
    expect([bind.code, bind.message]).toEqual([409, 'Operation cannot be fulfilled on pods "gated": pod gated has non-empty .spec.schedulingGates']);
    const added = await failure(cp.admin.patch(Pods, 'default', 'gated', { spec: { schedulingGates: [{ name: 'example.com/quota' }, { name: 'example.com/data' }, { name: 'example.com/more' }] } }, 'merge'));
    expect(added.message).toContain(`spec.schedulingGates[2].name: Forbidden: only deletion is allowed, but found new scheduling gate 'example.com/more'`);
    const pinned = await failure(cp.admin.create(Pods, 'default', withSpec('pinned', { nodeName: 'g1', schedulingGates: [{ name: 'x' }] })));
    expect(pinned.message).toContain('spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared');
    await cp.admin.patch(Pods, 'default', 'gated', { spec: { schedulingGates: [{ name: 'example.com/data' }] } }, 'merge');
    await sleep(500);
    expect(await nodeOf('gated')).toBeUndefined();
    await cp.admin.patch(Pods, 'default', 'gated', { spec: { schedulingGates: null } }, 'merge');
    expect(await boundNode('gated')).toBe('g1');
    const conds = ((await cp.admin.get(Pods, 'default', 'gated')).status as { conditions: Cond[] }).conditions;
    expect(conds.filter((c) => c.type === 'PodScheduled')).toEqual([expect.objectContaining({ status: 'True' })]);
    await clearNodes();
  });
});

describe('preemption', () => {
  const cpuPod = (name: string, cpu: string, priorityClassName?: string) =>
    withSpec(name, { ...(priorityClassName ? { priorityClassName } : {}), containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu } } }] });
  type Conditions = { conditions?: { type: string; status: string; reason?: string }[]; nominatedNodeName?: string };

  it('deletes the fewest lower-priority pods on the best node, nominates the pod there, and binds it once they are gone', async () => {
    await cp.admin.create(PriorityClasses, undefined, { metadata: { name: 'urgent' }, value: 1000 });
    await cp.admin.create(PriorityClasses, undefined, { metadata: { name: 'polite' }, value: 1000, preemptionPolicy: 'Never' });
    await cp.admin.create(PriorityClasses, undefined, { metadata: { name: 'mid' }, value: 10 });
    await createNode('p1', { cpu: '1' });
    await createNode('p2', { cpu: '1' });
    // One node gets a 900m pod, the other two 400m pods (created one by one, so spreading places them so).
    const placed: Record<string, string> = {};
    for (const [name, cpu, pc] of [['fill-c', '900m', 'mid'], ['fill-a', '400m', undefined], ['fill-b', '400m', undefined]] as const) {
      await cp.admin.create(Pods, 'default', cpuPod(name, cpu, pc));
      placed[name] = (await boundNode(name))!;
    }
    expect(placed['fill-a']).toBe(placed['fill-b']);
    const twoPodNode = placed['fill-a']!;

    // A pod that may not preempt stays Pending and deletes nothing.
    await cp.admin.create(Pods, 'default', cpuPod('meek', '500m', 'polite'));
    await eventually(async () => ((await cp.admin.get(Pods, 'default', 'meek')).status as Conditions).conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False'));
    await cp.admin.delete(Pods, 'default', 'meek', { gracePeriodSeconds: 0 });

    // Each node needs one victim; the two-pod node's are of lower priority (0 against fill-c's 10),
    // so one of them goes.
    await cp.admin.create(Pods, 'default', cpuPod('vip', '500m', 'urgent'));
    const victims = await eventually(async () => {
      const pods = (await cp.admin.list(Pods, 'default')).items.filter((p) => p.metadata?.deletionTimestamp);
      return pods.length ? pods : undefined;
    });
    expect(victims).toHaveLength(1);
    const victim = victims[0]!;
    expect(['fill-a', 'fill-b']).toContain(victim.metadata?.name);
    expect(((victim.status as Conditions).conditions ?? []).find((c) => c.type === 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'PreemptionByScheduler' });
    const vip = await eventually(async () => {
      const p = await cp.admin.get(Pods, 'default', 'vip');
      return (p.status as Conditions).nominatedNodeName ? p : undefined;
    });
    expect((vip.status as Conditions).nominatedNodeName).toBe(twoPodNode);
    await eventually(async () => (await cp.admin.list(Events, 'default', { fieldSelector: `involvedObject.name=${victim.metadata!.name},reason=Preempted` })).items.length === 1);
    // A 150m pod fits the 200m left on that node only if vip's nominated 500m is ignored: it must wait.
    await cp.admin.create(Pods, 'default', cpuPod('sneaky', '150m'));
    await sleep(1500);
    expect(await nodeOf('sneaky')).toBeUndefined();
    // The node's agent confirms the deletion (none runs here): vip binds to the nominated node.
    await cp.admin.delete(Pods, 'default', victim.metadata!.name!, { gracePeriodSeconds: 0 });
    expect(await boundNode('vip')).toBe(twoPodNode);
    await sleep(500);
    expect(await nodeOf('sneaky')).toBeUndefined();
    await clearNodes();
    for (const name of ['urgent', 'polite', 'mid']) await cp.admin.delete(PriorityClasses, undefined, name);
  });
});

describe('capacity accounting', () => {
  it('binds 1000 pods onto 50 nodes without over-committing any', async () => {
    for (let i = 0; i < 50; i += 10) await Promise.all(Array.from({ length: 10 }, (_, j) => createNode(`cap-${i + j}`, { cpu: '2', memory: '4Gi', pods: '30' })));
    await eventually(() => sched.nodes.size === 50);
    const specOf = () => ({ containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m', memory: '128Mi' } } }] });
    for (let i = 0; i < 1000; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => cp.admin.create(Pods, 'default', withSpec(`cap-pod-${i + j}`, specOf()))));
    const pods = await eventually(async () => {
      const l = await cp.admin.list(Pods, 'default', { fieldSelector: 'spec.nodeName!=' });
      return l.items.length === 1000 ? l.items : undefined;
    }, { timeoutMs: 60_000, what: '1000 pods bound' });
    const perNode = new Map<string, { cpu: number; mem: number; n: number }>();
    for (const p of pods) {
      const n = (p.spec as { nodeName: string }).nodeName;
      const e = perNode.get(n) ?? { cpu: 0, mem: 0, n: 0 };
      e.cpu += 100;
      e.mem += 128;
      e.n++;
      perNode.set(n, e);
    }
    for (const [, e] of perNode) {
      expect(e.cpu).toBeLessThanOrEqual(2000);
      expect(e.mem).toBeLessThanOrEqual(4096);
      expect(e.n).toBeLessThanOrEqual(30);
    }
    // Exactly full: 50 nodes x 20 pods of 100m.
    expect([...perNode.values()].every((e) => e.n === 20)).toBe(true);
    await cp.admin.create(Pods, 'default', withSpec('one-too-many', specOf()));
    await eventually(async () => {
      const c = ((await cp.admin.get(Pods, 'default', 'one-too-many')).status as { conditions?: { type: string; message?: string }[] }).conditions?.find((x) => x.type === 'PodScheduled');
      return c?.message === '0/50 nodes are available: 50 Insufficient cpu. preemption: 0/50 nodes are available: 50 No preemption victims found for incoming pod.';
    });
    await cp.admin.request(cp.admin.path(Pods, 'default'), { method: 'DELETE', body: { gracePeriodSeconds: 0 } });
    await clearNodes();
  }, 120_000);
});

describe('leader election', () => {
  it('only the leader binds; when it dies the standby takes over with no pod bound twice or lost', async () => {
    await sched.stop();
    await createNode('le-1', { cpu: '64', pods: '500' });
    await createNode('le-2', { cpu: '64', pods: '500' });
    const opts = { leaderElect: true, leaseDurationSec: 3, renewDeadlineSec: 2, retryPeriodSec: 0.5, queue: fastQueue };
    const a = new Scheduler(cp.admin, { ...opts, identity: 'sched-a' });
    await a.start();
    await eventually(() => a.isLeader);
    const b = new Scheduler(cp.admin, { ...opts, identity: 'sched-b' });
    await b.start();
    const binds = new Map<string, string[]>();
    const rv = (await cp.admin.list(Pods, 'default')).metadata.resourceVersion;
    const w = await cp.admin.watch(Pods, 'default', { resourceVersion: rv, labelSelector: 'le=yes' }, (e: WatchEvent) => {
      const n = (e.object.spec as { nodeName?: string }).nodeName;
      const name = e.object.metadata!.name!;
      if (!n) return;
      const seen = binds.get(name) ?? [];
      if (seen.at(-1) !== n) seen.push(n);
      binds.set(name, seen);
    });
    try {
      const mk = async (i: number) => cp.admin.create(Pods, 'default', { ...withSpec(`le-${i}`, {}), metadata: { name: `le-${i}`, labels: { le: 'yes' } } });
      for (let i = 0; i < 20; i++) await mk(i);
      await eventually(() => binds.size === 20);
      expect(b.isLeader).toBe(false);
      // Kill the leader: it stops without releasing its lease, as a crash would.
      const killedAt = Date.now();
      await a.stop(false);
      for (let i = 20; i < 40; i++) await mk(i);
      await eventually(() => binds.size === 40, { timeoutMs: 20_000, what: 'the standby binds the rest' });
      expect(b.isLeader).toBe(true);
      expect(Date.now() - killedAt).toBeLessThan(20_000);
      for (const [name, nodes] of binds) expect(nodes, name).toHaveLength(1);
    } finally {
      w.stop();
      await a.stop(false);
      await b.stop();
    }
  }, 60_000);
});
