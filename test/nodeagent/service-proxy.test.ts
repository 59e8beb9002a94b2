// The service proxy end to end on a real single-node cluster: pods behind a Service, reached at
// the Service's cluster IP from another pod with busybox wget; a Service without endpoints
// refused at once; a deleted pod dropped from the rotation; every chain gone with the node's
// clean-up. The EndpointSlices come from the real EndpointSlice controller in a controller-manager
// beside the harness's control plane.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../../pkg/client/api-client.js';
import { connect } from '../../pkg/client/connect.js';
import { loadKubeconfig } from '../../pkg/client/kubeconfig.js';
import { EndpointSlices, Events, Pods, Services } from '../../pkg/client/rest-client.js';
import { ControllerManager, defaultControllerConfig } from '../../pkg/controllers/manager.js';
import { eventually } from '../helpers/control-plane.js';
import { busyboxPod, ctr, podStatus, startCluster, type Cluster } from './harness.js';

let c: Cluster;
let cm: ControllerManager | undefined;
let cmClient: ApiClient | undefined;
let prefix = '';
beforeAll(async () => {
  c = await startCluster({ podCIDR: `10.199.${100 + Math.floor(Math.random() * 150)}.0/24` });
  prefix = c.cfg.chainPrefix!;
  cmClient = connect(loadKubeconfig(join(c.cp.dataDir, 'controller-manager.kubeconfig')));
  cm = new ControllerManager(cmClient, { ...defaultControllerConfig, leaderElect: false });
  await cm.start();
}, 180_000);
afterAll(async () => {
  await cm?.stop();
  cmClient?.close();
  await c?.stop();
  if (prefix) expect(execFileSync('iptables-save', { encoding: 'utf8' })).not.toContain(`${prefix}-`);
});

// (busybox wget's own -T crashes in Debian's busybox-static 1.35: timeouts come from `timeout`.)

/** Runs a script in a Never-restarting pod and returns what it wrote to its termination message. */
async function run(name: string, script: string): Promise<string> {
  await c.cp.admin.create(Pods, 'default', busyboxPod(name, { restartPolicy: 'Never', containers: [ctr('main', `{ ${script} ; } > /dev/termination-log 2>&1`)] }));
  await eventually(async () => ['Succeeded', 'Failed'].includes((await podStatus(c, name)).phase ?? ''), { timeoutMs: 60_000, what: `${name} finished` });
  return (await podStatus(c, name)).containerStatuses?.[0]?.state.terminated?.message ?? '';
}

/** n requests to ip:80 from a fresh pod: one answer (the pod's name) or "failed" a line. */
const fetchMany = (ip: string, n: number) => run(`svc-client-${Math.random().toString(36).slice(2, 7)}`, `for i in $(seq 1 ${n}); do timeout 3 wget -qO- http://${ip}/ || echo failed; done`);

