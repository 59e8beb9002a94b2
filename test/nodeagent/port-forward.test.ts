// kubectl port-forward against a real single-node cluster: the stock kubectl, through the
// apiserver, to the node agent, to busybox httpd in a pod on the bridge. Both transports kubectl
// 1.32 speaks: SPDY tunneled in a websocket (its default) and plain SPDY/3.1 (its fallback,
// forced with KUBECTL_PORT_FORWARD_WEBSOCKETS=false).
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pods } from '../../pkg/client/rest-client.js';
import { portForwardStats } from '../../pkg/nodeagent/port-forward.js';
import { eventually } from '../helpers/control-plane.js';
import { hasKubectl } from '../helpers/kubectl.js';
import { busyboxPod, ctr, podStatus, startCluster, type Cluster } from './harness.js';

let c: Cluster;
const lines = 60_000;
const big = Array.from({ length: lines }, (_, i) => `${i + 1}\n`).join('');

beforeAll(async () => {
  if (!hasKubectl) return;
  c = await startCluster();
  // A second server on the pod's localhost only: the kubelet's port-forward reaches it, a dial of the pod IP would not.
  const script = `mkdir -p /www && echo hello-pf > /www/index.html && seq 1 ${lines} > /www/big.txt && httpd -p 127.0.0.1:8090 -h /www && exec httpd -f -p 8080 -h /www`;
  await c.cp.admin.create(Pods, 'default', busyboxPod('pf-web', { containers: [ctr('web', script)] }));
  await eventually(async () => (await podStatus(c, 'pf-web')).phase === 'Running', { timeoutMs: 60_000, what: 'pf-web Running' });
}, 180_000);
afterAll(async () => {
  await c?.stop();
});

/** One HTTP GET on its own connection (no keep-alive), as a user's curl would do. */
function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { Connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(20_000, () => req.destroy(new Error(`GET ${path} through port ${port} timed out`)));
    req.end();
  });
}

interface Forward {
  child: ChildProcess;
  out: () => string;
  /** local port for each remote port, in the order given */
  ports: number[];
  exited: Promise<number | null>;
}

