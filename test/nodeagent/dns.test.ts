// Cluster DNS against a real single-node cluster: the node agent serves the cluster zone on its
// bridge's gateway, fed by Services and EndpointSlices from the apiserver (the test writes the
// headless service's slice as the EndpointSlice controller would, beside the controller's own empty
// one: no pod matches), and pods resolve through it with their real resolv.conf, busybox's
// nslookup and its libc resolver. The controller manager lists the node's DNS as kube-dns's endpoint.
import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndpointSlice } from '../../pkg/api/types.js';
import { EndpointSlices, Namespaces, Pods, Services } from '../../pkg/client/rest-client.js';
import { clusterDNSIP, ensureKubeDnsService } from '../../pkg/dns/kube-dns-service.js';
import { eventually } from '../helpers/control-plane.js';
import { busyboxPod, ctr, podStatus, serviceRangeFor, startCluster, type Cluster } from './harness.js';


let c: Cluster;
// Its own pod CIDR: the DNS server binds the bridge's gateway, port 53, which another harness
// cluster running at the same time (another checkout's tests) on the default CIDR would hold.
const subnet = 10 + Math.floor(Math.random() * 80);
const gateway = `10.199.${subnet}.1`;
const podCIDR = `10.199.${subnet}.0/24`;
beforeAll(async () => {
  c = await startCluster({ podCIDR, controllers: {} });
}, 180_000);
afterAll(async () => {
  await c?.stop();
});

/** Runs a script in a Never-restarting pod and returns what it wrote to its termination message. */
async function run(name: string, script: string, extra: Record<string, unknown> = {}): Promise<string> {
  await c.cp.admin.create(Pods, 'default', busyboxPod(name, { restartPolicy: 'Never', containers: [ctr('main', `{ ${script} ; } > /dev/termination-log 2>&1`)], ...extra }));
  await eventually(async () => ['Succeeded', 'Failed'].includes((await podStatus(c, name)).phase ?? ''), { timeoutMs: 60_000, what: `${name} finished` });
  const st = await podStatus(c, name);
  return st.containerStatuses?.[0]?.state.terminated?.message ?? '';
}

