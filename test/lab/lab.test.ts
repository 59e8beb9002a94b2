// A 3-node lab on this machine with a 3-member etcd cluster (nodes are network namespaces on a
// lab bridge, each with its own agent, tsk0 and podCIDR): every node Ready, pods on every pair of
// nodes reach each other by pod IP, the apiserver reaches them (pods/proxy), a hostPort answers at
// its node's address, a wrong join token is refused, a bootstrap token's printed join command
// joins a machine, Prometheus scrapes every component (the
// agents' container metrics too), the cluster survives the loss of an etcd member, the apiserver,
// an agent and the scheduler leader, and `lab down` leaves no trace.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinCluster } from '../../pkg/client/join.js';
import { loadKubeconfig } from '../../pkg/client/kubeconfig.js';
import { Events, Pods, RestClient, Services, StatusError } from '../../pkg/client/rest-client.js';
import { defaultLab, labDown, labUp, writePrometheusConfig, type LabState } from '../../pkg/lab/lab.js';
import { LAB_DIR_PREFIX } from '../helpers/leftovers.js';
import { freePort } from '../helpers/ports.js';
import { run } from '../../pkg/tsctl/cli.js';
import { eventually } from '../helpers/control-plane.js';

// (named for this process: a killed run's lab is taken down by the next run's global setup)
const dataDir = join(tmpdir(), `${LAB_DIR_PREFIX}${process.pid}`);
let state: LabState;
let client: RestClient;
let upAt = 0;
/**
 * The agents' KubeletConfiguration: a lease of 8 s, renewed every 2 s (a quarter of it, as the
 * kubelet renews), to go with the controller manager's 8 s --node-monitor-grace-period below. With
 * the kubelet's default 40 s lease renewed every 10 s, every node went Unknown for 2 s of every 10.
 */
const agentConfig = `${dataDir}-kubelet.yaml`;
/** The host's rules that name the lab (its bridge, its subnet, its pod network): none may outlive it. */
const hostLabRules = () =>
  execFileSync('iptables-save', { encoding: 'utf8' })
    .split('\n')
    .filter((l) => /tsklabt0|tsklabv\d|172\.31\.251\.|10\.245\./.test(l));
const logLines: string[] = [];

beforeAll(async () => {
  writeFileSync(agentConfig, 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nnodeLeaseDurationSeconds: 8\n');
  state = await labUp({
    ...defaultLab(dataDir, (l) => logLines.push(l)),
    nodes: 3,
    etcdMembers: 3,
    apiserverPort: 16443,
    bridge: 'tsklabt0',
    subnetPrefix: '172.31.251',
    controllerArgs: ['--node-monitor-grace-period', '8', '--node-monitor-period', '1'],
    agentArgs: ['--config', agentConfig],
    // (a scheduler lease of 8 s, not 15: the standby takes over that much sooner; the leader
    // renews every second, and keeps leading through 6 s without a renewal, as the faults below
    // cut the apiserver off for a few seconds)
    schedulerArgs: ['--leader-elect-lease-duration', '8', '--leader-elect-renew-deadline', '6'],
  });
  client = new RestClient(loadKubeconfig(join(dataDir, 'kubeconfig')));
  upAt = Date.now();
}, 180_000);

afterAll(async () => {
  client?.close();
  await labDown({ dataDir, log: (l) => logLines.push(l) });
  rmSync(agentConfig, { force: true });
}, 120_000);

const nsOf = (i: number) => `/run/netns/${state.nodes[i]!.netns}`;

function podOn(name: string, node: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': node },
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'web', image: 'tskube.local/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', `echo ${name} > /index.html; httpd -f -p 80 -h /`], ...extra }],
    },
  };
}

/** A component's command line, read from its pid file, to start it again the same way. */
function commandOf(pidFile: string): { pid: number; argv: string[] } {
  const pid = Number(readFileSync(pidFile, 'utf8'));
  return { pid, argv: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean) };
}

/** Starts a component detached, logging to the lab's log dir, and records its pid. */
function respawn(argv: string[], logName: string, pidFile?: string): void {
  const fd = openSync(join(dataDir, 'logs', `${logName}.log`), 'a');
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', fd, fd] });
  child.unref();
  if (pidFile) writeFileSync(pidFile, String(child.pid));
}

