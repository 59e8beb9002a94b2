// NetworkPolicy enforcement end to end on a real single-node cluster (runc, veths on a real
// bridge, the kernel's iptables): busybox httpd behind a Service, clients in other pods running
// wget and nslookup through `runc exec`. Default-deny ingress, allow from role=client on a named
// port (also through the Service's cluster IP), egress deny with DNS allowed by a port-53 rule,
// probes from the node unaffected, reachability back once the policies go, the chains removed
// with --network-policy=off and with the node's clean-up.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Namespaces, NetworkPolicies, Pods, Services } from '../../pkg/client/rest-client.js';
import { eventually } from '../helpers/control-plane.js';
import { busyboxPod, ctr, podStatus, startCluster, type Cluster, type PodView } from './harness.js';

let c: Cluster;
let prefix = '';
let serverIP = '';
let clusterIP = '';

beforeAll(async () => {
  c = await startCluster({ podCIDR: '10.199.90.0/24', controllers: {} });
  prefix = c.cfg.chainPrefix!;
  await c.cp.admin.create(
    Pods,
    'default',
    busyboxPod('np-server', {
      containers: [
        ctr('httpd', 'mkdir -p /www && echo hello-from-server > /www/index.html && exec httpd -f -p 8080 -h /www', {
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1, failureThreshold: 1 },
          livenessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1, failureThreshold: 2 },
        }),
      ],
    }),
  );
  await c.cp.admin.patch(Pods, 'default', 'np-server', { metadata: { labels: { app: 'np-server' } } }, 'merge');
  for (const [name, role] of [['np-client', 'client'], ['np-other', 'other']]) {
    const pod = busyboxPod(name!, { containers: [ctr('main', 'exec sleep 3600')] }) as { metadata: Record<string, unknown> };
    pod.metadata.labels = { role };
    await c.cp.admin.create(Pods, 'default', pod);
  }
  for (const name of ['np-server', 'np-client', 'np-other']) {
    await eventually(async () => (await podStatus(c, name)).conditions?.some((x) => x.type === 'Ready' && x.status === 'True'), { timeoutMs: 60_000, what: `${name} ready` });
  }
  serverIP = (await podStatus(c, 'np-server')).podIP!;
  const svc = await c.cp.admin.create<{ spec: { clusterIP: string } }>(Services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'np-web' }, spec: { selector: { app: 'np-server' }, ports: [{ port: 80, targetPort: 'http' }] } });
  clusterIP = svc.spec.clusterIP;
}, 180_000);

afterAll(async () => {
  await c?.stop();
  if (prefix) expect(execFileSync('iptables-save', { encoding: 'utf8' })).not.toContain(`${prefix}-`);
});

const statusIn = async (ns: string, name: string) => ((await c.cp.admin.get(Pods, ns, name)).status ?? {}) as PodView;

/** Runs a shell script in a pod's running container (`ns/name` or a name in default); its output and exit code. */
async function sh(pod: string, script: string): Promise<{ out: string; code: number }> {
  const [ns, name] = pod.includes('/') ? pod.split('/') : ['default', pod];
  const id = (await statusIn(ns!, name!)).containerStatuses![0]!.containerID!.replace('tskube://', '');
  const r = await c.agent.runtime.execSync(id, ['sh', '-c', script], 20);
  return { out: r.stdout + r.stderr, code: r.exitCode };
}

// busybox wget's own -T crashes in Debian's busybox-static 1.35: timeouts come from `timeout`.
const fetch = async (from: string, url: string) => {
  const r = await sh(from, `timeout 2 wget -qO- ${url}`);
  return r.code === 0 && r.out.includes('hello-from-server');
};
const reaches = (from: string, url = `http://${serverIP}:8080/`) => fetch(from, url);
const resolves = async (from: string) => (await sh(from, 'timeout 3 nslookup kubernetes.default.svc.cluster.local')).out.includes('Address');