describe('cluster DNS', () => {
  it('pods get the gateway as nameserver, the namespace search list and ndots:5', async () => {
    const out = await run('dns-resolv', 'cat /etc/resolv.conf');
    expect(out).toMatch(new RegExp(`^nameserver ${gateway.replaceAll('.', '\\.')}$`, 'm'));
    expect(out).toMatch(/^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local$/m);
    expect(out).toMatch(/^options ndots:5$/m);
  });

  it('resolves services (ClusterIP, headless, ExternalName target names), pods, and reverse names; missing names fail', async () => {
    const web = await c.cp.admin.create<{ spec: { clusterIP: string } }>(Services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } });
    const ip = web.spec.clusterIP;
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    await c.cp.admin.create(Services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db' }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432 }] } });
    // An ExternalName naming another cluster name: followed to its address, as CoreDNS does.
    await c.cp.admin.create(Services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'alias' }, spec: { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' } });
    // What the endpoints controller writes for the headless service's one ready pod.
    await c.cp.admin.create(EndpointSlices, 'default', {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'db-test', labels: { 'kubernetes.io/service-name': 'db', 'endpointslice.kubernetes.io/managed-by': 'test' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.199.0.77'], hostname: 'db-0', conditions: { ready: true } }],
      ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    });
    const script = [
      'nslookup web.default.svc.cluster.local',
      'nslookup db.default.svc.cluster.local',
      'nslookup db-0.db.default.svc.cluster.local',
      'nslookup 10-199-0-9.default.pod.cluster.local',
      'nslookup alias.default.svc.cluster.local',
      `nslookup ${ip}`,
      // The libc resolver with the search list: a bare service name, as applications use it.
      'ping -c1 -W1 web || true',
      'nslookup nothing-here.default.svc.cluster.local; echo "missing: $?"',
      // The kubelet's service variables, for services that existed when the container started.
      'echo "env: $WEB_SERVICE_HOST:$WEB_SERVICE_PORT $WEB_PORT_80_TCP $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"',
    ].join('; ');
    // The informers may lag the creates by a moment: retry in fresh pods until the answers are there.
    let out = '';
    await eventually(async () => {
      out = await run(`dns-lookup-${Math.random().toString(36).slice(2, 7)}`, script);
      return out.includes(ip) && out.includes('10.199.0.77');
    }, { timeoutMs: 60_000, what: `DNS answers in a pod; last output:\n${out}` });
    expect(out).toMatch(new RegExp(`Name:\\s+web\\.default\\.svc\\.cluster\\.local\\s+Address:\\s+${ip.replaceAll('.', '\\.')}`));
    expect(out).toMatch(/Name:\s+db-0\.db\.default\.svc\.cluster\.local\s+Address:\s+10\.199\.0\.77/);
    expect(out).toMatch(/Name:\s+10-199-0-9\.default\.pod\.cluster\.local\s+Address:\s+10\.199\.0\.9/);
    expect(out).toMatch(new RegExp(`alias\\.default\\.svc\\.cluster\\.local\\s+canonical name = web\\.default\\.svc\\.cluster\\.local\\s+Name:\\s+web\\.default\\.svc\\.cluster\\.local\\s+Address:\\s+${ip.replaceAll('.', '\\.')}`));
    expect(out).toContain('name = web.default.svc.cluster.local');
    expect(out).toContain(`PING web (${ip})`);
    expect(out).toMatch(/NXDOMAIN/);
    expect(out).toMatch(/missing: 1/);
    expect(out).toMatch(new RegExp(`env: ${ip.replaceAll('.', '\\.')}:80 tcp://${ip.replaceAll('.', '\\.')}:80 \\d+\\.\\d+\\.\\d+\\.\\d+:443`));
  }, 120_000);

  it('knows namespaces by their Namespace objects: NXDOMAIN for a pod name in a missing one, NODATA for an empty one', async () => {
    await c.cp.admin.create(Namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dns-empty' } });
    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([gateway]);
    const code = (name: string) => resolver.resolve4(name).then((a) => a.join(','), (e: NodeJS.ErrnoException) => e.code);
    // (CoreDNS's findPods and findServices, which ask namespaceExposed)
    await eventually(async () => (await code('dns-empty.svc.cluster.local')) === 'ENODATA', { timeoutMs: 20_000, what: 'NODATA for an empty namespace' });
    expect(await code('10-1-2-3.dns-empty.pod.cluster.local')).toBe('10.1.2.3');
    expect(await code('10-1-2-3.nonexistent.pod.cluster.local')).toBe('ENOTFOUND');
    expect(await code('nonexistent.svc.cluster.local')).toBe('ENOTFOUND');
    // The zone's name server, as CoreDNS names itself: ns.dns.cluster.local, at the server's address.
    expect(await resolver.resolveNs('cluster.local')).toEqual(['ns.dns.cluster.local']);
    expect(await code('ns.dns.cluster.local')).toBe(gateway);
  });

  it('pods with dnsPolicy Default keep the node\'s resolvers', async () => {
    const out = await run('dns-default', 'cat /etc/resolv.conf', { dnsPolicy: 'Default' });
    expect(out).not.toContain(gateway);
    expect(out).not.toMatch(/ndots/);
  });

  // (last: once kube-dns exists, pods are given its cluster IP rather than the gateway)
  it('kube-system/kube-dns, as kubeadm makes it, answers on its cluster IP through the node\'s service proxy; pods name it in resolv.conf', async () => {
    const range = serviceRangeFor(podCIDR);
    const ip = clusterDNSIP(range);
    expect(await ensureKubeDnsService(c.cp.admin, range)).toBe(true);
    const script = ['cat /etc/resolv.conf', `nslookup kube-dns.kube-system.svc.cluster.local ${ip}`, 'nslookup kubernetes.default.svc.cluster.local'].join('; ');
    let out = '';
    await eventually(async () => {
      out = await run(`dns-kube-dns-${Math.random().toString(36).slice(2, 7)}`, script);
      return out.includes(`nameserver ${ip}`);
    }, { timeoutMs: 30_000, what: `a pod given kube-dns as its nameserver; last output:\n${out}` });
    expect(out).toMatch(new RegExp(`^nameserver ${ip.replaceAll('.', '\\.')}$`, 'm'));
    expect(out).not.toContain(gateway);
    expect(out).toMatch(/^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local$/m);
    expect(out).toMatch(/^options ndots:5$/m);
    // (answered through the cluster IP, by the agent's DNS behind it)
    expect(out).toMatch(new RegExp(`Name:\\s+kube-dns\\.kube-system\\.svc\\.cluster\\.local\\s+Address:\\s+${ip.replaceAll('.', '\\.')}`));
    expect(out).toMatch(/Name:\s+kubernetes\.default\.svc\.cluster\.local\s+Address:\s+\d+\.\d+\.\d+\.1\b/);
    // (a hostNetwork pod with ClusterFirstWithHostNet reaches it from the node's own namespace)
    const host = await run('dns-kube-dns-hostnet', 'grep ^nameserver /etc/resolv.conf; nslookup kube-dns.kube-system.svc.cluster.local', { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' });
    expect(host).toMatch(new RegExp(`^nameserver ${ip.replaceAll('.', '\\.')}$`, 'm'));
    expect(host).toMatch(new RegExp(`Name:\\s+kube-dns\\.kube-system\\.svc\\.cluster\\.local\\s+Address:\\s+${ip.replaceAll('.', '\\.')}`));
    // (the zone's name server is now the Service, as CoreDNS names its own)
    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([gateway]);
    expect(await resolver.resolve4('ns.dns.cluster.local')).toEqual([ip]);
  }, 60_000);

  it('serves CoreDNS\'s metrics on kube-dns\'s metrics port, 9153, as kube-prometheus scrapes them', async () => {
    const ip = clusterDNSIP(serviceRangeFor(podCIDR));
    const out = await run('dns-metrics', `nslookup kubernetes.default.svc.cluster.local >/dev/null; wget -qO- http://${ip}:9153/metrics | grep -E '^coredns_(dns_requests_total|dns_responses_total|cache_requests_total|build_info)'`);
    // (labels sorted by name, as client_golang writes them: 077a1da)
    expect(out).toMatch(/^coredns_dns_requests_total\{family="1",proto="udp",server="dns:\/\/:53",type="A",view="",zone="\."\} [1-9]\d*$/m);
    expect(out).toMatch(/^coredns_dns_responses_total\{plugin="loadbalance",rcode="NOERROR",server="dns:\/\/:53",view="",zone="\."\} [1-9]\d*$/m);
    expect(out).toMatch(/^coredns_cache_requests_total\{server="dns:\/\/:53",view="",zones="\."\} [1-9]\d*$/m);
    expect(out).toMatch(/^coredns_build_info\{[^}]*\bversion="1\.11\.3"\} 1$/m);
  }, 60_000);

  it('kube-dns\'s EndpointSlice lists the node\'s DNS, as a kubeadm cluster lists its CoreDNS pod: the host and a pod scrape its metrics at the listed address', async () => {
    await ensureKubeDnsService(c.cp.admin, serviceRangeFor(podCIDR));
    const endpoint = await eventually(async () => {
      const slices = (await c.cp.admin.list<EndpointSlice>(EndpointSlices, 'kube-system', { labelSelector: 'kubernetes.io/service-name=kube-dns' })).items;
      const ep = slices.flatMap((s) => (s.endpoints ?? []).map((e) => ({ ...e, ports: s.ports ?? [] }))).find((e) => e.nodeName === 'e2e-node');
      return ep?.conditions?.ready ? ep : undefined;
    }, { timeoutMs: 30_000, what: 'the node\'s DNS, ready, in kube-dns\'s EndpointSlice' });
    expect(endpoint.addresses).toEqual([gateway]);
    expect(endpoint.targetRef).toMatchObject({ kind: 'Node', name: 'e2e-node' });
    const metricsPort = endpoint.ports.find((p) => p.name === 'metrics')?.port;
    expect(metricsPort).toBe(9153);
    // (kube-prometheus's ServiceMonitor scrapes http://<endpoint address>:<metrics port>/metrics)
    const url = `http://${endpoint.addresses![0]}:${metricsPort}/metrics`;
    const fromHost = await (await fetch(url)).text();
    expect(fromHost).toMatch(/^coredns_build_info\{[^}]*\bversion="1\.11\.3"\} 1$/m);
    const fromPod = await run('dns-endpoint-metrics', `wget -qO- ${url} | grep -E '^coredns_(build_info|dns_requests_total)'`);
    expect(fromPod).toMatch(/^coredns_build_info\{[^}]*\bversion="1\.11\.3"\} 1$/m);
    expect(fromPod).toMatch(/^coredns_dns_requests_total\{family="1",proto="udp",server="dns:\/\/:53",type="A",view="",zone="\."\} [1-9]\d*$/m);
  }, 60_000);
});
