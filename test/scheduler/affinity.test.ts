// Inter-pod affinity and topology spread against a real apiserver and etcd, nodes as API objects:
// a Deployment-like set with required anti-affinity on kubernetes.io/hostname goes one per node
// and the extra replica stays Pending with kube-scheduler's FailedScheduling message; a set with
// affinity to itself follows its first replica; maxSkew 1 over two zones of unequal size; a
// namespaceSelector read from Namespace labels; matchLabelKeys; the system default spreading of a
// Service's pods.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Events, Namespaces, Nodes, Pods, ReplicationControllers, Services } from '../../pkg/client/rest-client.js';
import type { ClusterLister } from '../../pkg/scheduler/cluster-lister.js';
import { Scheduler } from '../../pkg/scheduler/scheduler.js';
import { eventually, node, pod, sleep, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
let sched: Scheduler;

beforeAll(async () => {
  cp = await startControlPlane();
  sched = new Scheduler(cp.admin, { leaderElect: false, queue: { initialBackoffMs: 100, maxBackoffMs: 500, unschedulableFlushMs: 60_000 } });
  await sched.start();
});
afterAll(async () => {
  await sched?.stop();
  await cp?.stop();
});

const zone = 'topology.kubernetes.io/zone';
const host = 'kubernetes.io/hostname';

async function createNodes(spec: Record<string, Record<string, string>>): Promise<void> {
  for (const [name, labels] of Object.entries(spec)) {
    const n = node(name) as { metadata: { labels: Record<string, string> } };
    Object.assign(n.metadata.labels, labels);
    await cp.admin.create(Nodes, undefined, n);
  }
  await eventually(() => sched.nodes.size === Object.keys(spec).length, { what: 'scheduler sees the nodes' });
}

// Each test leaves no pods or nodes behind, passed or failed.
afterEach(async () => {
  await clear(['default', 'team-a']);
});

async function clear(namespaces: string[]): Promise<void> {
  for (const ns of namespaces) for (const p of (await cp.admin.list(Pods, ns)).items) await cp.admin.delete(Pods, ns, p.metadata!.name!, { gracePeriodSeconds: 0 });
  for (const n of (await cp.admin.list(Nodes)).items) await cp.admin.delete(Nodes, undefined, n.metadata!.name!);
  await cp.admin.delete(Services, 'default', 'spread-svc').catch(() => undefined);
  await eventually(() => sched.nodes.size === 0, { what: 'scheduler forgets the nodes' });
}

function replica(name: string, labels: Record<string, string>, spec: Record<string, unknown>, namespace = 'default') {
  const p = pod(name) as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
  p.metadata.labels = labels;
  p.metadata.namespace = namespace;
  Object.assign(p.spec, spec);
  return p;
}

const nodeOf = async (name: string, ns = 'default') => ((await cp.admin.get(Pods, ns, name)).spec as { nodeName?: string }).nodeName;
const placements = async (names: string[], ns = 'default') => Promise.all(names.map((n) => eventually(() => nodeOf(n, ns), { timeoutMs: 10_000, what: `pod ${n} bound` })));
const scheduledCondition = async (name: string) => ((await cp.admin.get(Pods, 'default', name)).status as { conditions?: { type: string; status: string; message?: string }[] }).conditions?.find((c) => c.type === 'PodScheduled');

describe('InterPodAffinity', () => {
  it('required anti-affinity on hostname puts one replica per node; the extra one is Pending with the reason', async () => {
    await createNodes({ n1: {}, n2: {}, n3: {} });
    const anti = { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: host }] } } };
    const names = ['web-0', 'web-1', 'web-2', 'web-3'];
    await Promise.all(names.map((n) => cp.admin.create(Pods, 'default', replica(n, { app: 'web' }, anti))));
    // (preemption cannot help: the pods in the way are of the same priority)
    const message = "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.";
    // Three land, on three different nodes; the fourth is refused everywhere.
    const pending = await eventually(async () => {
      const cond = await Promise.all(names.map(scheduledCondition));
      const i = cond.findIndex((c) => c?.status === 'False' && c.message === message);
      return i >= 0 ? names[i] : undefined;
    }, { timeoutMs: 10_000, what: 'a replica reported unschedulable' });
    const bound = names.filter((n) => n !== pending);
    expect(new Set(await placements(bound))).toEqual(new Set(['n1', 'n2', 'n3']));
    expect(await nodeOf(pending!)).toBeUndefined();
    await eventually(async () => (await cp.admin.list(Events, 'default', { fieldSelector: `involvedObject.name=${pending},reason=FailedScheduling` })).items.some((e) => (e as { message?: string }).message === message), { what: 'FailedScheduling event' });
    // A pod the rule does not cover still fits anywhere.
    await cp.admin.create(Pods, 'default', replica('db', { app: 'db' }, {}));
    expect(['n1', 'n2', 'n3']).toContain((await placements(['db']))[0]);
    // One replica gone: the Pending one takes its node.
    const freed = await nodeOf(bound[0]!);
    await cp.admin.delete(Pods, 'default', bound[0]!, { gracePeriodSeconds: 0 });
    expect((await placements([pending!]))[0]).toBe(freed);
  });

  it("an existing pod's required anti-affinity keeps matching pods out of its node (the symmetric rule)", async () => {
    await createNodes({ s1: {}, s2: {} });
    const guard = replica('guard', { app: 'guard' }, { nodeName: undefined, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'noisy' } }, topologyKey: host }] } } });
    await cp.admin.create(Pods, 'default', guard);
    const [guardNode] = await placements(['guard']);
    await Promise.all([0, 1, 2].map((i) => cp.admin.create(Pods, 'default', replica(`noisy-${i}`, { app: 'noisy' }, {}))));
    const nodes = await placements(['noisy-0', 'noisy-1', 'noisy-2']);
    expect(nodes.every((n) => n !== guardNode)).toBe(true);
  });

  it('a set with required affinity to itself follows its first replica into one zone', async () => {
    await createNodes({ a1: { [zone]: 'a' }, a2: { [zone]: 'a' }, b1: { [zone]: 'b' }, b2: { [zone]: 'b' } });
    // (a cpu request each, so that within the zone LeastAllocated prefers the emptier node rather than a coin toss)
    const aff = {
      affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: zone }] } },
      containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'], resources: { requests: { cpu: '100m' } } }],
    };
    await cp.admin.create(Pods, 'default', replica('cache-0', { app: 'cache' }, aff));
    const [first] = await placements(['cache-0']);
    const firstZone = first!.slice(0, 1);
    await Promise.all([1, 2, 3, 4, 5].map((i) => cp.admin.create(Pods, 'default', replica(`cache-${i}`, { app: 'cache' }, aff))));
    const rest = await placements([1, 2, 3, 4, 5].map((i) => `cache-${i}`));
    expect(rest.map((n) => n!.slice(0, 1))).toEqual(Array(5).fill(firstZone));
    // Both nodes of that zone are used (spread by resources within it).
    expect(new Set([first, ...rest]).size).toBe(2);
  });

  it('a pod waiting for required affinity is tried again at once when a bound pod is relabelled to match (AssignedPodUpdated)', async () => {
    await createNodes({ r1: {} });
    await cp.admin.create(Pods, 'default', replica('db', { app: 'staging' }, {}));
    await placements(['db']);
    const aff = { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'db' } }, topologyKey: host }] } } };
    await cp.admin.create(Pods, 'default', replica('client', { app: 'client' }, aff));
    await eventually(async () => (await scheduledCondition('client'))?.status === 'False', { what: 'client Unschedulable' });
    await sleep(500);
    // (the unschedulable flush is a minute away: only the relabelling can bring it back this soon)
    await cp.admin.patch(Pods, 'default', 'db', { metadata: { labels: { app: 'db' } } }, 'merge');
    expect(await eventually(() => nodeOf('client'), { timeoutMs: 5_000, what: 'client bound' })).toBe('r1');
  });

  it('namespaceSelector reads the labels of Namespace objects', async () => {
    await createNodes({ m1: {}, m2: {} });
    await cp.admin.create(Namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', labels: { team: 'a' } } });
    await cp.admin.create(Pods, 'team-a', replica('api', { app: 'api' }, {}, 'team-a'));
    const [apiNode] = await placements(['api'], 'team-a');
    // Required affinity to app=api in namespaces labelled team=a: only the node of team-a's api pod.
    const aff = { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'api' } }, namespaceSelector: { matchLabels: { team: 'a' } }, topologyKey: host }] } } };
    await Promise.all([0, 1, 2].map((i) => cp.admin.create(Pods, 'default', replica(`sidecar-${i}`, { app: 'sidecar' }, aff))));
    expect(await placements(['sidecar-0', 'sidecar-1', 'sidecar-2'])).toEqual([apiNode, apiNode, apiNode]);
  });

  it('matchLabelKeys: the apiserver adds the pod own label values to the selector; replicas of another revision do not count', async () => {
    await createNodes({ r1: {}, r2: {} });
    const anti = { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'rev' } }, matchLabelKeys: ['hash'], topologyKey: host }] } } };
    await cp.admin.create(Pods, 'default', replica('old-0', { app: 'rev', hash: 'old' }, anti));
    await cp.admin.create(Pods, 'default', replica('old-1', { app: 'rev', hash: 'old' }, anti));
    const created = await cp.admin.get(Pods, 'default', 'old-0');
    const term = (created.spec as { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { labelSelector: unknown }[] } } }).affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]!;
    expect(term.labelSelector).toEqual({ matchLabels: { app: 'rev' }, matchExpressions: [{ key: 'hash', operator: 'In', values: ['old'] }] });
    expect(new Set(await placements(['old-0', 'old-1']))).toEqual(new Set(['r1', 'r2']));
    // Both nodes hold an old replica, yet a new one fits: its selector asks for hash=new.
    await cp.admin.create(Pods, 'default', replica('new-0', { app: 'rev', hash: 'new' }, anti));
    expect(['r1', 'r2']).toContain((await placements(['new-0']))[0]);
  });
});

