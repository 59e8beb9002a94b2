// tsctl describe pod and describe node against the stock kubectl 1.32 on the same objects: a pod
// with most of what describePod prints (init and app containers with ports, commands, resources,
// probes, every form of env and envFrom, mounts; its states; readiness gates, conditions, volumes
// of many kinds, node selector, tolerations, events), a terminating pending one, one with the older
// volume sources and a raw device, a node with its Lease, conditions, addresses, resources, system
// info, pods and events, and a Deployment's pod template, byte for byte.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { core, Deployments, Leases, Namespaces, Nodes, Pods } from '../../pkg/client/rest-client.js';
import { runTsctl } from '../helpers/tsctl.js';
import { hasKubectl, kubectlOk } from '../helpers/kubectl.js';
import { startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let cp: TestControlPlane;
const cache = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));
const tsctl = (...args: string[]) => runTsctl(cp.kubeconfig, args);
const kubectl = (...args: string[]) => kubectlOk(cp.kubeconfig, cache, args);

const ns = 'tsc-dp';
const t0 = '2026-01-02T03:04:05Z';
const t1 = '2026-01-02T03:05:06Z';

beforeAll(async () => {
  if (!hasKubectl) return;
  cp = await startControlPlane();
  await cp.admin.create(Namespaces, undefined, { metadata: { name: ns } });
  await cp.admin.create(core('configmaps'), ns, { metadata: { name: 'cfg' }, data: { k: 'v' } });
});
afterAll(async () => {
  await cp?.stop();
  rmSync(cache, { recursive: true, force: true });
});

const richPod = {
  metadata: { name: 'rich', labels: { app: 'web', tier: 'front' }, annotations: { note: 'hello' } },
  spec: {
    nodeName: 'n1',
    priority: 0,
    nodeSelector: { disk: 'ssd', 'kubernetes.io/os': 'linux' },
    tolerations: [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' },
      { operator: 'Exists' },
    ],
    readinessGates: [{ conditionType: 'example.com/feature' }, { conditionType: 'example.com/other' }],
    initContainers: [{ name: 'setup', image: 'tskube.local/busybox:latest', command: ['sh', '-c', 'echo one\necho two'] }],
    containers: [
      {
        name: 'app',
        image: 'tskube.local/busybox:latest',
        command: ['sleep'],
        args: ['3600'],
        ports: [
          { name: 'http', containerPort: 8080 },
          { containerPort: 9090, hostPort: 19090, protocol: 'UDP' },
        ],
        resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m', memory: '64Mi' } },
        livenessProbe: { exec: { command: ['cat', '/tmp/ok'] }, initialDelaySeconds: 5 },
        readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 3 },
        startupProbe: { tcpSocket: { port: 'http' }, failureThreshold: 30 },
        envFrom: [{ configMapRef: { name: 'cfg' } }, { prefix: 'S_', secretRef: { name: 'sec', optional: true } }],
        env: [
          { name: 'PLAIN', value: 'x' },
          { name: 'LINES', value: 'a\nb' },
          { name: 'MY_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
          { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'requests.cpu' } } },
          { name: 'PASS', valueFrom: { secretKeyRef: { name: 'sec', key: 'password' } } },
          { name: 'K', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k', optional: true } } },
        ],
        volumeMounts: [
          { name: 'data', mountPath: '/data', subPath: 'app' },
          { name: 'cfg', mountPath: '/etc/cfg', readOnly: true },
        ],
      },
      { name: 'side', image: 'tskube.local/busybox:latest', env: [{ name: 'LIM', valueFrom: { resourceFieldRef: { containerName: 'side', resource: 'limits.cpu' } } }] },
    ],
    volumes: [
      { name: 'data', emptyDir: { sizeLimit: '1Gi' } },
      { name: 'mem', emptyDir: { medium: 'Memory' } },
      { name: 'host', hostPath: { path: '/var/log', type: 'Directory' } },
      { name: 'cfg', configMap: { name: 'cfg' } },
      { name: 'sec', secret: { secretName: 'sec', optional: true } },
      { name: 'claim', persistentVolumeClaim: { claimName: 'pvc', readOnly: true } },
      { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'cpu', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu' } }] } },
      {
        name: 'proj',
        projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }, { configMap: { name: 'kube-root-ca.crt' } }, { secret: { name: 'sec' } }, { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } }] },
      },
      { name: 'nfs', nfs: { server: 'nfs.example', path: '/exports' } },
      { name: 'csi', csi: { driver: 'csi.example.com', volumeAttributes: { size: '1', kind: 'fast' } } },
      { name: 'scratch', ephemeral: { volumeClaimTemplate: { metadata: { labels: { t: 'x' } }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '1Gi' } } } } } },
      { name: 'git', gitRepo: { repository: 'https://example.com/r.git', revision: 'main' } },
      { name: 'fc', fc: { targetWWNs: ['a', 'b'], lun: 2, fsType: 'ext4' } },
    ],
  },
};

