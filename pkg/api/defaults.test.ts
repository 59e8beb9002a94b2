import { describe, expect, it } from 'vitest';
import { addNamespaceFinalizer, defaultNamespace, defaultNode, defaultPod, defaultPodSpec, defaultPullPolicy, effectivePodRequests, podQOSClass } from './defaults.js';
import { defaultDeployment, defaultReplicaSet, defaultReplicationController } from './defaults-apps.js';
import { defaultCronJob, defaultJob } from './defaults-batch.js';
import { defaultDaemonSet, defaultStatefulSet } from './defaults-sets.js';
import type { Container, Pod, PodTemplateSpec } from './types.js';

const pod = (containers: Container[], init: Container[] = []): Pod => ({ metadata: { name: 'p' }, spec: { containers, initContainers: init } });
const res = (requests?: Record<string, string>, limits?: Record<string, string>) => ({ resources: { requests, limits } });

describe('defaultPod', () => {
  it('applies the apiserver defaults', () => {
    const p = defaultPod({
      metadata: { name: 'p' },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'nginx',
            ports: [{ containerPort: 80 }],
            livenessProbe: { httpGet: { port: 80 } },
            resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m' } },
          },
        ],
        volumes: [{ name: 'scratch' }],
      },
    });
    const s = p.spec!;
    expect(s).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
      securityContext: {},
      enableServiceLinks: true,
    });
    // Priority and preemptionPolicy come from the Priority admission plugin, not defaulting.
    expect(s.priority).toBeUndefined();
    expect(s.preemptionPolicy).toBeUndefined();
    const c = s.containers![0];
    expect(c.imagePullPolicy).toBe('Always');
    expect(c.terminationMessagePath).toBe('/dev/termination-log');
    expect(c.terminationMessagePolicy).toBe('File');
    expect(c.ports![0].protocol).toBe('TCP');
    expect(c.livenessProbe).toEqual({ httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    expect(c.resources!.requests).toEqual({ cpu: '100m', memory: '128Mi' });
    expect(s.volumes![0]).toEqual({ name: 'scratch', emptyDir: {} });
    expect(s.tolerations).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
  });

  it('keeps what the user set and does not duplicate default tolerations', () => {
    const p = defaultPod({
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 0,
        enableServiceLinks: false,
        containers: [{ name: 'c', image: 'nginx:1.27', imagePullPolicy: 'Never' }],
        tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }],
      },
    });
    expect(p.spec!.restartPolicy).toBe('Never');
    expect(p.spec!.terminationGracePeriodSeconds).toBe(0);
    expect(p.spec!.enableServiceLinks).toBe(false);
    expect(p.spec!.containers![0].imagePullPolicy).toBe('Never');
    expect(p.spec!.tolerations!.map((t) => [t.key, t.tolerationSeconds])).toEqual([
      ['node.kubernetes.io/unreachable', 5],
      ['node.kubernetes.io/not-ready', 300],
    ]);
    expect(defaultPod(p)).toEqual(p); // idempotent
  });

  it('stores quantities in canonical form and leaves invalid ones to validation', () => {
    const p = defaultPod({ spec: { containers: [{ name: 'c', image: 'x:1', resources: { limits: { cpu: '0.5', memory: '1.5Gi' }, requests: { memory: 'lots' } } }], overhead: { cpu: '1000m' } } });
    expect(p.spec!.containers![0].resources).toEqual({ limits: { cpu: '500m', memory: '1536Mi' }, requests: { cpu: '500m', memory: 'lots' } });
    expect(p.spec!.overhead).toEqual({ cpu: '1' });
  });

  it("copies limits into missing requests for a Pod's containers and init containers, never a template's", () => {
    const spec = () => ({ initContainers: [{ name: 'i', image: 'x:1', resources: { limits: { memory: '32Mi' } } }], containers: [{ name: 'c', image: 'x:1', resources: { limits: { cpu: '200m', memory: '64Mi' }, requests: { cpu: '10m' } } }] });
    const p = defaultPod({ spec: spec() });
    expect(p.spec!.initContainers![0].resources?.requests).toEqual({ memory: '32Mi' });
    expect(p.spec!.containers![0].resources?.requests).toEqual({ cpu: '10m', memory: '64Mi' });
    const template = defaultPodSpec(spec());
    expect(template.initContainers![0].resources?.requests).toBeUndefined();
    expect(template.containers![0].resources?.requests).toEqual({ cpu: '10m' });
  });

  it('sets hostPort from containerPort on hostNetwork pods', () => {
    const p = defaultPod({ spec: { hostNetwork: true, containers: [{ name: 'c', image: 'x:1', ports: [{ containerPort: 8080 }] }] } });
    expect(p.spec!.containers![0].ports![0].hostPort).toBe(8080);
  });

  it('gives a template neither enableServiceLinks nor host ports (SetDefaults_Pod only), a pod both', () => {
    const spec = defaultPodSpec({ hostNetwork: true, containers: [{ name: 'c', image: 'x:1', ports: [{ containerPort: 8080 }] }] });
    expect(spec.enableServiceLinks).toBeUndefined();
    expect(spec.containers![0].ports).toEqual([{ containerPort: 8080, protocol: 'TCP' }]);
    const p = defaultPod({ spec: structuredClone(spec) });
    expect(p.spec!.enableServiceLinks).toBe(true);
    expect(p.spec!.containers![0].ports).toEqual([{ containerPort: 8080, hostPort: 8080, protocol: 'TCP' }]);
  });

  it.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.27', 'IfNotPresent'],
    ['localhost:5000/app', 'Always'],
    ['localhost:5000/app:v1', 'IfNotPresent'],
    ['busybox@sha256:abc', 'IfNotPresent'],
  ])('pull policy of %s is %s', (image, policy) => {
    expect(defaultPullPolicy(image)).toBe(policy);
  });
});

