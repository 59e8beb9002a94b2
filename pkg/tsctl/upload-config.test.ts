// kubeadm init's upload-config phase: the kubelet-config a joining machine's node agent runs with
// must be one the agent's --config takes as it is, with nothing of the control-plane node's own.
import { describe, expect, it } from 'vitest';
import { defaultAgentConfig } from '../nodeagent/agent-config.js';
import { loadKubeletConfigFile } from '../nodeagent/kubelet-config-file.js';
import { GIT_VERSION } from '../util/version.js';
import { StatusError, type ResourceRef } from '../client/rest-client.js';
import { ensureUploadConfig, podSubnetOf, uploadConfigObjects } from './upload-config.js';

describe('upload-config', () => {
  const objs = uploadConfigObjects({ dataDir: '/var/lib/tskube' });
  const data = (name: string) => (objs.find((x) => x.obj.metadata?.name === name)!.obj as { data: Record<string, string> }).data;

  it("kubelet-config's KubeletConfiguration is read by the agent's --config as the cluster's settings, none of them one node's own", () => {
    const text = data('kubelet-config').kubelet;
    const file = loadKubeletConfigFile('/etc/config.yaml', () => text);
    const d = defaultAgentConfig('x');
    expect(file.flags).toMatchObject({ 'cluster-domain': 'cluster.local', 'max-pods': d.maxPods, 'rotate-certificates': true });
    expect(file.flags).not.toHaveProperty('port');
    expect(file.flags).not.toHaveProperty('pod-cidr');
    expect(file.flags).not.toHaveProperty('pod-manifest-path');
    // (sigs.k8s.io/yaml's order: keys sorted)
    const keys = text.split('\n').filter((l) => /^\w/.test(l)).map((l) => l.split(':')[0]);
    expect(keys).toEqual([...keys].sort());
    expect(keys).toEqual(expect.arrayContaining(['apiVersion', 'authentication', 'authorization', 'cgroupDriver', 'clusterDomain', 'kind']));
  });

  it("kubelet-config names kube-dns's address and the cluster domain as kubeadm's kubelet Default writes them (clusterDNS: [10.96.0.10], clusterDomain: cluster.local)", () => {
    const text = data('kubelet-config').kubelet;
    expect(text).toContain('\nclusterDNS:\n- 10.96.0.10\nclusterDomain: cluster.local\n');
    expect(loadKubeletConfigFile('/etc/config.yaml', () => text).flags).toMatchObject({ 'cluster-dns': '10.96.0.10', 'cluster-domain': 'cluster.local' });
    // (GetDNSIP of the service subnet, networking.dnsDomain; DefaultClusterDNSIP when the subnet has no tenth address)
    const other = (o: Parameters<typeof uploadConfigObjects>[0]) => (uploadConfigObjects(o)[3]!.obj as { data: Record<string, string> }).data.kubelet;
    expect(other({ dataDir: '/d', serviceSubnet: '172.20.0.0/24', dnsDomain: 'corp.example' })).toContain('\nclusterDNS:\n- 172.20.0.10\nclusterDomain: corp.example\n');
    expect(other({ dataDir: '/d', serviceSubnet: '172.20.0.0/29' })).toContain('\nclusterDNS:\n- 10.96.0.10\n');
  });

  it('kubeadm-config holds the ClusterConfiguration, its Role and RoleBinding naming the bootstrap tokens and the nodes', () => {
    expect(data('kubeadm-config').ClusterConfiguration).toBe(
      [
        'apiServer: {}',
        'apiVersion: kubeadm.k8s.io/v1beta4',
        'caCertificateValidityPeriod: 87600h0m0s',
        'certificateValidityPeriod: 87600h0m0s',
        'certificatesDir: /var/lib/tskube/pki',
        'clusterName: kubernetes',
        'controllerManager: {}',
        'dns: {}',
        'encryptionAlgorithm: ECDSA-P256',
        'etcd:',
        '  local:',
        '    dataDir: /var/lib/tskube/etcd',
        'imageRepository: registry.k8s.io',
        'kind: ClusterConfiguration',
        `kubernetesVersion: ${GIT_VERSION}`,
        'networking:',
        '  dnsDomain: cluster.local',
        '  podSubnet: 10.244.0.0/16',
        '  serviceSubnet: 10.96.0.0/16',
        'proxy: {}',
        'scheduler: {}',
        '',
      ].join('\n'),
    );
    expect(objs.map((x) => `${x.obj.kind}/${x.obj.metadata!.name}`)).toEqual([
      'ConfigMap/kubeadm-config',
      'Role/kubeadm:nodes-kubeadm-config',
      'RoleBinding/kubeadm:nodes-kubeadm-config',
      'ConfigMap/kubelet-config',
      'Role/kubeadm:kubelet-config',
      'RoleBinding/kubeadm:kubelet-config',
    ]);
  });

  it("a joining node takes the cluster's pod network from kubeadm-config (networking.podSubnet)", () => {
    expect(podSubnetOf((uploadConfigObjects({ dataDir: '/d', podSubnet: '10.245.0.0/16' })[0]!.obj as { data: Record<string, string> }).data.ClusterConfiguration)).toBe('10.245.0.0/16');
    expect(podSubnetOf('networking: {}\n')).toBeUndefined();
    expect(podSubnetOf(': [')).toBeUndefined();
    expect(podSubnetOf(undefined)).toBeUndefined();
  });
});

describe('upload-config run again (every tsctl up)', () => {
  /** An API of objects by kind/name: create answers 409 for one that exists, as the apiserver does. */
  function fakeApi() {
    const store = new Map<string, Record<string, unknown>>();
    const writes: string[] = [];
    const key = (ref: ResourceRef, name: string) => `${ref.resource}/${name}`;
    return {
      store,
      writes,
      client: {
        create: async <T>(ref: ResourceRef, _ns: string | undefined, obj: Record<string, unknown>) => {
          const k = key(ref, (obj.metadata as { name: string }).name);
          if (store.has(k)) throw new StatusError(409, undefined, `${k} already exists`);
          store.set(k, obj);
          writes.push(`create ${k}`);
          return obj as T;
        },
        get: async <T>(ref: ResourceRef, _ns: string | undefined, name: string) => {
          const o = store.get(key(ref, name));
          if (!o) throw new StatusError(404, undefined, 'not found');
          return o as T;
        },
        update: async <T>(ref: ResourceRef, _ns: string | undefined, name: string, obj: Record<string, unknown>) => {
          store.set(key(ref, name), obj);
          writes.push(`update ${key(ref, name)}`);
          return obj as T;
        },
      },
    };
  }

  it("leaves a kubelet-config the admin edited as it is, as kubeadm writes it only at init (and upgrade); creates it where there is none", async () => {
    const api = fakeApi();
    await ensureUploadConfig(api.client as never, { dataDir: '/d' });
    expect(api.writes).toContain('create configmaps/kubelet-config');
    const edited = { ...api.store.get('configmaps/kubelet-config')!, data: { kubelet: 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmaxPods: 50\n' } };
    api.store.set('configmaps/kubelet-config', edited);
    api.writes.length = 0;
    await ensureUploadConfig(api.client as never, { dataDir: '/d' });
    expect(api.writes).toEqual([]);
    expect(api.store.get('configmaps/kubelet-config')).toBe(edited);
    // (the ClusterConfiguration is tsctl up's own: kept as up runs the cluster)
    await ensureUploadConfig(api.client as never, { dataDir: '/d', podSubnet: '10.245.0.0/16' });
    expect(api.writes).toEqual(['update configmaps/kubeadm-config']);
  });
});