const webPod = (name: string) =>
  busyboxPod(name, {
    containers: [ctr('httpd', 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www', { ports: [{ name: 'http', containerPort: 8080 }] })],
  });

describe('service proxy', () => {
  it('records kube-proxy\'s Starting event about its node, as ProxyServer.birthCry', async () => {
    const node = c.cfg.nodeName;
    const started = async () => (await c.cp.admin.list(Events, 'default', { fieldSelector: `involvedObject.kind=Node,involvedObject.name=${node},reason=Starting,source=kube-proxy` })).items;
    await eventually(async () => (await started()).length === 1, { timeoutMs: 20_000, what: 'kube-proxy Starting event' });
    expect((await started())[0]).toMatchObject({ action: 'StartKubeProxy', type: 'Normal', reportingComponent: 'kube-proxy', eventTime: expect.any(String), source: {}, firstTimestamp: null });
  });

  it('serves kube-proxy\'s /healthz and /livez on :10256 of its health address, as proxier_health.go', async () => {
    // (the harness's agent serves its health on 127.0.0.1)
    const res = await fetch('http://127.0.0.1:10256/healthz');
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'application/json']);
    expect(await res.text()).toMatch(/^\{"lastUpdated": "\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC m=\+\d+\.\d{9}","currentTime": "[^"]+", "nodeEligible": true\}$/);
    expect((await fetch('http://127.0.0.1:10256/livez')).status).toBe(200);
  });

  it('spreads a pod\'s requests to a Service\'s cluster IP over the pods behind it', async () => {
    for (const name of ['svc-web-1', 'svc-web-2']) {
      const pod = webPod(name) as { metadata: Record<string, unknown> };
      pod.metadata.labels = { app: 'svc-web' };
      await c.cp.admin.create(Pods, 'default', pod);
    }
    const ips: string[] = [];
    for (const name of ['svc-web-1', 'svc-web-2']) {
      await eventually(async () => (await podStatus(c, name)).conditions?.some((x) => x.type === 'Ready' && x.status === 'True'), { timeoutMs: 60_000, what: `${name} ready` });
      ips.push((await podStatus(c, name)).podIP!);
    }
    const svc = await c.cp.admin.create<{ spec: { clusterIP: string } }>(Services, 'default', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'svc-web' },
      spec: { selector: { app: 'svc-web' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] },
    });
    const ip = svc.spec.clusterIP;
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    // The controller's slice, with the named target port resolved to 8080.
    await eventually(async () => {
      const slices = (await c.cp.admin.list<{ endpoints?: { addresses?: string[] }[]; ports?: { port?: number }[] }>(EndpointSlices, 'default', { labelSelector: 'kubernetes.io/service-name=svc-web' })).items;
      const addrs = slices.flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses ?? [])).sort();
      return JSON.stringify(addrs) === JSON.stringify([...ips].sort()) && slices.every((s) => s.ports?.[0]?.port === 8080);
    }, { timeoutMs: 30_000, what: 'the EndpointSlice of svc-web' });
    // The proxy may lag the slice by a sync: retry in fresh pods until both pods answer.
    let out = '';
    await eventually(async () => {
      out = await fetchMany(ip, 16);
      return out.includes('svc-web-1') && out.includes('svc-web-2');
    }, { timeoutMs: 60_000, what: `both pods answering at ${ip}:80; last output:\n${out}` });
    expect(out.trim().split('\n').filter((l) => !/^svc-web-[12]$/.test(l))).toEqual([]);
    const nat = execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' });
    expect(nat).toContain(`-A ${prefix}-SERVICES -d ${ip}/32 -p tcp -m tcp --dport 80 -m comment --comment "default/svc-web:web cluster IP"`);

    // A deleted pod leaves the rotation.
    await c.cp.admin.delete(Pods, 'default', 'svc-web-2', { gracePeriodSeconds: 0 });
    await eventually(async () => {
      out = await fetchMany(ip, 8);
      return out.trim().split('\n').every((l) => l === 'svc-web-1');
    }, { timeoutMs: 60_000, what: `only svc-web-1 answering; last output:\n${out}` });
  }, 180_000);

  it('refuses a Service without endpoints at once', async () => {
    const svc = await c.cp.admin.create<{ spec: { clusterIP: string } }>(Services, 'default', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'svc-none' },
      spec: { selector: { app: 'nothing-has-this' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    const ip = svc.spec.clusterIP;
    await eventually(async () => execFileSync('iptables-save', ['-t', 'filter'], { encoding: 'utf8' }).includes(`-d ${ip}/32`), { timeoutMs: 20_000, what: 'the REJECT rule' });
    const out = await run('svc-none-client', `start=$(date +%s); timeout 10 wget -qO- http://${ip}/; echo "exit $? after $(( $(date +%s) - start ))s"`);
    expect(out).toMatch(/Connection refused/);
    const secs = Number(/exit 1 after (\d+)s/.exec(out)?.[1]);
    expect(secs).toBeLessThanOrEqual(2);
  }, 120_000);
});