describe('defaultPod: generic ephemeral volumes', () => {
  it('keeps the volume ephemeral (no emptyDir) and gives its claim spec a claim\'s defaults', () => {
    const p = defaultPod({ metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }], volumes: [{ name: 'v', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1024Mi' } } } } } }] } });
    const v = p.spec!.volumes![0]!;
    expect(v.emptyDir).toBeUndefined();
    expect(v.ephemeral!.volumeClaimTemplate!.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' });
    // (PersistentVolumeClaimTemplate embeds ObjectMeta by value: Go writes its zero creationTimestamp as null)
    expect(v.ephemeral!.volumeClaimTemplate!.metadata).toEqual({ creationTimestamp: null });
  });
});

describe('embedded ObjectMeta: templates carry creationTimestamp: null as 1.32 writes them', () => {
  const podTemplate = () => ({ metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'x' }] } });
  const selector = { matchLabels: { app: 'a' } };
  it('in every workload kind\'s pod template, a CronJob\'s job template and a StatefulSet\'s claim templates', () => {
    const tm = (o: { spec?: { template?: PodTemplateSpec } }) => o.spec!.template!.metadata;
    const want = { creationTimestamp: null, labels: { app: 'a' } };
    expect(tm(defaultDeployment({ spec: { selector, template: podTemplate() } }))).toEqual(want);
    expect(tm(defaultReplicaSet({ spec: { selector, template: podTemplate() } }))).toEqual(want);
    expect(tm(defaultReplicationController({ spec: { template: podTemplate() } }))).toEqual(want);
    expect(tm(defaultDaemonSet({ spec: { selector, template: podTemplate() } }))).toEqual(want);
    expect(tm(defaultJob({ spec: { template: podTemplate() } }))).toEqual(want);
    // (a template without metadata gets it: Go never omits the struct)
    expect(tm(defaultJob({ spec: { template: { spec: { containers: [] } } } }))).toEqual({ creationTimestamp: null });
    const cj = defaultCronJob({ spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: { containers: [] } } } } } });
    expect(cj.spec!.jobTemplate!.metadata).toEqual({ creationTimestamp: null });
    expect(cj.spec!.jobTemplate!.spec!.template!.metadata).toEqual({ creationTimestamp: null });
    const sts = defaultStatefulSet({ spec: { selector, template: podTemplate(), volumeClaimTemplates: [{ apiVersion: 'v2', metadata: { name: 'data' }, spec: {} }] } });
    expect(tm(sts)).toEqual(want);
    // (Convert_apps_StatefulSetSpec_To_v1_StatefulSetSpec names each claim template's kind)
    expect(sts.spec!.volumeClaimTemplates![0]).toMatchObject({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', creationTimestamp: null }, status: { phase: 'Pending' } });
    // (a ReplicationController without a template has none: its template is a pointer)
    expect(defaultReplicationController({ spec: {} }).spec).not.toHaveProperty('template');
  });
  it('keeps a creationTimestamp a client gave', () => {
    const given = { ...podTemplate(), metadata: { creationTimestamp: '2024-01-01T00:00:00Z' } };
    expect(defaultDeployment({ spec: { selector, template: given } }).spec!.template!.metadata).toEqual({ creationTimestamp: '2024-01-01T00:00:00Z' });
  });
});

