// Persistent storage end to end with the stock kubectl on a real single-node cluster (apiserver,
// scheduler, controller manager, node agent with runc): a claim of the default local-path class
// provisioned on the node when its first pod is scheduled, written by one pod and read back by
// the next; kubectl's pv, pvc and sc tables; a pod bound to the node with an unbound claim held
// with the kubelet's FailedMount; deleting the claim removes the volume and its directory; a
// StatefulSet whose ordinals keep their data across pod deletion; nothing left afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Events, PersistentVolumeClaims, PersistentVolumes, Pods, StatusError } from '../../pkg/client/rest-client.js';
import { eventually } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt, kubectlOk } from '../helpers/kubectl.js';
import { image, podStatus, startCluster, type Cluster } from '../nodeagent/harness.js';

let c: Cluster;
const cacheDir = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));

beforeAll(async () => {
  if (!hasKubectl) return;
  c = await startCluster({ podCIDR: '10.199.60.0/24', controllers: {} });
}, 180_000);
afterAll(async () => {
  await c?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

const kubectl = (...args: string[]) => kubectlOk(c.cp.kubeconfig, cacheDir, args);
const apply = (yaml: string) => kubectlOk(c.cp.kubeconfig, cacheDir, ['apply', '-f', '-'], yaml);
const storageDir = () => join(c.cfg.dataDir, 'storage');
const volumeDirs = () => (existsSync(storageDir()) ? readdirSync(storageDir()) : []);
const gone = (p: Promise<unknown>) => p.then(() => false, (e) => e instanceof StatusError && e.code === 404);

const podWithClaim = (name: string, claim: string, command: string, restartPolicy = 'Never') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: ${restartPolicy}
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: ${image}
    imagePullPolicy: IfNotPresent
    command: [sh, -c, '${command}']
    volumeMounts:
    - {name: data, mountPath: /data}
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: ${claim}}
`;

const claimYaml = `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests: {storage: 64Mi}
`;

const phase = async (name: string) => (await podStatus(c, name)).phase;

describe.skipIf(!hasKubectl)('kubectl with persistent volumes', () => {
  it('has the default local-path StorageClass', async () => {
    expect(await kubectl('get', 'sc')).toMatch(/^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE\nlocal-path \(default\)\s+tskube\.io\/local-path\s+Delete\s+WaitForFirstConsumer\s+false\s+/);
  });

  it('provisions a claim on the node of its first pod; data written by one pod is read by the next', async () => {
    expect(await apply(claimYaml)).toContain('persistentvolumeclaim/data created');
    expect(await kubectl('get', 'pvc', 'data')).toMatch(/^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE\ndata\s+Pending\s+local-path\s+<unset>\s+/);
    await apply(podWithClaim('writer', 'data', 'echo hello-from-writer > /data/greeting'));
    await eventually(async () => ((await phase('writer')) === 'Succeeded' ? true : undefined), { timeoutMs: 60_000, what: 'writer to succeed' });
    const claim = await c.cp.admin.get(PersistentVolumeClaims, 'default', 'data');
    const pv = `pvc-${claim.metadata?.uid}`;
    expect(await kubectl('get', 'pvc', 'data')).toMatch(new RegExp(`data\\s+Bound\\s+${pv}\\s+64Mi\\s+RWO\\s+local-path\\s+<unset>\\s+`));
    expect(await kubectl('get', 'pv', pv)).toMatch(new RegExp(`^NAME\\s+CAPACITY\\s+ACCESS MODES\\s+RECLAIM POLICY\\s+STATUS\\s+CLAIM\\s+STORAGECLASS\\s+VOLUMEATTRIBUTESCLASS\\s+REASON\\s+AGE\\n${pv}\\s+64Mi\\s+RWO\\s+Delete\\s+Bound\\s+default/data\\s+local-path\\s+<unset>\\s+`));
    expect(await kubectl('get', 'pv', pv, '-o', 'wide')).toMatch(/REASON\s+AGE\s+VOLUMEMODE\n.*Filesystem\n$/);
    const described = await kubectl('describe', 'pv', pv);
    expect(described).toMatch(/Type:\s+HostPath \(bare host directory volume\)/);
    expect(described).toMatch(new RegExp(`Required Terms:\\s+Term 0:\\s+kubernetes.io/hostname in \\[e2e-node\\]`));
    // local-path does not allow expansion: kubectl shows the resize admission's 403.
    const resize = await kubectlAt(c.cp.kubeconfig, cacheDir, ['patch', 'pvc', 'data', '-p', '{"spec":{"resources":{"requests":{"storage":"128Mi"}}}}']);
    expect(resize.code).not.toBe(0);
    expect(resize.err).toContain('persistentvolumeclaims "data" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize');
    // The directory is on the node, under the agent's data dir, named as k3s names them.
    const dir = join(storageDir(), `${pv}_default_data`);
    expect(readFileSync(join(dir, 'greeting'), 'utf8')).toBe('hello-from-writer\n');
    expect((await c.cp.admin.get(PersistentVolumes, undefined, pv)).metadata?.finalizers).toEqual(['kubernetes.io/pv-protection', 'tskube.io/local-path-cleanup']);
    await kubectl('delete', 'pod', 'writer');
    await apply(podWithClaim('reader', 'data', 'cat /data/greeting'));
    await eventually(async () => ((await phase('reader')) === 'Succeeded' ? true : undefined), { timeoutMs: 60_000, what: 'reader to succeed' });
    expect(await kubectl('logs', 'reader')).toBe('hello-from-writer\n');
    expect(await kubectl('describe', 'pvc', 'data')).toMatch(/Used By:\s+reader/);
  }, 150_000);

  it('holds a pod whose claim is not bound with the kubelet\'s FailedMount', async () => {
    await apply(`apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: unbound
spec:
  storageClassName: ""
  accessModes: [ReadWriteOnce]
  resources:
    requests: {storage: 1Mi}
`);
    // Bound to the node by hand (no scheduler): the node agent must wait for the claim.
    const yaml = podWithClaim('stuck', 'unbound', 'true').replace('spec:\n  restartPolicy', 'spec:\n  nodeName: e2e-node\n  restartPolicy');
    await apply(yaml);
    const message = await eventually(
      async () => (await c.cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=stuck,reason=FailedMount' })).items[0]?.message as string | undefined,
      { timeoutMs: 30_000, what: 'FailedMount event' },
    );
    expect(message).toBe('Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[], failed to process volumes=[data]: error processing PVC default/unbound: PVC is not bound');
    expect(await phase('stuck')).toBe('Pending');
    await kubectl('delete', 'pod/stuck', 'pvc/unbound');
  }, 60_000);

  it('deleting the claim deletes the volume and its directory', async () => {
    const pv = `pvc-${(await c.cp.admin.get(PersistentVolumeClaims, 'default', 'data')).metadata?.uid}`;
    await kubectl('delete', 'pod', 'reader');
    expect(await kubectl('delete', 'pvc', 'data')).toContain('persistentvolumeclaim "data" deleted');
    await eventually(() => gone(c.cp.admin.get(PersistentVolumes, undefined, pv)), { timeoutMs: 30_000, what: 'the volume to go' });
    expect(volumeDirs().filter((d) => d.startsWith(pv))).toEqual([]);
  }, 60_000);

  // (this test and the next run at once: a pod and a set with claims, volumes and directories of
  // their own; the last test waits for both to have gone)
  it.concurrent('gives a pod a generic ephemeral volume: a claim of its own, provisioned on its node, deleted with it', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata:
  name: scratch
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: ${image}
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'echo scratch-data > /scratch/f && cat /scratch/f && grep " /scratch " /proc/mounts | wc -l']
    volumeMounts:
    - {name: work, mountPath: /scratch}
  volumes:
  - name: work
    ephemeral:
      volumeClaimTemplate:
        metadata:
          labels: {type: scratch}
        spec:
          accessModes: [ReadWriteOnce]
          resources:
            requests: {storage: 16Mi}
`);
    await eventually(async () => ((await phase('scratch')) === 'Succeeded' ? true : undefined), { timeoutMs: 60_000, what: 'the pod with an ephemeral volume to succeed' });
    expect(await kubectl('logs', 'scratch')).toBe('scratch-data\n1\n');
    // The claim <pod>-<volume>, from the template (labels, the default class), owned by the pod.
    const claim = await c.cp.admin.get(PersistentVolumeClaims, 'default', 'scratch-work');
    const pod = await c.cp.admin.get(Pods, 'default', 'scratch');
    expect(claim.metadata?.labels).toEqual({ type: 'scratch' });
    expect(claim.metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Pod', name: 'scratch', uid: pod.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    expect(await kubectl('get', 'pvc', 'scratch-work')).toMatch(/scratch-work\s+Bound\s+pvc-\S+\s+16Mi\s+RWO\s+local-path\s+/);
    const pv = `pvc-${claim.metadata?.uid}`;
    expect(readFileSync(join(storageDir(), `${pv}_default_scratch-work`, 'f'), 'utf8')).toBe('scratch-data\n');
    // A claim of the name that the pod does not own is refused, by the scheduler as by Kubernetes'.
    await apply(claimYaml.replace('name: data', 'name: squatter-data'));
    await apply(podWithClaim('squatter', 'unused', 'true').replace('persistentVolumeClaim: {claimName: unused}', 'ephemeral: {volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Mi}}}}}'));
    await eventually(
      async () => (await c.cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=squatter,reason=FailedScheduling' })).items.some((e) => String(e.message).includes('PVC default/squatter-data was not created for pod default/squatter (pod is not owner)')),
      { timeoutMs: 30_000, what: 'FailedScheduling naming the claim not made for the pod' },
    );
    // Deleting the pod deletes its claim (garbage collector), then the volume and its directory.
    await kubectl('delete', 'pod', 'scratch', 'squatter');
    await kubectl('delete', 'pvc', 'squatter-data');
    await eventually(() => gone(c.cp.admin.get(PersistentVolumeClaims, 'default', 'scratch-work')), { timeoutMs: 30_000, what: 'the ephemeral claim to go with its pod' });
    await eventually(() => gone(c.cp.admin.get(PersistentVolumes, undefined, pv)), { timeoutMs: 30_000, what: 'its volume to go' });
    expect(volumeDirs().filter((d) => d.startsWith(pv))).toEqual([]);
  }, 150_000);

  it.concurrent('gives each StatefulSet ordinal its own claim, kept across pod deletion', async () => {
    await apply(`apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  replicas: 2
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: ${image}
        imagePullPolicy: IfNotPresent
        command: [sh, -c, 'hostname >> /data/starts; sleep 3600']
        volumeMounts:
        - {name: data, mountPath: /data}
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests: {storage: 32Mi}
`);
    expect(await kubectl('rollout', 'status', 'sts/db', '--timeout=90s')).toContain('2 new pods have been updated');
    expect(await kubectl('get', 'pvc', '-l', 'app=db', '-o', 'name')).toBe('persistentvolumeclaim/data-db-0\npersistentvolumeclaim/data-db-1\n');
    const uid0 = (await c.cp.admin.get(Pods, 'default', 'db-0')).metadata?.uid;
    await kubectl('delete', 'pod', 'db-0');
    await eventually(async () => {
      const p = await c.cp.admin.get(Pods, 'default', 'db-0').catch(() => undefined);
      return p && p.metadata?.uid !== uid0 && (await phase('db-0')) === 'Running' ? true : undefined;
    }, { timeoutMs: 60_000, what: 'db-0 to come back' });
    const starts = await eventually(async () => {
      const out = await kubectl('exec', 'db-0', '--', 'cat', '/data/starts');
      return out.split('\n').filter(Boolean).length === 2 ? out : undefined;
    }, { timeoutMs: 30_000, what: 'the second start recorded next to the first' });
    expect(starts).toBe('db-0\ndb-0\n');
    expect(await kubectl('exec', 'db-1', '--', 'cat', '/data/starts')).toBe('db-1\n');
  }, 180_000);

  it('leaves no volumes or directories once the set and its claims are deleted', async () => {
    await kubectl('delete', 'sts', 'db');
    await eventually(async () => ((await c.cp.admin.list(Pods, 'default', { labelSelector: 'app=db' })).items.length ? undefined : true), { timeoutMs: 60_000, what: 'db pods to go' });
    // Retain/Retain: the claims outlived the set; deleting them reclaims the volumes.
    await kubectl('delete', 'pvc', 'data-db-0', 'data-db-1');
    await eventually(async () => ((await c.cp.admin.list(PersistentVolumes)).items.length ? undefined : true), { timeoutMs: 60_000, what: 'every volume to go' });
    await eventually(() => (volumeDirs().length ? undefined : true), { timeoutMs: 20_000, what: 'every directory to go' });
  }, 120_000);
});
