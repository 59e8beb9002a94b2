import { describe, expect, it } from 'vitest';
import { validateJoin } from './join.js';

const ok = { endpoint: '10.0.0.7:6443', token: 'abcdef.0123456789abcdef', tlsBootstrapToken: 'abcdef.0123456789abcdef', caCertHashes: [`sha256:${'a'.repeat(64)}`], unsafeSkipCAVerification: false };

describe('tsctl join flags', () => {
  it("are refused as kubeadm join's ValidateDiscovery refuses them, every error at once", () => {
    expect(() => validateJoin(ok)).not.toThrow();
    // (kubeadm join pqrstu.abcdef1234567890, as a user ran it: the token taken for the endpoint)
    expect(() => validateJoin({ endpoint: 'pqrstu.abcdef1234567890', token: '', tlsBootstrapToken: '', caCertHashes: [], unsafeSkipCAVerification: false })).toThrow(
      '[discovery.bootstrapToken.caCertHashes: Invalid value: "": using token-based discovery without caCertHashes can be unsafe. Set unsafeSkipCAVerification as true in your kubeadm config file or pass --discovery-token-unsafe-skip-ca-verification flag to continue, discovery.bootstrapToken.token: Invalid value: "": the bootstrap token is invalid, discovery.bootstrapToken.apiServerEndpoint: Invalid value: "pqrstu.abcdef1234567890": address pqrstu.abcdef1234567890: missing port in address, discovery.tlsBootstrapToken: Invalid value: "": the bootstrap token is invalid]',
    );
    expect(() => validateJoin({ ...ok, endpoint: '' })).toThrow(/^discovery\.bootstrapToken: Required value: APIServerEndpoint is not set$/);
    expect(() => validateJoin({ ...ok, unsafeSkipCAVerification: true, caCertHashes: [] })).not.toThrow();
    expect(() => validateJoin({ ...ok, tlsBootstrapToken: 'nope' })).toThrow(/^discovery\.tlsBootstrapToken: Invalid value: "nope": the bootstrap token is invalid$/);
  });

  it('--discovery-file takes a file on disk or an https URL, as ValidateDiscoveryKubeConfigPath does', () => {
    const file = { ...ok, endpoint: '', token: '', caCertHashes: [] };
    expect(() => validateJoin({ ...file, discoveryFile: 'https://192.0.2.1:8443/cluster-info.yaml' })).not.toThrow();
    expect(() => validateJoin({ ...file, discoveryFile: 'http://192.0.2.1/cluster-info.yaml' })).toThrow(/^discovery\.file\.kubeConfigPath: Invalid value: "http:\/\/192\.0\.2\.1\/cluster-info\.yaml": if a URL is used, the scheme must be https$/);
    expect(() => validateJoin({ ...file, discoveryFile: '/nonexistent/cluster-info.yaml' })).toThrow(/^discovery\.file\.kubeConfigPath: Invalid value: "\/nonexistent\/cluster-info\.yaml": not a valid HTTPS URL or a file on disk$/);
  });
});
