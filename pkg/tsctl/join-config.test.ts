import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './cli.js';
import { mixedArgumentsError, parseJoinConfiguration } from './join-config.js';

const v1beta4 = `apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: "[fd00::1]:6443"
    token: abcdef.0123456789abcdef
    caCertHashes: ["sha256:${'a'.repeat(64)}"]
nodeRegistration:
  name: worker-7
  ignorePreflightErrors: [Swap]
timeouts:
  discovery: 1m30s
`;

describe('tsctl join --config (a kubeadm JoinConfiguration)', () => {
  it("reads discovery, the TLS bootstrap token, the node's name and the discovery timeout as kubeadm 1.32 does", () => {
    expect(parseJoinConfiguration(v1beta4)).toEqual({
      endpoint: '[fd00::1]:6443',
      token: 'abcdef.0123456789abcdef',
      // (SetDefaults_Discovery: the discovery token when tlsBootstrapToken is unset)
      tlsBootstrapToken: 'abcdef.0123456789abcdef',
      caCertHashes: [`sha256:${'a'.repeat(64)}`],
      unsafeSkipCAVerification: false,
      discoveryFile: undefined,
      discoveryTimeoutMs: 90_000,
      nodeName: 'worker-7',
      ignorePreflightErrors: ['Swap'],
    });
    // v1beta3 keeps the timeout at discovery.timeout; a file discovery with a TLS bootstrap token of its own; other documents skipped.
    const v1beta3 = `apiVersion: kubeadm.k8s.io/v1beta3
kind: InitConfiguration
---
apiVersion: kubeadm.k8s.io/v1beta3
kind: JoinConfiguration
discovery:
  file: {kubeConfigPath: /etc/cluster-info.yaml}
  tlsBootstrapToken: qrstuv.0123456789abcdef
  timeout: 10s
`;
    expect(parseJoinConfiguration(v1beta3)).toMatchObject({ discoveryFile: '/etc/cluster-info.yaml', tlsBootstrapToken: 'qrstuv.0123456789abcdef', token: '', discoveryTimeoutMs: 10_000, nodeName: undefined });
    // The default timeout is 5m; v1beta4 has no discovery.timeout (kubeadm warns of the unknown field and ignores it).
    const warned: string[] = [];
    expect(parseJoinConfiguration(v1beta4.replace('timeouts:\n  discovery: 1m30s\n', '').replace('discovery:\n', 'discovery:\n  timeout: 1s\n'), (l) => warned.push(l)).discoveryTimeoutMs).toBe(300_000);
    expect(warned).toEqual(['strict decoding error: unknown field "discovery.timeout"']);
  });

  it('refuses a file without a JoinConfiguration, of an unsupported version, or with a bad timeout', () => {
    expect(() => parseJoinConfiguration('apiVersion: v1\nkind: ConfigMap\n')).toThrow(/^no JoinConfiguration found in the supplied config$/);
    expect(() => parseJoinConfiguration('apiVersion: kubeadm.k8s.io/v1beta2\nkind: JoinConfiguration\n')).toThrow(/^unsupported apiVersion "kubeadm\.k8s\.io\/v1beta2"/);
    expect(() => parseJoinConfiguration(v1beta4.replace('1m30s', '90'))).toThrow(/^timeouts\.discovery: Invalid value: "90": time: missing unit in duration "90"$/);
  });

  it("may not be mixed with the flags it replaces (ValidateMixedArguments' words); --node-name and --ignore-preflight-errors may", () => {
    expect(mixedArgumentsError(['config', 'node-name', 'ignore-preflight-errors', 'data-dir', 'start-agent'])).toBeUndefined();
    expect(mixedArgumentsError(['token', 'config', 'discovery-token-ca-cert-hash'])).toBe("can not mix '--config' with arguments [discovery-token-ca-cert-hash token]");
  });

  it('is what tsctl join runs with: no --discovery-timeout flag (kubeadm join has none), the file checked as the flags are', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tskube-join-config-'));
    try {
      const io = () => {
        const o = { out: '', err: '' };
        return { o, io: { out: (s: string) => void (o.out += s), err: (s: string) => void (o.err += s) } };
      };
      const a = io();
      expect(await run(['join', '10.0.0.1:6443', '--token', 'abcdef.0123456789abcdef', '--discovery-timeout', '1s'], a.io)).toBe(2);
      expect(a.o.err).toBe('error: unknown flag: --discovery-timeout\n');
      const file = join(dir, 'join.yaml');
      writeFileSync(file, v1beta4);
      const b = io();
      expect(await run(['join', '--config', file, '--token', 'abcdef.0123456789abcdef', '--data-dir', dir], b.io)).toBe(1);
      expect(b.o.err).toBe("error: can not mix '--config' with arguments [token]\n");
      // (the file's discovery validated as ValidateDiscovery validates the flags')
      writeFileSync(file, v1beta4.replace(/    caCertHashes:.*\n/, ''));
      const c = io();
      expect(await run(['join', '--config', file, '--data-dir', dir], c.io)).toBe(3);
      expect(c.o.err).toBe('error: discovery.bootstrapToken.caCertHashes: Invalid value: "": using token-based discovery without caCertHashes can be unsafe. Set unsafeSkipCAVerification as true in your kubeadm config file or pass --discovery-token-unsafe-skip-ca-verification flag to continue\n');
      const d = io();
      expect(await run(['join', '--config', join(dir, 'missing.yaml'), '--data-dir', dir], d.io)).toBe(1);
      expect(d.o.err).toMatch(/^error: unable to read config from ".*missing\.yaml" : ENOENT: no such file or directory/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
