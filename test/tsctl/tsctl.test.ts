// tsctl as a user drives it: apply (create, configure, unchanged, multi-document, errors naming
// the object and its field), get (tables, -o yaml/json/wide, -l, -A, -w), describe with events, delete
// (by name, -f, --grace-period, --wait); and up/down of a real single-node control plane.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadKubeconfig } from '../../pkg/client/kubeconfig.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yaml from 'js-yaml';
import { Events, Leases, Nodes, Pods, RestClient } from '../../pkg/client/rest-client.js';
import { run } from '../../pkg/tsctl/cli.js';
import { eventually, node, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { freePortPair } from '../helpers/ports.js';
import { scrape } from '../helpers/scrape.js';

let cp: TestControlPlane;
let dir: string;

async function tsctl(args: string[], opts: { signal?: AbortSignal; stdin?: string } = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(['--kubeconfig', cp.kubeconfig, ...args], { out: (s) => (out += s), err: (s) => (err += s) }, { signal: opts.signal, stdin: opts.stdin !== undefined ? () => opts.stdin! : undefined });
  return { code, out, err };
}

const podYaml = (name: string, labels: Record<string, string>, image = 'busybox:1.36') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: ${JSON.stringify(labels)}
spec:
  containers:
  - name: main
    image: ${image}
    command: ["sleep", "3600"]
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-tsctl-'));
  cp = await startControlPlane();
  await cp.admin.create(Nodes, undefined, node('worker-1'));
});
afterAll(async () => {
  await cp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('tsctl apply/get/describe/delete', () => {
  it('applies a multi-document file: created, then configured, then unchanged', async () => {
    const file = join(dir, 'two.yaml');
    writeFileSync(file, `${podYaml('a', { app: 'a' })}---\n${podYaml('b', { app: 'b' })}`);
    const first = await tsctl(['apply', '-f', file]);
    expect(first).toMatchObject({ code: 0, out: 'pod/a created\npod/b created\n', err: '' });
    writeFileSync(file, `${podYaml('a', { app: 'a', tier: 'x' })}---\n${podYaml('b', { app: 'b' })}`);
    const second = await tsctl(['apply', '-f', file]);
    expect(second.out).toBe('pod/a configured\npod/b unchanged\n');
    // A label removed from the manifest is removed from the object.
    writeFileSync(file, `${podYaml('a', { app: 'a' })}`);
    await tsctl(['apply', '-f', file]);
    expect((await cp.admin.get(Pods, 'default', 'a')).metadata?.labels).toEqual({ app: 'a' });
  });

  it('applies JSON from stdin and from a directory', async () => {
    const json = JSON.stringify(yaml.load(podYaml('c', { app: 'c' })));
    expect((await tsctl(['apply', '-f', '-'], { stdin: json })).out).toBe('pod/c created\n');
    const sub = join(dir, 'manifests');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(sub);
    writeFileSync(join(sub, '1.yaml'), podYaml('d1', { app: 'd' }));
    writeFileSync(join(sub, '2.json'), JSON.stringify(yaml.load(podYaml('d2', { app: 'd' }))));
    writeFileSync(join(sub, 'README.txt'), 'ignored');
    expect((await tsctl(['apply', '-f', sub])).out).toBe('pod/d1 created\npod/d2 created\n');
  });

  it('names the file, document and field in errors, and applies the good documents', async () => {
    const file = join(dir, 'mixed.yaml');
    writeFileSync(file, `${podYaml('good', { app: 'g' })}---\n${podYaml('bad', { app: 'b' }).replace('image: busybox:1.36', 'image: busybox:1.36\n    imagePullPolicy: Sometimes')}`);
    const r = await tsctl(['apply', '-f', file]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('pod/good created\n');
    // (a lone Invalid error as kubectl's CheckErr says it: the object and the field)
    expect(r.err).toContain('The Pod "bad" is invalid: spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes"');
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: [x\n');
    const b = await tsctl(['apply', '-f', broken]);
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/broken\.yaml: line \d+/);
  });

  it('gets tables like kubectl, with -l, -A, -o wide/yaml/json', async () => {
    const table = await tsctl(['get', 'pods']);
    const lines = table.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['a', 'b', 'c', 'd1', 'd2', 'good']);
    expect(lines[1]).toMatch(/^a\s+0\/1\s+Pending\s+0\s+\d+s$/);
    expect((await tsctl(['get', 'po', '-l', 'app=d'])).out.trimEnd().split('\n')).toHaveLength(3);
    expect((await tsctl(['get', 'pods', '-o', 'wide'])).out.split('\n')[0]).toMatch(/IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES/);
    expect((await tsctl(['get', 'pods', '-A'])).out.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME/);
    const y = yaml.load((await tsctl(['get', 'pod', 'a', '-o', 'yaml'])).out) as { kind: string; metadata: { name: string } };
    expect(y).toMatchObject({ kind: 'Pod', metadata: { name: 'a' } });
    const j = JSON.parse((await tsctl(['get', 'pods', '-o', 'json', '-l', 'app=d'])).out) as { kind: string; items: { metadata: { name: string } }[] };
    expect(j.kind).toBe('List');
    expect(j.items.map((i) => i.metadata.name)).toEqual(['d1', 'd2']);
    expect((await tsctl(['get', 'nodes'])).out).toMatch(/worker-1\s+Ready/);
    const none = await tsctl(['get', 'pods', '-n', 'kube-system']);
    expect(none.err).toBe('No resources found in kube-system namespace.\n');
    const bad = await tsctl(['get', 'widgets']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('the server doesn\'t have a resource type "widgets"');
  });

  it('gets several types, a category (all), or TYPE/NAME arguments, as kubectl reads them; a missing name is said and fails the command', async () => {
    const several = await tsctl(['get', 'pods,services', '-l', 'app=a']);
    expect(several.code).toBe(0);
    // (each type's table, its names prefixed with the kind; types with nothing are left out)
    expect(several.out).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\npod\/a\s+0\/1\s+Pending/);
    const all = await tsctl(['get', 'all']);
    expect(all.out).toMatch(/\npod\/good\s/);
    expect(all.out).toMatch(/\n\nNAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\nservice\/kubernetes\s+ClusterIP\s+10\.96\.0\.1\s/);
    const named = await tsctl(['get', 'pod/a', 'pod/b', 'svc/nope']);
    expect(named.code).toBe(1);
    expect(named.out.trimEnd().split('\n').map((l) => l.split(/\s+/)[0])).toEqual(['NAME', 'pod/a', 'pod/b']);
    expect(named.err).toBe('Error from server (NotFound): services "nope" not found\n');
    const one = await tsctl(['get', 'pod/a', 'pod/b']);
    expect(one.out.trimEnd().split('\n').map((l) => l.split(/\s+/)[0])).toEqual(['NAME', 'a', 'b']);
    const list = yaml.load((await tsctl(['get', 'pod/a', 'service/kubernetes', '-o', 'yaml'])).out) as { kind: string; items: { kind: string }[] };
    expect(list).toMatchObject({ kind: 'List', items: [{ kind: 'Pod' }, { kind: 'Service' }] });
    const mixed = await tsctl(['get', 'pods', 'pod/a']);
    expect(mixed.code).not.toBe(0);
    expect(mixed.err).toContain('there is no need to specify a resource type as a separate argument');
    expect((await tsctl(['get', 'pods,svc', '-w'])).err).toBe('error: you may only specify a single resource type\n');
  });

  it('get -w prints changes as they happen', async () => {
    const ac = new AbortController();
    let out = '';
    const watching = run(['--kubeconfig', cp.kubeconfig, 'get', 'pods', '-w', '-l', 'app=w'], { out: (s) => (out += s), err: () => {} }, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 300));
    await cp.admin.create(Pods, 'default', yaml.load(podYaml('w', { app: 'w' })) as object);
    await cp.admin.bind('default', 'w', 'worker-1');
    await eventually(() => (out.match(/^w\s/gm) ?? []).length >= 2, { what: 'two rows for pod w' });
    ac.abort();
    await watching;
    expect(out).toMatch(/^w\s+0\/1\s+Pending/m);
  });

  it('describes a pod with its events', async () => {
    const p = await cp.admin.get(Pods, 'default', 'w');
    await cp.admin.create(Events, 'default', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'w.scheduled' },
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'w', uid: p.metadata?.uid },
      reason: 'Scheduled',
      message: 'Successfully assigned default/w to worker-1',
      type: 'Normal',
      source: { component: 'default-scheduler' },
      count: 1,
      // (kubectl's describer ages a single event by its firstTimestamp)
      firstTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    });
    const d = await tsctl(['describe', 'pod', 'w']);
    expect(d.code).toBe(0);
    expect(d.out).toMatch(/^Name:\s+w$/m);
    expect(d.out).toMatch(/^Node:\s+worker-1/m);
    expect(d.out).toMatch(/Image:\s+busybox:1\.36/);
    expect(d.out).toMatch(/Normal\s+Scheduled\s+\d+s\s+default-scheduler\s+Successfully assigned default\/w to worker-1/);
  });

  it('deletes by name, by file, with a grace period, and waits', async () => {
    expect((await tsctl(['delete', 'pod', 'b', 'c'])).out).toBe('pod "b" deleted\npod "c" deleted\n');
    expect((await tsctl(['delete', '-f', join(dir, 'manifests')])).out).toBe('pod "d1" deleted\npod "d2" deleted\n');
    // A bound pod waits for its node: --wait times out while nobody confirms; --force removes it.
    const waited = await tsctl(['delete', 'pod', 'w', '--grace-period', '30', '--timeout', '1']);
    expect(waited.code).toBe(1);
    expect(waited.err).toContain('timed out waiting for pod "w" to be deleted');
    expect((await cp.admin.get(Pods, 'default', 'w')).metadata?.deletionGracePeriodSeconds).toBe(30);
    expect((await tsctl(['delete', 'pod', 'w', '--force'])).code).toBe(0);
    const missing = await tsctl(['delete', 'pod', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('pods "nope" not found');
  });
});

