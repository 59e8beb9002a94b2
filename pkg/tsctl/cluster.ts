// tsctl up / down: a single-node cluster on this machine, run as background processes with
// pid files and logs under the data dir; down stops them and removes every trace.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { ensureNodeToken, kubeconfigYaml } from '../apiserver/pki.js';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { Nodes, RestClient } from '../client/rest-client.js';
import { cleanupAll } from '../runtime/cleanup.js';
import { QOS_TIERS } from '../runtime/cgroups.js';
import { unmountAll } from '../runtime/syscalls.js';
import { ImageManager } from '../runtime/image-service.js';
import { HOST_BUSYBOX } from '../runtime/image-build.js';
import { FailedPreconditionError } from '../runtime/errors.js';
import { cleanupNode } from '../network/pod-network.js';
import { stopGroups } from './stop-order.js';
import { ensureBootstrapTokenSetup } from './bootstrap-token-setup.js';
import { createToken, joinCommand } from './token.js';
import { ensureUploadConfig } from './upload-config.js';
import { DEFAULT_SERVICE_CIDR } from '../apiserver/apiserver.js';
import { clusterDNSIP, ensureKubeDnsService } from '../dns/kube-dns-service.js';

/** dist/ root: this file is dist/pkg/tsctl/cluster.js when built, pkg/tsctl/cluster.ts under vite-node. */
const twoUp = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const distRoot = basename(twoUp) === 'dist' ? twoUp : join(twoUp, 'dist');

export interface UpOptions {
  dataDir: string;
  apiserverPort: number;
  etcdClientPort: number;
  etcdPeerPort: number;
  /** Which components to start (default: all that are built). */
  only?: string[];
  /** Extra node agent flags (tests shorten the crash-loop back-off). */
  agentArgs?: string[];
  /**
   * kubeadm init's --apiserver-advertise-address: the address the apiserver listens on and names
   * in kubeconfigs, cluster-info and the `kubernetes` Service's Endpoints, and the local node's
   * InternalIP (default: the one the data dir's cluster was set up with, else 127.0.0.1).
   */
  advertiseAddress?: string;
  log: (line: string) => void;
}

export interface Component {
  name: string;
  entry: string;
  args: (o: UpOptions) => string[];
  /** Only started when its entry point is built. */
  optional: boolean;
}

const LOOPBACK = '127.0.0.1';
const advertiseFile = (dataDir: string) => join(dataDir, 'advertise-address');

/**
 * The address `up` advertises: the one asked for, else the one the data dir's cluster was set up
 * with, else loopback. kubeadm refuses to init a machine again; tsctl up starts an existing
 * cluster again, so it refuses only what would strand the machines that joined it: another
 * address than the non-loopback one it advertises (their kubeconfigs and cluster-info name it).
 * A loopback cluster may take a real address, as no other machine can have joined it.
 */
export function resolveAdvertiseAddress(dataDir: string, requested?: string): string {
  if (requested !== undefined && isIP(requested) === 0) {
    throw new Error(`localAPIEndpoint.advertiseAddress: Invalid value: ${JSON.stringify(requested)}: couldn't use ${JSON.stringify(requested)} as "apiserver-advertise-address", must be ipv4 or ipv6 address`);
  }
  let recorded: string | undefined;
  try {
    recorded = readFileSync(advertiseFile(dataDir), 'utf8').trim() || undefined;
  } catch {
    // a new data dir, or one set up before the address was recorded (loopback)
  }
  if (requested !== undefined && recorded !== undefined && requested !== recorded && !isLoopback(recorded)) {
    throw new Error(`the cluster in ${dataDir} advertises ${recorded}, which the machines that joined it use: it cannot move to ${requested} (run "tsctl down --data-dir ${dataDir}" to start over)`);
  }
  return requested ?? recorded ?? LOOPBACK;
}

const isLoopback = (ip: string) => ip === '::1' || ip.startsWith('127.');

/**
 * The secure port of the scheduler and the controller manager as kubeadm's static pods have it:
 * on loopback, tokens and access reviewed with the component's own kubeconfig
 * (--authentication-kubeconfig and --authorization-kubeconfig = scheduler.conf,
 * controller-manager.conf). Their self-signed serving pair is kept in DATA_DIR/pki
 * (--cert-dir: kube-scheduler.crt/.key, kube-controller-manager.crt/.key), made at the first start
 * and served again at the next ones, as 1.32's MaybeDefaultWithSelfSignedCerts keeps it under a
 * --cert-dir; without one (1.32's default, and kubeadm's) a new pair would be made at every start.
 */