describe('PodTopologySpread', () => {
  it('maxSkew 1 over two zones of unequal size: three and three, never on a node without the zone label', async () => {
    // Zone a has two nodes, zone b one; spreading by free resources alone would put 4 in a, 2 in b.
    await createNodes({ za1: { [zone]: 'a' }, za2: { [zone]: 'a' }, zb1: { [zone]: 'b' }, bare: {} });
    const spread = { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: zone, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'spread' } } }] };
    const names = [0, 1, 2, 3, 4, 5].map((i) => `spread-${i}`);
    for (const n of names) await cp.admin.create(Pods, 'default', replica(n, { app: 'spread' }, spread));
    const nodes = await placements(names);
    expect(nodes).not.toContain('bare');
    const inA = nodes.filter((n) => n === 'za1' || n === 'za2').length;
    expect([inA, nodes.length - inA]).toEqual([3, 3]);
  });

  it('a lone node without the topology label leaves the pod Pending as unresolvable (missing required label)', async () => {
    await createNodes({ lone: {} });
    const spread = { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: zone, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'z' } } }] };
    await cp.admin.create(Pods, 'default', replica('z', { app: 'z' }, spread));
    const message = "0/1 nodes are available: 1 node(s) didn't match pod topology spread constraints (missing required label). preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
    await eventually(async () => (await scheduledCondition('z'))?.message === message, { timeoutMs: 10_000, what: 'PodScheduled=False with the spread reason' });
    await sleep(200);
    expect(await nodeOf('z')).toBeUndefined();
  });
});