describe('tsctl up/down', () => {
  it('starts a control plane in the background, reports it when already up, and removes every trace', async () => {
    const dataDir = join(dir, 'cluster');
    // (tsctl up takes port+1 for the apiserver's gRPC, port+2 for the controller manager's
    // secure port, and etcdPort+1 for etcd's peers)
    const port = await freePortPair();
    let etcdPort = await freePortPair();
    while (etcdPort > port - 2 && etcdPort < port + 3) etcdPort = await freePortPair();
    const bin = resolve('dist/cmd/tsctl/main.js');
    const tsctlBin = (...args: string[]) =>
      new Promise<{ code: number; out: string }>((res) => {
        const c = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        c.stdout.on('data', (b: Buffer) => (out += b));
        c.stderr.on('data', (b: Buffer) => (out += b));
        c.on('close', (code) => res({ code: code ?? -1, out }));
      });
    const upArgs = ['up', '--data-dir', dataDir, '--apiserver-port', String(port), '--etcd-port', String(etcdPort), '--components', 'apiserver,controller-manager'];
    try {
      const up = await tsctlBin(...upArgs);
      expect(up.code).toBe(0);
      expect(up.out).toMatch(/apiserver: ready at https:\/\/127\.0\.0\.1:\d+/);
      expect(existsSync(join(dataDir, 'kubeconfig'))).toBe(true);
      const again = await tsctlBin(...upArgs);
      expect(again.out).toContain('cluster already running');
      const ns = await tsctlBin('--kubeconfig', join(dataDir, 'kubeconfig'), 'get', 'namespaces');
      expect(ns.out).toMatch(/kube-system\s+Active/);
      // As kubeadm init's CoreDNS addon: the cluster DNS as kube-system/kube-dns at the tenth address of the service range.
      const svc = await tsctlBin('--kubeconfig', join(dataDir, 'kubeconfig'), 'get', 'services', '-n', 'kube-system', '-o', 'wide');
      expect(svc.out).toMatch(/^kube-dns\s+ClusterIP\s+10\.96\.0\.10\s+<none>\s+53\/UDP,53\/TCP,9153\/TCP\s+\S+\s+k8s-app=kube-dns$/m);
      expect(up.out).toContain('- addons: kube-system/kube-dns at 10.96.0.10');
      // As after kubeadm init: a token's printed join command joins a machine with no hand-made object.
      const created = await tsctlBin('--kubeconfig', join(dataDir, 'kubeconfig'), 'token', 'create', '--print-join-command');
      expect(created.out).toMatch(/^tsctl join 127\.0\.0\.1:\d+ --token [a-z0-9]{6}\.[a-z0-9]{16} {5}--discovery-token-ca-cert-hash sha256:[0-9a-f]{64} \n$/);
      // (no second node agent on this machine: the join stops at the certificate)
      const joined = await tsctlBin(...created.out.trim().split(/\s+/).slice(1), '--data-dir', join(dir, 'joiner'), '--node-name', 'joiner', '--start-agent=false');
      expect(joined.out).toContain('This node has joined the cluster:');
      expect(joined.code).toBe(0);
      expect(loadKubeconfig(join(dir, 'joiner', 'node.kubeconfig')).clientCert).toContain('BEGIN CERTIFICATE');

      // A component that dies is started again by its supervisor, which says so in its log.
      const nodeProcessOf = (entry: string) =>
        readdirSync('/proc').find((p) => {
          try {
            const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
            return argv[0] === process.execPath && argv.some((a) => a.endsWith(entry)) && argv.some((a) => a.startsWith(dataDir));
          } catch {
            return false;
          }
        });
      const first = nodeProcessOf('/cmd/controller-manager/main.js');
      expect(first).toBeDefined();
      process.kill(Number(first), 'SIGKILL');
      const second = await eventually(() => {
        const p = nodeProcessOf('/cmd/controller-manager/main.js');
        return p && p !== first ? p : undefined;
      }, { timeoutMs: 10_000, what: 'the controller manager started again' });
      expect(second).not.toBe(first);
      const log = readFileSync(join(dataDir, 'logs', 'controller-manager.log'), 'utf8');
      expect(log).toMatch(/"component":"supervisor","msg":"exited; starting it again","supervised":"tskube-controller-manager","exitCode":137,"restartInSec":1\}/);
      expect((await tsctlBin(...upArgs)).out).toContain('cluster already running');

      // Its secure port as kubeadm's kube-controller-manager's: HTTPS on loopback, /healthz to
      // anyone, /metrics to whom the apiserver authorizes (the admin), 403 to anonymous.
      const cm = (path: string, token?: string) => scrape(`https://127.0.0.1:${port + 2}${path}`, token);
      await eventually(async () => (await cm('/healthz').catch(() => undefined))?.body === 'ok', { timeoutMs: 15_000, what: 'the controller manager serving again' });
      expect((await cm('/metrics')).status).toBe(403);
      const admin = new RestClient(loadKubeconfig(join(dataDir, 'kubeconfig')));
      try {
        expect((await cm('/metrics', admin.config.token)).status).toBe(200);
        // Another member takes its lease: it exits 1 (leaderelection lost) and its supervisor starts it again.
        // (the one killed above holds the lease until it expires: let it go at once, and wait until the new one leads)
        const held = await admin.get(Leases, 'kube-system', 'kube-controller-manager');
        await admin.update(Leases, 'kube-system', 'kube-controller-manager', { ...held, spec: { ...(held.spec as object), holderIdentity: undefined, leaseDurationSeconds: 1 } });
        await eventually(async () => (await cm('/metrics', admin.config.token)).body.includes('leader_election_master_status{name="kube-controller-manager"} 1'), { timeoutMs: 30_000, what: 'the restarted controller manager leading' });
        const third = nodeProcessOf('/cmd/controller-manager/main.js');
        const lease = await admin.get(Leases, 'kube-system', 'kube-controller-manager');
        await admin.update(Leases, 'kube-system', 'kube-controller-manager', { ...lease, spec: { ...(lease.spec as object), holderIdentity: 'other_0', renewTime: new Date().toISOString().replace('Z', '000Z'), leaseDurationSeconds: 5 } });
        await eventually(() => /"msg":"leaderelection lost"/.test(readFileSync(join(dataDir, 'logs', 'controller-manager.log'), 'utf8')), { timeoutMs: 10_000, what: 'leaderelection lost' });
        await eventually(() => {
          const p = nodeProcessOf('/cmd/controller-manager/main.js');
          return p && p !== third ? p : undefined;
        }, { timeoutMs: 15_000, what: 'the controller manager started again after losing its lease' });
        expect(readFileSync(join(dataDir, 'logs', 'controller-manager.log'), 'utf8')).toMatch(/"supervised":"tskube-controller-manager","exitCode":1,/);
      } finally {
        admin.close();
      }
    } finally {
      const down = await tsctlBin('down', '--data-dir', dataDir);
      expect(down.code).toBe(0);
    }
    expect(existsSync(dataDir)).toBe(false);
    const leftovers = readdirSync('/proc').filter((p) => {
      if (!/^\d+$/.test(p)) return false;
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dataDir);
      } catch {
        return false;
      }
    });
    expect(leftovers).toEqual([]);
  });
});