const delegatedServing = (o: UpOptions, kubeconfig: string, port: number) => ['--bind-address', LOOPBACK, '--secure-port', String(port), '--authentication-kubeconfig', kubeconfig, '--authorization-kubeconfig', kubeconfig, '--cert-dir', join(o.dataDir, 'pki')];

export const components: Component[] = [
  {
    name: 'apiserver',
    entry: 'cmd/apiserver/main.js',
    optional: false,
    // (bootstrap tokens authenticate, as kubeadm init starts kube-apiserver: nodes can join by TLS bootstrapping)
    // (it listens on the advertised address, as a lab's apiserver does; its certificate names 127.0.0.1 too)
    args: (o) => ['--data-dir', o.dataDir, '--bind-address', o.advertiseAddress ?? LOOPBACK, '--advertise-address', o.advertiseAddress ?? LOOPBACK, '--secure-port', String(o.apiserverPort), '--etcd-client-port', String(o.etcdClientPort), '--etcd-peer-port', String(o.etcdPeerPort), '--grpc-port', String(o.apiserverPort + 1), '--enable-bootstrap-token-auth'],
  },
  // (kubeadm's kube-controller-manager: signing with the cluster CA, and the bootstrap token controllers on)
  { name: 'controller-manager', entry: 'cmd/controller-manager/main.js', optional: true, args: (o) => ['--kubeconfig', join(o.dataDir, 'controller-manager.kubeconfig'), ...delegatedServing(o, join(o.dataDir, 'controller-manager.kubeconfig'), o.apiserverPort === 6443 ? 10257 : o.apiserverPort + 2), '--service-account-private-key-file', join(o.dataDir, 'pki', 'sa.key'), '--cluster-signing-cert-file', join(o.dataDir, 'pki', 'ca.crt'), '--cluster-signing-key-file', join(o.dataDir, 'pki', 'ca.key'), '--controllers', '*,bootstrapsigner,tokencleaner'] },
  { name: 'scheduler', entry: 'cmd/scheduler/main.js', optional: true, args: (o) => ['--kubeconfig', join(o.dataDir, 'scheduler.kubeconfig'), ...delegatedServing(o, join(o.dataDir, 'scheduler.kubeconfig'), o.apiserverPort === 6443 ? 10259 : o.apiserverPort + 3)] },
  {
    name: 'nodeagent',
    entry: 'cmd/nodeagent/main.js',
    optional: true,
    args: (o) => ['--data-dir', o.dataDir, '--kubeconfig', join(o.dataDir, 'node.kubeconfig'), '--node-name', localNodeName(), '--node-ip', o.advertiseAddress ?? LOOPBACK, '--port', String(o.apiserverPort === 6443 ? 10250 : o.apiserverPort + 4), '--pod-manifest-path', join(o.dataDir, 'manifests'), ...(o.agentArgs ?? [])],
  },
];

/**
 * How the long-running components are started: a small young generation (1 MB semi-spaces), one
 * V8 worker thread, V8's size-over-speed heuristics and two malloc arenas keep RSS close to what
 * the heap really holds (glibc otherwise keeps one arena per thread): the node agent holds 100
 * pods in about 75 MB instead of 85.
 * The apiserver and the scheduler, whose throughput is the cluster's, get a larger young
 * generation (16 and 8 MB semi-spaces: about 10% less CPU per scheduled pod, from fewer
 * scavenges and promotions); the apiserver's memory reducer gives the space back after a burst.
 */
export const serverNodeFlags = ['--max-semi-space-size=1', '--v8-pool-size=1', '--optimize-for-size'];
const componentNodeFlags: Record<string, string[]> = {
  apiserver: ['--max-semi-space-size=16'],
  // (8, not 16: its caches of 5000 nodes and 10k pods stay under 200 MB RSS with the young generation.)
  // GC on the main thread only: the scheduler's thread is idle half the time, and parallel GC
  // helpers competing for 2 cores cost more than they save (5000 nodes / 10k pods: scheduler
  // CPU 7.5 -> 6.8 s, RSS 175 -> 119 MB). The apiserver is better off with them (0.62 vs 0.65 ms per create).
  scheduler: ['--max-semi-space-size=8', '--single-threaded-gc'],
};
export const nodeFlagsFor = (component: string): string[] => componentNodeFlags[component] ?? serverNodeFlags;
export const serverEnv: Record<string, string> = { MALLOC_ARENA_MAX: '2' };

