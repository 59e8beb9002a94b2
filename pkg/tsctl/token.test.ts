import { describe, expect, it } from 'vitest';
import { secretData } from '../api/bootstrap-token.js';
import { joinCommand, listTokens, parseGoDuration, shortHumanDuration, tokenFromSecret, tokenSecret } from './token.js';
import { clusterInfoKubeconfig } from './bootstrap-token-setup.js';
import { execFileSync } from 'node:child_process';

const NOW = Date.parse('2026-12-03T10:00:00Z');

describe('kubeadm tokens', () => {
  it('are written as BootstrapTokenToSecret writes them and read back', () => {
    const s = tokenSecret('abcdef.0123456789abcdef', { description: 'for node-2' }, NOW + 400);
    expect(s.metadata).toEqual({ name: 'bootstrap-token-abcdef', namespace: 'kube-system' });
    expect(s.type).toBe('bootstrap.kubernetes.io/token');
    expect(Object.fromEntries(Object.keys(s.data).map((k) => [k, secretData(s, k)]))).toEqual({
      'token-id': 'abcdef',
      'token-secret': '0123456789abcdef',
      description: 'for node-2',
      expiration: '2026-12-04T10:00:00Z',
      'usage-bootstrap-signing': 'true',
      'usage-bootstrap-authentication': 'true',
      'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token',
    });
    expect(tokenFromSecret(s)).toEqual({ token: 'abcdef.0123456789abcdef', expires: Date.parse('2026-12-04T10:00:00Z'), usages: ['authentication', 'signing'], description: 'for node-2', groups: ['system:bootstrappers:kubeadm:default-node-token'] });
    // --ttl 0 never expires; no groups, no key
    const forever = tokenSecret('abcdef.0123456789abcdef', { ttlMs: 0, usages: ['signing'], groups: [] }, NOW);
    expect(Object.keys(forever.data).sort()).toEqual(['token-id', 'token-secret', 'usage-bootstrap-signing']);
    expect(tokenFromSecret({ metadata: { name: 'bootstrap-token-xyz' }, data: { 'token-id': Buffer.from('abcdef').toString('base64') } })).toEqual({ error: 'bootstrap token name is not of the form \'bootstrap-token-(token-id)\'. Actual: "bootstrap-token-xyz". Expected: "bootstrap-token-abcdef"' });
  });

  it("are listed in kubeadm's columns, each row through its own tabwriter", async () => {
    const items = [tokenSecret('abcdef.0123456789abcdef', { description: 'for node-2' }, NOW), tokenSecret('ghijkl.0123456789abcdef', { ttlMs: 0, usages: ['signing'], groups: [] }, NOW), { metadata: { name: 'bootstrap-token-broken' }, data: {} }];
    const r = await listTokens({ list: async () => ({ items }) as never }, NOW + 90_000);
    expect(r.out).toBe(
      'TOKEN                     TTL         EXPIRES                USAGES                   DESCRIPTION                                                EXTRA GROUPS\n' +
        'abcdef.0123456789abcdef   23h         2026-12-04T10:00:00Z   authentication,signing   for node-2                                                 system:bootstrappers:kubeadm:default-node-token\n' +
        // (its own tabwriter: EXPIRES is as wide as <never> needs, as kubeadm prints it)
        'ghijkl.0123456789abcdef   <forever>   <never>   signing                  <none>                                                     <none>\n',
    );
    expect(r.err).toBe('bootstrap Token Secret has no token-id data: bootstrap-token-broken\n');
    const list = { list: async () => ({ items: items.slice(0, 2) }) as never };
    expect((await listTokens(list, NOW, 'json')).out).toBe(
      '{\n    "kind": "BootstrapToken",\n    "apiVersion": "output.kubeadm.k8s.io/v1alpha3",\n    "token": "abcdef.0123456789abcdef",\n    "description": "for node-2",\n    "expires": "2026-12-04T10:00:00Z",\n    "usages": [\n        "authentication",\n        "signing"\n    ],\n    "groups": [\n        "system:bootstrappers:kubeadm:default-node-token"\n    ]\n}\n' +
        '{\n    "kind": "BootstrapToken",\n    "apiVersion": "output.kubeadm.k8s.io/v1alpha3",\n    "token": "ghijkl.0123456789abcdef",\n    "usages": [\n        "signing"\n    ]\n}\n',
    );
    expect((await listTokens(list, NOW, 'yaml')).out).toBe(
      'apiVersion: output.kubeadm.k8s.io/v1alpha3\ndescription: for node-2\nexpires: "2026-12-04T10:00:00Z"\ngroups:\n- system:bootstrappers:kubeadm:default-node-token\nkind: BootstrapToken\ntoken: abcdef.0123456789abcdef\nusages:\n- authentication\n- signing\n' +
        '---\napiVersion: output.kubeadm.k8s.io/v1alpha3\nkind: BootstrapToken\ntoken: ghijkl.0123456789abcdef\nusages:\n- signing\n',
    );
  });

  it('--ttl is a Go duration; ages are ShortHumanDuration', () => {
    expect(parseGoDuration('ttl', '24h0m0s')).toBe(86_400_000);
    expect(parseGoDuration('ttl', '1h30m')).toBe(5_400_000);
    expect(parseGoDuration('ttl', '1.5h')).toBe(5_400_000);
    expect(parseGoDuration('ttl', '0')).toBe(0);
    expect(() => parseGoDuration('ttl', '10')).toThrow('invalid argument "10" for "--ttl" flag: time: missing unit in duration "10"');
    expect(() => parseGoDuration('ttl', '1d')).toThrow('invalid argument "1d" for "--ttl" flag: time: invalid duration "1d"');
    expect([59_999, 60_000, 3_599_999, 3_600_000, 86_399_999, 86_400_000 * 400, -500, -3000].map(shortHumanDuration)).toEqual(['59s', '1m', '59m', '1h', '23h', '1y', '0s', '<invalid>']);
  });

  it('the join command names the endpoint, the token and the pin of each CA', () => {
    const pem = execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=ca', '-days', '1'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(joinCommand({ server: 'https://10.0.0.7:6443', caCert: pem }, 'abcdef.0123456789abcdef')).toMatch(/^tsctl join 10\.0\.0\.7:6443 --token abcdef\.0123456789abcdef {5}--discovery-token-ca-cert-hash sha256:[0-9a-f]{64} $/);
  });

  it("cluster-info's kubeconfig is the admin kubeconfig's cluster as clientcmd.Write writes it", () => {
    const admin = ['apiVersion: v1', 'kind: Config', 'clusters:', '- name: other', '  cluster:', '    server: https://10.0.0.9:6443', '- name: tskube', '  cluster:', '    server: https://10.0.0.7:6443', '    certificate-authority-data: Q0E=', 'users:', '- name: admin', '  user:', '    token: secret', 'contexts:', '- name: admin@tskube', '  context:', '    cluster: tskube', '    user: admin', 'current-context: admin@tskube', ''].join('\n');
    expect(clusterInfoKubeconfig(admin)).toBe(['apiVersion: v1', 'clusters:', '- cluster:', '    certificate-authority-data: Q0E=', '    server: https://10.0.0.7:6443', '  name: ""', 'contexts: null', 'current-context: ""', 'kind: Config', 'preferences: {}', 'users: null', ''].join('\n'));
  });
});