/** Retries what fails with a 5xx or a dropped connection (what a client sees while a server restarts). */
async function retrying<T>(fn: () => Promise<T>, onRetry: (e: unknown) => void = () => {}): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i > 60 || (e instanceof StatusError && e.code < 500)) throw e;
      onRetry(e);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Creates a pod, retrying; a 409 after a retry means an earlier attempt got through. */
const createRetrying = (pod: object, onRetry?: (e: unknown) => void) =>
  retrying(() => client.create(Pods, 'default', pod).catch((e) => (e instanceof StatusError && e.code === 409 ? undefined : Promise.reject(e))), onRetry);

/** Every named pod Running, then each bound exactly once (one Scheduled event each). */
async function expectAllRunningOnce(names: string[], what: string): Promise<void> {
  await eventually(async () => {
    const list = await client.list(Pods, 'default');
    const byName = new Map(list.items.map((p) => [p.metadata!.name!, p]));
    return names.every((n) => (byName.get(n)?.status as { phase?: string } | undefined)?.phase === 'Running');
  }, { timeoutMs: 90_000, what });
  // (an event the scheduler could not write while the apiserver was down is written on a later try, up to 10 s on)
  const scheduled = async () => {
    const evs = await client.list(Events, 'default', { fieldSelector: 'reason=Scheduled' });
    return names.map((n) => evs.items.filter((e) => (e as { involvedObject?: { name?: string } }).involvedObject?.name === n).length);
  };
  // A binding the apiserver stored just before it was killed, whose answer never came, has no
  // Scheduled event: the scheduler saw the bind fail, and then the pod bound (so does
  // kube-scheduler). Those are the binds in flight at the kill: at most a few of the pods.
  const missing = async () => (await scheduled()).filter((c) => c === 0).length;
  await eventually(async () => (await missing()) <= MAX_BINDS_IN_FLIGHT, { timeoutMs: 30_000, what: `a Scheduled event for each pod but the binds in flight (${what})` });
  await eventually(async () => (await missing()) === 0, { timeoutMs: 12_000 }).catch(() => undefined);
  const counts = await scheduled();
  names.forEach((n, i) => expect(counts[i], n).toBeLessThanOrEqual(1));
}

/** Pods whose bind can be in flight when a component is killed (the scheduler binds them one by one, every 250 ms one is created). */
const MAX_BINDS_IN_FLIGHT = 2;

async function tsctl(...args: string[]): Promise<string> {
  let out = '';
  await run(['--kubeconfig', join(dataDir, 'kubeconfig'), ...args], { out: (s) => (out += s), err: (s) => (out += s) });
  return out;
}