const pidFile = (dir: string, name: string) => join(dir, 'run', `${name}.pid`);

/**
 * Each component runs under a supervisor, as systemd runs the kubelet and the control plane
 * (Restart=always): a component that dies (a crash, the OOM killer, kill -9) is started again
 * after 1 s, doubling to 30 s while it keeps dying within a minute, and the supervisor writes
 * why into the component's log. A POSIX shell loop (about 1 MB) rather than a Node process (about
 * 40 MB) per component. SIGTERM (tsctl down) stops the component and then the supervisor, with
 * no restart. Its command line holds the component's, so the pid file's checks still know it.
 */
export const SUPERVISOR_SCRIPT = [
  'stop=; pid=; delay=1',
  'trap \'stop=1; [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null\' TERM INT',
  'note() { printf \'{"ts":"%s","level":"%s","component":"supervisor","msg":"%s","supervised":"%s"%s}\\n\' "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$1" "$2" "$0" "$3"; }',
  'while :; do',
  '  t0=$(date +%s)',
  '  "$@" & pid=$!',
  // (a trapped signal interrupts wait: wait again until the component itself has exited)
  '  wait "$pid"; code=$?',
  '  while kill -0 "$pid" 2>/dev/null; do wait "$pid"; code=$?; done',
  '  [ -n "$stop" ] && exit 0',
  '  [ $(( $(date +%s) - t0 )) -ge 60 ] && delay=1',
  '  note error "exited; starting it again" ",\\"exitCode\\":$code,\\"restartInSec\\":$delay"',
  '  sleep "$delay" & pid=$!; wait "$pid"',
  '  [ -n "$stop" ] && exit 0',
  '  delay=$(( delay * 2 )); [ "$delay" -gt 30 ] && delay=30',
  'done',
].join('\n');

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The pid of a running component from its pid file: only while that process lives, is not a
 * zombie, and is that component. After a crash or a reboot the file outlives the process and
 * its pid may be another program's by now; such a file is stale.
 */
