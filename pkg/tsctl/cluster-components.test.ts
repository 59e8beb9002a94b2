// What `tsctl up` starts each component with: as kubeadm init, the apiserver takes bootstrap
// tokens and the controller manager runs the bootstrap token controllers, so that a node can
// join the local cluster by kubelet TLS bootstrapping.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { controllerEnabled } from '../controllers/manager.js';
import { secureServingFlags } from '../client/delegated-serving.js';
import { parseFlags } from '../util/flags.js';
import { components, demoImage, ensureDemoImage, resolveAdvertiseAddress, type UpOptions } from './cluster.js';

const o: UpOptions = { dataDir: '/var/lib/tskube', apiserverPort: 6443, etcdClientPort: 2379, etcdPeerPort: 2380, log: () => undefined };
const argsOf = (name: string) => components.find((c) => c.name === name)!.args(o);

describe('tsctl up components', () => {
  it('the apiserver authenticates bootstrap tokens (--enable-bootstrap-token-auth, as kubeadm sets it)', () => {
    expect(argsOf('apiserver')).toContain('--enable-bootstrap-token-auth');
  });

  it('the controller manager signs with the cluster CA and runs bootstrapsigner and tokencleaner besides the default ones', () => {
    const args = argsOf('controller-manager');
    expect(args).toEqual(expect.arrayContaining(['--cluster-signing-cert-file', '/var/lib/tskube/pki/ca.crt', '--cluster-signing-key-file', '/var/lib/tskube/pki/ca.key']));
    const { flags } = parseFlags({ controllers: { type: 'list', default: ['*'], help: '' }, kubeconfig: { type: 'string', default: '', help: '' }, 'service-account-private-key-file': { type: 'string', default: '', help: '' }, 'cluster-signing-cert-file': { type: 'string', default: '', help: '' }, 'cluster-signing-key-file': { type: 'string', default: '', help: '' }, ...secureServingFlags(10257) } as const, args);
    for (const c of ['bootstrapsigner', 'tokencleaner', 'csrapproving', 'csrcleaner']) expect(controllerEnabled(c, flags.controllers)).toBe(true);
  });

  it("the scheduler and the controller manager serve HTTPS on loopback, reviewing tokens and access with their own kubeconfig, as kubeadm's static pods", () => {
    for (const [name, port] of [['scheduler', 10259], ['controller-manager', 10257]] as const) {
      const args = argsOf(name);
      const kubeconfig = `/var/lib/tskube/${name}.kubeconfig`;
      const value = (flag: string) => args[args.indexOf(flag) + 1];
      const flags = Object.fromEntries(['kubeconfig', 'secure-port', 'bind-address', 'authentication-kubeconfig', 'authorization-kubeconfig'].map((f) => [f, value(`--${f}`)]));
      expect(flags).toEqual({ kubeconfig, 'secure-port': String(port), 'bind-address': '127.0.0.1', 'authentication-kubeconfig': kubeconfig, 'authorization-kubeconfig': kubeconfig });
    }
  });

  it('the scheduler and the controller manager keep their self-signed serving pair in DATA_DIR/pki (--cert-dir), made once and served again at the next start', () => {
    for (const name of ['scheduler', 'controller-manager']) {
      const args = argsOf(name);
      expect(args[args.indexOf('--cert-dir') + 1]).toBe('/var/lib/tskube/pki');
    }
  });
});

describe('tsctl up --advertise-address', () => {
  it('the apiserver listens on and advertises the address, and the local node reports it as its InternalIP (loopback by default)', () => {
    const at = { ...o, advertiseAddress: '192.0.2.10' };
    const api = components.find((c) => c.name === 'apiserver')!.args(at);
    expect(api).toEqual(expect.arrayContaining(['--bind-address', '192.0.2.10', '--advertise-address', '192.0.2.10']));
    const agent = components.find((c) => c.name === 'nodeagent')!.args(at);
    expect(agent[agent.indexOf('--node-ip') + 1]).toBe('192.0.2.10');
    expect(argsOf('apiserver')).toEqual(expect.arrayContaining(['--bind-address', '127.0.0.1', '--advertise-address', '127.0.0.1']));
    const localAgent = argsOf('nodeagent');
    expect(localAgent[localAgent.indexOf('--node-ip') + 1]).toBe('127.0.0.1');
  });

  it('keeps the address a cluster was set up with, lets a loopback cluster take a real one, and refuses to move a joinable one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsk-advertise-'));
    try {
      expect(resolveAdvertiseAddress(dir)).toBe('127.0.0.1');
      expect(() => resolveAdvertiseAddress(dir, 'node-1')).toThrow('localAPIEndpoint.advertiseAddress: Invalid value: "node-1": couldn\'t use "node-1" as "apiserver-advertise-address", must be ipv4 or ipv6 address');
      writeFileSync(join(dir, 'advertise-address'), '127.0.0.1\n');
      expect(resolveAdvertiseAddress(dir, '192.0.2.10')).toBe('192.0.2.10');
      writeFileSync(join(dir, 'advertise-address'), '192.0.2.10\n');
      expect(resolveAdvertiseAddress(dir)).toBe('192.0.2.10');
      expect(resolveAdvertiseAddress(dir, '192.0.2.10')).toBe('192.0.2.10');
      expect(() => resolveAdvertiseAddress(dir, '192.0.2.11')).toThrow(`the cluster in ${dir} advertises 192.0.2.10, which the machines that joined it use: it cannot move to 192.0.2.11`);
      expect(() => resolveAdvertiseAddress(dir, '127.0.0.1')).toThrow('cannot move to 127.0.0.1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the demo image', () => {
  it('a machine without busybox-static goes on without it, saying so (tsctl join, which starts the agent after the certificate, and tsctl up do not fail)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsk-demo-image-'));
    try {
      const lines: string[] = [];
      await ensureDemoImage({ dataDir: dir, log: (l) => lines.push(l) }, join(dir, 'no-busybox'));
      expect(lines).toEqual([`- image ${demoImage}: not built (busybox image: ${join(dir, 'no-busybox')} not found (Debian package busybox-static)); pods that use it will not start`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
