// Static pods on a real node (--pod-manifest-path): a manifest dropped in the directory runs as
// `<name>-<node>` with a mirror pod in the API (mirror annotation = config hash, owned by the
// Node, status Running); deleting the mirror pod only brings it back (the container keeps
// running); editing the file replaces the pod; removing it removes both; the node may create
// mirror pods only (NodeRestriction); and static pods start while the apiserver is down, also
// across a restart of the agent.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject, Pod } from '../../pkg/api/types.js';
import { Nodes, Pods, StatusError } from '../../pkg/client/rest-client.js';
import { podUidLabel } from '../../pkg/nodeagent/container-labels.js';
import { ContainerState } from '../../pkg/runtime/types.js';
import { eventually, failure } from '../helpers/control-plane.js';
import { image, startCluster, staticPodManifest, type Cluster } from './harness.js';

let c: Cluster;
const dir = mkdtempSync(join(tmpdir(), 'tskube-manifests-'));

beforeAll(async () => {
  c = await startCluster({ podCIDR: '10.199.5.0/25', podManifestPath: dir });
}, 120_000);
afterAll(async () => {
  await c?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const manifest = staticPodManifest;

type PodObj = Pod & KubeObject;
const getPod = (name: string) => c.cp.admin.get<PodObj>(Pods, 'default', name).catch((e) => (e instanceof StatusError && e.code === 404 ? undefined : Promise.reject(e)));
const running = (p: PodObj | undefined) => p?.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.state?.running !== undefined && !p.metadata?.deletionTimestamp;
/** The runtime's containers of a pod UID, by state. */
const containersOf = async (uid: string) => (await c.agent.runtime.listContainers({ labelSelector: { [podUidLabel]: uid } })).map((x) => ({ id: x.id, running: x.state === ContainerState.Running }));

describe('static pods', () => {
  let hash = '';
  let mirrorUid = '';
  let containerID = '';

  it('runs a manifest dropped in the directory, with a Running mirror pod owned by the Node', async () => {
    writeFileSync(join(dir, 'web.yaml'), manifest('web', 'one'));
    const m = await eventually(async () => {
      const p = await getPod('web-e2e-node');
      return running(p) ? p : undefined;
    }, { timeoutMs: 60_000, what: 'mirror pod web-e2e-node Running' });
    const ann = m!.metadata!.annotations!;
    hash = ann['kubernetes.io/config.hash']!;
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
    expect(ann['kubernetes.io/config.mirror']).toBe(hash);
    expect(ann['kubernetes.io/config.source']).toBe('file');
    expect(Date.parse(ann['kubernetes.io/config.seen']!)).toBeGreaterThan(Date.now() - 120_000);
    const node = await c.cp.admin.get(Nodes, undefined, 'e2e-node');
    expect(m!.metadata!.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'e2e-node', uid: node.metadata!.uid, controller: true }]);
    expect(m!.spec!.nodeName).toBe('e2e-node');
    expect(m!.spec!.tolerations).toEqual([{ operator: 'Exists', effect: 'NoExecute' }]);
    // The mirror pod is an API object of its own; the pod the agent runs is keyed by the hash.
    expect(m!.metadata!.uid).not.toBe(hash);
    mirrorUid = m!.metadata!.uid!;
    containerID = m!.status!.containerStatuses![0]!.containerID!;
    expect(await containersOf(hash)).toEqual([{ id: containerID.replace(/^[a-z]+:\/\//, ''), running: true }]);
  }, 90_000);

  it('gives a deleted mirror pod back, while the container keeps running', async () => {
    await c.cp.admin.delete(Pods, 'default', 'web-e2e-node');
    const m = await eventually(async () => {
      const p = await getPod('web-e2e-node');
      return running(p) && p!.metadata!.uid !== mirrorUid ? p : undefined;
    }, { timeoutMs: 30_000, what: 'a new mirror pod' });
    expect(m!.metadata!.annotations!['kubernetes.io/config.mirror']).toBe(hash);
    expect(m!.status!.containerStatuses![0]!.containerID).toBe(containerID);
    expect(m!.status!.containerStatuses![0]!.restartCount).toBe(0);
    expect((await containersOf(hash)).map((x) => x.running)).toEqual([true]);
  }, 60_000);

  it('lets a node create mirror pods of its own only, and keeps the mirror annotation immutable', async () => {
    const plain = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sneaky' }, spec: { nodeName: 'e2e-node', containers: [{ name: 'c', image }] } };
    // (an admin's pod, to show the annotation cannot be put on by an update)
    await c.cp.admin.create(Pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'plain' }, spec: { schedulingGates: [{ name: 'hold' }], containers: [{ name: 'c', image }] } });
    let e = await failure(c.nodeClient.create(Pods, 'default', plain));
    expect([e.code, e.message]).toEqual([403, 'pods "sneaky" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "e2e-node" can only create mirror pods']);
    const node = await c.cp.admin.get(Nodes, undefined, 'e2e-node');
    const owner = { apiVersion: 'v1', kind: 'Node', name: 'e2e-node', uid: node.metadata!.uid, controller: true };
    const mirror = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ ...plain, metadata: { name: 'sneaky', annotations: { 'kubernetes.io/config.mirror': 'x' }, ownerReferences: [owner], ...extra }, spec: { ...plain.spec, ...spec } });
    e = await failure(c.nodeClient.create(Pods, 'default', mirror({ nodeName: 'other-node' })));
    expect(e.message).toBe('pods "sneaky" is forbidden: node "e2e-node" can only create pods with spec.nodeName set to itself');
    e = await failure(c.nodeClient.create(Pods, 'default', mirror({}, { ownerReferences: [] })));
    expect(e.message).toBe('pods "sneaky" is forbidden: node "e2e-node" can only create pods with an owner reference set to itself');
    e = await failure(c.nodeClient.create(Pods, 'default', mirror({ volumes: [{ name: 's', secret: { secretName: 'db' } }] })));
    expect(e.message).toBe('pods "sneaky" is forbidden: a mirror pod may not reference secrets');
    e = await failure(c.nodeClient.create(Pods, 'default', mirror({ volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }] })));
    expect(e.message).toBe('pods "sneaky" is forbidden: node "e2e-node" can not create pods that reference persistentvolumeclaims');
    // Nobody may take the mirror annotation off (or put it on) by an update.
    e = await failure(c.cp.admin.patch(Pods, 'default', 'web-e2e-node', { metadata: { annotations: { 'kubernetes.io/config.mirror': null } } }, 'merge'));
    expect([e.code, e.message]).toEqual([422, expect.stringContaining('metadata.annotations[kubernetes.io/config.mirror]: Forbidden: may not remove or update mirror pod annotation')]);
    // (pods/status keeps the annotations it is sent, as podStatusStrategy does, and
    // ValidatePodStatusUpdate refuses this one the same way)
    e = await failure(c.cp.admin.patch<PodObj>(Pods, 'default', 'web-e2e-node', { metadata: { annotations: { 'kubernetes.io/config.mirror': 'other' } } }, 'merge', 'status'));
    expect([e.code, e.message]).toEqual([422, expect.stringContaining('metadata.annotations[kubernetes.io/config.mirror]: Forbidden: may not remove or update mirror pod annotation')]);
    expect((await c.cp.admin.get(Pods, 'default', 'web-e2e-node')).metadata!.annotations!['kubernetes.io/config.mirror']).toBe(hash);
    e = await failure(c.cp.admin.patch(Pods, 'default', 'plain', { metadata: { annotations: { 'kubernetes.io/config.mirror': 'x' } } }, 'merge'));
    expect([e.code, e.message]).toEqual([422, expect.stringContaining('metadata.annotations[kubernetes.io/config.mirror]: Forbidden: may not add mirror pod annotation')]);
  }, 30_000);

  it('replaces the pod when its file changes', async () => {
    writeFileSync(join(dir, 'web.yaml'), manifest('web', 'two'));
    const m = await eventually(async () => {
      const p = await getPod('web-e2e-node');
      return running(p) && p!.metadata!.annotations!['kubernetes.io/config.mirror'] !== hash ? p : undefined;
    }, { timeoutMs: 60_000, what: 'the mirror pod of the edited manifest' });
    const next = m!.metadata!.annotations!['kubernetes.io/config.hash']!;
    expect(m!.metadata!.annotations!['kubernetes.io/config.mirror']).toBe(next);
    expect(m!.spec!.containers![0]!.command).toEqual(['sh', '-c', 'echo two; sleep 3600']);
    await eventually(async () => (await containersOf(hash)).length === 0, { timeoutMs: 30_000, what: 'the old pod\'s containers removed' });
    expect((await containersOf(next)).map((x) => x.running)).toEqual([true]);
    hash = next;
  }, 90_000);

  // (the next four run at once: each waits on pods of its own, from files of its own, to start
  // and to be torn down; the agent restarts and the apiserver's stop come after them)
  it.concurrent('starts the edited pod only once the old one has stopped (never two instances at once)', async () => {
    // (the old container ignores SIGTERM, as a shell as PID 1 does: it lingers for its 3 s grace period)
    const slow = (word: string) => manifest('solo', word).replace('terminationGracePeriodSeconds: 1', 'terminationGracePeriodSeconds: 3');
    writeFileSync(join(dir, 'solo.yaml'), slow('one'));
    const first = await eventually(async () => {
      const p = await getPod('solo-e2e-node');
      return running(p) ? p : undefined;
    }, { timeoutMs: 60_000, what: 'mirror pod solo-e2e-node Running' });
    const oldUid = first!.metadata!.annotations!['kubernetes.io/config.hash']!;
    writeFileSync(join(dir, 'solo.yaml'), slow('two'));
    let overlap = false;
    let newUid = '';
    await eventually(async () => {
      const solo = (await c.agent.runtime.listContainers()).filter((x) => x.state === ContainerState.Running && x.labels['io.kubernetes.pod.name'] === 'solo-e2e-node');
      const uids = new Set(solo.map((x) => x.labels[podUidLabel]));
      const next = [...uids].find((u) => u && u !== oldUid);
      if (next && uids.has(oldUid)) overlap = true;
      newUid = next ?? '';
      return !!next;
    }, { timeoutMs: 60_000, intervalMs: 100, what: 'the edited static pod running' });
    expect(overlap).toBe(false);
    expect((await containersOf(oldUid)).length).toBe(0);
    expect((await containersOf(newUid)).map((x) => x.running)).toEqual([true]);
    rmSync(join(dir, 'solo.yaml'));
    await eventually(async () => (await containersOf(newUid)).length === 0 && (await c.agent.runtime.listPodSandbox({ labelSelector: { [podUidLabel]: newUid } })).length === 0, { timeoutMs: 30_000, what: 'solo removed' });
  }, 120_000);

  it.concurrent('removes the pod and its mirror pod when the file goes', async () => {
    rmSync(join(dir, 'web.yaml'));
    await eventually(async () => (await getPod('web-e2e-node')) === undefined, { timeoutMs: 30_000, what: 'mirror pod deleted' });
    await eventually(async () => (await containersOf(hash)).length === 0, { timeoutMs: 30_000, what: 'containers removed' });
    // (the teardown removes the containers first, then the volumes, the network and the sandbox)
    await eventually(async () => (await c.agent.runtime.listPodSandbox({ labelSelector: { [podUidLabel]: hash } })).length === 0, { timeoutMs: 30_000, what: 'sandbox removed' });
  }, 60_000);

  it.concurrent('skips a bad file and runs the others', async () => {
    writeFileSync(join(dir, 'bad.yaml'), manifest('Bad', 'x'));
    writeFileSync(join(dir, 'good.json'), JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'good', namespace: 'kube-system' }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] } }));
    const good = await eventually(async () => {
      const p = await c.cp.admin.get<PodObj>(Pods, 'kube-system', 'good-e2e-node').catch(() => undefined);
      return running(p) ? p : undefined;
    }, { timeoutMs: 60_000, what: 'kube-system/good-e2e-node Running' });
    const goodUid = good!.metadata!.annotations!['kubernetes.io/config.hash']!;
    expect([...c.agent.workers.values()].map((w) => w.pod.metadata?.name)).not.toContain('Bad-e2e-node');
    rmSync(join(dir, 'bad.yaml'));
    rmSync(join(dir, 'good.json'));
    await eventually(async () => (await c.cp.admin.get(Pods, 'kube-system', 'good-e2e-node').catch(() => undefined)) === undefined, { timeoutMs: 30_000, what: 'good-e2e-node gone' });
    await eventually(async () => (await containersOf(goodUid)).length === 0, { timeoutMs: 30_000, what: 'good-e2e-node torn down' });
  }, 90_000);

  it.concurrent('runs a static pod whose mirror pod the apiserver refuses (it names a service account), without a mirror pod', async () => {
    writeFileSync(join(dir, 'with-sa.yaml'), manifest('with-sa', 'sa').replace('spec:\n', 'spec:\n  serviceAccountName: builder\n'));
    const uid = await eventually(() => [...c.agent.workers.values()].find((w) => w.pod.metadata?.name === 'with-sa-e2e-node')?.uid, { timeoutMs: 10_000, what: 'worker of with-sa' });
    await eventually(async () => (await containersOf(uid!)).some((x) => x.running), { timeoutMs: 60_000, what: 'with-sa running' });
    // (NodeRestriction refuses it: "node ... can not create pods that reference a service account")
    const e = await failure(c.nodeClient.create(Pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', annotations: { 'kubernetes.io/config.mirror': 'h' }, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'e2e-node', uid: (await c.cp.admin.get(Nodes, undefined, 'e2e-node')).metadata!.uid, controller: true }] }, spec: { nodeName: 'e2e-node', serviceAccountName: 'builder', containers: [{ name: 'c', image }] } }));
    expect(e.message).toBe('pods "x" is forbidden: a mirror pod may not reference service accounts');
    expect(await getPod('with-sa-e2e-node')).toBeUndefined();
    rmSync(join(dir, 'with-sa.yaml'));
    await eventually(async () => (await containersOf(uid!)).length === 0, { timeoutMs: 30_000, what: 'with-sa torn down' });
  }, 90_000);

  it('keeps a static pod across an agent restart, and removes one whose file went while the agent was down', async () => {
    writeFileSync(join(dir, 'kept.yaml'), manifest('kept', 'k'));
    writeFileSync(join(dir, 'dropped.yaml'), manifest('dropped', 'd'));
    const mirrors = await eventually(async () => {
      const ps = await Promise.all(['kept-e2e-node', 'dropped-e2e-node'].map(getPod));
      return ps.every(running) ? ps : undefined;
    }, { timeoutMs: 60_000, what: 'kept and dropped Running' });
    const [keptUid, droppedUid] = mirrors!.map((p) => p!.metadata!.annotations!['kubernetes.io/config.hash']!);
    const [keptContainer] = await containersOf(keptUid!);
    await c.stopAgent();
    rmSync(join(dir, 'dropped.yaml'));
    await c.startAgent();
    await eventually(async () => (await getPod('dropped-e2e-node')) === undefined, { timeoutMs: 30_000, what: 'dropped\'s mirror pod deleted' });
    await eventually(async () => (await containersOf(droppedUid!)).length === 0, { timeoutMs: 30_000, what: 'dropped torn down' });
    expect(await containersOf(keptUid!)).toEqual([keptContainer]);
    expect(running(await getPod('kept-e2e-node'))).toBe(true);
    rmSync(join(dir, 'kept.yaml'));
    await eventually(async () => (await containersOf(keptUid!)).length === 0, { timeoutMs: 30_000, what: 'kept torn down' });
  }, 120_000);

  it('starts static pods while the apiserver is down, also across an agent restart', async () => {
    await c.cp.stopServer();
    let down = true;
    try {
      // The running agent picks up a new file without the API.
      writeFileSync(join(dir, 'offline.yaml'), manifest('offline', 'x'));
      const offlineUid = await eventually(() => [...c.agent.workers.values()].find((w) => w.pod.metadata?.name === 'offline-e2e-node')?.uid, { timeoutMs: 10_000, what: 'worker of offline' });
      await eventually(async () => (await containersOf(offlineUid!)).some((x) => x.running), { timeoutMs: 60_000, what: 'offline running without the API' });
      const [before] = await containersOf(offlineUid!);
      // A restarted agent (its start waits for the API) runs a new file and keeps the running one.
      await c.stopAgent();
      writeFileSync(join(dir, 'later.yaml'), manifest('later', 'y'));
      const starting = c.startAgent();
      starting.catch(() => {});
      const laterUid = await eventually(() => [...c.agent.workers.values()].find((w) => w.pod.metadata?.name === 'later-e2e-node')?.uid, { timeoutMs: 10_000, what: 'worker of later' });
      await eventually(async () => (await containersOf(laterUid!)).some((x) => x.running), { timeoutMs: 60_000, what: 'later running without the API' });
      expect(await containersOf(offlineUid!)).toEqual([before]);
      await c.cp.restart();
      down = false;
      await starting;
      // With the API back, both get their mirror pods.
      for (const name of ['offline-e2e-node', 'later-e2e-node']) await eventually(async () => running(await getPod(name)), { timeoutMs: 60_000, what: `${name} mirrored` });
    } finally {
      if (down) await c.cp.restart();
      rmSync(join(dir, 'offline.yaml'), { force: true });
      rmSync(join(dir, 'later.yaml'), { force: true });
    }
    for (const name of ['offline-e2e-node', 'later-e2e-node']) await eventually(async () => (await getPod(name)) === undefined, { timeoutMs: 30_000, what: `${name} gone` });
  }, 240_000);
});