function readPid(dir: string, name: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile(dir, name), 'utf8').trim());
    if (!(pid > 0) || !alive(pid)) return undefined;
    if (/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return undefined;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`/cmd/${name}/main.js`) ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function waitReady(dataDir: string, timeoutMs: number): Promise<RestClient> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    const kc = join(dataDir, 'kubeconfig');
    if (existsSync(kc)) {
      const client = new RestClient(loadKubeconfig(kc));
      try {
        await client.request('/readyz');
        return client;
      } catch (e) {
        lastErr = e;
        client.close();
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the apiserver did not become ready in ${timeoutMs / 1000} s (see ${join(dataDir, 'logs', 'apiserver.log')}): ${String(lastErr ?? 'no kubeconfig written')}`);
}

/** Starts a component under its supervisor, detached, its pid in DATA_DIR/run and its output in DATA_DIR/logs (which `down` finds). */
function startSupervised(dataDir: string, name: string, entry: string, args: string[]): { pid: number; logPath: string } {
  for (const d of ['run', 'logs']) mkdirSync(join(dataDir, d), { recursive: true, mode: 0o700 });
  const logPath = join(dataDir, 'logs', `${name}.log`);
  const fd = openSync(logPath, 'a');
  const command = [process.execPath, ...nodeFlagsFor(name), entry, ...args];
  const child = spawn('/bin/sh', ['-c', SUPERVISOR_SCRIPT, `tskube-${name}`, ...command], { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, ...serverEnv } });
  closeSync(fd);
  child.unref();
  writeFileSync(pidFile(dataDir, name), String(child.pid));
  return { pid: child.pid!, logPath };
}

export interface JoinedAgentOptions {
  dataDir: string;
  nodeName: string;
  nodeIP: string;
  kubeconfigPath: string;
  bootstrapKubeconfigPath: string;
  certDir: string;
  /** The KubeletConfiguration written from the cluster's kubelet-config, if it has one. */
  configPath?: string;
  /** The cluster's pod network (kubeadm-config's networking.podSubnet), for the agent's service proxy and masquerading, as kube-proxy's clusterCIDR. */
  clusterCIDR?: string;
}

/** The node agent flags of a machine that joined (`tsctl join`): its own credentials, renewed, and the cluster's kubelet configuration. */
export function joinedAgentArgs(o: JoinedAgentOptions): string[] {
  return [
    '--data-dir', o.dataDir, '--kubeconfig', o.kubeconfigPath, '--bootstrap-kubeconfig', o.bootstrapKubeconfigPath, '--rotate-certificates', '--cert-dir', o.certDir,
    '--node-name', o.nodeName, '--node-ip', o.nodeIP, '--pod-manifest-path', join(o.dataDir, 'manifests'),
    ...(o.configPath ? ['--config', o.configPath] : []),
    ...(o.clusterCIDR ? ['--cluster-cidr', o.clusterCIDR] : []),
  ];
}

/**
 * kubeadm join's "Starting the kubelet": the node agent of a machine that joined, under the
 * supervisor `up` uses (so `tsctl down --data-dir DIR` on that machine stops it and removes what
 * it made), with the demo image built as up builds it. Unless it runs already.
 */
export async function startJoinedAgent(o: JoinedAgentOptions, log: (line: string) => void): Promise<void> {
  if (readPid(o.dataDir, 'nodeagent')) return;
  const entry = join(distRoot, 'cmd/nodeagent/main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first`);
  mkdirSync(join(o.dataDir, 'manifests'), { recursive: true, mode: 0o700 });
  await ensureDemoImage({ dataDir: o.dataDir, log });
  const { pid, logPath } = startSupervised(o.dataDir, 'nodeagent', entry, joinedAgentArgs(o));
  log(`[kubelet-start] Starting the node agent (supervisor pid ${pid}, log ${logPath})`);
}