describe('system default spreading', () => {
  // A big and a small node: by resources alone every pod goes to the big one. Pods that a Service
  // selects are spread by kube-scheduler's default constraints (maxSkew 3 by hostname).
  async function bigAndSmall(): Promise<void> {
    for (const [name, cpu, memory] of [['big', '64', '128Gi'], ['small', '4', '8Gi']] as const) await cp.admin.create(Nodes, undefined, node(name, { cpu, memory }));
    await eventually(() => sched.nodes.size === 2, { what: 'scheduler sees the nodes' });
  }
  const sized = (name: string, app: string) => replica(name, { app }, { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '1', memory: '1Gi' } } }] });

  it('without a Service the pods pack on the roomier node', async () => {
    await bigAndSmall();
    for (const n of ['plain-0', 'plain-1']) {
      await cp.admin.create(Pods, 'default', sized(n, 'plain'));
      await placements([n]);
    }
    expect(await placements(['plain-0', 'plain-1'])).toEqual(['big', 'big']);
  });

  it("pods of a Service spread over both nodes (the Service's selector, system defaults)", async () => {
    await bigAndSmall();
    await cp.admin.create(Services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'spread-svc' }, spec: { selector: { app: 'svc' }, ports: [{ port: 80 }] } });
    const lister = (sched as unknown as { lister: ClusterLister }).lister;
    await eventually(() => !!lister.defaultSelector(sized('probe', 'svc') as never), { what: 'scheduler sees the Service' });
    for (const n of ['svc-0', 'svc-1']) {
      await cp.admin.create(Pods, 'default', sized(n, 'svc'));
      await placements([n]);
    }
    expect(new Set(await placements(['svc-0', 'svc-1']))).toEqual(new Set(['big', 'small']));
  });

  it("pods a ReplicationController controls spread over both nodes (the RC's map selector, system defaults)", async () => {
    await bigAndSmall();
    const rc = await cp.admin.create(ReplicationControllers, 'default', { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'spread-rc' }, spec: { replicas: 0, template: { metadata: { labels: { app: 'rc' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } });
    const owned = (name: string) => {
      const p = sized(name, 'rc');
      p.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'ReplicationController', name: 'spread-rc', uid: rc.metadata!.uid, controller: true }];
      return p;
    };
    const lister = (sched as unknown as { lister: ClusterLister }).lister;
    await eventually(() => !!lister.defaultSelector(owned('probe') as never), { what: 'scheduler sees the ReplicationController' });
    for (const n of ['rc-0', 'rc-1']) {
      await cp.admin.create(Pods, 'default', owned(n));
      await placements([n]);
    }
    expect(new Set(await placements(['rc-0', 'rc-1']))).toEqual(new Set(['big', 'small']));
  });
});