const richStatus = {
  phase: 'Running',
  hostIP: '10.0.0.1',
  hostIPs: [{ ip: '10.0.0.1' }],
  podIP: '10.244.1.5',
  podIPs: [{ ip: '10.244.1.5' }],
  startTime: t0,
  nominatedNodeName: 'n2',
  conditions: [
    { type: 'Initialized', status: 'True', lastTransitionTime: t0 },
    { type: 'Ready', status: 'False', lastTransitionTime: t0 },
    { type: 'example.com/feature', status: 'True', lastTransitionTime: t0 },
  ],
  initContainerStatuses: [{ name: 'setup', image: 'tskube.local/busybox:latest', imageID: 'tskube.local/busybox@sha256:abc', containerID: 'tskube://i1', ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: t0, finishedAt: t1 } } }],
  containerStatuses: [
    { name: 'app', image: 'tskube.local/busybox:latest', imageID: 'tskube.local/busybox@sha256:abc', containerID: 'tskube://c1', ready: false, restartCount: 3, started: true, state: { running: { startedAt: t1 } }, lastState: { terminated: { exitCode: 137, signal: 9, reason: 'OOMKilled', message: 'out of memory', startedAt: t0, finishedAt: t1 } } },
    { name: 'side', image: 'tskube.local/busybox:latest', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } },
  ],
};

