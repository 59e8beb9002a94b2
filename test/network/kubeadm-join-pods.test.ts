// A machine that joins the kubeadm way runs pods that reach the cluster's: the control plane in
// this test's process listens on an address of a small LAN (a wire namespace with a bridge, a veth
// from the host into it), the cluster's first node runs its agent in a namespace on that LAN (as
// `tsctl up --advertise-address` runs the local one), and a second namespace on the LAN runs the
// printed `tsctl join` command as it is: it writes the cluster's kubelet-config and starts the node
// agent under the supervisor. The joined node gets a podCIDR; a pod on it reaches a pod on the first
// node by IP and a Service of that pod by name (host-gw routes through the nodes' InternalIPs, the
// service proxy and the cluster DNS its own agent serves behind kube-dns, which kubelet-config's
// clusterDNS names as kubeadm writes it), and the first node's DNS metrics at the address kube-dns's
// EndpointSlice lists for it, as a Prometheus on any node scrapes them. `tsctl down` on each node stops its agent
// and removes what it made; the namespaces and the veth go at the end.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SERVICE_CIDR } from '../../pkg/apiserver/apiserver.js';
import type { EndpointSlice } from '../../pkg/api/types.js';
import { core, EndpointSlices, Nodes } from '../../pkg/client/rest-client.js';
import { clusterDNSIP, ensureKubeDnsService } from '../../pkg/dns/kube-dns-service.js';
import { ImageManager } from '../../pkg/runtime/image-service.js';
import { run as tsctl } from '../../pkg/tsctl/cli.js';
import { demoImage } from '../../pkg/tsctl/cluster.js';
import { ensureUploadConfig } from '../../pkg/tsctl/upload-config.js';
import { run } from '../../pkg/util/exec.js';
import { eventually, type TestControlPlane } from '../helpers/control-plane.js';
import { startJoinControlPlane, type JoinControlPlane } from '../helpers/tls-bootstrap-join.js';
import { Lab } from './lab.js';

const HOST_IP = '172.31.253.1';
const FIRST_IP = '172.31.253.11';
const JOINED_IP = '172.31.253.12';
const lab = new Lab();
const suffix = lab.id.split('-')[1];
const hostLink = `tsknp${suffix}`;
const firstCgroup = `/tsknp-${suffix}`;
const dir = mkdtempSync(join(tmpdir(), 'tskube-join-pods-'));
const firstDir = join(dir, 'first');
const joinedDir = join(dir, 'joined');
const bin = resolve('dist/cmd/tsctl/main.js');
let firstNs: string;
let joinedNs: string;
let cp: TestControlPlane | undefined;
let plane: JoinControlPlane | undefined;

beforeAll(async () => {
  const attach = await lab.wire();
  const wire = lab.name('wire');
  await run('ip', ['link', 'add', hostLink, 'type', 'veth', 'peer', 'name', 'uplink', 'netns', `/run/netns/${wire}`]);
  await lab.ip(wire, 'link set uplink master br0 up');
  await run('ip', ['addr', 'add', `${HOST_IP}/24`, 'dev', hostLink]);
  await run('ip', ['link', 'set', hostLink, 'up']);
  firstNs = await lab.onWire(attach, 'first', `${FIRST_IP}/24`);
  joinedNs = await lab.onWire(attach, 'joined', `${JOINED_IP}/24`);
  // (the joined node's agent waits for the podCIDR the controller manager allocates)
  plane = await startJoinControlPlane({ address: HOST_IP, allocateNodeCIDRs: true });
  cp = plane.cp;
  await ensureUploadConfig(cp.admin, { dataDir: cp.dataDir });
  // (kubeadm init's CoreDNS Service, as tsctl up makes it: kubelet-config's clusterDNS names its address)
  await ensureKubeDnsService(cp.admin, DEFAULT_SERVICE_CIDR);
  // The first node, as tsctl up's: its agent on the LAN address, the demo image built.
  const images = new ImageManager(join(firstDir, 'runtime'));
  await images.init();
  await images.buildBusybox(demoImage);
  const log = openSync(join(dir, 'first-agent.log'), 'a');
  const agent = spawn('nsenter', [`--net=${firstNs}`, '--', process.execPath, resolve('dist/cmd/nodeagent/main.js'), '--data-dir', firstDir, '--kubeconfig', cp.kubeconfig, '--node-name', 'first', '--node-ip', FIRST_IP, '--cgroup-root', firstCgroup], { stdio: ['ignore', log, log] });
  closeSync(log);
  lab.track(agent);
}, 120_000);

