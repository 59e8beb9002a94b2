// kubeadm init's upload-config phase: the kubelet-config a joining machine's node agent runs with
// must be one the agent's --config takes as it is, with nothing of the control-plane node's own.
import { describe, expect, it } from 'vitest';
import { defaultAgentConfig } from '../nodeagent/agent-config.js';
import { loadKubeletConfigFile } from '../nodeagent/kubelet-config-file.js';
import { GIT_VERSION } from '../util/version.js';
import { podSubnetOf, uploadConfigObjects } from './upload-config.js';

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
