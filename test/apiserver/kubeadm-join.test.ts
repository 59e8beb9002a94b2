// Joining the kubeadm way on a real apiserver, etcd and controller manager (bootstrapsigner,
// tokencleaner, csrapproving, csrsigning), with no object made by hand: what `tsctl up` makes as
// kubeadm init does (cluster-info signed for every signing token and readable anonymously,
// kubeadm's bindings), `tsctl token create --print-join-command`, `token list`, `token delete`,
// and the printed `tsctl join` command run as a new machine runs it: token discovery refuses a
// wrong CA pin, a wrong token secret and an unknown token id with kubeadm's words, and with the
// right ones the node gets a client certificate for system:node:<name> by TLS bootstrapping.
import { execFile, execFileSync } from 'node:child_process';
import { createServer as createHttpsServer } from 'node:https';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolve_ } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceRef } from '../../pkg/client/api-client.js';
import { loadKubeconfig } from '../../pkg/client/kubeconfig.js';
import { ClusterRoleBindings, ClusterRoles, core, RestClient, RoleBindings, Roles, StatusError } from '../../pkg/client/rest-client.js';
import { ensureBootstrapTokenSetup } from '../../pkg/tsctl/bootstrap-token-setup.js';
import { joinedAgentArgs, joinHint, type JoinedAgentOptions } from '../../pkg/tsctl/cluster.js';
import { joinWithBootstrapToken } from '../../pkg/tsctl/join.js';
import { ensureUploadConfig } from '../../pkg/tsctl/upload-config.js';
import { eventually, type TestControlPlane } from '../helpers/control-plane.js';
import { startJoinControlPlane, type JoinControlPlane } from '../helpers/tls-bootstrap-join.js';
import { tsctlCaptured } from '../helpers/tsctl.js';

const ConfigMaps = core('configmaps');
const SelfSubjectReviews: ResourceRef = { group: 'authentication.k8s.io', version: 'v1', resource: 'selfsubjectreviews', namespaced: false };

let cp: TestControlPlane;
let plane: JoinControlPlane | undefined;
const dir = mkdtempSync(join(tmpdir(), 'tskube-kubeadm-join-test-'));
const clients: RestClient[] = [];

// (no node agent is started here: the joins of this control-plane test stop at the certificate)
const tsctl = (...args: string[]) => tsctlCaptured(args[0] === 'join' ? [...args, '--start-agent=false'] : args);
const admin = (...args: string[]) => tsctl('--kubeconfig', cp.kubeconfig, ...args);

let configs = 0;
/** A kubeadm.k8s.io/v1beta4 JoinConfiguration file of these discovery lines and discovery timeout. */
function joinConfiguration(discovery: string, timeout: string): string {
  const file = join(dir, `join-${++configs}.yaml`);
  writeFileSync(file, `apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery:\n${discovery}timeouts:\n  discovery: ${timeout}\n`);
  return file;
}

