import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadKubeconfig } from './kubeconfig.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('loadKubeconfig', () => {
  it("reads the file by YAML 1.1's rules, as client-go's clientcmd does through sigs.k8s.io/yaml and go-yaml v2", () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
    const path = join(dir, 'config');
    // (an unquoted yes is YAML 1.1's true: the cluster's TLS is not verified, as kubectl reads it)
    writeFileSync(path, ['apiVersion: v1', 'kind: Config', 'clusters:', '- name: c', '  cluster:', '    server: https://127.0.0.1:6443', '    insecure-skip-tls-verify: yes', 'users:', '- name: u', '  user:', '    token: abc', 'contexts:', '- name: x', '  context: {cluster: c, user: u, namespace: ns}', 'current-context: x', ''].join('\n'));
    expect(loadKubeconfig(path)).toMatchObject({ server: 'https://127.0.0.1:6443', insecureSkipTLSVerify: true, token: 'abc', namespace: 'ns' });
  });
});
