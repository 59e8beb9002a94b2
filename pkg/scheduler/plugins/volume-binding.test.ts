// The volume plugins against a fake lister and writer: PreFilter's refusals with kube-scheduler's
// messages, Filter's node affinity and per-node choice between a static volume and provisioning,
// Reserve keeping a volume for one pod, PreBind's writes and its wait for the PV controller.
import { describe, expect, it } from 'vitest';
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '../../api/types.js';
import { Code, CycleState } from '../framework.js';
import { NodeInfo } from '../node-info.js';
import { ERR_NO_LOCAL_PATH, ERR_NO_VOLUMES, ERR_NODE_CONFLICT, ERR_PV_MISSING, ERR_RWOP_CONFLICT, ERR_UNBOUND_IMMEDIATE, VolumeBinding, volumeRestrictions, type VolumeLister, type VolumeWriter } from './volume-binding.js';

const node = (name: string, localPath = true): NodeInfo =>
  new NodeInfo({
    metadata: { name, labels: { 'kubernetes.io/hostname': name }, annotations: localPath ? { 'tskube.io/local-path-dir': `/var/lib/${name}/storage` } : {} },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  } as Node);
const pinned = (host: string) => ({ required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [host] }] }] } });
const claim = (name: string, cls: string, bound?: string, extra: Partial<NonNullable<PersistentVolumeClaim['spec']>> = {}): PersistentVolumeClaim => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}`, annotations: bound ? { 'pv.kubernetes.io/bind-completed': 'yes' } : {} },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: cls, ...(bound ? { volumeName: bound } : {}), ...extra },
  status: { phase: bound ? 'Bound' : 'Pending' },
});
const volume = (name: string, cls: string, host?: string): PersistentVolume => ({
  metadata: { name },
  spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: cls, local: { path: `/mnt/${name}` }, ...(host ? { nodeAffinity: pinned(host) } : {}) },
  status: { phase: 'Available' },
});
const pod = (name: string, ...claims: string[]): Pod => ({ metadata: { name, namespace: 'default', uid: `pod-${name}` }, spec: { containers: [], volumes: claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })) } });

const classes: Record<string, StorageClass> = {
  immediate: { metadata: { name: 'immediate' }, provisioner: 'example.com/x', volumeBindingMode: 'Immediate' },
  'local-path': { metadata: { name: 'local-path' }, provisioner: 'tskube.io/local-path', volumeBindingMode: 'WaitForFirstConsumer' },
  local: { metadata: { name: 'local' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' },
};

function fakes(claims: PersistentVolumeClaim[], volumes: PersistentVolume[], users: Pod[] = []) {
  const writes: string[] = [];
  const deleted = new Set<string>();
  const lister: VolumeLister = {
    claim: (_ns, name) => claims.find((c) => c.metadata?.name === name),
    volumes: () => volumes,
    volume: (name) => volumes.find((v) => v.metadata?.name === name),
    storageClass: (name) => classes[name],
    podsUsingClaim: (_ns, name) => users.filter((p) => p.spec?.volumes?.some((v) => v.persistentVolumeClaim?.claimName === name)),
    pod: (_ns, name) => (deleted.has(name) ? undefined : pod(name)),
  };
  const writer: VolumeWriter = {
    bindVolume: async (pv, c) => void writes.push(`bind ${pv.metadata?.name} to ${c.metadata?.name}`),
    selectNode: async (c, n) => {
      writes.push(`select ${n} for ${c.metadata?.name}`);
      const i = claims.findIndex((x) => x.metadata?.name === c.metadata?.name);
      const written: PersistentVolumeClaim = { ...claims[i]!, metadata: { ...claims[i]!.metadata, resourceVersion: String(++rv), annotations: { ...claims[i]!.metadata?.annotations, 'volume.kubernetes.io/selected-node': n } } };
      // (a lagging lister sees the write only when told to catch up)
      if (lag.on) lag.pending.push(() => (claims[i] = written));
      else claims[i] = written;
      return written.metadata!.resourceVersion;
    },
  };
  const lag = { on: false, pending: [] as (() => void)[], catchUp: () => lag.pending.splice(0).forEach((f) => f()) };
  let rv = 100;
  return { lister, writer, writes, deleted, lag };
}

/** PreFilter, then Filter on each node: the reasons, or 'ok', per node. */
function run(plugin: VolumeBinding, p: Pod, nodes: NodeInfo[]): { state: CycleState; pre: string; byNode: Record<string, string> } {
  const state = new CycleState();
  const st = plugin.preFilter(state, p);
  const byNode: Record<string, string> = {};
  if (st.code === Code.Success) for (const n of nodes) byNode[n.name] = plugin.filter(state, p, n).reasons[0] ?? 'ok';
  return { state, pre: st.code === Code.Skip ? 'skip' : st.code === Code.Success ? 'ok' : `${Code[st.code]}: ${st.reasons[0]}`, byNode };
}

describe('VolumeBinding PreFilter', () => {
  it('skips pods without claims and refuses missing, deleted and unbound Immediate claims', () => {
    const deleting = claim('going', 'local-path');
    deleting.metadata!.deletionTimestamp = '2026-01-01T00:00:00Z';
    const { lister, writer } = fakes([claim('pending', 'immediate'), deleting], []);
    const plugin = new VolumeBinding(lister, writer);
    expect(run(plugin, pod('none'), []).pre).toBe('skip');
    expect(run(plugin, pod('p', 'missing'), []).pre).toBe('UnschedulableAndUnresolvable: persistentvolumeclaim "missing" not found');
    expect(run(plugin, pod('p', 'going'), []).pre).toBe('UnschedulableAndUnresolvable: persistentvolumeclaim "going" is being deleted');
    expect(run(plugin, pod('p', 'pending'), []).pre).toBe(`UnschedulableAndUnresolvable: ${ERR_UNBOUND_IMMEDIATE}`);
  });

  it('takes an ephemeral volume\'s claim <pod>-<volume>: waits for it, refuses one the pod does not own', () => {
    const eph = (name: string): Pod => ({ metadata: { name, namespace: 'default', uid: `pod-${name}` }, spec: { containers: [], volumes: [{ name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } } }] } });
    const owned = claim('mine-scratch', 'local-path');
    owned.metadata!.ownerReferences = [{ apiVersion: 'v1', kind: 'Pod', name: 'mine', uid: 'pod-mine', controller: true }];
    const { lister, writer } = fakes([owned, claim('other-scratch', 'local-path')], []);
    const plugin = new VolumeBinding(lister, writer);
    expect(run(plugin, eph('new'), []).pre).toBe('UnschedulableAndUnresolvable: waiting for ephemeral volume controller to create the persistentvolumeclaim "new-scratch"');
    expect(run(plugin, eph('other'), []).pre).toBe('UnschedulableAndUnresolvable: PVC default/other-scratch was not created for pod default/other (pod is not owner)');
    expect(run(plugin, eph('mine'), [node('a')])).toMatchObject({ pre: 'ok', byNode: { a: 'ok' } });
  });
});

describe('VolumeBinding Filter', () => {
  it('keeps a pod with a bound claim to the nodes its volume is pinned to', () => {
    const { lister, writer } = fakes([claim('data', 'local', 'pv-a'), claim('lost', 'local', 'pv-gone')], [volume('pv-a', 'local', 'a')]);
    const plugin = new VolumeBinding(lister, writer);
    expect(run(plugin, pod('p', 'data'), [node('a'), node('b')]).byNode).toEqual({ a: 'ok', b: ERR_NODE_CONFLICT });
    expect(run(plugin, pod('p', 'lost'), [node('a')]).byNode).toEqual({ a: ERR_PV_MISSING });
  });

  it('finds a static volume that fits the node, else provisions where the class can', () => {
    const { lister, writer } = fakes([claim('static', 'local'), claim('dyn', 'local-path')], [volume('pv-b', 'local', 'b')]);
    const plugin = new VolumeBinding(lister, writer);
    expect(run(plugin, pod('p', 'static'), [node('a'), node('b')]).byNode).toEqual({ a: ERR_NO_VOLUMES, b: 'ok' });
    expect(run(plugin, pod('p', 'dyn'), [node('a'), node('no-dir', false)]).byNode).toEqual({ a: 'ok', 'no-dir': ERR_NO_LOCAL_PATH });
  });

  it('reserves a static volume for one pod until its binding ends', async () => {
    const claims = [claim('one', 'local'), claim('two', 'local')];
    const { lister, writer } = fakes(claims, [volume('pv-b', 'local', 'b')]);
    const plugin = new VolumeBinding(lister, writer, { bindTimeoutMs: 50, pollMs: 5 });
    const first = run(plugin, pod('p1', 'one'), [node('b')]);
    expect(first.byNode).toEqual({ b: 'ok' });
    plugin.reserve(first.state, pod('p1', 'one'), 'b');
    expect(run(plugin, pod('p2', 'two'), [node('b')]).byNode).toEqual({ b: ERR_NO_VOLUMES });
    plugin.unreserve(first.state, pod('p1', 'one'), 'b');
    expect(run(plugin, pod('p2', 'two'), [node('b')]).byNode).toEqual({ b: 'ok' });
  });
});

describe('VolumeBinding PreBind', () => {
  it('pre-binds the static volume, selects the node for provisioning, and waits for the PV controller', async () => {
    const claims = [claim('static', 'local'), claim('dyn', 'local-path')];
    const { lister, writer, writes } = fakes(claims, [volume('pv-b', 'local', 'b')]);
    const plugin = new VolumeBinding(lister, writer, { bindTimeoutMs: 5000, pollMs: 5 });
    const p = pod('p', 'static', 'dyn');
    const { state } = run(plugin, p, [node('b')]);
    plugin.reserve(state, p, 'b');
    const done = plugin.preBind(state, p, 'b');
    await new Promise((r) => setTimeout(r, 30));
    expect(writes).toEqual(['bind pv-b to static', 'select b for dyn']);
    // The PV controller binds both (the selected node annotation stays).
    claims[0] = claim('static', 'local', 'pv-b');
    claims[1] = { ...claim('dyn', 'local-path', 'pvc-uid-dyn'), metadata: { ...claim('dyn', 'local-path', 'pvc-uid-dyn').metadata, annotations: { 'pv.kubernetes.io/bind-completed': 'yes', 'volume.kubernetes.io/selected-node': 'b' } } };
    expect((await done).code).toBe(Code.Success);
  });

  it('a lister that has not yet seen the node choice is not taken for the choice undone', async () => {
    const claims = [{ ...claim('dyn', 'local-path'), metadata: { ...claim('dyn', 'local-path').metadata, resourceVersion: '100' } }];
    const fake = fakes(claims, []);
    fake.lag.on = true;
    const plugin = new VolumeBinding(fake.lister, fake.writer, { bindTimeoutMs: 5000, pollMs: 5 });
    const p = pod('p', 'dyn');
    const { state } = run(plugin, p, [node('a')]);
    const done = plugin.preBind(state, p, 'a');
    await new Promise((r) => setTimeout(r, 30));
    fake.lag.catchUp();
    await new Promise((r) => setTimeout(r, 20));
    const selected = claims[0]!;
    claims[0] = { ...claim('dyn', 'local-path', 'pvc-uid-dyn'), metadata: { ...selected.metadata, resourceVersion: '102', annotations: { ...selected.metadata?.annotations, 'pv.kubernetes.io/bind-completed': 'yes' } } };
    expect((await done).code).toBe(Code.Success);
  });

  it('fails when the PV controller does not bind in time, the node choice is undone, or the pod goes', async () => {
    const claims = [claim('dyn', 'local-path')];
    const fake = fakes(claims, []);
    const plugin = new VolumeBinding(fake.lister, fake.writer, { bindTimeoutMs: 60, pollMs: 5 });
    const p = pod('p', 'dyn');
    const slow = run(plugin, p, [node('a')]);
    expect((await plugin.preBind(slow.state, p, 'a')).reasons[0]).toContain('context deadline exceeded');
    // The PV controller gave up on the node (removed the annotation): the pod is scheduled again.
    const again = run(plugin, p, [node('a')]);
    const undone = plugin.preBind(again.state, p, 'a');
    await new Promise((r) => setTimeout(r, 20));
    claims[0] = { ...claims[0]!, metadata: { ...claims[0]!.metadata, annotations: {} } };
    expect((await undone).reasons[0]).toContain('selectedNode annotation reset for PVC "dyn"');
    // The pod deleted while it waits: the wait ends.
    const third = run(plugin, p, [node('a')]);
    const waiting = plugin.preBind(third.state, p, 'a');
    await new Promise((r) => setTimeout(r, 20));
    fake.deleted.add('p');
    expect((await waiting).reasons[0]).toBe('binding volumes: the pod was deleted');
  });
});

describe('VolumeRestrictions', () => {
  it('refuses a ReadWriteOncePod claim another pod uses', () => {
    const rwop = claim('only-one', 'local-path', 'pv', { accessModes: ['ReadWriteOncePod'] });
    const { lister } = fakes([rwop, claim('shared', 'local-path', 'pv2')], [], [pod('holder', 'only-one', 'shared')]);
    const plugin = volumeRestrictions(lister);
    expect(plugin.preFilter(new CycleState(), pod('p', 'only-one'), []).reasons).toEqual([ERR_RWOP_CONFLICT]);
    expect(plugin.preFilter(new CycleState(), pod('p', 'shared'), []).code).toBe(Code.Success);
    expect(plugin.preFilter(new CycleState(), pod('holder', 'only-one'), []).code).toBe(Code.Success);
  });
});