/** The cluster-info ConfigMap as a machine that has no credentials reads it. */
function anonymous(): RestClient {
  const c = new RestClient({ server: cp.config.server, caCert: cp.config.caCert, namespace: 'default', source: 'test' });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  // (no bootstrap-token phase: the first test runs it as up does)
  plane = await startJoinControlPlane({ bootstrapTokenSetup: false });
  cp = plane.cp;
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await plane?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('kubeadm-style join', () => {
  it("up's bootstrap-token phase makes cluster-info and kubeadm's bindings, and again changes nothing", async () => {
    const lines: string[] = [];
    await ensureBootstrapTokenSetup(cp.admin, cp.kubeconfig, (l) => lines.push(l));
    expect(lines[0]).toBe('[bootstrap-token] Configuring bootstrap tokens, cluster-info ConfigMap, RBAC Roles');
    const info = await anonymous().get<{ data: Record<string, string>; metadata: { resourceVersion: string } }>(ConfigMaps, 'kube-public', 'cluster-info');
    expect(info.data.kubeconfig).toMatch(/^apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: \S+\n(?:[\s\S]*\n)?    server: https:\/\/127\.0\.0\.1:\d+\n  name: ""\ncontexts: null\ncurrent-context: ""\nkind: Config\npreferences: \{\}\nusers: null\n$/);
    // (anonymous users read cluster-info and nothing else)
    await expect(anonymous().get(ConfigMaps, 'kube-public', 'other')).rejects.toMatchObject({ code: 403 });
    const bindings = (await cp.admin.list<{ metadata: { name: string; resourceVersion: string }; roleRef: { name: string }; subjects: { name: string }[] }>(ClusterRoleBindings)).items.filter((b) => b.metadata.name.startsWith('kubeadm:') && b.metadata.name !== 'kubeadm:cluster-admins');
    expect(Object.fromEntries(bindings.map((b) => [b.metadata.name, [b.roleRef.name, b.subjects.map((s) => s.name).join()]]))).toEqual({
      'kubeadm:get-nodes': ['kubeadm:get-nodes', 'system:bootstrappers:kubeadm:default-node-token'],
      'kubeadm:kubelet-bootstrap': ['system:node-bootstrapper', 'system:bootstrappers:kubeadm:default-node-token'],
      'kubeadm:node-autoapprove-bootstrap': ['system:certificates.k8s.io:certificatesigningrequests:nodeclient', 'system:bootstrappers:kubeadm:default-node-token'],
      'kubeadm:node-autoapprove-certificate-rotation': ['system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', 'system:nodes'],
    });
    // A restart of `up` runs it again (or `tsctl init phase bootstrap-token`): nothing is rewritten.
    const versions = async () => [
      (await cp.admin.get<{ metadata: { resourceVersion: string } }>(ClusterRoles, undefined, 'kubeadm:get-nodes')).metadata.resourceVersion,
      (await cp.admin.get<{ metadata: { resourceVersion: string } }>(Roles, 'kube-public', 'kubeadm:bootstrap-signer-clusterinfo')).metadata.resourceVersion,
      (await cp.admin.get<{ metadata: { resourceVersion: string } }>(RoleBindings, 'kube-public', 'kubeadm:bootstrap-signer-clusterinfo')).metadata.resourceVersion,
    ];
    const before = await versions();
    const phase = await admin('init', 'phase', 'bootstrap-token');
    expect(phase).toMatchObject({ code: 0, err: '' });
    expect(phase.out).toContain('[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens to get nodes\n');
    expect((await cp.admin.get<{ metadata: { resourceVersion: string } }>(ConfigMaps, 'kube-public', 'cluster-info')).metadata.resourceVersion).toBe(info.metadata.resourceVersion);
    const again = (await cp.admin.list<{ metadata: { name: string; resourceVersion: string } }>(ClusterRoleBindings)).items.filter((b) => bindings.some((x) => x.metadata.name === b.metadata.name));
    expect(again.map((b) => b.metadata.resourceVersion)).toEqual(bindings.map((b) => b.metadata.resourceVersion));
    expect(await versions()).toEqual(before);
  });

  it('a token from token create --print-join-command joins a node; wrong pins and tokens are refused', async () => {
    const created = await admin('token', 'create', '--print-join-command', '--description', 'for worker-1');
    expect(created.err).toBe('');
    const m = /^tsctl join (127\.0\.0\.1:\d+) --token ([a-z0-9]{6})\.([a-z0-9]{16}) {5}--discovery-token-ca-cert-hash (sha256:[0-9a-f]{64}) \n$/.exec(created.out);
    expect(m, created.out).not.toBeNull();
    const [, endpoint, id, secret, pin] = m!;
    // (kubeadm's pin is openssl's hash of the CA's DER public key)
    const openssl = execFileSync('sh', ['-c', `openssl x509 -pubkey -noout -in ${join(cp.dataDir, 'pki', 'ca.crt')} | openssl pkey -pubin -outform der | sha256sum`], { encoding: 'utf8' });
    expect(pin).toBe(`sha256:${openssl.split(' ')[0]}`);

    const list = await admin('token', 'list');
    const [header, row] = list.out.split('\n');
    expect(header).toMatch(/^TOKEN\s+TTL\s+EXPIRES\s+USAGES\s+DESCRIPTION\s+EXTRA GROUPS$/);
    expect(row).toMatch(new RegExp(`^${id}\\.${secret}\\s+23h\\s+\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\s+authentication,signing\\s+for worker-1\\s+system:bootstrappers:kubeadm:default-node-token$`));

    // (the bootstrapsigner signs cluster-info for the new token)
    await eventually(async () => (await anonymous().get<{ data: Record<string, string> }>(ConfigMaps, 'kube-public', 'cluster-info')).data[`jws-kubeconfig-${id}`] !== undefined, { timeoutMs: 10_000, what: 'the JWS of the new token' });
    // (a JoinConfiguration with a 1 s discovery timeout: kubeadm join has no flag for it)
    const joinAs = (token: string, pins: string[] = []) =>
      tsctl('join', '--config', joinConfiguration(`  bootstrapToken:\n    apiServerEndpoint: "${endpoint}"\n    token: ${token}\n    caCertHashes: ${JSON.stringify(pins)}\n`, '1s'), '--data-dir', dir, '--node-name', 'worker-1');

    const noPin = await joinAs(`${id}.${secret}`);
    expect(noPin.code).toBe(3);
    expect(noPin.err).toBe('error: discovery.bootstrapToken.caCertHashes: Invalid value: "": using token-based discovery without caCertHashes can be unsafe. Set unsafeSkipCAVerification as true in your kubeadm config file or pass --discovery-token-unsafe-skip-ca-verification flag to continue\n');

    const otherPin = `sha256:${'0'.repeat(64)}`;
    const wrongPin = await joinAs(`${id}.${secret}`, [otherPin]);
    expect(wrongPin.code).toBe(1);
    expect(wrongPin.err).toBe(`error execution phase preflight: couldn't validate the identity of the API Server: cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${pin}" are pinned\n`);

    const wrongSecret = await joinAs(`${id}.${'x'.repeat(16)}`, [pin!]);
    expect(wrongSecret.err).toBe("error execution phase preflight: couldn't validate the identity of the API Server: failed to verify JWS signature of received cluster info object, can't trust this API Server\n");

    const unknown = await joinAs('zzzzzz.0123456789abcdef', [pin!]);
    expect(unknown.err).toBe('error execution phase preflight: couldn\'t validate the identity of the API Server: could not find a JWS signature in the cluster-info ConfigMap for token ID "zzzzzz"\n');
    expect(existsSync(join(dir, 'node.kubeconfig'))).toBe(false);

    // The printed command, as the new machine runs it.
    const printed = created.out.trim().split(/\s+/).slice(1);
    const joined = await tsctl(...printed, '--data-dir', dir, '--node-name', 'worker-1');
    expect(joined.err).toBe('');
    expect(joined.code).toBe(0);
    expect(joined.out).toContain('This node has joined the cluster:\n* Certificate signing request was sent to apiserver and a response was received.\n');
    const node = new RestClient(loadKubeconfig(join(dir, 'node.kubeconfig')));
    clients.push(node);
    const review = (await node.create(SelfSubjectReviews, undefined, { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' })) as { status: { userInfo: { username: string; groups: string[] } } };
    expect(review.status.userInfo).toMatchObject({ username: 'system:node:worker-1', groups: ['system:nodes', 'system:authenticated'] });
    expect(loadKubeconfig(join(dir, 'bootstrap-kubelet.conf')).token).toBe(`${id}.${secret}`);

    // Joined already: kubeadm's preflight check of the kubeconfig, unless told to ignore it.
    const rejoin = await tsctl(...printed, '--data-dir', dir, '--node-name', 'worker-1');
    const check = `FileAvailable-${join(dir, 'node.kubeconfig').replaceAll('/', '-')}`;
    expect(rejoin).toMatchObject({ code: 1, err: `error execution phase preflight: [preflight] Some fatal errors occurred:\n\t[ERROR ${check}]: ${join(dir, 'node.kubeconfig')} already exists\n[preflight] If you know what you are doing, you can make a check non-fatal with \`--ignore-preflight-errors=...\`\n` });
    expect((await tsctl(...printed, '--data-dir', dir, '--node-name', 'worker-1', '--ignore-preflight-errors', check)).code).toBe(0);

    // Without a pin, only when told to trust the CA of cluster-info as it comes.
    const unpinned = await tsctl('join', endpoint!, '--token', `${id}.${secret}`, '--discovery-token-unsafe-skip-ca-verification', '--data-dir', join(dir, 'unpinned'), '--node-name', 'worker-0');
    expect(unpinned).toMatchObject({ code: 0, err: '' });
    expect(loadKubeconfig(join(dir, 'unpinned', 'node.kubeconfig')).caCert).toBe(readFileSync(join(cp.dataDir, 'pki', 'ca.crt'), 'utf8'));

    // File discovery: cluster-info's kubeconfig, copied to the machine, is trusted as it is.
    const infoFile = join(dir, 'cluster-info.kubeconfig');
    writeFileSync(infoFile, (await anonymous().get<{ data: Record<string, string> }>(ConfigMaps, 'kube-public', 'cluster-info')).data.kubeconfig);
    const byFile = await tsctl('join', '--discovery-file', infoFile, '--tls-bootstrap-token', `${id}.${secret}`, '--data-dir', join(dir, 'by-file'), '--node-name', 'worker-2');
    expect(byFile).toMatchObject({ code: 0, err: '' });
    expect(loadKubeconfig(join(dir, 'by-file', 'bootstrap-kubelet.conf')).server).toBe(cp.config.server);
    expect((await tsctl('join', '--discovery-file', join(dir, 'none'), '--data-dir', join(dir, 'by-file-2'))).err).toBe(
      `error: [discovery.file.kubeConfigPath: Invalid value: ${JSON.stringify(join(dir, 'none'))}: not a valid HTTPS URL or a file on disk, discovery.tlsBootstrapToken: Required value: --discovery-file needs --tls-bootstrap-token (or --token) to TLS bootstrap with]\n`,
    );

    // A Ready Node of that name is refused before any request for a certificate.
    await node.create(core('nodes', false), undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'worker-1' } });
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await node.patch(core('nodes', false), undefined, 'worker-1', { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready', lastHeartbeatTime: now, lastTransitionTime: now }] } }, 'merge', 'status');
    const twice = await tsctl(...printed, '--data-dir', join(dir, 'second'), '--node-name', 'worker-1');
    expect(twice.err).toBe('error execution phase kubelet-start: a Node with name "worker-1" and status "Ready" already exists in the cluster. You must delete the existing Node or change the name of this new joining Node\n');

    // token delete by id: the Secret goes and the bootstrapsigner takes its signature off cluster-info.
    expect(await admin('token', 'delete', id!)).toEqual({ code: 0, out: `bootstrap token "${id}" deleted\n`, err: '' });
    await expect(cp.admin.get(core('secrets'), 'kube-system', `bootstrap-token-${id}`)).rejects.toBeInstanceOf(StatusError);
    await eventually(async () => (await anonymous().get<{ data: Record<string, string> }>(ConfigMaps, 'kube-public', 'cluster-info')).data[`jws-kubeconfig-${id}`] === undefined, { timeoutMs: 10_000, what: 'the JWS removed' });
  }, 60_000);

  it("up's upload-config phase stores kubeadm-config and kubelet-config for joining machines, and join configures and starts the node agent from it", async () => {
    const lines: string[] = [];
    await ensureUploadConfig(cp.admin, { dataDir: cp.dataDir, podSubnet: '10.246.0.0/16' }, (l) => lines.push(l));
    expect(lines).toEqual([
      '[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace',
      '[kubelet] Creating a ConfigMap "kubelet-config" in namespace kube-system with the configuration for the kubelets in the cluster',
    ]);
    const kubeadmConfig = await cp.admin.get<{ data: Record<string, string> }>(ConfigMaps, 'kube-system', 'kubeadm-config');
    expect(kubeadmConfig.data.ClusterConfiguration).toContain('apiVersion: kubeadm.k8s.io/v1beta4\n');
    expect(kubeadmConfig.data.ClusterConfiguration).toContain('kind: ClusterConfiguration\n');
    expect(kubeadmConfig.data.ClusterConfiguration).toContain('networking:\n  dnsDomain: cluster.local\n  podSubnet: 10.246.0.0/16\n');
    const kubeletText = (await cp.admin.get<{ data: Record<string, string> }>(ConfigMaps, 'kube-system', 'kubelet-config')).data.kubelet;
    expect(kubeletText).toMatch(/^apiVersion: kubelet\.config\.k8s\.io\/v1beta1\n/);
    expect(kubeletText).toContain('\ncgroupDriver: cgroupfs\n');
    expect(kubeletText).toContain('\nclusterDomain: cluster.local\n');
    expect(kubeletText).toContain('\nkind: KubeletConfiguration\n');
    expect(kubeletText).toContain('\nrotateCertificates: true\n');
    // (nothing that is one node's own: its port, pod range, static pod path)
    expect(kubeletText).not.toMatch(/\n(port|podCIDR|staticPodPath|address):/);
    const roles = async (name: string) => [
      (await cp.admin.get<{ rules: unknown }>(Roles, 'kube-system', name)).rules,
      (await cp.admin.get<{ subjects: { name: string }[] }>(RoleBindings, 'kube-system', name)).subjects.map((x) => x.name),
    ];
    expect(await roles('kubeadm:kubelet-config')).toEqual([[{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['kubelet-config'] }], ['system:nodes', 'system:bootstrappers:kubeadm:default-node-token']]);
    expect(await roles('kubeadm:nodes-kubeadm-config')).toEqual([[{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['kubeadm-config'] }], ['system:bootstrappers:kubeadm:default-node-token', 'system:nodes']]);
    // (run again, as every up does: nothing rewritten)
    const rv = (await cp.admin.get<{ metadata: { resourceVersion: string } }>(ConfigMaps, 'kube-system', 'kubelet-config')).metadata.resourceVersion;
    await ensureUploadConfig(cp.admin, { dataDir: cp.dataDir, podSubnet: '10.246.0.0/16' });
    expect((await cp.admin.get<{ metadata: { resourceVersion: string } }>(ConfigMaps, 'kube-system', 'kubelet-config')).metadata.resourceVersion).toBe(rv);

    // A joining machine reads it with its bootstrap token, writes it as the agent's --config and starts the agent with it.
    const created = await admin('token', 'create', '--print-join-command');
    const [, endpoint, token, pin] = /^tsctl join (\S+) --token (\S+) +--discovery-token-ca-cert-hash (\S+)/.exec(created.out)!;
    const nodeDir = join(dir, 'configured');
    let started: JoinedAgentOptions | undefined;
    let out = '';
    await joinWithBootstrapToken({ endpoint, token, tlsBootstrapToken: token, caCertHashes: [pin], unsafeSkipCAVerification: false, nodeName: 'worker-3', dataDir: nodeDir, kubeconfigPath: join(nodeDir, 'node.kubeconfig'), certDir: join(nodeDir, 'pki'), out: (l) => (out += l), startAgent: async (a) => void (started = a) });
    expect(out).toContain(`[kubelet-start] Writing kubelet configuration to file "${join(nodeDir, 'config.yaml')}"\n`);
    expect(out).toContain('This node has joined the cluster:\n* Certificate signing request was sent to apiserver and a response was received.\n* The Kubelet was informed of the new secure connection details.\n');
    expect(readFileSync(join(nodeDir, 'config.yaml'), 'utf8')).toBe(kubeletText);
    expect(started).toEqual({ dataDir: nodeDir, nodeName: 'worker-3', nodeIP: '127.0.0.1', kubeconfigPath: join(nodeDir, 'node.kubeconfig'), bootstrapKubeconfigPath: join(nodeDir, 'bootstrap-kubelet.conf'), certDir: join(nodeDir, 'pki'), configPath: join(nodeDir, 'config.yaml'), clusterCIDR: '10.246.0.0/16' });
    // (the agent's flags: the file read with the node's own credentials, renewed from the bootstrap kubeconfig; the pod network of kubeadm-config)
    expect(joinedAgentArgs(started!)).toEqual(expect.arrayContaining(['--config', join(nodeDir, 'config.yaml'), '--bootstrap-kubeconfig', join(nodeDir, 'bootstrap-kubelet.conf'), '--rotate-certificates', '--node-ip', '127.0.0.1', '--cluster-cidr', '10.246.0.0/16']));
  });

  it('--discovery-file with an https URL: the kubeconfig downloaded from a server the machine trusts (its roots, NODE_EXTRA_CA_CERTS) joins a node', async () => {
    // (cluster-info's kubeconfig served over https by another server than the apiserver, whose certificate the cluster CA signed)
    const info = (await anonymous().get<{ data: Record<string, string> }>(ConfigMaps, 'kube-public', 'cluster-info')).data.kubeconfig;
    const pki = (f: string) => readFileSync(join(cp.dataDir, 'pki', f));
    const files = createHttpsServer({ cert: pki('apiserver.crt'), key: pki('apiserver.key') }, (req, res) => (req.url === '/cluster-info.yaml' ? res.end(info) : res.writeHead(404).end()));
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    try {
      const url = `https://127.0.0.1:${(files.address() as { port: number }).port}/cluster-info.yaml`;
      const token = (await admin('token', 'create', '--ttl', '10m')).out.trim();
      // (the built binary, as a machine runs it: the trusted roots are the process's own)
      const join_ = (name: string, env: Record<string, string>) =>
        new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
          execFile(process.execPath, [resolve_('dist/cmd/tsctl/main.js'), 'join', '--config', joinConfiguration(`  file:\n    kubeConfigPath: "${url}"\n  tlsBootstrapToken: ${token}\n`, '5s'), '--data-dir', join(dir, name), '--node-name', name, '--start-agent=false'], { env: { ...process.env, ...env } }, (e, out, err) => resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }));
        });
      const untrusted = await join_('worker-https-0', {});
      expect(untrusted.err).toBe(`error execution phase preflight: couldn't validate the identity of the API Server: Get ${JSON.stringify(url)}: unable to verify the first certificate\n`);
      expect(untrusted.code).toBe(1);
      const joined = await join_('worker-https', { NODE_EXTRA_CA_CERTS: join(cp.dataDir, 'pki', 'ca.crt') });
      expect(joined.err).toBe('');
      expect(joined.code).toBe(0);
      expect(joined.out).toContain('This node has joined the cluster:\n');
      expect(loadKubeconfig(join(dir, 'worker-https', 'bootstrap-kubelet.conf')).server).toBe(cp.config.server);
      const node = new RestClient(loadKubeconfig(join(dir, 'worker-https', 'node.kubeconfig')));
      clients.push(node);
      const review = (await node.create(SelfSubjectReviews, undefined, { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' })) as { status: { userInfo: { username: string } } };
      expect(review.status.userInfo.username).toBe('system:node:worker-https');
    } finally {
      files.closeAllConnections();
      await new Promise((r) => files.close(r));
    }
  }, 60_000);

  it("up's closing lines on a joinable cluster are kubeadm init's, with the join command of a new 24 h token", async () => {
    const hint = await joinHint(cp.kubeconfig);
    const m = /^\nThen you can join any number of worker nodes by running the following on each as root:\n\ntsctl join (\S+) --token ([a-z0-9]{6})\.[a-z0-9]{16} {5}--discovery-token-ca-cert-hash sha256:[0-9a-f]{64} \n$/.exec(hint);
    expect(m, hint).not.toBeNull();
    expect(`https://${m![1]}`).toBe(cp.config.server);
    const listed = (await admin('token', 'list')).out.split('\n').find((l) => l.startsWith(`${m![2]}.`));
    expect(listed).toMatch(/^\S+\s+23h\s+\S+\s+authentication,signing\s+The default bootstrap token generated by 'kubeadm init'\.\s+system:bootstrappers:kubeadm:default-node-token$/);
  });

  it('token create refuses what kubeadm refuses', async () => {
    expect(await admin('token', 'create', '--usages', 'authentication,foo')).toEqual({
      code: 3,
      out: '',
      err: 'error: bootstrapTokens.0.usages: Invalid value: []string{"authentication", "foo"}: invalid bootstrap token usage string: foo, valid usage options: signing,authentication\n',
    });
    // (the default extra group needs authentication: kubeadm says both)
    expect((await admin('token', 'create', '--usages', 'signing,foo')).err).toBe(
      'error: [bootstrapTokens.0.usages: Invalid value: []string{"signing", "foo"}: invalid bootstrap token usage string: foo, valid usage options: signing,authentication, bootstrapTokens.0.groups: Invalid value: []string{"system:bootstrappers:kubeadm:default-node-token"}: token groups cannot be specified unless --usages includes "authentication"]\n',
    );
    expect((await admin('token', 'create', 'not-a-token')).err).toBe('error: the bootstrap token "not-a-token" was not of the form "\\\\A([a-z0-9]{6})\\\\.([a-z0-9]{16})\\\\z"\n');
    expect((await admin('token', 'create', 'abcdef.0123456789abcdef', '--ttl', '0')).out).toBe('abcdef.0123456789abcdef\n');
    expect((await admin('token', 'create', 'abcdef.0123456789abcdef')).err).toBe('error: a token with id "abcdef" already exists\n');
    expect((await admin('token', 'list')).out).toMatch(/\nabcdef\.0123456789abcdef\s+<forever>\s+<never>\s+/);
    expect((await admin('token', 'delete', 'abc')).err).toBe('error: given token didn\'t match pattern "\\\\A([a-z0-9]{6})\\\\.([a-z0-9]{16})\\\\z" or "\\\\A([a-z0-9]{6})\\\\z"\n');
    expect((await admin('token', 'delete', 'abcdef.0123456789abcdef')).out).toBe('bootstrap token "abcdef" deleted\n');
  });
});
