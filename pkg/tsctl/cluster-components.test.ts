// What `tsctl up` starts each component with: as kubeadm init, the apiserver takes bootstrap
// tokens and the controller manager runs the bootstrap token controllers, so that a node can
// join the local cluster by kubelet TLS bootstrapping.
import { describe, expect, it } from 'vitest';
import { controllerEnabled } from '../controllers/manager.js';
import { parseFlags } from '../util/flags.js';
import { components, type UpOptions } from './cluster.js';

const o: UpOptions = { dataDir: '/var/lib/tskube', apiserverPort: 6443, etcdClientPort: 2379, etcdPeerPort: 2380, log: () => undefined };
const argsOf = (name: string) => components.find((c) => c.name === name)!.args(o);

describe('tsctl up components', () => {
  it('the apiserver authenticates bootstrap tokens (--enable-bootstrap-token-auth, as kubeadm sets it)', () => {
    expect(argsOf('apiserver')).toContain('--enable-bootstrap-token-auth');
  });

  it('the controller manager signs with the cluster CA and runs bootstrapsigner and tokencleaner besides the default ones', () => {
    const args = argsOf('controller-manager');
    expect(args).toEqual(expect.arrayContaining(['--cluster-signing-cert-file', '/var/lib/tskube/pki/ca.crt', '--cluster-signing-key-file', '/var/lib/tskube/pki/ca.key']));
    const { flags } = parseFlags({ controllers: { type: 'list', default: ['*'], help: '' }, kubeconfig: { type: 'string', default: '', help: '' }, 'service-account-private-key-file': { type: 'string', default: '', help: '' }, 'cluster-signing-cert-file': { type: 'string', default: '', help: '' }, 'cluster-signing-key-file': { type: 'string', default: '', help: '' }, 'metrics-port': { type: 'number', default: 0, help: '' } } as const, args);
    for (const c of ['bootstrapsigner', 'tokencleaner', 'csrapproving', 'csrcleaner']) expect(controllerEnabled(c, flags.controllers)).toBe(true);
  });
});
