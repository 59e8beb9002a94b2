// A machine of its own joins the kubeadm way: a network namespace (the new node) on a veth to an
// address of this host where the apiserver listens and which it advertises, so that cluster-info
// names a server the node reaches. `tsctl token create --print-join-command` on the control plane,
// the printed command run as it is inside the namespace by the built tsctl: the node trusts the
// cluster by the token and the CA pin alone, gets its client certificate, and from inside the
// namespace is system:node:<name>. The namespace (and the veth with it) goes at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as tsctl } from '../../pkg/tsctl/cli.js';
import { run } from '../../pkg/util/exec.js';
import type { TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl } from '../helpers/kubectl.js';
import { startJoinControlPlane, type JoinControlPlane } from '../helpers/tls-bootstrap-join.js';
import { Lab } from './lab.js';

const HOST_IP = '172.31.254.1';
const NODE_IP = '172.31.254.2';
const lab = new Lab();
const hostLink = `tsknj${lab.id.split('-')[1]}`;
const dir = mkdtempSync(join(tmpdir(), 'tskube-join-netns-'));
let nodeNs: string;
let cp: TestControlPlane | undefined;
let plane: JoinControlPlane | undefined;

beforeAll(async () => {
  nodeNs = await lab.netns('node');
  await run('ip', ['link', 'add', hostLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', nodeNs]);
  await run('ip', ['addr', 'add', `${HOST_IP}/30`, 'dev', hostLink]);
  await run('ip', ['link', 'set', hostLink, 'up']);
  await lab.ip(lab.name('node'), `addr add ${NODE_IP}/30 dev eth0`, 'link set eth0 up');
  plane = await startJoinControlPlane({ address: HOST_IP });
  cp = plane.cp;
}, 120_000);

afterAll(async () => {
  await plane?.stop();
  await run('ip', ['link', 'del', hostLink], { allowFailure: true });
  await lab.destroy();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('kubeadm-style join from another network namespace', () => {
  it("the printed join command, run on the node, joins it as system:node:<name>", async () => {
    let printed = '';
    expect(await tsctl(['--kubeconfig', cp!.kubeconfig, 'token', 'create', '--print-join-command', '--ttl', '10m'], { out: (s) => (printed += s), err: (s) => (printed += s) })).toBe(0);
    expect(printed).toMatch(new RegExp(`^tsctl join ${HOST_IP.replaceAll('.', '\\.')}:\\d+ --token `));
    const args = printed.trim().split(/\s+/).slice(1);
    const nodeDir = join(dir, 'node');
    const joined = await lab.exec(nodeNs, process.execPath, [resolve('dist/cmd/tsctl/main.js'), ...args, '--data-dir', nodeDir, '--node-name', 'netns-node', '--start-agent=false'], 60_000);
    expect(joined.stderr).toBe('');
    expect(joined.stdout).toContain('This node has joined the cluster:');
    expect(joined.code).toBe(0);
    if (hasKubectl) {
      const whoami = await lab.exec(nodeNs, 'kubectl', ['--kubeconfig', join(nodeDir, 'node.kubeconfig'), '--cache-dir', join(dir, 'cache'), 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
      expect(whoami.stderr).toBe('');
      expect(whoami.stdout).toBe('system:node:netns-node');
    }
  }, 90_000);
});