afterAll(async () => {
  // (each node's tsctl down, in its namespace: agent, containers, mounts, cgroups, pod network)
  if (joinedNs) await lab.exec(joinedNs, process.execPath, [bin, 'down', '--data-dir', joinedDir], 60_000);
  if (firstNs) await lab.exec(firstNs, process.execPath, [bin, 'down', '--data-dir', firstDir], 60_000);
  for (const root of readdirSync('/sys/fs/cgroup').map((d) => join('/sys/fs/cgroup', d, firstCgroup))) {
    for (const d of [join(root, 'burstable'), join(root, 'besteffort'), root]) {
      try {
        rmdirSync(d);
      } catch {
        // absent
      }
    }
  }
  await plane?.stop();
  await run('ip', ['link', 'del', hostLink], { allowFailure: true });
  await lab.destroy();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('a machine joined the kubeadm way runs pods on the cluster network', () => {
  it('the printed join command starts its agent; its pod reaches a pod of the first node by IP and its Service by name', async () => {
    let printed = '';
    expect(await tsctl(['--kubeconfig', cp!.kubeconfig, 'token', 'create', '--print-join-command', '--ttl', '10m'], { out: (s) => (printed += s), err: (s) => (printed += s) })).toBe(0);
    const joined = await lab.exec(joinedNs, process.execPath, [bin, ...printed.trim().split(/\s+/).slice(1), '--data-dir', joinedDir, '--node-name', 'joined'], 90_000);
    expect(joined.stderr).toBe('');
    expect(joined.stdout).toContain(`[kubelet-start] Writing kubelet configuration to file "${join(joinedDir, 'config.yaml')}"`);
    expect(joined.stdout).toContain('* The Kubelet was informed of the new secure connection details.');
    expect(joined.code).toBe(0);

    // Both nodes Ready with a podCIDR each; the joined one at the address it reaches the apiserver from.
    const nodes = await eventually(async () => {
      const items = (await cp!.admin.list<{ metadata: { name: string }; spec: { podCIDR?: string }; status: { addresses?: { type: string; address: string }[]; conditions?: { type: string; status: string }[] } }>(Nodes)).items;
      const ready = items.filter((n) => n.spec.podCIDR && n.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === 2 ? ready : undefined;
    }, { timeoutMs: 60_000, what: 'two Ready nodes with pod CIDRs' });
    expect(nodes.find((n) => n.metadata.name === 'joined')!.status.addresses).toContainEqual({ type: 'InternalIP', address: JOINED_IP });

    const Pods = core('pods');
    await cp!.admin.create(Pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { app: 'web' } }, spec: { nodeName: 'first', automountServiceAccountToken: false, containers: [{ name: 'httpd', image: demoImage, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo hello-from-first > /tmp/index.html && exec httpd -f -p 8080 -h /tmp'] }] } });
    await cp!.admin.create(core('services'), 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } });
    const webIP = await eventually(async () => {
      const p = await cp!.admin.get<{ status: { podIP?: string; conditions?: { type: string; status: string }[] } }>(Pods, 'default', 'web');
      return p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p.status.podIP : undefined;
    }, { timeoutMs: 60_000, what: 'the pod on the first node Ready' }).catch(async (e: Error) => {
      const p = await cp!.admin.get(Pods, 'default', 'web');
      throw new Error(`${e.message}: ${JSON.stringify(p.status)}\n${readFileSync(join(dir, 'first-agent.log'), 'utf8').split('\n').filter((l) => /"(warn|error)"/.test(l)).slice(-15).join('\n')}`);
    });
    // kube-dns's EndpointSlice lists each node's DNS (its bridge gateway), as a kubeadm cluster's lists its CoreDNS pods.
    const dnsEndpoints = await eventually(async () => {
      const slices = (await cp!.admin.list<EndpointSlice>(EndpointSlices, 'kube-system', { labelSelector: 'kubernetes.io/service-name=kube-dns' })).items;
      const eps = slices.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready);
      return eps.length === 2 ? eps : undefined;
    }, { timeoutMs: 30_000, what: 'both nodes\' DNS ready in kube-dns\'s EndpointSlice' });
    expect(dnsEndpoints.map((e) => e.nodeName).sort()).toEqual(['first', 'joined']);
    const firstDNS = dnsEndpoints.find((e) => e.nodeName === 'first')!.addresses![0]!;
    // (busybox-static's wget crashes on -T: timeout bounds it)
    // (the joined node's pods name kube-dns, as kubelet-config's clusterDNS says, and its own agent answers behind it as the first node's does)
    const script = `grep -qx 'nameserver ${clusterDNSIP(DEFAULT_SERVICE_CIDR)}' /etc/resolv.conf && timeout 5 wget -q -O- http://${webIP}:8080/index.html && timeout 5 wget -q -O- http://web.default.svc.cluster.local/index.html && timeout 5 wget -q -O- http://${firstDNS}:9153/metrics | grep -q '^coredns_build_info'`;
    // (each attempt says how it went in the pod's log)
    await cp!.admin.create(Pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client' }, spec: { nodeName: 'joined', restartPolicy: 'Never', automountServiceAccountToken: false, containers: [{ name: 'wget', image: demoImage, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', `for i in 1 2 3 4 5 6 7 8 9 10; do ${script} && exit 0; echo attempt $i failed: $?; sleep 1; done; exit 1`] }] } });
    const phase = await eventually(async () => {
      const p = await cp!.admin.get<{ status: { phase?: string } }>(Pods, 'default', 'client');
      return p.status.phase === 'Succeeded' || p.status.phase === 'Failed' ? p.status.phase : undefined;
    }, { timeoutMs: 90_000, what: 'the pod on the joined node to finish' });
    if (phase !== 'Succeeded') {
      const p = await cp!.admin.get<{ status: unknown }>(Pods, 'default', 'client');
      const logs = (readdirSync(joinedDir, { recursive: true }) as string[]).filter((f) => f.endsWith('.log') && !f.startsWith('logs/')).map((f) => readFileSync(join(joinedDir, f), 'utf8')).join('\n');
      const agentLog = readFileSync(join(joinedDir, 'logs', 'nodeagent.log'), 'utf8').split('\n').filter((l) => /"(warn|error)"/.test(l)).slice(-10).join('\n');
      expect.fail(`the client pod ${phase}: ${JSON.stringify(p.status)}\n${logs}\n${agentLog}`);
    }
  }, 240_000);
});