export async function up(opts: UpOptions): Promise<void> {
  const t0 = Date.now();
  const o = { ...opts, advertiseAddress: resolveAdvertiseAddress(opts.dataDir, opts.advertiseAddress) };
  if (readPid(o.dataDir, 'apiserver')) {
    const kc = loadKubeconfig(join(o.dataDir, 'kubeconfig'));
    const running = new URL(kc.server).hostname.replace(/^\[|\]$/g, '');
    if (opts.advertiseAddress !== undefined && running !== opts.advertiseAddress) {
      throw new Error(`the cluster in ${o.dataDir} is running at ${kc.server}: it cannot advertise ${opts.advertiseAddress} as well`);
    }
    o.log(`cluster already running at ${kc.server} (data dir ${o.dataDir}); kubeconfig: ${join(o.dataDir, 'kubeconfig')}`);
    return;
  }
  // (manifests: the node agent's static pods, the kubelet's /etc/kubernetes/manifests)
  for (const d of ['run', 'logs', 'manifests']) mkdirSync(join(o.dataDir, d), { recursive: true, mode: 0o700 });
  writeFileSync(advertiseFile(o.dataDir), `${o.advertiseAddress}\n`);
  for (const c of components) {
    if (o.only && !o.only.includes(c.name)) continue;
    const entry = join(distRoot, c.entry);
    if (!existsSync(entry)) {
      if (c.optional) {
        o.log(`- ${c.name}: not built yet, skipped`);
        continue;
      }
      throw new Error(`${entry} is missing: run "npm run build" first`);
    }
    if (readPid(o.dataDir, c.name)) continue;
    if (c.name === 'nodeagent') {
      await ensureDemoImage(o);
      writeNodeKubeconfig(o.dataDir);
    }
    const { pid, logPath } = startSupervised(o.dataDir, c.name, entry, c.args(o));
    o.log(`- ${c.name}: started (supervisor pid ${pid}, log ${logPath})`);
    if (c.name === 'apiserver') {
      const client = await waitReady(o.dataDir, 60_000);
      o.log(`- apiserver: ready at ${client.url.origin} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      // (as kubeadm init's bootstrap-token phase: nodes can join with `tsctl token create --print-join-command`)
      try {
        await ensureBootstrapTokenSetup(client, join(o.dataDir, 'kubeconfig'));
      } catch (e) {
        throw new Error(`error execution phase bootstrap-token: ${(e as Error).message}`, { cause: e });
      } finally {
        client.close();
      }
      o.log('- bootstrap tokens: cluster-info ConfigMap and kubeadm\'s RBAC rules in place (tsctl token create --print-join-command)');
      // (kubeadm init's upload-config phase: what a joining machine's node agent is configured from)
      const admin = new RestClient(loadKubeconfig(join(o.dataDir, 'kubeconfig')));
      try {
        await ensureUploadConfig(admin, { dataDir: o.dataDir });
      } catch (e) {
        throw new Error(`error execution phase upload-config: ${(e as Error).message}`, { cause: e });
      } finally {
        admin.close();
      }
      o.log('- upload-config: kube-system/kubeadm-config and kube-system/kubelet-config, readable by nodes and bootstrap tokens');
      // (kubeadm init's addon/coredns phase, for its Service: each node agent is the cluster DNS)
      const dnsClient = new RestClient(loadKubeconfig(join(o.dataDir, 'kubeconfig')));
      try {
        await ensureKubeDnsService(dnsClient, DEFAULT_SERVICE_CIDR);
      } catch (e) {
        throw new Error(`error execution phase addon/coredns: ${(e as Error).message}`, { cause: e });
      } finally {
        dnsClient.close();
      }
      o.log(`- addons: kube-system/kube-dns at ${clusterDNSIP(DEFAULT_SERVICE_CIDR)} (each node's service proxy sends it to the node's own cluster DNS)`);
    }
  }
  // The node too: until it has registered and is Ready, a pod applied at once meets "no nodes
  // available to schedule pods" (kind's --wait, k3s's agents: the cluster is up with its node).
  if (readPid(o.dataDir, 'nodeagent')) await waitNodeReady(o, t0, 60_000);
  o.log(`cluster up in ${((Date.now() - t0) / 1000).toFixed(1)} s; kubeconfig: ${join(o.dataDir, 'kubeconfig')}`);
  // (kubeadm init's closing lines, with a fresh token of the default 24 h: only a cluster other machines reach)
  if (!isLoopback(o.advertiseAddress)) o.log(await joinHint(join(o.dataDir, 'kubeconfig')));
}

/** kubeadm init's last lines: the join command of a new bootstrap token (24 h, the default groups and usages). */
export async function joinHint(kubeconfigPath: string): Promise<string> {
  const kc = loadKubeconfig(kubeconfigPath);
  const client = new RestClient(kc);
  try {
    const token = await createToken(client, { ttlMs: 24 * 3600_000, description: "The default bootstrap token generated by 'kubeadm init'." });
    return `\nThen you can join any number of worker nodes by running the following on each as root:\n\n${joinCommand(kc, token)}\n`;
  } finally {
    client.close();
  }
}

/** Waits for the local Node to be registered and Ready; says so, or, past `timeoutMs`, that it is not (the cluster stays up). */
async function waitNodeReady(o: UpOptions, t0: number, timeoutMs: number): Promise<void> {
  const client = new RestClient(loadKubeconfig(join(o.dataDir, 'kubeconfig')));
  const name = localNodeName();
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      const node = await client.get(Nodes, undefined, name).catch(() => undefined);
      const ready = (node?.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status === 'True') {
        o.log(`- node ${name}: Ready after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    o.log(`- node ${name}: not Ready after ${timeoutMs / 1000} s (see ${join(o.dataDir, 'logs', 'nodeagent.log')})`);
  } finally {
    client.close();
  }
}

export const localNodeName = () => hostname().toLowerCase().replace(/[^a-z0-9.-]/g, '-');

/** The local node's own credentials (system:node:NAME), not the admin's. */
function writeNodeKubeconfig(dataDir: string): void {
  const token = ensureNodeToken(join(dataDir, 'tokens.csv'), localNodeName());
  const admin = loadKubeconfig(join(dataDir, 'kubeconfig'));
  writeFileSync(join(dataDir, 'node.kubeconfig'), kubeconfigYaml({ server: admin.server, caCert: admin.caCert ?? '', token, user: `node-${localNodeName()}`, grpcServer: admin.grpcServer }), { mode: 0o600 });
}

/** The node agent's default pods cgroup (/tskube) with its QoS tiers, once no pod uses them (rmdir refuses a busy one). */
export function removeEmptyCgroupParents(): void {
  let roots: string[] = [];
  try {
    roots = [...readdirSync('/sys/fs/cgroup').map((d) => join('/sys/fs/cgroup', d, 'tskube')), '/sys/fs/cgroup/tskube'];
  } catch {
    return;
  }
  // (the tiers first: a parent goes only once its children have)
  for (const dir of [...roots.flatMap((r) => QOS_TIERS.map((t) => join(r, t))), ...roots]) {
    try {
      rmdirSync(dir);
    } catch {
      // absent, or still in use by another cluster's pods
    }
  }
}

/** The image the demo and tests use, built from the machine's busybox-static if missing. */
export const demoImage = 'tskube.local/busybox:latest';

/**
 * Builds the demo image unless the node has it. A machine without busybox-static goes on without
 * it, saying so: the image is a convenience of tskube's (kubeadm's nodes need no image to join),
 * and only pods that name it need it.
 */
export async function ensureDemoImage(o: Pick<UpOptions, 'dataDir' | 'log'>, busybox = HOST_BUSYBOX): Promise<void> {
  const images = new ImageManager(join(o.dataDir, 'runtime'));
  await images.init();
  if (await images.imageStatus(demoImage)) return;
  const t = Date.now();
  try {
    await images.buildBusybox(demoImage, busybox);
  } catch (e) {
    if (!(e instanceof FailedPreconditionError)) throw e;
    o.log(`- image ${demoImage}: not built (${e.message}); pods that use it will not start`);
    return;
  }
  o.log(`- image ${demoImage}: built from ${busybox} in ${Date.now() - t} ms`);
}

/** Every process whose command line mentions the data dir (components and the embedded etcd). */
function processesUsing(dataDir: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      // Container monitors are the runtime's to stop (cleanupAll kills their containers first).
      const comm = readFileSync(`/proc/${p}/comm`, 'utf8').trim();
      if (comm === 'conmon' || comm.startsWith('runc')) continue;
      if (cmd.some((a) => a === dataDir || a.startsWith(dataDir + '/'))) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

export async function down(o: { dataDir: string; log: (line: string) => void; keepData?: boolean }): Promise<void> {
  const pids = new Set<number>();
  for (const c of components) {
    const pid = readPid(o.dataDir, c.name);
    if (pid) pids.add(pid);
  }
  for (const pid of processesUsing(o.dataDir)) pids.add(pid);
  // Clients first, then the apiservers, then each etcd member alone (stop-order.ts).
  const argvOf = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      return [];
    }
  };
  const ordered = stopGroups([...pids].map((pid) => ({ pid, argv: argvOf(pid) })));
  for (const group of ordered) {
    for (const pid of group) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    const deadline = Date.now() + 10_000;
    while (group.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (const pid of processesUsing(o.dataDir)) process.kill(pid, 'SIGKILL');
  // (conmon monitors and their containers go with the runtime clean-up below.)
  o.log(pids.size ? `stopped ${pids.size} process(es)` : 'no cluster processes were running');
  // What the node agent left behind: containers, mounts and cgroups, then pod networking.
  const runtimeRoot = join(o.dataDir, 'runtime');
  if (existsSync(runtimeRoot)) {
    await cleanupAll(runtimeRoot).then(
      () => o.log('removed containers, mounts and cgroups'),
      (e: Error) => o.log(`warning: runtime clean-up: ${e.message}`),
    );
  }
  // The agent's own mounts: memory-backed (secret, projected) volumes under DIR/pods.
  await unmountAll(o.dataDir).catch((e: Error) => o.log(`warning: unmounting under ${o.dataDir}: ${e.message}`));
  removeEmptyCgroupParents();
  const networkState = join(o.dataDir, 'network');
  if (existsSync(networkState)) {
    await cleanupNode({ stateDir: networkState }).then(
      () => o.log('removed the pod network (bridge, veths, iptables chains, routes)'),
      (e: Error) => o.log(`warning: network clean-up: ${e.message}`),
    );
  }
  if (!o.keepData && existsSync(o.dataDir)) {
    rmSync(o.dataDir, { recursive: true, force: true });
    o.log(`removed ${o.dataDir}`);
  }
}