describe.skipIf(!hasKubectl)('tsctl describe pod and node as kubectl 1.32', () => {
  it('describes a pod with all its parts as kubectl describe pod does', async () => {
    await cp.admin.create(Pods, ns, richPod);
    await cp.admin.patch(Pods, ns, 'rich', { status: richStatus }, 'merge', 'status');
    // (a kubelet's event names the container in its fieldPath; ages from fixed times so both commands agree)
    const uid = (await cp.admin.get(Pods, ns, 'rich')).metadata?.uid;
    await cp.admin.create(core('events'), ns, { metadata: { name: 'rich.1' }, involvedObject: { kind: 'Pod', namespace: ns, name: 'rich', uid, fieldPath: 'spec.containers{app}' }, reason: 'Pulled', message: 'Container image "tskube.local/busybox:latest" already present on machine', type: 'Normal', source: { component: 'kubelet', host: 'n1' }, count: 1, firstTimestamp: t0, lastTimestamp: t0 });
    await cp.admin.create(core('events'), ns, { metadata: { name: 'rich.2' }, involvedObject: { kind: 'Pod', namespace: ns, name: 'rich', uid }, reason: 'Scheduled', message: 'Successfully assigned tsc-dp/rich to n1', type: 'Normal', source: { component: 'default-scheduler' }, count: 1, firstTimestamp: t0, lastTimestamp: t0 });
    const want = await kubectl('describe', 'pod', 'rich', '-n', ns);
    const got = await tsctl('describe', 'pod', 'rich', '-n', ns);
    expect(got.err).toBe('');
    expect(got.out).toBe(want);
  });

  it('describes a pending pod being deleted, with its owner, security profiles, spread constraints and an ephemeral container, as kubectl does', async () => {
    await cp.admin.create(Pods, ns, {
      metadata: { name: 'lean', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: '00000000-0000-0000-0000-000000000001', controller: true }] },
      spec: {
        priorityClassName: 'system-cluster-critical',
        securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
        topologySpreadConstraints: [
          { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }] } },
          { maxSkew: 2, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' },
        ],
        containers: [{ name: 'c', image: 'tskube.local/busybox:latest', securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/audit.json' } }, resources: { limits: { cpu: '1', memory: '1Gi' } } }],
        automountServiceAccountToken: false,
        nodeName: 'n1',
      },
    });
    await cp.admin.patch(Pods, ns, 'lean', { spec: { ephemeralContainers: [{ name: 'debugger', image: 'tskube.local/busybox:latest', command: ['sh'], stdin: true, tty: true }] } }, 'strategic', 'ephemeralcontainers');
    await cp.admin.patch(Pods, ns, 'lean', { status: { reason: 'Evicted', message: 'The node was low on resource: memory.' } }, 'merge', 'status');
    // (a node's pod deleted with a grace period stays until the node confirms: Terminating, its lasts "<invalid>" while the deadline is ahead)
    await cp.admin.delete(Pods, ns, 'lean', { gracePeriodSeconds: 60 });
    const want = await kubectl('describe', 'pod', 'lean', '-n', ns);
    expect(want).toMatch(/^Status:\s+Terminating \(lasts <invalid>\)\nTermination Grace Period:\s+60s$/m);
    expect((await tsctl('describe', 'pod', 'lean', '-n', ns)).out).toBe(want);
  });

  it('describes a node with its Lease, conditions, resources, system info, pods and events as kubectl describe node does', async () => {
    await cp.admin.create(Nodes, undefined, {
      metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1', 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': '', 'kubernetes.io/role': 'edge' }, annotations: { 'node.alpha.kubernetes.io/ttl': '0' } },
      spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'], providerID: 'tskube://n1', taints: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }, { key: 'b', effect: 'NoExecute' }, { key: 'a', effect: 'NoSchedule' }] },
    });
    await cp.admin.patch(Nodes, undefined, 'n1', {
      status: {
        conditions: [
          { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: t1, lastTransitionTime: t0, reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
          { type: 'Ready', status: 'True', lastHeartbeatTime: t1, lastTransitionTime: t0, reason: 'KubeletReady', message: 'kubelet is posting ready status' },
        ],
        addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: 'n1' }],
        capacity: { cpu: '2', memory: '4041272Ki', pods: '110', 'ephemeral-storage': '61255492Ki', 'hugepages-2Mi': '0', 'example.com/dongle': '4' },
        allocatable: { cpu: '1900m', memory: '3938872Ki', pods: '110', 'ephemeral-storage': '56453061334', 'hugepages-2Mi': '0', 'example.com/dongle': '4' },
        nodeInfo: { machineID: 'm', systemUUID: 's', bootID: 'b', kernelVersion: '6.1.0', osImage: 'Debian GNU/Linux 12 (bookworm)', operatingSystem: 'linux', architecture: 'amd64', containerRuntimeVersion: 'tskube://0.1.0', kubeletVersion: 'v1.32.0', kubeProxyVersion: '' },
      },
    }, 'merge', 'status');
    await cp.admin.create(Leases, 'kube-node-lease', { metadata: { name: 'n1' }, spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: '2026-01-02T03:05:06.000000Z' } });
    const node = await cp.admin.get(Nodes, undefined, 'n1');
    for (const [name, uid] of [['n1.a', node.metadata?.uid], ['n1.b', 'n1']] as const) {
      await cp.admin.create(core('events'), 'default', { metadata: { name }, involvedObject: { kind: 'Node', name: 'n1', uid }, reason: name === 'n1.a' ? 'RegisteredNode' : 'NodeReady', message: `m ${name}`, type: 'Normal', source: { component: name === 'n1.a' ? 'node-controller' : 'kubelet' }, count: 2, firstTimestamp: t0, lastTimestamp: name === 'n1.a' ? t1 : t0 });
    }
    // (the pods' ages are counted when each command runs: a second may pass between the two)
    const age = (s: string) => s.replace(/^(  tsc-dp .*\s)\d+s$/gm, '$1<age>');
    const want = await kubectl('describe', 'node', 'n1');
    expect(want).toMatch(/^  tsc-dp\s+rich\s+250m \(13%\)/m);
    const got = await tsctl('describe', 'node', 'n1');
    expect(got.err).toBe('');
    expect(age(got.out)).toBe(age(want));
    // a node with no Lease and nothing reported: kubectl's error in place of the Lease block
    await cp.admin.create(Nodes, undefined, { metadata: { name: 'bare' } });
    expect((await tsctl('describe', 'node', 'bare')).out).toBe(await kubectl('describe', 'node', 'bare'));
  });

  it('describes a pod template (a Deployment\'s) with the containers and volumes describePod prints, as kubectl DescribePodTemplate does', async () => {
    const { nodeName: _n, priority: _p, readinessGates: _r, ...spec } = richPod.spec;
    await cp.admin.create(Deployments, ns, {
      metadata: { name: 'tmpl' },
      spec: { replicas: 0, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' }, annotations: { a: 'b' } }, spec: { ...spec, serviceAccountName: 'default', priorityClassName: 'system-node-critical', topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }] } } },
    });
    // (no deployment controller runs here: it has no ReplicaSets, so no OldReplicaSets and NewReplicaSet lines)
    const want = await kubectl('describe', 'deployment', 'tmpl', '-n', ns);
    expect(want).toMatch(/^  Topology Spread Constraints:  zone:DoNotSchedule when max skew 1 is exceeded\n  Priority Class Name:          system-node-critical\n  Node-Selectors:/m);
    expect(want).not.toMatch(/ReplicaSet/);
    expect((await tsctl('describe', 'deployment', 'tmpl', '-n', ns)).out).toBe(want);
  });

  it('describes the older volume sources with their printers as kubectl does', async () => {
    await cp.admin.create(Pods, ns, {
      metadata: { name: 'vols' },
      spec: {
        automountServiceAccountToken: false,
        // (a raw block device and no mounts: "Devices:" takes the mounts' "<none>", as 1.32 writes it)
        containers: [{ name: 'c', image: 'tskube.local/busybox:latest', volumeDevices: [{ name: 'blk', devicePath: '/dev/xvdb' }] }],
        volumes: [
          { name: 'blk', persistentVolumeClaim: { claimName: 'block' } },
          { name: 'gce', gcePersistentDisk: { pdName: 'disk', fsType: 'ext4', partition: 1 } },
          { name: 'aws', awsElasticBlockStore: { volumeID: 'vol-1', readOnly: true } },
          { name: 'iscsi', iscsi: { targetPortal: '10.0.0.9:3260', iqn: 'iqn.2001-04.com.example:storage', lun: 0, portals: ['10.0.0.10:3260'], secretRef: { name: 'chap' }, chapAuthSession: true } },
          { name: 'gluster', glusterfs: { endpoints: 'ep', path: 'vol' } },
          { name: 'rbd', rbd: { monitors: ['10.0.0.1:6789', '10.0.0.2:6789'], image: 'img' } },
          { name: 'ceph', cephfs: { monitors: ['10.0.0.1:6789'], user: 'admin' } },
          { name: 'cinder', cinder: { volumeID: 'c1' } },
          { name: 'flex', flexVolume: { driver: 'example/lvm', options: { size: '1G' } } },
          { name: 'azf', azureFile: { secretName: 'az', shareName: 'share' } },
          { name: 'azd', azureDisk: { diskName: 'd', diskURI: 'https://example/d.vhd' } },
          { name: 'vs', vsphereVolume: { volumePath: '[ds] vol.vmdk' } },
          { name: 'quo', quobyte: { registry: 'reg:7861', volume: 'v' } },
          { name: 'flocker', flocker: { datasetName: 'ds' } },
          { name: 'px', portworxVolume: { volumeID: 'px1' } },
          { name: 'sio', scaleIO: { gateway: 'https://gw', system: 'sys', volumeName: 'v1', secretRef: { name: 's' } } },
          { name: 'sos', storageos: { volumeName: 'v', volumeNamespace: 'ns' } },
          { name: 'photon', photonPersistentDisk: { pdID: 'p1' } },
        ],
      },
    });
    const want = await kubectl('describe', 'pod', 'vols', '-n', ns);
    expect(want).toMatch(/^    Mounts:\s+<none>\n    Devices:\s+<none>\n      \/dev\/xvdb from blk$/m);
    expect((await tsctl('describe', 'pod', 'vols', '-n', ns)).out).toBe(want);
  });
});