describe('tsctl image', () => {
  it('builds the busybox image, lists, exports, imports into another store and removes it', async () => {
    const a = join(dir, 'images-a');
    const b = join(dir, 'images-b');
    const layout = join(dir, 'layout');
    const img = async (...args: string[]) => {
      let out = '';
      let err = '';
      const code = await run(args, { out: (s) => (out += s), err: (s) => (err += s) });
      return { code, out, err };
    };
    expect(await img('image', 'build-busybox', 'tskube.local/busybox:test', '--data-dir', a)).toMatchObject({ code: 0, out: 'built tskube.local/busybox:test\n' });
    const ls = await img('images', '--data-dir', a);
    expect(ls.out).toMatch(/^IMAGE\s+ID\s+SIZE\ntskube\.local\/busybox:test\s+[0-9a-f]{12}\s+[\d.]+MB\n$/);
    expect((await img('image', 'export', 'tskube.local/busybox:test', layout, '--data-dir', a)).code).toBe(0);
    expect((await img('image', 'import', layout, '--data-dir', b)).out).toContain('imported tskube.local/busybox:test');
    expect((await img('image', 'rm', 'tskube.local/busybox:test', '--data-dir', b)).code).toBe(0);
    expect((await img('images', '--data-dir', b)).out).toBe('IMAGE   ID   SIZE\n');
    const bad = await img('image', 'frobnicate', '--data-dir', b);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('tsctl image build-busybox NAME');
  });
});