describe('defaultNode and defaultNamespace', () => {
  it('copies capacity to allocatable and syncs podCIDRs', () => {
    const n = defaultNode({ metadata: { name: 'n' }, spec: { podCIDR: '10.244.1.0/24' }, status: { capacity: { cpu: '2', memory: '4Gi', pods: '110' } } });
    expect(n.status!.allocatable).toEqual({ cpu: '2', memory: '4Gi', pods: '110' });
    expect(n.spec!.podCIDRs).toEqual(['10.244.1.0/24']);
  });

  it('adds the kubernetes finalizer, Active phase and name label', () => {
    const ns = addNamespaceFinalizer(defaultNamespace({ metadata: { name: 'team-a' } }));
    expect(ns.spec!.finalizers).toEqual(['kubernetes']);
    expect(ns.status!.phase).toBe('Active');
    expect(ns.metadata!.labels).toEqual({ 'kubernetes.io/metadata.name': 'team-a' });
  });
});

describe('podQOSClass', () => {
  it.each<[string, Pod, string]>([
    ['no resources', pod([{ name: 'a' }]), 'BestEffort'],
    ['equal requests and limits', pod([{ name: 'a', ...res({ cpu: '1', memory: '1Gi' }, { cpu: '1', memory: '1Gi' }) }]), 'Guaranteed'],
    ['only limits (requests default to them)', pod([{ name: 'a', ...res(undefined, { cpu: '1', memory: '1Gi' }) }]), 'Guaranteed'],
    ['equal in different notation', pod([{ name: 'a', ...res({ cpu: '1000m', memory: '1024Mi' }, { cpu: '1', memory: '1Gi' }) }]), 'Guaranteed'],
    ['requests below limits', pod([{ name: 'a', ...res({ cpu: '500m', memory: '1Gi' }, { cpu: '1', memory: '1Gi' }) }]), 'Burstable'],
    ['only a cpu request', pod([{ name: 'a', ...res({ cpu: '100m' }) }]), 'Burstable'],
    ['one container without limits', pod([{ name: 'a', ...res(undefined, { cpu: '1', memory: '1Gi' }) }, { name: 'b' }]), 'Burstable'],
    ['memory limit only', pod([{ name: 'a', ...res(undefined, { memory: '1Gi' }) }]), 'Burstable'],
    ['init container without limits', pod([{ name: 'a', ...res(undefined, { cpu: '1', memory: '1Gi' }) }], [{ name: 'i' }]), 'Burstable'],
    ['only non-cpu/memory resources', pod([{ name: 'a', ...res({ 'ephemeral-storage': '1Gi' }) }]), 'BestEffort'],
  ])('%s → %s', (_n, p, qos) => {
    expect(podQOSClass(p)).toBe(qos);
  });
});

describe('effectivePodRequests', () => {
  it('takes the max of the largest init container and the sum of app containers, plus overhead', () => {
    const p = pod(
      [
        { name: 'a', ...res({ cpu: '100m', memory: '64Mi' }) },
        { name: 'b', ...res({ cpu: '200m', memory: '64Mi' }) },
      ],
      [
        { name: 'i1', ...res({ cpu: '1', memory: '32Mi' }) },
        { name: 'i2', ...res({ cpu: '50m', memory: '256Mi' }) },
      ],
    );
    expect(effectivePodRequests(p)).toEqual({ cpu: 1000, memory: 256 * 1024 * 1024 });
    p.spec!.overhead = { cpu: '10m' };
    expect(effectivePodRequests(p).cpu).toBe(1010);
  });

  it('counts sidecars alongside app containers and later init containers', () => {
    const p = pod([{ name: 'a', ...res({ cpu: '100m' }) }], [
      { name: 'side', restartPolicy: 'Always', ...res({ cpu: '50m' }) },
      { name: 'i', ...res({ cpu: '300m' }) },
    ]);
    expect(effectivePodRequests(p).cpu).toBe(350);
    p.spec!.initContainers![1].resources!.requests!.cpu = '10m';
    expect(effectivePodRequests(p).cpu).toBe(150);
  });
});