async function portForward(remotes: number[], env: Record<string, string> = {}): Promise<Forward> {
  const child = spawn('kubectl', ['--kubeconfig', c.cp.kubeconfig, 'port-forward', 'pod/pf-web', ...remotes.map((r) => `:${r}`)], {
    env: { ...process.env, KUBECACHEDIR: join(c.cfg.dataDir, 'kubecache'), ...env },
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', r));
  const ports: number[] = [];
  await eventually(
    () => {
      ports.length = 0;
      for (const r of remotes) {
        const m = new RegExp(`Forwarding from 127\\.0\\.0\\.1:(\\d+) -> ${r}\\n`).exec(out);
        if (m) ports.push(Number(m[1]));
      }
      return ports.length === remotes.length || child.exitCode !== null;
    },
    { timeoutMs: 20_000, what: 'kubectl port-forward listening' },
  ).catch((e: Error) => {
    throw new Error(`${e.message}; kubectl said: ${out}`);
  });
  if (child.exitCode !== null) throw new Error(`kubectl port-forward exited ${child.exitCode}: ${out}`);
  return { child, out: () => out, ports, exited };
}

/** No stream or pod socket is left open on the agent (sessions: how many may remain). */
const drained = (sessions: number) =>
  eventually(() => {
    const s = portForwardStats();
    return s.sessions === sessions && s.streams === 0 && s.sockets === 0;
  }, { timeoutMs: 10_000, what: `port-forward drained to ${sessions} session(s): ${JSON.stringify(portForwardStats())}` });

/** TCP connections to the pod's servers, seen inside the pod's network namespace (where the agent dials localhost). */
const established = () =>
  new Promise<string>((resolve) => {
    const netns = [...c.agent.workers.values()].find((w) => w.pod.metadata?.name === 'pf-web')?.sandbox?.netnsPath;
    if (!netns) throw new Error('pf-web has no sandbox');
    const ss = spawn('nsenter', [`--net=${netns}`, 'ss', '-Htn', 'state', 'established', '( sport = :8080 or sport = :8090 )']);
    let out = '';
    ss.stdout.on('data', (b: Buffer) => (out += b.toString()));
    ss.on('close', () => resolve(out.trim()));
  });

describe.skipIf(!hasKubectl).each([
  { transport: 'SPDY over websocket (kubectl default)', env: {} as Record<string, string>, used: 'websocket' as const },
  { transport: 'plain SPDY/3.1 (kubectl fallback)', env: { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }, used: 'spdy' as const },
])('kubectl port-forward, $transport', ({ env, used }) => {
  it('forwards requests, concurrent ones and a large response; closes every stream after each; kill leaves nothing open', async () => {
    const before = portForwardStats().upgrades;
    const pf = await portForward([8080], env);
    try {
      const [port] = pf.ports as [number];
      for (let i = 0; i < 3; i++) expect(await get(port, '/index.html')).toEqual({ status: 200, body: 'hello-pf\n' });
      const [a, b] = await Promise.all([get(port, '/big.txt'), get(port, '/index.html')]);
      expect(a.status).toBe(200);
      expect(a.body.length).toBe(big.length);
      expect(a.body.length).toBeGreaterThan(256 * 1024);
      expect(a.body === big).toBe(true);
      expect(b.body).toBe('hello-pf\n');
      expect(await get(port, '/missing')).toMatchObject({ status: 404 });
      expect(pf.out()).toContain('Handling connection for');
      // kubectl took the transport meant (no fallback from the websocket tunnel)
      const after = portForwardStats().upgrades;
      expect({ websocket: after.websocket - before.websocket, spdy: after.spdy - before.spdy }).toEqual({ websocket: used === 'websocket' ? 1 : 0, spdy: used === 'spdy' ? 1 : 0 });
      // every forwarded connection was half-closed both ways and its streams forgotten
      await drained(1);
      expect(await established()).toBe('');
    } finally {
      pf.child.kill('SIGKILL');
    }
    await pf.exited;
    await drained(0);
    expect(await established()).toBe('');
  }, 90_000);

  it('reaches a server bound to localhost inside the pod, as the kubelet does', async () => {
    const pf = await portForward([8090], env);
    try {
      expect(await get(pf.ports[0]!, '/index.html')).toEqual({ status: 200, body: 'hello-pf\n' });
    } finally {
      pf.child.kill('SIGKILL');
    }
    await pf.exited;
    await drained(0);
  }, 90_000);

  it('a port nothing listens on: kubectl shows containerd\'s error naming the sandbox and both refusals; the agent stays usable', async () => {
    const pf = await portForward([8081], env);
    try {
      const [closedPort] = pf.ports as [number];
      await expect(get(closedPort, '/')).rejects.toThrow(/socket hang up|ECONNRESET/);
      // containerd's words, which the 1.32 kubelet relays: the pod by its sandbox ID and no uid,
      // localhost tried over IPv4 and then IPv6 in the sandbox's namespace (kubectl's klog quotes the quotes)
      const q = '\\\\?"';
      const refused = new RegExp(`error forwarding port 8081 to pod ([0-9a-f]{64}), uid : failed to execute portforward in network namespace ${q}/run/netns/tsk-[0-9a-f]+${q}: failed to connect to localhost:8081 inside namespace ${q}\\1${q}, IPv4: dial tcp4 127\\.0\\.0\\.1:8081: connect: connection refused IPv6 dial tcp6 \\[::1\\]:8081: connect: connection refused `);
      await eventually(() => refused.test(pf.out()), {
        timeoutMs: 10_000,
        what: 'the refusal reported by kubectl',
      }).catch((e: Error) => {
        throw new Error(`${e.message}; kubectl said: ${pf.out()}`);
      });
      // kubectl 1.32 (client-go portforward.go handleConnection) closes its whole connection after
      // any message on an error stream, as it does against the kubelet; the session on the agent
      // serves on until then (port-forward.test.ts beside the agent code checks that).
      expect(await pf.exited).toBe(1);
      expect(pf.out()).toContain('error: lost connection to pod');
    } finally {
      pf.child.kill('SIGKILL');
    }
    await drained(0);
    const again = await portForward([8080], env);
    try {
      expect(await get(again.ports[0]!, '/index.html')).toEqual({ status: 200, body: 'hello-pf\n' });
    } finally {
      again.child.kill('SIGKILL');
    }
    await again.exited;
    await drained(0);
  }, 90_000);
});