/** Waits until the probe gives `want` (the rules are written asynchronously, coalesced). */
const until = (what: string, probe: () => Promise<boolean>, want: boolean) => eventually(async () => (await probe()) === want, { timeoutMs: 20_000, intervalMs: 300, what });

const policy = (name: string, spec: Record<string, unknown>) => c.cp.admin.create(NetworkPolicies, 'default', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name }, spec });
const filterRules = () => execFileSync('iptables-save', ['-t', 'filter'], { encoding: 'utf8' });

describe('network policies', () => {
  it('without policies every pod reaches the server, directly and through the Service', async () => {
    expect(await reaches('np-client')).toBe(true);
    expect(await reaches('np-other')).toBe(true);
    await until('the Service answering', () => reaches('np-client', `http://${clusterIP}/`), true);
    expect(await resolves('np-client')).toBe(true);
  }, 60_000);

  it('default-deny ingress blocks every client quickly; the node\'s probes still pass', async () => {
    await policy('deny-server', { podSelector: { matchLabels: { app: 'np-server' } } });
    await until('np-client blocked', () => reaches('np-client'), false);
    const blockedAt = Date.now();
    // (each blocked fetch waits out its 2 s timeout: the two at once)
    const [other, viaService] = await Promise.all([
      (async () => {
        const t0 = Date.now();
        return { reached: await reaches('np-other'), ms: Date.now() - t0 };
      })(),
      reaches('np-client', `http://${clusterIP}/`),
    ]);
    expect(other.reached).toBe(false);
    expect(other.ms).toBeLessThan(5000);
    expect(viaService).toBe(false);
    expect(filterRules()).toMatch(new RegExp(`-A ${prefix}-NWPLCY-I-[0-9A-F]+ -m comment --comment "default/np-server ingress: no policy allows it" -j DROP`));
    // Readiness (http) and liveness (tcp) probes every second from the node, for 4 s of the
    // policy: still ready, never restarted.
    await new Promise((r) => setTimeout(r, blockedAt + 4000 - Date.now()));
    const st = await podStatus(c, 'np-server');
    expect(st.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');
    expect(st.containerStatuses?.[0]?.restartCount).toBe(0);
  }, 60_000);

  it('a policy allowing role=client on the named port lets the client in, directly and through the Service, but not another pod', async () => {
    await policy('allow-client', { podSelector: { matchLabels: { app: 'np-server' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 'http' }] }] });
    await until('np-client let in', () => reaches('np-client'), true);
    expect(await reaches('np-client', `http://${clusterIP}/`)).toBe(true);
    expect(await Promise.all([reaches('np-other'), reaches('np-other', `http://${clusterIP}/`)])).toEqual([false, false]);
    // Relabelling the other pod lets it in too: pod label changes rewrite the rules.
    await c.cp.admin.patch(Pods, 'default', 'np-other', { metadata: { labels: { role: 'client' } } }, 'merge');
    await until('relabelled np-other let in', () => reaches('np-other'), true);
    await c.cp.admin.patch(Pods, 'default', 'np-other', { metadata: { labels: { role: 'other' } } }, 'merge');
    await until('np-other blocked again', () => reaches('np-other'), false);
  }, 90_000);

  it('egress deny blocks a pod\'s traffic and its DNS; a port-53 egress rule lets DNS through only', async () => {
    await policy('client-egress', { podSelector: { matchLabels: { role: 'client' } }, policyTypes: ['Egress'] });
    await until('np-client egress blocked', () => reaches('np-client'), false);
    expect(await resolves('np-client')).toBe(false);
    await c.cp.admin.patch(NetworkPolicies, 'default', 'client-egress', { spec: { egress: [{ ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }] } }, 'merge');
    await until('np-client resolving names', () => resolves('np-client'), true);
    expect(await Promise.all([reaches('np-client'), reaches('np-other')])).toEqual([false, false]);
  }, 90_000);

  it('a new pod a policy selects is isolated from its first packet', async () => {
    // role=client: the egress policy (DNS only) holds before its container runs its first command.
    const pod = busyboxPod('np-early', { restartPolicy: 'Never', containers: [ctr('main', `{ timeout 2 wget -qO- http://${serverIP}:8080/ && echo REACHED || echo BLOCKED; } > /dev/termination-log 2>&1`)] }) as { metadata: Record<string, unknown> };
    pod.metadata.labels = { role: 'client' };
    await c.cp.admin.create(Pods, 'default', pod);
    await eventually(async () => ['Succeeded', 'Failed'].includes((await podStatus(c, 'np-early')).phase ?? ''), { timeoutMs: 60_000, what: 'np-early finished' });
    expect((await podStatus(c, 'np-early')).containerStatuses?.[0]?.state.terminated?.message).toContain('BLOCKED');
  }, 90_000);

  it('an ipBlock with except, and a namespaceSelector that starts matching when the namespace is labelled', async () => {
    await c.cp.admin.create(Namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'np-guests' } });
    const guest = busyboxPod('np-guest', { containers: [ctr('main', 'exec sleep 3600')] }) as { metadata: Record<string, unknown> };
    guest.metadata.labels = { role: 'client' }; // the label allow-client wants, but in another namespace
    await c.cp.admin.create(Pods, 'np-guests', guest);
    await eventually(async () => (await statusIn('np-guests', 'np-guest')).conditions?.some((x) => x.type === 'Ready' && x.status === 'True'), { timeoutMs: 60_000, what: 'np-guest ready' });
    const guestIP = (await statusIn('np-guests', 'np-guest')).podIP!;
    expect(await reaches('np-guests/np-guest')).toBe(false);
    await policy('allow-block', { podSelector: { matchLabels: { app: 'np-server' } }, ingress: [{ from: [{ ipBlock: { cidr: '10.199.90.0/24', except: [`${guestIP}/32`] } }] }] });
    await until('np-other let in by the ipBlock', () => reaches('np-other'), true);
    expect(await reaches('np-guests/np-guest')).toBe(false);
    await policy('allow-guests', { podSelector: { matchLabels: { app: 'np-server' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { np: 'guests' } } }] }] });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await reaches('np-guests/np-guest')).toBe(false);
    await c.cp.admin.patch(Namespaces, undefined, 'np-guests', { metadata: { labels: { np: 'guests' } } }, 'merge');
    await until('np-guest let in once its namespace is labelled', () => reaches('np-guests/np-guest'), true);
    await c.cp.admin.delete(Pods, 'np-guests', 'np-guest', { gracePeriodSeconds: 0 });
  }, 90_000);

  it('deleting the policies restores reachability and leaves no policy rules', async () => {
    for (const name of ['deny-server', 'allow-client', 'client-egress', 'allow-block', 'allow-guests']) await c.cp.admin.delete(NetworkPolicies, 'default', name);
    await until('np-other reaching the server again', () => reaches('np-other'), true);
    expect(await reaches('np-client')).toBe(true);
    expect(await reaches('np-client', `http://${clusterIP}/`)).toBe(true);
    expect(await resolves('np-client')).toBe(true);
    expect(filterRules()).not.toContain(`${prefix}-NWPLCY-`);
  }, 60_000);

  it('--network-policy=off removes every policy chain and jump', async () => {
    await policy('deny-again', { podSelector: {} });
    await until('np-client blocked again', () => reaches('np-client'), false);
    c.cfg.networkPolicy = false;
    try {
      await c.restartAgent();
      await eventually(() => !filterRules().includes(`${prefix}-NWPLCY`), { timeoutMs: 20_000, what: 'policy chains removed' });
      expect(filterRules()).toContain(`${prefix}-FORWARD`);
      expect(await reaches('np-client')).toBe(true);
    } finally {
      c.cfg.networkPolicy = true;
    }
  }, 90_000);
});
