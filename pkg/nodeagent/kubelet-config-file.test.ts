// The node agent's --config: a KubeletConfiguration file's fields set the matching flags, those
// given on the command line winning, with the 1.32 kubelet's loadConfigFile errors.
import { describe, expect, it } from 'vitest';
import { applyKubeletConfigFile, givenFlags, loadKubeletConfigFile } from './kubelet-config-file.js';

const file = (text: string) => () => text;

describe('loadKubeletConfigFile', () => {
  it('turns the fields into flag values: maps into their pairs, lists, numbers, a relative staticPodPath from the file\'s directory', () => {
    const got = loadKubeletConfigFile(
      '/etc/tskube/kubelet.yaml',
      file(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
systemReserved: {cpu: 200m, memory: 500Mi}
kubeReserved: {memory: 1Gi}
evictionHard: {memory.available: 200Mi}
evictionSoftGracePeriod: {memory.available: 1m30s}
maxPods: 50
clusterDNS: [10.96.0.10]
staticPodPath: manifests
registerWithTaints: [{key: dedicated, value: infra, effect: NoSchedule}]
serializeImagePulls: false
`),
    );
    expect(got.flags).toEqual({
      'system-reserved': ['cpu=200m', 'memory=500Mi'],
      'kube-reserved': ['memory=1Gi'],
      'eviction-hard': ['memory.available<200Mi'],
      'eviction-soft-grace-period': ['memory.available=1m30s'],
      'max-pods': 50,
      'cluster-dns': '10.96.0.10',
      'pod-manifest-path': '/etc/tskube/manifests',
      'register-with-taints': ['dedicated=infra:NoSchedule'],
    });
    expect(got.ignored).toEqual(['serializeImagePulls']);
  });

  it('refuses a file it cannot read, an empty one, and one that is not a KubeletConfiguration, as loadConfigFile', () => {
    const missing = () => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    };
    expect(() => loadKubeletConfigFile('/nope.yaml', missing)).toThrow('failed to load Kubelet config file /nope.yaml, error failed to read kubelet config file "/nope.yaml", error: open /nope.yaml: no such file or directory');
    expect(() => loadKubeletConfigFile('/e.yaml', file(''))).toThrow('failed to load Kubelet config file /e.yaml, error kubelet config file "/e.yaml" was empty');
    expect(() => loadKubeletConfigFile('/k.yaml', file('apiVersion: v1\nkind: Pod\n'))).toThrow('failed to load Kubelet config file /k.yaml, error failed to decode: no kind "Pod" is registered for version "v1"');
    expect(() => loadKubeletConfigFile('/k.yaml', file('apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmaxPods: many\n'))).toThrow('cannot unmarshal string into Go struct field KubeletConfiguration.maxPods of type int32');
  });

  it('reads rotateCertificates into --rotate-certificates (kubeadm writes it true), a non-boolean refused as Go decodes it', () => {
    const cfg = loadKubeletConfigFile('/k.yaml', file('apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nrotateCertificates: true\n'));
    expect(cfg.flags).toEqual({ 'rotate-certificates': true });
    expect(cfg.ignored).toEqual([]);
    expect(() => loadKubeletConfigFile('/k.yaml', file('apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nrotateCertificates: "yes"\n'))).toThrow('cannot unmarshal string into Go struct field KubeletConfiguration.rotateCertificates of type bool');
  });

  it('reads authentication.x509.clientCAFile into --client-ca-file (relative to the file, as kubeadm writes an absolute one); anonymous and webhook are left alone', () => {
    const kubeadm = ['apiVersion: kubelet.config.k8s.io/v1beta1', 'kind: KubeletConfiguration', 'authentication:', '  anonymous:', '    enabled: false', '  webhook:', '    cacheTTL: 0s', '    enabled: true', '  x509:', '    clientCAFile: /etc/kubernetes/pki/ca.crt', ''].join('\n');
    const cfg = loadKubeletConfigFile('/var/lib/kubelet/config.yaml', file(kubeadm));
    expect(cfg.flags).toEqual({ 'client-ca-file': '/etc/kubernetes/pki/ca.crt' });
    expect(cfg.ignored).toEqual(['authentication.anonymous', 'authentication.webhook']);
    expect(loadKubeletConfigFile('/etc/k/config.yaml', file('apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication: {x509: {clientCAFile: pki/ca.crt}}\n')).flags).toEqual({ 'client-ca-file': '/etc/k/pki/ca.crt' });
    // (an empty one sets nothing: the flag's default stays)
    expect(loadKubeletConfigFile('/k.yaml', file('apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication: {x509: {clientCAFile: ""}}\n')).flags).toEqual({});
    expect(() => loadKubeletConfigFile('/k.yaml', file('apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication: {x509: {clientCAFile: 3}}\n'))).toThrow('cannot unmarshal number into Go struct field KubeletX509Authentication.authentication.x509.clientCAFile of type string');
    expect(() => loadKubeletConfigFile('/k.yaml', file('apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication: [x509]\n'))).toThrow('cannot unmarshal array into Go struct field KubeletConfiguration.authentication of type v1beta1.KubeletAuthentication');
  });

  it('keeps serverTLSBootstrap as a setting (the kubelet has no flag for it), a non-boolean refused as Go decodes it', () => {
    const cfg = loadKubeletConfigFile('/k.yaml', file('apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nserverTLSBootstrap: true\n'));
    expect(cfg.settings).toEqual({ serverTLSBootstrap: true });
    expect(cfg.ignored).toEqual([]);
    expect(() => loadKubeletConfigFile('/k.yaml', file('apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nserverTLSBootstrap: "yes"\n'))).toThrow('cannot unmarshal string into Go struct field KubeletConfiguration.serverTLSBootstrap of type bool');
  });

  it('leaves the flags given on the command line as they are', () => {
    const flags: Record<string, unknown> = { 'system-reserved': ['cpu=100m'], 'max-pods': 110, 'eviction-hard': ['memory.available<100Mi'] };
    const cfg = loadKubeletConfigFile('/k.yaml', file('apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nsystemReserved: {cpu: "1"}\nmaxPods: 20\n'));
    applyKubeletConfigFile(flags, cfg, givenFlags(['--config', '/k.yaml', '--system-reserved=cpu=100m', '--', '--max-pods']));
    expect(flags).toEqual({ 'system-reserved': ['cpu=100m'], 'max-pods': 20, 'eviction-hard': ['memory.available<100Mi'] });
  });
});
