// A real single-node cluster in one test process: apiserver with etcd, scheduler, and a node
// agent with the real runtime (runc) and real pod networking on a test-only bridge and CIDR.
// stop() removes every container, mount, cgroup, veth, iptables chain and file it made.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:https';
import { ensureNodeToken } from '../../pkg/apiserver/pki.js';
import type { ApiServerConfig } from '../../pkg/apiserver/apiserver.js';
import { Pods, RestClient, type WatchEvent } from '../../pkg/client/rest-client.js';
import { cleanupNode } from '../../pkg/network/pod-network.js';
import { NodeAgent, defaultAgentConfig, type AgentConfig } from '../../pkg/nodeagent/agent.js';
import { startAgentServer } from '../../pkg/nodeagent/server.js';
import { cleanupAll } from '../../pkg/runtime/cleanup.js';
import { mount, unmountAll } from '../../pkg/runtime/syscalls.js';
import { Runtime } from '../../pkg/runtime/runtime.js';
import { Scheduler } from '../../pkg/scheduler/scheduler.js';
import { ControllerManager, defaultControllerConfig, type ControllerManagerConfig } from '../../pkg/controllers/manager.js';
import { eventually, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { clusterSigning, joinByTlsBootstrap } from '../helpers/tls-bootstrap-join.js';
import { loadKubeconfig } from '../../pkg/client/kubeconfig.js';
import { kubeletUserAgent } from '../../pkg/client/user-agent.js';
import { NODE_DIR_PREFIX, recordNodeOwner } from '../helpers/leftovers.js';
import { freePort } from '../helpers/ports.js';

export const image = 'tskube.local/busybox:e2e';

export interface Cluster {
  cp: TestControlPlane;
  agent: NodeAgent;
  nodeClient: RestClient;
  cfg: AgentConfig;
  restartAgent(): Promise<void>;
  stopAgent(): Promise<void>;
  startAgent(): Promise<void>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /**
   * The node's podCIDR, inside 10.199.0.0/16; default 10.199.0.0/24. Tests whose traffic the host
   * routes (a Service's DNAT to a pod) pick their own, so that another cluster of the same
   * harness running at the same time, with a bridge of the default CIDR, cannot take its packets.
   */
  podCIDR?: string;
  /** Also run a controller manager (no leader election, no pod CIDR allocation) with these settings. */
  controllers?: Partial<ControllerManagerConfig>;
  /** Apiserver settings (an address pods can reach, for one: the default is loopback). */
  apiserver?: Partial<ApiServerConfig>;
  /** Where the agent's ingress controller listens (default: no ingress controller, so clusters of parallel tests do not compete for ports). */
  ingress?: AgentConfig['ingress'];
  /** Runtime handlers besides runc (RuntimeClass handlers), by name: a runc-compatible binary each. */
  runtimeHandlers?: AgentConfig['runtimeHandlers'];
  /** Make the agent's data dir a tmpfs of this size (a small filesystem to run out of: images, pods, logs); stop() unmounts it. */
  dataDirTmpfsBytes?: number;
  /** Other agent settings (eviction thresholds, for one), over the harness's own. */
  agent?: Partial<AgentConfig>;
  /** The agent's static pod manifest directory (--pod-manifest-path). */
  podManifestPath?: string;
  /** More busybox images to build into the node's store besides `image` (e.g. another tag for an image change). */
  extraImages?: string[];
  /**
   * Join the node by kubelet TLS bootstrapping (bootstrap token auth on, a controller manager
   * that approves and signs): it has a client certificate and no node token, and the apiserver
   * reaches its agent with the kubelet client certificate alone.
   */
  tlsBootstrap?: boolean;
}

/**
 * The cluster's Service range: 10.200.N.0/24 for the podCIDR 10.199.N.0/24. Not the default
 * 10.96.0.0/16: a `tsctl up` cluster beside the tests (the README's first command leaves one
 * running) owns 10.96.0.1 on this host, and its DNAT would take this cluster's Service traffic.
 */
export function serviceRangeFor(podCIDR: string): string {
  const m = /^10\.199\.(\d+)\.0\/24$/.exec(podCIDR);
  return `10.200.${m?.[1] ?? '255'}.0/24`;
}

/**
 * How long startCluster may take before it gives up and removes what it made: under the callers'
 * beforeAll timeouts (120 s and more), so a start that hangs under load does not leave its etcd,
 * bridge or mounts behind when the hook's timeout abandons it.
 */
const START_DEADLINE_MS = 110_000;

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  // What has been made so far, undone in reverse on stop() or when the start fails. Once the
  // start has been abandoned, whatever its still-running steps make is undone as they make it.
  const undo: (() => unknown)[] = [];
  let abandoned = false;
  const made = async (fn: () => unknown) => {
    if (abandoned) await Promise.resolve().then(fn).catch(() => {});
    else undo.push(fn);
  };
  const unwind = async () => {
    abandoned = true;
    for (const fn of undo.splice(0).reverse()) await Promise.resolve().then(fn).catch(() => {});
  };
  const building = buildCluster(opts, made, unwind);
  building.catch(() => {}); // (awaited below; after the deadline nobody awaits it)
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`startCluster did not finish within ${START_DEADLINE_MS / 1000} s`)), START_DEADLINE_MS);
  });
  try {
    return await Promise.race([building, deadline]);
  } catch (e) {
    await unwind();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

async function buildCluster(opts: ClusterOptions, made: (undo: () => unknown) => Promise<void>, unwind: () => Promise<void>): Promise<Cluster> {
  const dataDir = mkdtempSync(join(tmpdir(), NODE_DIR_PREFIX));
  await made(() => rmSync(dataDir, { recursive: true, force: true }));
  if (opts.dataDirTmpfsBytes) mount('tmpfs', dataDir, 'tmpfs', 0, `size=${opts.dataDirTmpfsBytes},mode=0755`);
  await made(() => unmountAll(dataDir));
  const suffix = Math.random().toString(36).slice(2, 6);
  const bridge = `tske2e${suffix}`;
  const chainPrefix = `TE${suffix.toUpperCase()}`;
  // Written before anything is made, so a killed run's next run can remove all of it.
  recordNodeOwner(dataDir, { bridge, chainPrefix });
  // (the agent makes the bridge and chains; removing them is harmless before it has. Its pods
  // cgroup, its own, goes with cleanupAll below: /tskube, a `tsctl up` cluster's, is not touched)
  const net = { bridge, chainPrefix }; // (the agent's, once its settings are known)
  await made(async () => {
    await cleanupNode({ bridgeName: net.bridge, stateDir: join(dataDir, 'network'), chainPrefix: net.chainPrefix });
  });
  const podCIDR = opts.podCIDR ?? '10.199.0.0/24';
  const cp = await startControlPlane({ serviceClusterIPRange: serviceRangeFor(podCIDR), ...(opts.tlsBootstrap ? { enableBootstrapTokenAuth: true } : {}), ...opts.apiserver });
  await made(() => cp.stop());
  const sched = new Scheduler(cp.admin, { leaderElect: false, queue: { initialBackoffMs: 200, maxBackoffMs: 1000, unschedulableFlushMs: 5000 } });
  await made(() => sched.stop());
  await sched.start();
  await made(() => cleanupAll(join(dataDir, 'runtime')));
  const cm = opts.controllers || opts.tlsBootstrap ? new ControllerManager(cp.admin, { ...defaultControllerConfig, leaderElect: false, allocateNodeCIDRs: false, ...(opts.tlsBootstrap ? clusterSigning(cp) : {}), ...opts.controllers }) : undefined;
  if (cm) await made(() => cm.stop());
  await cm?.start();
  const rt = await Runtime.open({ root: join(dataDir, 'runtime') });
  await rt.buildBusybox(image);
  for (const extra of opts.extraImages ?? []) await rt.buildBusybox(extra);
  // (a node joined the tskube way has a node token; a bootstrapped one its client certificate)
  const nodeClient = opts.tlsBootstrap ? new RestClient(loadKubeconfig(await joinByTlsBootstrap(cp, 'e2e-node', dataDir)), { userAgent: kubeletUserAgent() }) : cp.nodeClient('e2e-node');
  if (opts.tlsBootstrap) await made(() => nodeClient.close());
  const token = opts.tlsBootstrap ? '' : ensureNodeToken(join(cp.dataDir, 'tokens.csv'), 'e2e-node');
  // (the agent believes client certificates of the cluster CA, as the binary's --client-ca-file default)
  const clientCA = readFileSync(join(cp.dataDir, 'pki', 'ca.crt'), 'utf8');
  const cfg: AgentConfig = {
    ...defaultAgentConfig('e2e-node'),
    nodeIP: '127.0.0.1',
    dataDir,
    port: await freePort(),
    podCIDR,
    clusterCIDR: '10.199.0.0/16',
    bridge,
    chainPrefix,
    backoffBaseSec: 1,
    apiVolumeSyncSec: 1,
    backoffMaxSec: 4,
    relistMs: 300,
    ingress: opts.ingress,
    runtimeHandlers: opts.runtimeHandlers,
    podManifestPath: opts.podManifestPath,
    // Health check node ports of LoadBalancer Services on loopback only.
    serviceHealthAddress: '127.0.0.1',
    // A pods cgroup of its own: a `tsctl up` cluster's /tskube (and another test cluster's tiers)
    // keep their limits and shares; cleanupAll removes it (the agent records it in its runtime root).
    cgroupRoot: `/tskube-e2e-${suffix}`,
    ...opts.agent,
  };
  Object.assign(net, { bridge: cfg.bridge, chainPrefix: cfg.chainPrefix });
  let agent = new NodeAgent(nodeClient, cfg);
  let server: Server | undefined;
  const startAgent = async () => {
    agent = new NodeAgent(nodeClient, cfg);
    await agent.start();
    server = await startAgentServer(agent, { host: '127.0.0.1', port: cfg.port, token, dataDir, nodeIP: '127.0.0.1', clientCA, reviews: (path, body) => nodeClient.request(path, { method: 'POST', body }) });
  };
  const stopAgent = async () => {
    await agent.stop();
    server?.closeAllConnections();
    server?.close();
  };
  // (first undone: the agent stops before the controllers, the runtime's leftovers and the control plane go)
  await made(() => stopAgent());
  await startAgent();
  await eventually(async () => (await cp.admin.get({ group: '', version: 'v1', resource: 'nodes', namespaced: false }, undefined, 'e2e-node')) !== undefined);
  return {
    cp,
    get agent() {
      return agent;
    },
    nodeClient,
    cfg,
    startAgent,
    stopAgent,
    async restartAgent() {
      await stopAgent();
      await startAgent();
    },
    stop: unwind,
  };
}

export interface PodView {
  phase?: string;
  podIP?: string;
  qosClass?: string;
  conditions?: { type: string; status: string }[];
  containerStatuses?: { name: string; ready: boolean; restartCount: number; containerID?: string; image?: string; state: Record<string, { reason?: string; exitCode?: number; message?: string }>; lastState: Record<string, { reason?: string; exitCode?: number }> }[];
  initContainerStatuses?: { name: string; restartCount: number; state: Record<string, { reason?: string; exitCode?: number }> }[];
  ephemeralContainerStatuses?: { name: string; ready: boolean; restartCount: number; state: Record<string, { reason?: string; exitCode?: number }> }[];
  hostIP?: string;
  reason?: string;
  message?: string;
}

export async function podStatus(c: Cluster, name: string): Promise<PodView> {
  return ((await c.cp.admin.get(Pods, 'default', name)).status ?? {}) as PodView;
}

export function busyboxPod(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { terminationGracePeriodSeconds: 1, ...spec } };
}

export const ctr = (name: string, command: string, extra: Record<string, unknown> = {}) => ({ name, image, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', command], ...extra });

export async function watchPod(c: Cluster, name: string, onEvent: (e: WatchEvent) => void) {
  return c.cp.admin.watch(Pods, 'default', { fieldSelector: `metadata.name=${name}` }, onEvent);
}

/** A static pod manifest (for --pod-manifest-path): one busybox container that prints `word` and sleeps. */
export const staticPodManifest = (name: string, word: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ${image}
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'echo ${word}; sleep 3600']
`;
