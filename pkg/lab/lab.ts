// tsctl lab up/down: a cluster on this one machine wired the way a small lab of machines is.
// Each node is a network namespace with its own address on a lab bridge, running its own node
// agent (started with nsenter --net, so runc still sees /sys/fs/cgroup) with its own tsk0,
// podCIDR and routes; the control plane runs on the host; etcd is embedded or a 3-member
// cluster. Nodes join with the cluster's join token, as separate machines would.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultEtcdMaxProcs } from '../apiserver/etcd-process.js';
import { joinCluster } from '../client/join.js';
import { ensureBootstrapTokenSetup } from '../tsctl/bootstrap-token-setup.js';
import { ensureUploadConfig } from '../tsctl/upload-config.js';
import { DEFAULT_SERVICE_CIDR } from '../apiserver/apiserver.js';
import { ensureKubeDnsService } from '../dns/kube-dns-service.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { Nodes, RestClient } from '../client/rest-client.js';
import { cleanupNode } from '../network/pod-network.js';
import { cleanupAll } from '../runtime/cleanup.js';
import { unmountAll } from '../runtime/syscalls.js';
import { ImageManager } from '../runtime/image-service.js';
import { alive, demoImage, distRoot, down as stopProcesses, serverEnv, nodeFlagsFor, SUPERVISOR_SCRIPT } from '../tsctl/cluster.js';
import { run } from '../util/exec.js';

export interface LabOptions {
  dataDir: string;
  nodes: number;
  etcdMembers: 1 | 3;
  /** The lab network: the host bridge takes .1, node i takes .(10+i). */
  subnetPrefix: string;
  bridge: string;
  apiserverPort: number;
  /** Extra agent flags (tests shorten crash-loop backoff). */
  agentArgs: string[];
  /** Extra controller-manager flags (tests shorten the node monitor grace period). */
  controllerArgs: string[];
  /** Extra scheduler flags (tests shorten its leader election's lease). */
  schedulerArgs?: string[];
  /**
   * The lab's pod network, split into the nodes' podCIDRs. Not 10.244.0.0/16, which a `tsctl up`
   * cluster on the same machine uses: the host routes each lab node's podCIDR through the lab
   * bridge, and the same prefix would take over (and, at `lab down`, remove) that cluster's pod route.
   */
  clusterCIDR: string;
  log: (line: string) => void;
}

export const defaultLab = (dataDir: string, log: (l: string) => void): LabOptions => ({
  dataDir,
  nodes: 3,
  etcdMembers: 1,
  subnetPrefix: '172.31.250',
  bridge: 'tsklab0',
  apiserverPort: 6443,
  agentArgs: [],
  controllerArgs: [],
  clusterCIDR: '10.245.0.0/16',
  log,
});

export interface LabState {
  bridge: string;
  hostIP: string;
  nodes: { name: string; netns: string; ip: string; hostVeth: string; dataDir: string }[];
  etcdEndpoints: string[];
  server: string;
}

const statePath = (dir: string) => join(dir, 'lab.json');

/**
 * Starts a component detached, its output in DATA_DIR/logs and its pid in DATA_DIR/run. With
 * `supervised`, under tsctl up's supervisor (the pid file's then), which starts it again when it
 * exits, as the kubelet restarts kubeadm's static pods: the scheduler and the controller manager
 * exit when they lose their lease, as 1.32's do.
 */
function spawnDetached(o: LabOptions, name: string, argv: string[], env: Record<string, string> = {}, supervised = false): number {
  mkdirSync(join(o.dataDir, 'logs'), { recursive: true });
  mkdirSync(join(o.dataDir, 'run'), { recursive: true });
  const fd = openSync(join(o.dataDir, 'logs', `${name}.log`), 'a');
  const command = supervised ? ['/bin/sh', '-c', SUPERVISOR_SCRIPT, `tskube-${name}`, ...argv] : argv;
  const child = spawn(command[0]!, command.slice(1), { detached: true, stdio: ['ignore', fd, fd], env: { ...env, ...process.env, ...serverEnv } });
  closeSync(fd);
  child.unref();
  writeFileSync(join(o.dataDir, 'run', `${name}.pid`), String(child.pid));
  return child.pid!;
}

/** The secure port of the scheduler or the controller manager, reviewing tokens and access with its own kubeconfig (as kubeadm's static pods). */
const securePort = (dataDir: string, component: string, hostIP: string, port: number) => {
  const kubeconfig = join(dataDir, `${component}.kubeconfig`);
  return ['--bind-address', hostIP, '--secure-port', String(port), '--authentication-kubeconfig', kubeconfig, '--authorization-kubeconfig', kubeconfig];
};