describe('lab cluster', () => {
  it('comes up with every node Ready, each with its own podCIDR', async () => {
    expect(logLines.at(-1)).toMatch(/lab up: 3 node\(s\) Ready in [\d.]+ s/);
    const nodes = await client.list({ group: '', version: 'v1', resource: 'nodes', namespaced: false });
    const cidrs = nodes.items.map((n) => (n.spec as { podCIDR?: string }).podCIDR);
    expect(new Set(cidrs).size).toBe(3);
  });

  it('pods on every pair of nodes reach each other by pod IP; a hostPort answers at its node', async () => {
    for (let i = 0; i < 3; i++) await client.create(Pods, 'default', podOn(`p${i}`, state.nodes[i]!.name, i === 0 ? { ports: [{ containerPort: 80, hostPort: 8088 }] } : {}));
    const ips = await eventually(async () => {
      const list = await client.list(Pods, 'default');
      const running = list.items.filter((p) => (p.status as { phase?: string }).phase === 'Running');
      return running.length === 3 ? Object.fromEntries(running.map((p) => [p.metadata!.name!, (p.status as { podIP: string }).podIP])) : undefined;
    }, { timeoutMs: 60_000, what: 'three pods Running' });
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        if (i === j) continue;
        const out = await eventually(async () => {
          // (busybox-static's wget crashes on -T; the exec itself is bounded by eventually's retries)
          const o = await tsctl('exec', `p${i}`, '--', 'wget', '-qO-', `http://${ips[`p${j}`]}/index.html`);
          return o === `p${j}\n` ? o : undefined;
        }, { timeoutMs: 15_000, what: `p${i} -> p${j}` });
        expect(out).toBe(`p${j}\n`);
      }
    }
    // The apiserver on the host reaches each pod (pods/proxy): lab up routed the pod network to it.
    for (let i = 0; i < 3; i++) expect(await client.request<string>(`/api/v1/namespaces/default/pods/p${i}:80/proxy/index.html`, { accept: '*/*' })).toBe(`p${i}\n`);
    // The hostPort of p0 at node 1's address, from node 2's namespace.
    const viaHostPort = execFileSync('nsenter', [`--net=${nsOf(1)}`, 'busybox', 'wget', '-qO-', `http://${state.nodes[0]!.ip}:8088/index.html`], { encoding: 'utf8', timeout: 10_000 });
    expect(viaHostPort).toBe('p0\n');
  });

  it('kube-system/kube-dns is at 10.96.0.10 and every node answers it with its own DNS (after the pods above)', async () => {
    const svc = await client.get<{ spec: { clusterIP: string } }>(Services, 'kube-system', 'kube-dns');
    expect(svc.spec.clusterIP).toBe('10.96.0.10');
    for (let i = 0; i < 3; i++) {
      const out = await eventually(async () => {
        const o = await tsctl('exec', `p${i}`, '--', 'sh', '-c', 'grep ^nameserver /etc/resolv.conf; nslookup kubernetes.default.svc.cluster.local');
        return /Name:\s+kubernetes\.default\.svc\.cluster\.local\s+Address:\s+10\.96\.0\.1\b/.test(o) ? o : undefined;
      }, { timeoutMs: 15_000, what: `p${i} resolves through kube-dns` });
      expect(out).toMatch(/^nameserver 10\.96\.0\.10$/m);
    }
  });

  it('the agents and controllers talk to the apiserver over its gRPC frontend (named in their kubeconfigs)', async () => {
    const metrics = await client.request<string>('/metrics', { accept: 'text/plain' });
    // (labels sorted by name, as client_golang writes them)
    const grpcCalls = (method: string, resource: string) =>
      [...metrics.matchAll(new RegExp(`^apiserver_grpc_requests_total\\{code="OK",method="${method}",resource="${resource}"\\} (\\d+)`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
    expect(grpcCalls('watch', 'pods')).toBeGreaterThanOrEqual(3); // three agents (the scheduler defaults to REST)
    expect(grpcCalls('patch', 'pods')).toBeGreaterThan(0); // agents' status writes
    expect(grpcCalls('update', 'leases') + grpcCalls('create', 'leases')).toBeGreaterThan(0);
  });

  it('a wrong join token is refused', async () => {
    const token = readFileSync(join(dataDir, 'join-token'), 'utf8').trim();
    await expect(joinCluster({ server: state.server, token: token.replace(/::.*/, '::wrong'), nodeName: 'intruder' })).rejects.toThrow(/401/);
  });

  it('a bootstrap token joins a machine the kubeadm way: the printed command gets it a node certificate', async () => {
    const printed = await tsctl('token', 'create', '--print-join-command', '--ttl', '10m');
    expect(printed).toMatch(/^tsctl join 172\.31\.251\.1:16443 --token \S+ {5}--discovery-token-ca-cert-hash sha256:[0-9a-f]{64} \n$/);
    // (no agent on the host: the join stops at the certificate)
    const joined = await tsctl(...printed.trim().split(/\s+/).slice(1), '--data-dir', join(dataDir, 'joiner'), '--node-name', 'lab-joiner', '--start-agent=false');
    expect(joined).toContain('This node has joined the cluster:');
    const joiner = new RestClient(loadKubeconfig(join(dataDir, 'joiner', 'node.kubeconfig')));
    try {
      const review = (await joiner.create({ group: 'authentication.k8s.io', version: 'v1', resource: 'selfsubjectreviews', namespaced: false }, undefined, { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' })) as { status: { userInfo: { username: string } } };
      expect(review.status.userInfo.username).toBe('system:node:lab-joiner');
    } finally {
      joiner.close();
    }
  });
});

describe('prometheus', () => {
  it('scrapes every component for ten seconds (about ten scrapes each): all targets up, key series present and moving', async () => {
    const config = writePrometheusConfig({ dataDir, apiserverPort: 16443 }, state, '1s');
    const port = await freePort();
    const prom = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dataDir, 'prometheus-data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: 'ignore' });
    try {
      const api = async <T>(path: string): Promise<T> => {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        return ((await res.json()) as { data: T }).data;
      };
      await eventually(async () => (await fetch(`http://127.0.0.1:${port}/-/ready`)).ok, { timeoutMs: 30_000, what: 'prometheus ready' });
      // Ten seconds of scraping every second, with pods coming and going so that the series move
      // (rate and increase over [1m] need two samples in the window; they have about ten).
      const until = Date.now() + 10_000;
      for (let i = 0; Date.now() < until; i++) {
        await client.create(Pods, 'default', podOn(`churn-${i}`, state.nodes[i % 3]!.name));
        await new Promise((r) => setTimeout(r, 1500));
        if (i >= 2) await client.delete(Pods, 'default', `churn-${i - 2}`).catch(() => {});
      }
      // (labelled as kube-prometheus labels its targets: job, and a kubelet's metrics_path and node)
      const targets = await api<{ activeTargets: { labels: { job: string; metrics_path?: string; node?: string }; health: string; lastError: string }[] }>('/api/v1/targets');
      const target = (l: { job: string; metrics_path?: string; node?: string }) => [l.job, l.metrics_path, l.node].filter(Boolean).join(' ');
      expect(targets.activeTargets.map((t) => `${target(t.labels)}:${t.health}${t.lastError ? ` (${t.lastError})` : ''}`).sort()).toEqual(
        ['apiserver', 'kube-controller-manager', 'kube-scheduler', ...state.nodes.flatMap((n) => ['/metrics', '/metrics/cadvisor', '/metrics/probes', '/metrics/resource'].map((p) => `kubelet ${p} ${n.name}`))].map((j) => `${j}:up`).sort(),
      );
      const value = async (q: string) => {
        const r = await api<{ result: { value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent(q)}`);
        return r.result.map((x) => Number(x.value[1]));
      };
      expect(await value('count(up{job="kubelet",metrics_path="/metrics/cadvisor"} == 1)')).toEqual([state.nodes.length]);
      expect(Math.max(...(await value('sum(rate(apiserver_request_total[1m]))')))).toBeGreaterThan(0);
      expect(Math.max(...(await value('increase(scheduler_pod_scheduling_sli_duration_seconds_count[1m])')))).toBeGreaterThan(0);
      expect(Math.max(...(await value('sum(increase(kubelet_pod_start_duration_seconds_count[1m]))')))).toBeGreaterThan(0);
      // Container metrics, as a kubelet serves them (with the sample's time on each series).
      // (the churn pods sleep: their CPU counters are above 0 from their start, but need not move)
      expect(Math.max(...(await value('sum(container_cpu_usage_seconds_total{container!="",cpu="total"})')))).toBeGreaterThan(0);
      expect((await value('count by (node) (count_over_time(container_memory_working_set_bytes{container!=""}[1m]))')).length).toBe(3);
      expect(Math.max(...(await value('count(container_network_receive_bytes_total{interface="eth0"})')))).toBeGreaterThan(0);
      expect(await value('node_memory_working_set_bytes')).toHaveLength(3);
      expect(Math.max(...(await value('sum by (pod) (pod_memory_working_set_bytes)')))).toBeGreaterThan(0);
      const running = await value('kubelet_running_pods');
      expect(running).toHaveLength(3);
      expect(Math.max(...running)).toBeGreaterThan(0);
    } finally {
      prom.kill('SIGTERM');
      await new Promise((r) => prom.once('exit', r));
    }
  }, 120_000);
});

describe('node health', () => {
  it('no node goes NotReady while nothing fails: the agents renew their 8 s leases well within the 8 s grace period', async () => {
    // (at least 12 s up: longer than one renewal period of the kubelet's default lease)
    await new Promise((r) => setTimeout(r, Math.max(0, upAt + 12_000 - Date.now())));
    const leases = await Promise.all(state.nodes.map((n) => client.get({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true }, 'kube-node-lease', n.name)));
    expect(leases.map((l) => (l.spec as { leaseDurationSeconds?: number }).leaseDurationSeconds)).toEqual([8, 8, 8]);
    const notReady = (await client.list(Events, undefined, { fieldSelector: 'reason=NodeNotReady' })).items.filter((e) => (e as { involvedObject?: { kind?: string } }).involvedObject?.kind === 'Node');
    expect(notReady.map((e) => e.message)).toEqual([]);
  });
});

describe('faults', () => {
  it('kill -9 of the etcd leader (one of 3 members) under churn: only retried errors, every pod runs, the member rejoins', async () => {
    expect(state.etcdEndpoints).toHaveLength(3);
    const etcdctl = (...args: string[]) => execFileSync('etcdctl', [`--endpoints=${state.etcdEndpoints.join(',')}`, '--command-timeout=3s', ...args], { encoding: 'utf8', timeout: 15_000, env: { ...process.env, ETCDCTL_API: '3' } });
    type EndpointStatus = { Endpoint: string; Status: { header: { member_id: number }; leader: number } };
    const statuses = JSON.parse(etcdctl('endpoint', 'status', '-w', 'json')) as EndpointStatus[];
    const leaderAt = statuses.findIndex((s) => s.Status.header.member_id === s.Status.leader);
    expect(leaderAt).toBeGreaterThanOrEqual(0);
    const pidFile = join(dataDir, 'run', `etcd-${state.etcdEndpoints.indexOf(statuses[leaderAt]!.Endpoint)}.pid`);
    const { pid, argv } = commandOf(pidFile);
    const retried: string[] = [];
    const names: string[] = [];
    const churn = (async () => {
      for (let i = 0; i < 18; i++) {
        const name = `etcd-loss-${i}`;
        await createRetrying(podOn(name, state.nodes[i % 3]!.name), (e) => retried.push(String(e)));
        names.push(name);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(pid, 'SIGKILL');
    await churn;
    expect(names).toHaveLength(18);
    await expectAllRunningOnce(names, 'every pod created while etcd lost its leader Running');
    // The member comes back with its data and catches up.
    respawn(argv, `etcd-restarted`, pidFile);
    await eventually(async () => {
      try {
        const [h] = JSON.parse(etcdctl('endpoint', 'health', '-w', 'json', `--endpoints=${statuses[leaderAt]!.Endpoint}`)) as { health: boolean }[];
        return h?.health ? true : undefined;
      } catch {
        return undefined;
      }
    }, { timeoutMs: 30_000, what: 'the killed member healthy again' });
    const after = JSON.parse(etcdctl('endpoint', 'status', '-w', 'json')) as EndpointStatus[];
    expect(after).toHaveLength(3);
    expect(new Set(after.map((s) => s.Status.leader)).size).toBe(1);
    // (what a client saw during the election: retried 5xx or dropped connections only)
    console.info(`etcd leader loss: ${retried.length} retried error(s)${retried.length ? `: ${[...new Set(retried)].join('; ')}` : ''}`);
    for (const n of names) await client.delete(Pods, 'default', n).catch(() => {});
  }, 180_000);

  it('kill -9 and restart of the apiserver under churn: watches resume, every pod runs, none bound twice', async () => {
    const pidFile = join(dataDir, 'run', 'apiserver.pid');
    const { pid, argv } = commandOf(pidFile);
    const names: string[] = [];
    const churn = (async () => {
      for (let i = 0; i < 24; i++) {
        const name = `restart-${i}`;
        await createRetrying(podOn(name, state.nodes[i % 3]!.name));
        names.push(name);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    await new Promise((r) => setTimeout(r, 2000));
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    respawn(argv, 'apiserver', pidFile);
    await churn;
    // Every pod runs (the scheduler's and agents' watches came back), none bound twice.
    await expectAllRunningOnce(names, 'every pod created across the restart Running');
    for (const n of names) await client.delete(Pods, 'default', n).catch(() => {});
  }, 180_000);
});

describe('node loss in the lab', () => {
  it('kill -9 of an agent and its node cut off: Unknown, tainted, pods evicted per toleration; back again: nothing restarted', async () => {
    const node = state.nodes[2]!;
    const tolerate = (seconds?: number) => ({ tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', ...(seconds !== undefined ? { tolerationSeconds: seconds } : {}) }] });
    const keeper = podOn('keeper', node.name);
    Object.assign(keeper.spec, tolerate());
    const evictee = podOn('evictee', node.name);
    Object.assign(evictee.spec, tolerate(2));
    await client.create(Pods, 'default', keeper);
    await client.create(Pods, 'default', evictee);
    const running = async (n: string) => (await client.get(Pods, 'default', n)).status as { phase?: string; containerStatuses?: { containerID?: string; restartCount: number }[] };
    await eventually(async () => (await running('keeper')).phase === 'Running' && (await running('evictee')).phase === 'Running', { timeoutMs: 30_000 });
    const keeperId = (await running('keeper')).containerStatuses![0]!.containerID;
    const pidFile = join(dataDir, 'run', `agent-${node.name}.pid`);
    const { pid: agentPid, argv } = commandOf(pidFile);
    process.kill(agentPid, 'SIGKILL');
    execFileSync('ip', ['link', 'set', node.hostVeth, 'down']);
    const nodeState = async () => {
      const n = await client.get({ group: '', version: 'v1', resource: 'nodes', namespaced: false }, undefined, node.name);
      return {
        ready: ((n.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).find((x) => x.type === 'Ready')?.status,
        taints: ((n.spec as { taints?: { key: string }[] }).taints ?? []).map((t) => t.key),
      };
    };
    await eventually(async () => {
      const st = await nodeState();
      return st.ready === 'Unknown' && st.taints.includes('node.kubernetes.io/unreachable');
    }, { timeoutMs: 30_000, what: 'Unknown and tainted' });
    await eventually(async () => !!(await client.get(Pods, 'default', 'evictee')).metadata?.deletionTimestamp, { timeoutMs: 20_000, what: 'evictee marked for deletion' });
    expect((await client.get(Pods, 'default', 'keeper')).metadata?.deletionTimestamp).toBeUndefined();
    // The node comes back.
    execFileSync('ip', ['link', 'set', node.hostVeth, 'up']);
    // The agent ran under nsenter --net (nsenter exec'd it, so its own argv lacks that part).
    respawn(['nsenter', `--net=/run/netns/${node.netns}`, '--', ...argv], `agent-${node.name}`, pidFile);
    await eventually(async () => {
      const st = await nodeState();
      return st.ready === 'True' && !st.taints.includes('node.kubernetes.io/unreachable');
    }, { timeoutMs: 30_000, what: 'node Ready again' });
    await eventually(async () => {
      try {
        await client.get(Pods, 'default', 'evictee');
        return false;
      } catch (e) {
        return e instanceof StatusError && e.code === 404;
      }
    }, { timeoutMs: 30_000, what: 'evictee torn down and deleted' });
    const after = await running('keeper');
    expect(after.containerStatuses![0]!.containerID).toBe(keeperId);
    expect(after.containerStatuses![0]!.restartCount).toBe(0);
    await client.delete(Pods, 'default', 'keeper');
  }, 120_000);
});

describe('scheduler failover', () => {
  it('kill -9 of the leading scheduler: the standby binds once the lease has expired (8 s here), within 13 s', async () => {
    // (the pid file names the scheduler's supervisor: the scheduler is its child)
    const { pid: supervisorPid, argv } = commandOf(join(dataDir, 'run', 'scheduler.pid'));
    const leaderPid = Number(readFileSync(`/proc/${supervisorPid}/task/${supervisorPid}/children`, 'utf8').trim().split(/\s+/)[0]);
    expect(readFileSync(`/proc/${leaderPid}/cmdline`, 'utf8')).toContain('cmd/scheduler/main.js');
    const i = argv.indexOf('--secure-port');
    if (i >= 0) argv[i + 1] = String(await freePort());
    respawn(argv, 'scheduler-standby');
    await new Promise((r) => setTimeout(r, 3000));
    process.kill(leaderPid, 'SIGKILL');
    const killedAt = Date.now();
    await client.create(Pods, 'default', podOn('after-failover', state.nodes[0]!.name));
    await eventually(async () => ((await client.get(Pods, 'default', 'after-failover')).spec as { nodeName?: string }).nodeName, { timeoutMs: 18_000, what: 'bound by the standby' });
    expect(Date.now() - killedAt).toBeLessThan(13_000);
    // (its supervisor started the killed one again, as the kubelet restarts a static pod)
    await eventually(async () => {
      const child = Number(readFileSync(`/proc/${supervisorPid}/task/${supervisorPid}/children`, 'utf8').trim().split(/\s+/)[0]);
      return child > 0 && child !== leaderPid;
    }, { timeoutMs: 5_000, what: 'the killed scheduler started again' });
    await client.delete(Pods, 'default', 'after-failover');
  }, 60_000);
});

describe('lab down', () => {
  it('leaves no trace', async () => {
    await labDown({ dataDir, log: (l) => logLines.push(l) });
    expect(existsSync(dataDir)).toBe(false);
    for (const n of state.nodes) expect(existsSync(`/run/netns/${n.netns}`)).toBe(false);
    const links = execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' });
    expect(links).not.toMatch(/tsklabt0|tsklabv\d/);
    // (TSK- chains of a `tsctl up` cluster running beside the tests are its own; the lab's name it)
    expect(hostLabRules()).toEqual([]);
    expect(execFileSync('ip', ['route'], { encoding: 'utf8' })).not.toMatch(/10\.245\.|172\.31\.251\./);
    const procs = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(procs).not.toContain(dataDir);
  });
});