const node = (file: string) => [process.execPath, ...nodeFlagsFor(file.split('/')[1]!), join(distRoot, file)];

async function waitFor<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export async function labUp(o: LabOptions): Promise<LabState> {
  const t0 = Date.now();
  if (existsSync(statePath(o.dataDir))) {
    const st = JSON.parse(readFileSync(statePath(o.dataDir), 'utf8')) as LabState;
    if (alive(Number(readFileSync(join(o.dataDir, 'run', 'apiserver.pid'), 'utf8')))) {
      o.log(`lab already running at ${st.server} with ${st.nodes.length} node(s); kubeconfig: ${join(o.dataDir, 'kubeconfig')}`);
      return st;
    }
    throw new Error(`a stopped lab is recorded in ${o.dataDir}: run "tsctl lab down --data-dir ${o.dataDir}" first`);
  }
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  const hostIP = `${o.subnetPrefix}.1`;
  const state: LabState = { bridge: o.bridge, hostIP, nodes: [], etcdEndpoints: [], server: `https://${hostIP}:${o.apiserverPort}` };
  const save = () => writeFileSync(statePath(o.dataDir), JSON.stringify(state, null, 2));
  save();
  // 1. The lab network: a host bridge, and one namespace per node wired to it.
  await run('ip', ['link', 'add', o.bridge, 'type', 'bridge']);
  await run('ip', ['-batch', '-'], { input: `addr add ${hostIP}/24 dev ${o.bridge}\nlink set ${o.bridge} up\n` });
  for (let i = 1; i <= o.nodes; i++) {
    const n = { name: `lab-node-${i}`, netns: `tsklab-node-${i}`, ip: `${o.subnetPrefix}.${10 + i}`, hostVeth: `tsklabv${i}`, dataDir: join(o.dataDir, 'nodes', `node-${i}`) };
    state.nodes.push(n);
    save();
    await run('ip', ['netns', 'add', n.netns]);
    await run('ip', ['-batch', '-'], {
      input: [`link add ${n.hostVeth} type veth peer name eth0 netns ${n.netns}`, `link set ${n.hostVeth} master ${o.bridge}`, `link set ${n.hostVeth} up`].join('\n') + '\n',
    });
    await run('ip', ['-n', n.netns, '-batch', '-'], { input: [`link set lo up`, `addr add ${n.ip}/24 dev eth0`, `link set eth0 up`, `route add default via ${hostIP}`].join('\n') + '\n' });
  }
  o.log(`- network: bridge ${o.bridge} (${hostIP}/24), ${o.nodes} node namespace(s)`);
  // 2. etcd: embedded, or a 3-member cluster on loopback.
  // (bootstrap tokens authenticate, as with tsctl up: machines can also join the kubeadm way)
  const apiArgs = ['--data-dir', o.dataDir, '--bind-address', hostIP, '--advertise-address', hostIP, '--secure-port', String(o.apiserverPort), '--grpc-port', String(o.apiserverPort + 1), '--tls-san', '127.0.0.1', '--enable-bootstrap-token-auth'];
  if (o.etcdMembers === 3) {
    const peers = [0, 1, 2].map((i) => `etcd-${i}=http://127.0.0.1:${22380 + i * 10}`).join(',');
    for (let i = 0; i < 3; i++) {
      const client = `http://127.0.0.1:${22379 + i * 10}`;
      state.etcdEndpoints.push(client);
      spawnDetached(o, `etcd-${i}`, ['/usr/bin/etcd', '--name', `etcd-${i}`, '--data-dir', join(o.dataDir, `etcd-${i}`), '--listen-client-urls', client, '--advertise-client-urls', client, '--listen-peer-urls', `http://127.0.0.1:${22380 + i * 10}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${22380 + i * 10}`, '--initial-cluster', peers, '--initial-cluster-state', 'new', '--initial-cluster-token', 'tsklab', '--log-level', 'warn', '--logger', 'zap'], { GOMAXPROCS: String(defaultEtcdMaxProcs()) });
    }
    save();
    apiArgs.push('--etcd-servers', state.etcdEndpoints.join(','));
    o.log(`- etcd: 3 members (${state.etcdEndpoints.join(', ')})`);
  } else {
    apiArgs.push('--etcd-client-port', '22379', '--etcd-peer-port', '22380');
  }
  // 3. The control plane on the host.
  spawnDetached(o, 'apiserver', [...node('cmd/apiserver/main.js'), ...apiArgs]);
  const admin = await waitFor('the apiserver', 60_000, async () => {
    if (!existsSync(join(o.dataDir, 'kubeconfig'))) return undefined;
    const c = new RestClient(loadKubeconfig(join(o.dataDir, 'kubeconfig')));
    await c.request('/readyz');
    return c;
  });
  o.log(`- apiserver: ready at ${state.server} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // (kubeadm init's bootstrap-token phase: `tsctl token create --print-join-command` joins a machine on the lab network)
  await ensureBootstrapTokenSetup(admin, join(o.dataDir, 'kubeconfig'));
  // (and its upload-config phase: a machine joining the lab takes its kubelet-config and pod network)
  await ensureUploadConfig(admin, { dataDir: o.dataDir, podSubnet: o.clusterCIDR });
  // (and, as its CoreDNS addon, kube-system/kube-dns: each node's agent is the cluster DNS behind it)
  await ensureKubeDnsService(admin, DEFAULT_SERVICE_CIDR);
  spawnDetached(o, 'controller-manager', [...node('cmd/controller-manager/main.js'), '--kubeconfig', join(o.dataDir, 'controller-manager.kubeconfig'), '--service-account-private-key-file', join(o.dataDir, 'pki', 'sa.key'), '--cluster-signing-cert-file', join(o.dataDir, 'pki', 'ca.crt'), '--cluster-signing-key-file', join(o.dataDir, 'pki', 'ca.key'), '--controllers', '*,bootstrapsigner,tokencleaner', ...securePort(o.dataDir, 'controller-manager', hostIP, 10257), '--cluster-cidr', o.clusterCIDR, ...o.controllerArgs], {}, true);
  if (existsSync(join(distRoot, 'cmd/scheduler/main.js'))) spawnDetached(o, 'scheduler', [...node('cmd/scheduler/main.js'), '--kubeconfig', join(o.dataDir, 'scheduler.kubeconfig'), ...securePort(o.dataDir, 'scheduler', hostIP, 10259), '--leader-elect-retry-period', '1', ...(o.schedulerArgs ?? [])], {}, true);
  // 4. Nodes: join with the token, then run an agent inside each node's namespace.
  const token = readFileSync(join(o.dataDir, 'join-token'), 'utf8').trim();
  const built = new ImageManager(join(o.dataDir, 'images'));
  await built.init();
  if (!(await built.imageStatus(demoImage))) await built.buildBusybox(demoImage);
  const layout = join(o.dataDir, 'images', 'layout');
  if (!existsSync(layout)) await built.exportImage(demoImage, layout);
  for (const n of state.nodes) {
    mkdirSync(n.dataDir, { recursive: true });
    const kubeconfig = join(n.dataDir, 'kubeconfig');
    writeFileSync(kubeconfig, await joinCluster({ server: state.server, token, nodeName: n.name }), { mode: 0o600 });
    spawnDetached(o, `agent-${n.name}`, [
      '/usr/bin/nsenter', `--net=/run/netns/${n.netns}`, '--',
      ...node('cmd/nodeagent/main.js'),
      '--kubeconfig', kubeconfig, '--node-name', n.name, '--node-ip', n.ip, '--data-dir', n.dataDir, '--import-images', layout,
      '--cluster-cidr', o.clusterCIDR,
      // (a pods cgroup of its own: each node's agent sets its burstable tier's shares from its own pods)
      '--cgroup-root', `/tsklab-${n.name}`,
      ...o.agentArgs,
    ]);
  }
  const ready = await waitFor(`${o.nodes} Ready node(s)`, 120_000, async () => {
    const list = await admin.list(Nodes);
    const ready = list.items.filter((x) => ((x.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') && (x.spec as { podCIDR?: string }).podCIDR);
    return ready.length >= o.nodes ? ready : undefined;
  });
  admin.close();
  // The control plane reaches the pod network, as on a cluster whose control-plane machine is
  // routed to it (the apiserver dials pods for the proxy subresources and admission webhooks):
  // a host route to each node's podCIDR through the node. They go with the lab bridge.
  const routes = ready.map((x) => `route replace ${(x.spec as { podCIDR: string }).podCIDR} via ${state.nodes.find((n) => n.name === x.metadata!.name)!.ip} dev ${o.bridge}`);
  await run('ip', ['-batch', '-'], { input: routes.join('\n') + '\n' });
  writePrometheusConfig(o, state);
  o.log(`lab up: ${o.nodes} node(s) Ready in ${((Date.now() - t0) / 1000).toFixed(1)} s; kubeconfig: ${join(o.dataDir, 'kubeconfig')}`);
  return state;
}

/**
 * DATA_DIR/prometheus.yml: every component of the lab as a target, labelled as kube-prometheus
 * labels them so that kubernetes-mixin's selectors match (as manifests/prometheus.yml):
 * job="apiserver", job="kube-controller-manager", job="kube-scheduler", and each agent as
 * job="kubelet" once per path (/metrics, /metrics/cadvisor, /metrics/probes, /metrics/resource)
 * with its metrics_path and node labels. The apiserver wants the admin token and the cluster CA, the
 * controller manager and the scheduler the admin token over HTTPS they serve self-signed;
 * each agent wants its own node's token (agents serve a self-signed certificate, as kubelets do),
 * so each has scrape jobs of its own, relabelled to job="kubelet".
 */
export function writePrometheusConfig(o: Pick<LabOptions, 'dataDir' | 'apiserverPort'>, state: LabState, scrapeInterval = '5s'): string {
  const admin = loadKubeconfig(join(o.dataDir, 'kubeconfig'));
  writeFileSync(join(o.dataDir, 'prometheus.token'), admin.token ?? '', { mode: 0o600 });
  const jobs = [
    `  - job_name: apiserver\n    scheme: https\n    tls_config: {ca_file: ${join(o.dataDir, 'pki', 'ca.crt')}}\n    authorization: {credentials_file: ${join(o.dataDir, 'prometheus.token')}}\n    static_configs: [{targets: ['${state.hostIP}:${o.apiserverPort}']}]`,
    // (HTTPS with a self-signed certificate, as kube-prometheus scrapes them: insecureSkipVerify and a bearer token)
    `  - job_name: kube-controller-manager\n    scheme: https\n    tls_config: {insecure_skip_verify: true}\n    authorization: {credentials_file: ${join(o.dataDir, 'prometheus.token')}}\n    static_configs: [{targets: ['${state.hostIP}:10257']}]`,
    `  - job_name: kube-scheduler\n    scheme: https\n    tls_config: {insecure_skip_verify: true}\n    authorization: {credentials_file: ${join(o.dataDir, 'prometheus.token')}}\n    static_configs: [{targets: ['${state.hostIP}:10259']}]`,
  ];
  for (const n of state.nodes) {
    const token = join(n.dataDir, 'prometheus.token');
    writeFileSync(token, loadKubeconfig(join(n.dataDir, 'kubeconfig')).token ?? '', { mode: 0o600 });
    // (the agent's own metrics, cAdvisor's container metrics, the probe and the resource metrics, as a kubelet's)
    for (const [suffix, path] of [['', '/metrics'], ['-cadvisor', '/metrics/cadvisor'], ['-probes', '/metrics/probes'], ['-resource', '/metrics/resource']]) {
      jobs.push(
        `  - job_name: kubelet-${n.name}${suffix}\n    metrics_path: ${path}\n    scheme: https\n    tls_config: {insecure_skip_verify: true}\n    authorization: {credentials_file: ${token}}\n    static_configs: [{targets: ['${n.ip}:10250'], labels: {node: ${n.name}}}]\n    relabel_configs: [{target_label: job, replacement: kubelet}, {source_labels: [__metrics_path__], target_label: metrics_path}]`,
      );
    }
  }
  const path = join(o.dataDir, 'prometheus.yml');
  writeFileSync(path, `# Written by tsctl lab up: scrape every component of the lab.\nglobal:\n  scrape_interval: ${scrapeInterval}\nscrape_configs:\n${jobs.join('\n')}\n`);
  return path;
}

export async function labDown(o: Pick<LabOptions, 'dataDir' | 'log'>): Promise<void> {
  const path = statePath(o.dataDir);
  const state: LabState | undefined = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as LabState) : undefined;
  // Processes first (components, agents, etcd members: everything naming the data dir).
  await stopProcesses({ dataDir: o.dataDir, log: o.log, keepData: true });
  for (const n of state?.nodes ?? []) {
    const rt = join(n.dataDir, 'runtime');
    if (existsSync(rt)) await cleanupAll(rt).catch((e: Error) => o.log(`warning: ${n.name}: runtime clean-up: ${e.message}`));
    if (existsSync(`/run/netns/${n.netns}`)) {
      await cleanupNode({ nodeNetns: `/run/netns/${n.netns}`, stateDir: join(n.dataDir, 'network') }).catch((e: Error) => o.log(`warning: ${n.name}: network clean-up: ${e.message}`));
      await run('ip', ['netns', 'del', n.netns], { allowFailure: true });
    }
    await run('ip', ['link', 'del', n.hostVeth], { allowFailure: true });
  }
  if (state) await run('ip', ['link', 'del', state.bridge], { allowFailure: true });
  await unmountAll(o.dataDir).catch((e: Error) => o.log(`warning: unmounting under ${o.dataDir}: ${e.message}`));
  rmSync(o.dataDir, { recursive: true, force: true });
  o.log(state ? `lab down: removed ${state.nodes.length} node(s), bridge ${state.bridge} and ${o.dataDir}` : `no lab recorded in ${o.dataDir}; removed it`);
}
