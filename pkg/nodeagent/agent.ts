// The node agent: registers its Node, renews its Lease, watches the pods bound to it and runs
// each through a pod worker, relists the runtime to repair drift (PLEG), reports status as
// coalesced patches, keeps host-gw routes to the other nodes, mounts the volumes of pods' claims
// and removes deleted local-path volumes, and serves logs, exec and metrics.
import { readFileSync } from 'node:fs';
import { cpus, hostname, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { EndpointSlice, KubeObject, Node, Pod, Service } from '../api/types.js';
import { recordEvent } from '../client/events.js';
import { EventSink } from '../client/event-sink.js';
import { Informer } from '../client/informer.js';
import type { ApiClient } from '../client/api-client.js';
import { ClusterRecords } from '../dns/cluster-records.js';
import { DnsServer } from '../dns/server.js';
import { core, EndpointSlices, Leases, Nodes, Pods, RuntimeClasses, ServiceAccounts, Services, StatusError } from '../client/rest-client.js';
import { SourceCache } from './source-cache.js';
import { TokenManager } from './token-manager.js';
import type { SourceKind } from './config-sources.js';
import { PodNetwork } from '../network/pod-network.js';
import { removeServiceRules } from '../network/service-proxier.js';
import { removeNetpolRules } from '../network/netpol-syncer.js';
import { Runtime } from '../runtime/runtime.js';
import { ContainerState } from '../runtime/types.js';
import { logger } from '../util/log.js';
import { runningContainers, runningPods } from './metrics.js';
import { computeStatus } from './pod-status.js';
import { PodWorker, podUidLabel, type NetworkPlugin } from './pod-worker.js';
import { NodeServiceProxy } from './service-proxy.js';
import { ServiceHealthServer } from '../network/service-health.js';
import { NodeNetworkPolicy } from './network-policy.js';
import { NodeIngressController, type IngressListen } from './ingress-controller.js';
import { NODE_INGRESS_ADDRESSES } from '../api/ingress-class.js';
import { ClaimVolumeResolver } from './claim-volumes.js';
import { LocalPathCleaner } from './local-path-cleaner.js';
import { ANN_NODE_LOCAL_PATH_DIR } from '../api/persistent-volumes.js';
import { NodePressure, nodeResources } from './node-pressure.js';
import { defaultEvictionSettings, parseEvictionSettings, type EvictionSettings } from './eviction-thresholds.js';
import { StaticPods } from './static-pods.js';
import { isMirrorPod, isStaticPod } from './static-pod-manifest.js';

const log = logger('nodeagent');

export interface AgentConfig {
  nodeName: string;
  nodeIP: string;
  dataDir: string;
  port: number;
  labels: Record<string, string>;
  taints: { key: string; value?: string; effect: string }[];
  podCIDR?: string;
  clusterCIDR: string;
  bridge: string;
  maxPods: number;
  backoffBaseSec: number;
  backoffMaxSec: number;
  leaseDurationSec: number;
  leaseRenewSec: number;
  statusReportSec: number;
  relistMs: number;
  /** How often ConfigMap, Secret and downward-API volumes are refreshed (the kubelet's sync frequency, 1 min). */
  apiVolumeSyncSec: number;
  importImages?: string;
  /** Sets the network's nodeNetns (when the agent itself runs on the host for a lab node). */
  nodeNetns?: string;
  chainPrefix?: string;
  /**
   * The nameservers of ClusterFirst pods: 'serve' runs the cluster DNS on the pod bridge's
   * gateway address (the role CoreDNS plays); 'none' gives pods the node's own resolvers; or
   * the addresses of DNS servers run elsewhere (the kubelet's --cluster-dns).
   */
  clusterDNS: 'serve' | 'none' | string[];
  clusterDomain: string;
  /** Run the service proxy (kube-proxy's iptables mode) once the pod network is up; off: its chains are removed. */
  serviceProxy: boolean;
  /** Where the service proxy answers the health check node ports of LoadBalancer Services with externalTrafficPolicy Local (default: every address of the node). */
  serviceHealthAddress?: string;
  /** Enforce NetworkPolicies for this node's pods once the pod network is up; off: their chains are removed. */
  networkPolicy: boolean;
  /** Where the ingress controller listens for HTTP and HTTPS (undefined: no ingress controller on this node). */
  ingress?: IngressListen;
  /** Where local-path volumes are made on this node (default <dataDir>/storage); announced on the Node. */
  localPathDir?: string;
  /** Runtime handlers besides runc, by name: a runc-compatible binary each (RuntimeClasses name them). */
  runtimeHandlers?: Record<string, string>;
  /** Node-pressure eviction and image GC (the kubelet's --eviction-* and --image-gc-* flags). */
  eviction: EvictionSettings;
  /** The directory of static pod manifests (the kubelet's staticPodPath); undefined: no static pods. */
  podManifestPath?: string;
}

export const defaultAgentConfig = (nodeName: string): AgentConfig => ({
  nodeName,
  nodeIP: '127.0.0.1',
  dataDir: '/var/lib/tskube',
  port: 10250,
  labels: {},
  taints: [],
  clusterCIDR: '10.244.0.0/16',
  bridge: 'tsk0',
  maxPods: 110,
  backoffBaseSec: 10,
  backoffMaxSec: 300,
  leaseDurationSec: 40,
  leaseRenewSec: 10,
  statusReportSec: 60,
  relistMs: 1000,
  apiVolumeSyncSec: 60,
  clusterDNS: 'serve',
  clusterDomain: 'cluster.local',
  serviceProxy: true,
  networkPolicy: true,
  ingress: { http: { host: '', port: 80 }, https: { host: '', port: 443 } },
  eviction: defaultEvictionSettings(),
});


/** `{ [key]: [...items, {$patch: replace}] }` when status has that list: the list replaces the stored one. */
function replaceList(status: object, key: string): Record<string, unknown[]> {
  const items = (status as Record<string, unknown>)[key];
  return Array.isArray(items) ? { [key]: [...items, { $patch: 'replace' }] } : {};
}

/** The nameservers of the node's /etc/resolv.conf. */
function nodeResolvers(): string[] {
  try {
    return [...readFileSync('/etc/resolv.conf', 'utf8').matchAll(/^nameserver\s+(\S+)/gm)].map((m) => m[1]!);
  } catch {
    return [];
  }
}

const now3339 = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const micro = () => new Date().toISOString().replace('Z', '000Z');

function osImage(): string {
  try {
    return /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

export class NodeAgent {
  runtime!: Runtime;
  private net: PodNetwork | undefined;
  private netReady: Promise<PodNetwork>;
  private resolveNet!: (n: PodNetwork) => void;
  readonly workers = new Map<string, PodWorker>();
  private readonly events = new EventSink();
  private readonly sourceCache = new SourceCache<KubeObject | undefined>(1000);
  private podInformer: Informer<Pod & KubeObject>;
  private nodeInformer: Informer<Node & KubeObject>;
  private timers: NodeJS.Timeout[] = [];
  private statusSent = new Map<string, string>();
  /** Service account tokens of the pods' projected volumes (TokenRequests bound to each pod). */
  private readonly tokens = new TokenManager((ns, sa, req) => this.client.createSubresource(ServiceAccounts, ns, sa, 'token', req));
  private statusInFlight = new Set<string>();
  private statusPending = new Set<string>();
  private stopped = false;
  private lastNodeStatus = '';
  private lastNodeStatusAt = 0;
  private podCIDR: string | undefined;
  /** The Node as it was stored when this agent registered, if it existed already. */
  private registered: (Node & KubeObject) | undefined;
  /** When each condition the agent sets (Ready, NetworkUnavailable) last changed status. */
  private readonly conditionSince = new Map<string, { status: string; since: string }>();
  /** spec.unschedulable as last announced (NodeNotSchedulable / NodeSchedulable events). */
  private lastUnschedulable = false;
  /** The cluster DNS, when this agent serves it (clusterDNS 'serve'), with the informers that feed it. */
  private dns: { records: ClusterRecords; server?: DnsServer } | undefined;
  /** Every Service: for the containers' service variables, the cluster DNS and the service proxy. */
  private serviceInformer: Informer<Service & KubeObject>;
  /** Every EndpointSlice, when the cluster DNS or the service proxy needs them. */
  private sliceInformer: Informer<EndpointSlice & KubeObject> | undefined;
  private serviceProxy: NodeServiceProxy | undefined;
  private networkPolicy: NodeNetworkPolicy | undefined;
  private ingress: NodeIngressController | undefined;
  /** persistentVolumeClaim volumes of pods, and the cleanup of deleted local-path volumes. */
  private readonly claimVolumes: ClaimVolumeResolver;
  private readonly localPathCleaner: LocalPathCleaner;
  /** Node-pressure eviction and image GC, once the runtime is open. */
  private pressure: NodePressure | undefined;
  /** Pods the eviction manager's admission turned away (their Failed status may not be back yet). */
  private readonly rejected = new Set<string>();
  /** The pods of the manifest directory and their mirror pods (static-pods.ts). */
  private readonly staticPods: StaticPods | undefined;

  constructor(readonly client: ApiClient, readonly cfg: AgentConfig) {
    parseEvictionSettings(cfg.eviction); // bad settings fail here, before anything starts
    this.netReady = new Promise((r) => (this.resolveNet = r));
    this.podInformer = new Informer(client, Pods, { fieldSelector: `spec.nodeName=${cfg.nodeName}` });
    this.nodeInformer = new Informer(client, Nodes);
    this.claimVolumes = new ClaimVolumeResolver(client, this.localPathDir);
    this.localPathCleaner = new LocalPathCleaner(client, this.localPathDir);
    this.serviceInformer = new Informer<Service & KubeObject>(client, Services);
    if (cfg.podManifestPath) this.staticPods = this.makeStaticPods(cfg.podManifestPath);
    if (cfg.clusterDNS === 'serve' || cfg.serviceProxy || cfg.ingress) this.sliceInformer = new Informer<EndpointSlice & KubeObject>(client, EndpointSlices);
    if (cfg.ingress) this.ingress = new NodeIngressController(client, { listen: cfg.ingress, nodeIP: cfg.nodeIP, secretRefreshMs: cfg.apiVolumeSyncSec * 1000 }, { services: this.serviceInformer, slices: this.sliceInformer! });
    if (cfg.clusterDNS === 'serve') {
      const records = new ClusterRecords(cfg.clusterDomain);
      this.serviceInformer.on({ add: (s) => records.setService(s), update: (s) => records.setService(s), delete: (s) => records.deleteService(s) });
      this.sliceInformer!.on({ add: (e) => records.setSlice(e), update: (e) => records.setSlice(e), delete: (e) => records.deleteSlice(e) });
      this.dns = { records };
    }
  }

  get localPathDir(): string {
    return resolve(this.cfg.localPathDir ?? join(this.cfg.dataDir, 'storage'));
  }

  async start(): Promise<void> {
    const t0 = Date.now();
    this.runtime = await Runtime.open({ root: join(this.cfg.dataDir, 'runtime'), handlers: this.cfg.runtimeHandlers });
    if (this.cfg.importImages) {
      for (const n of await this.runtime.importImage(this.cfg.importImages).catch((e: Error) => (log.warn('image import failed', { dir: this.cfg.importImages, err: e.message }), []))) log.info('imported image', { image: n });
    }
    this.pressure = new NodePressure(this.cfg.eviction, {
      runtime: this.runtime,
      nodeName: this.cfg.nodeName,
      dataDir: this.cfg.dataDir,
      imageDir: join(this.cfg.dataDir, 'runtime'),
      podsDir: join(this.cfg.dataDir, 'pods'),
      activePods: () => [...this.workers.values()].filter((w) => !w.deleted && !w.failed && !w.pod.metadata?.deletionTimestamp && !['Succeeded', 'Failed'].includes(w.pod.status?.phase ?? '')).map((w) => w.pod),
      evict: (pod, message, grace) => this.workers.get(pod.metadata!.uid!)?.evict(message, grace) ?? Promise.resolve(),
      nodeEvent: (type, reason, message) => this.nodeEvent(type, reason, message),
      podEvent: (pod, type, reason, message) => this.event(pod, type, reason, message),
      conditionsChanged: () => void this.postNodeStatus(true).catch((e) => log.warn('node status failed', { err: e })),
    });
    // Static pods start from the node's own state, before (and without) the API.
    if (this.staticPods) await this.startStaticPods();
    await this.registerNode();
    this.nodeEvent('Normal', 'Starting', 'Starting kubelet.');
    this.pressure.announceConditions();
    this.nodeEvent('Normal', 'NodeReady', `Node ${this.cfg.nodeName} status is now: NodeReady`);
    await this.startIngress();
    this.timers.push(setInterval(() => void this.renewLease().catch((e) => log.warn('lease renewal failed', { err: e })), this.cfg.leaseRenewSec * 1000));
    await this.renewLease().catch((e) => log.warn('lease renewal failed', { err: e }));
    this.nodeInformer.on({ add: (n) => this.onNode(n), update: (n) => this.onNode(n), delete: () => void this.syncRoutes() });
    this.nodeInformer.start();
    this.podInformer.on({
      add: (p) => this.onPod(p),
      update: (p) => this.onPod(p),
      delete: (p) => {
        if (isMirrorPod(p)) return void this.staticPods?.mirrorDeleted(p);
        this.rejected.delete(p.metadata!.uid!);
        this.workers.get(p.metadata!.uid!)?.update(undefined);
      },
    });
    this.podInformer.start();
    this.serviceInformer.start();
    this.sliceInformer?.start();
    await Promise.all([this.podInformer.hasSynced(), this.nodeInformer.hasSynced()]);
    await this.cleanupOrphans();
    this.localPathCleaner.start();
    this.pressure.start();
    this.timers.push(setInterval(() => void this.relist().catch((e) => log.warn('relist failed', { err: e })), this.cfg.relistMs));
    this.timers.push(setInterval(() => void this.postNodeStatus().catch((e) => log.warn('node status failed', { err: e })), 10_000));
    log.info('node agent started', { node: this.cfg.nodeName, ip: this.cfg.nodeIP, pods: this.workers.size, startupMs: Date.now() - t0 });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.staticPods?.stop();
    this.podInformer.stop();
    this.nodeInformer.stop();
    this.serviceInformer.stop();
    this.sliceInformer?.stop();
    this.localPathCleaner.stop();
    this.pressure?.stop();
    await this.serviceProxy?.stop();
    await this.networkPolicy?.stop();
    this.ingress?.stop();
    await this.dns?.server?.stop();
    for (const w of this.workers.values()) w.stop();
  }

  private network(): Promise<NetworkPlugin> {
    return this.netReady;
  }

  private onNode(n: Node & KubeObject): void {
    if (n.metadata?.name === this.cfg.nodeName) {
      const cidr = this.cfg.podCIDR ?? n.spec?.podCIDR;
      if (cidr && !this.net) void this.initNetwork(cidr);
      // kubectl cordon / uncordon, announced as the kubelet does
      const unschedulable = n.spec?.unschedulable === true;
      if (unschedulable !== this.lastUnschedulable) {
        const reason = unschedulable ? 'NodeNotSchedulable' : 'NodeSchedulable';
        this.nodeEvent('Normal', reason, `Node ${this.cfg.nodeName} status is now: ${reason}`);
        this.lastUnschedulable = unschedulable;
      }
    }
    void this.syncRoutes();
  }

  private async initNetwork(podCIDR: string): Promise<void> {
    if (this.podCIDR) return;
    this.podCIDR = podCIDR;
    const net = new PodNetwork({ clusterCIDR: this.cfg.clusterCIDR, podCIDR, bridgeName: this.cfg.bridge, stateDir: join(this.cfg.dataDir, 'network'), nodeNetns: this.cfg.nodeNetns, chainPrefix: this.cfg.chainPrefix });
    for (;;) {
      try {
        await net.ensureNode();
        break;
      } catch (e) {
        log.error('pod network set-up failed; retrying', { err: e });
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
    this.net = net;
    await this.startDNS(net.gateway);
    this.resolveNet(net);
    log.info('pod network ready', { podCIDR, bridge: this.cfg.bridge });
    await this.startServiceProxy(net);
    await this.startNetworkPolicy(net);
    await this.syncRoutes();
    await this.postNodeStatus(true);
  }

  /**
   * The ingress controller listens (each port may fail alone), and the Node's annotation says
   * where, for the ingress status controller; without one (off, or no port bound) it is removed.
   */
  private async startIngress(): Promise<void> {
    const addresses = (await this.ingress?.start()) ?? [];
    const value = addresses.length ? addresses.join(',') : null;
    await this.client
      .patch(Nodes, undefined, this.cfg.nodeName, { metadata: { annotations: { [NODE_INGRESS_ADDRESSES]: value } } }, 'merge')
      .catch((e: Error) => log.warn('cannot record the ingress addresses on the Node', { err: e.message }));
    void this.ingress?.synced().catch((e: Error) => log.warn('ingress controller did not sync', { err: e.message }));
  }

  /** The service proxy writes into the node's chains (masquerade by its postrouting chain), so it starts after them. */
  private async startServiceProxy(net: PodNetwork): Promise<void> {
    if (this.stopped) return;
    if (!this.cfg.serviceProxy || !this.sliceInformer) {
      await removeServiceRules(net.nodeNetns, net.chainPrefix).catch((e: Error) => log.warn('removing service proxy rules', { err: e.message }));
      return;
    }
    this.serviceProxy = new NodeServiceProxy({ services: this.serviceInformer, slices: this.sliceInformer }, {
      clusterCIDR: net.clusterCIDR,
      nodeNetns: net.nodeNetns,
      chainPrefix: net.chainPrefix,
      nodeName: this.cfg.nodeName,
      health: new ServiceHealthServer(this.cfg.serviceHealthAddress || '0.0.0.0'),
    });
    // Not awaited: pods need not wait for services (the informers retry on their own).
    void this.serviceProxy.start().catch((e: Error) => log.error('service proxy start failed', { err: e.message }));
  }

  /** Policy chains hook in before the node's forward chain, so they start after it. */
  private async startNetworkPolicy(net: PodNetwork): Promise<void> {
    if (this.stopped) return;
    if (!this.cfg.networkPolicy) {
      await removeNetpolRules(net.nodeNetns, net.chainPrefix).catch((e: Error) => log.warn('removing network policy rules', { err: e.message }));
      return;
    }
    this.networkPolicy = new NodeNetworkPolicy(this.client, { nodeName: this.cfg.nodeName, nodeNetns: net.nodeNetns, chainPrefix: net.chainPrefix });
    // Not awaited, as the service proxy: the informers retry on their own.
    void this.networkPolicy.start().catch((e: Error) => log.error('network policy enforcement start failed', { err: e.message }));
  }

  private async syncRoutes(): Promise<void> {
    if (!this.net) return;
    const peers = this.nodeInformer
      .list()
      .filter((n) => n.metadata?.name !== this.cfg.nodeName && n.spec?.podCIDR)
      .map((n) => ({ nodeName: n.metadata!.name!, nodeIP: n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '', podCIDR: n.spec!.podCIDR! }))
      .filter((p) => p.nodeIP);
    await this.net.syncRoutes(peers).catch((e: Error) => log.warn('route sync failed', { err: e.message }));
  }

  private onPod(p: Pod & KubeObject): void {
    // (mirror pods stand for static pods in the API: never run as pods themselves)
    if (isMirrorPod(p)) return this.staticPods?.mirrorChanged(p);
    const uid = p.metadata!.uid!;
    let w = this.workers.get(uid);
    if (!w) {
      if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') {
        if (!p.metadata?.deletionTimestamp) return;
      }
      if (!p.metadata?.deletionTimestamp && !p.status?.startTime && this.rejectedByEviction(p)) return;
      w = new PodWorker(p, {
        runtime: this.runtime,
        podsDir: join(this.cfg.dataDir, 'pods'),
        network: () => this.network(),
        nodeName: this.cfg.nodeName,
        hostIP: this.cfg.nodeIP,
        dnsServers: () => this.dnsServers(),
        clusterDomain: this.cfg.clusterDomain,
        services: () => this.serviceInformer.list(),
        // (static pods do not wait for the Services, as the kubelet: they must start without the API)
        servicesSynced: () => (isStaticPod(p) ? Promise.resolve() : this.serviceInformer.hasSynced()),
        backoffBaseSec: this.cfg.backoffBaseSec,
        backoffMaxSec: this.cfg.backoffMaxSec,
        event: (pod, type, reason, message, container) => this.event(pod, type, reason, message, container),
        statusChanged: (wk) => void this.reportStatus(wk),
        confirmDeleted: (pod) => this.confirmDeleted(pod),
        getSource: (kind, namespace, name) => this.getSource(kind, namespace, name),
        serviceAccountToken: (pod, proj) => this.tokens.get(pod, proj),
        apiVolumeSyncMs: this.cfg.apiVolumeSyncSec * 1000,
        podAddressed: (pod, ip) => this.podAddressed(pod, ip),
        claimVolumes: this.claimVolumes,
        runtimeHandler: (name) => this.runtimeHandler(name),
        finished: (id) => {
          this.workers.delete(id);
          this.statusSent.delete(id);
          this.tokens.forgetPod(id);
          this.networkPolicy?.podGone(id);
        },
      });
      this.workers.set(uid, w);
    }
    w.update(p);
  }

  /** Changes the eviction and image GC settings of a running agent (the next passes use them); throws ThresholdError when one is bad. */
  setEvictionSettings(settings: EvictionSettings): void {
    parseEvictionSettings(settings);
    this.cfg.eviction = settings;
    this.pressure?.reconfigure(settings);
  }

  /**
   * The eviction manager's admission of a new pod: under pressure it fails (phase Failed, reason
   * Evicted) instead of starting, as the kubelet rejects it. True when rejected.
   */
  private rejectedByEviction(p: Pod & KubeObject): boolean {
    const uid = p.metadata!.uid!;
    if (this.rejected.has(uid)) return true;
    const message = this.pressure?.eviction.admit(p);
    if (!message) return false;
    this.rejected.add(uid);
    log.info('pod rejected under node pressure', { pod: `${p.metadata?.namespace}/${p.metadata?.name}`, message });
    this.event(p, 'Warning', 'Evicted', message);
    void this.client
      .patch(Pods, p.metadata!.namespace, p.metadata!.name!, { metadata: { uid }, status: { phase: 'Failed', reason: 'Evicted', message } }, 'strategic', 'status')
      .catch((e: Error) => log.warn('cannot record the rejection of a pod', { pod: `${p.metadata?.namespace}/${p.metadata?.name}`, err: e.message }));
    return true;
  }

  private makeStaticPods(dir: string): StaticPods {
    return new StaticPods({
      client: this.client,
      nodeName: this.cfg.nodeName,
      dir,
      run: (uid, pod) => (pod ? this.onPod(pod as Pod & KubeObject) : this.workers.get(uid)?.update(undefined)),
      apiPod: (ns, name) => this.podInformer.get(`${ns}/${name}`),
      apiPods: () => this.podInformer.list(),
      apiSynced: () => this.podInformer.hasSynced(),
      nodeUid: () => this.nodeInformer.get(this.cfg.nodeName)?.metadata?.uid,
      mirrorCreated: (uid) => {
        this.statusSent.delete(uid);
        const w = this.workers.get(uid);
        if (w) void this.reportStatus(w);
      },
    });
  }

  /** With a podCIDR of its own the pod network needs no API either; then the manifests' pods start. */
  private async startStaticPods(): Promise<void> {
    if (this.cfg.podCIDR) void this.initNetwork(this.cfg.podCIDR).catch((e: Error) => log.warn('pod network set-up: node status not posted', { err: e.message }));
    await this.staticPods!.start();
  }

  /** A pod's containers wait (at most 5 s) for the network policy rules that know its address. */
  private async podAddressed(pod: Pod, ip: string): Promise<void> {
    if (!this.networkPolicy) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((r) => (timer = setTimeout(() => (log.warn('network policy rules for a new pod not written within 5 s; starting it anyway', { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}` }), r()), 5000)));
    await Promise.race([this.networkPolicy.podAddressed(pod as Pod & KubeObject, ip).catch((e: Error) => log.warn('network policy rules for a new pod', { err: e.message })), late]).finally(() => clearTimeout(timer));
  }

  /** A RuntimeClass's handler, read when a pod's sandbox is made (a missing class: the kubelet's NotFound words). */
  private async runtimeHandler(name: string): Promise<string> {
    try {
      const rc = (await this.client.get(RuntimeClasses, undefined, name)) as { handler?: string };
      return rc.handler ?? '';
    } catch (e) {
      if (e instanceof StatusError && e.code === 404) throw new Error(`runtimeclass.node.k8s.io "${name}" not found`, { cause: e });
      throw e;
    }
  }

  /** A ConfigMap or Secret a pod of this node refers to; undefined when it does not exist (answers shared for a second: see SourceCache). */
  private getSource(kind: SourceKind, namespace: string, name: string): Promise<KubeObject | undefined> {
    return this.sourceCache.get(`${kind}/${namespace}/${name}`, async () => {
      try {
        return await this.client.get(core(kind), namespace, name);
      } catch (e) {
        if (e instanceof StatusError && e.code === 404) return undefined;
        throw e;
      }
    });
  }


  /**
   * Serves the cluster DNS on the bridge's gateway, port 53, forwarding other names to the
   * node's resolvers. When the port cannot be had (another DNS server holds it), pods get the
   * node's resolvers instead, and the agent says so.
   */
  private async startDNS(gateway: string): Promise<void> {
    if (!this.dns || this.cfg.nodeNetns) return;
    const server = new DnsServer(this.dns.records, { host: gateway, port: 53, upstreams: nodeResolvers() });
    try {
      await server.start();
      this.dns.server = server;
    } catch (e) {
      log.warn('cannot serve the cluster DNS; pods get the node\'s resolvers', { address: `${gateway}:53`, err: (e as Error).message });
    }
  }

  /** The nameservers of ClusterFirst pods (see AgentConfig.clusterDNS). */
  private dnsServers(): string[] {
    if (Array.isArray(this.cfg.clusterDNS)) return this.cfg.clusterDNS;
    if (this.dns?.server && this.net) return [this.net.gateway];
    // Pods cannot reach the node's loopback resolvers (systemd-resolved's 127.0.0.53).
    return nodeResolvers().filter((s) => !s.startsWith('127.'));
  }

  /** PLEG: relist the runtime; a pod whose containers changed state is synced again. */
  private lastStates = new Map<string, string>();
  private async relist(): Promise<void> {
    if (this.stopped) return;
    const containers = await this.runtime.listContainers();
    const byPod = new Map<string, string[]>();
    let running = 0;
    for (const c of containers) {
      const uid = c.labels[podUidLabel];
      if (!uid) continue;
      if (c.state === ContainerState.Running) running++;
      const list = byPod.get(uid) ?? [];
      list.push(`${c.id}:${c.state}`);
      byPod.set(uid, list);
    }
    for (const [uid, states] of byPod) {
      const sig = states.sort().join(',');
      if (this.lastStates.get(uid) !== sig) {
        this.lastStates.set(uid, sig);
        this.workers.get(uid)?.kick();
      }
    }
    for (const uid of this.lastStates.keys()) if (!byPod.has(uid)) this.lastStates.delete(uid);
    runningContainers.set(running);
    runningPods.set((await this.runtime.listPodSandbox()).filter((s) => s.state === 'SANDBOX_READY').length);
  }

  /** Sandboxes of pods the API no longer binds here (deleted while we were down) are removed. */
  private async cleanupOrphans(): Promise<void> {
    const known = new Set([...this.podInformer.list().map((p) => p.metadata!.uid!), ...this.workers.keys()]);
    const sandboxes = await this.runtime.listPodSandbox();
    const orphanUids = new Set(sandboxes.map((s) => s.labels[podUidLabel]).filter((u): u is string => !!u && !known.has(u)));
    for (const uid of orphanUids) {
      const s = sandboxes.find((x) => x.labels[podUidLabel] === uid)!;
      log.info('removing the sandbox of a pod deleted meanwhile', { pod: `${s.metadata.namespace}/${s.metadata.name}`, uid });
      const w = new PodWorker({ metadata: { uid, name: s.metadata.name, namespace: s.metadata.namespace } } as Pod, {
        runtime: this.runtime,
        podsDir: join(this.cfg.dataDir, 'pods'),
        network: () => this.network(),
        nodeName: this.cfg.nodeName,
        hostIP: this.cfg.nodeIP,
        dnsServers: () => [],
        backoffBaseSec: 10,
        backoffMaxSec: 300,
        event: () => {},
        statusChanged: () => {},
        confirmDeleted: async () => {},
        getSource: async () => undefined,
        serviceAccountToken: async () => '',
        apiVolumeSyncMs: 60_000,
        finished: () => {},
      });
      // Stop what still runs, then tear down.
      for (const c of await this.runtime.listContainers({ labelSelector: { [podUidLabel]: uid } })) await this.runtime.stopContainer(c.id, 0).catch(() => {});
      if (this.net || !this.cfg.podCIDR) {
        await Promise.race([w.teardown(), new Promise((r) => setTimeout(r, 30_000))]);
      } else await w.teardown();
    }
    if (this.net) await this.net.gc((await this.runtime.listPodSandbox()).map((s) => s.id)).catch(() => {});
  }

  /** Status patches, coalesced per pod: one in flight, the latest wins, unchanged ones skipped. */
  private async reportStatus(w: PodWorker): Promise<void> {
    const uid = w.uid;
    if (this.statusInFlight.has(uid)) {
      this.statusPending.add(uid);
      return;
    }
    if (w.deleted || w.pod.metadata?.deletionTimestamp) return;
    // (a static pod's status goes to its mirror pod, once there is one)
    const target = isStaticPod(w.pod) ? this.staticPods?.statusTarget(uid) : uid;
    if (!target) return;
    const status = computeStatus(w, this.cfg.nodeIP);
    const text = JSON.stringify(status, (k, v) => (k === 'lastTransitionTime' || k === 'lastProbeTime' ? undefined : v));
    if (this.statusSent.get(uid) === text) return;
    this.statusInFlight.add(uid);
    try {
      // podIPs and hostIPs merge by ip in a strategic merge patch: a pod whose sandbox was made
      // anew (after a reboot) has a new address, which must replace the old, not join it.
      const patch = { ...status, ...replaceList(status, 'podIPs'), ...replaceList(status, 'hostIPs') };
      await this.client.patch(Pods, w.pod.metadata!.namespace, w.pod.metadata!.name!, { metadata: { uid: target }, status: patch }, 'strategic', 'status');
      this.statusSent.set(uid, text);
    } catch (e) {
      if (!(e instanceof StatusError && (e.code === 404 || e.code === 409))) log.warn('status update failed', { pod: w.key, err: e });
    } finally {
      this.statusInFlight.delete(uid);
      if (this.statusPending.delete(uid)) void this.reportStatus(w);
    }
  }

  private async confirmDeleted(pod: Pod): Promise<void> {
    try {
      await this.client.delete(Pods, pod.metadata!.namespace, pod.metadata!.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata!.uid } });
    } catch (e) {
      if (!(e instanceof StatusError && (e.code === 404 || e.code === 409))) throw e;
    }
  }

  /** Events go to one writer with a bounded queue, as the kubelet's event broadcaster (see EventSink). */
  private event(pod: Pod, type: string, reason: string, message: string, container?: string): void {
    const fieldPath = container ? containerFieldPath(pod, container) : undefined;
    this.events.enqueue(() => recordEvent(this.client, pod as KubeObject, { component: 'kubelet', host: this.cfg.nodeName }, type, reason, message, fieldPath));
  }

  /** Events about the Node itself (kind Node, uid its name, as the kubelet's node reference). */
  private nodeEvent(type: string, reason: string, message: string): void {
    const ref = { apiVersion: 'v1', kind: 'Node', metadata: { name: this.cfg.nodeName, uid: this.cfg.nodeName } } as KubeObject;
    this.events.enqueue(() => recordEvent(this.client, ref, { component: 'kubelet', host: this.cfg.nodeName }, type, reason, message));
  }

  // ---- the Node ----

  private nodeStatus(): Record<string, unknown> {
    const res = nodeResources(totalmem(), this.cfg.dataDir, this.pressure);
    const cap = { cpu: String(cpus().length), pods: String(this.cfg.maxPods), ...res.capacity };
    const allocatable = { ...cap, ...res.allocatable };
    const t = now3339();
    // lastTransitionTime moves only when the status changes, as the kubelet's condition setters
    // keep it (from the Node as stored, after a restart of the agent)
    const stored = this.registered?.status?.conditions;
    const cond = (type: string, status: string, reason: string, message: string) => {
      const known = stored?.find((c) => c.type === type);
      const prev = this.conditionSince.get(type) ?? (known?.lastTransitionTime ? { status: known.status, since: known.lastTransitionTime } : undefined);
      const since = prev?.status === status ? prev.since : t;
      this.conditionSince.set(type, { status, since });
      return { type, status, reason, message, lastHeartbeatTime: t, lastTransitionTime: since };
    };
    return {
      capacity: cap,
      allocatable,
      conditions: [
        ...(this.pressure?.statusConditions(t) ?? []),
        cond('NetworkUnavailable', this.net ? 'False' : 'True', this.net ? 'RouteCreated' : 'NoRouteCreated', this.net ? 'the pod network is set up' : 'waiting for a podCIDR'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: this.cfg.nodeIP },
        { type: 'Hostname', address: this.cfg.nodeName },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: this.cfg.port } },
      nodeInfo: {
        machineID: readFileSync('/etc/machine-id', 'utf8').trim(),
        systemUUID: '',
        bootID: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
        kernelVersion: release(),
        osImage: osImage(),
        containerRuntimeVersion: 'runc://1.1.5',
        kubeletVersion: 'v1.32.0-tskube',
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: process.arch === 'x64' ? 'amd64' : process.arch,
      },
    };
  }

  private async registerNode(): Promise<void> {
    const labels = { 'kubernetes.io/hostname': this.cfg.nodeName, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch, ...this.cfg.labels };
    const annotations = { [ANN_NODE_LOCAL_PATH_DIR]: this.localPathDir };
    const body = { apiVersion: 'v1', kind: 'Node', metadata: { name: this.cfg.nodeName, labels, annotations }, spec: { ...(this.cfg.podCIDR ? { podCIDR: this.cfg.podCIDR, podCIDRs: [this.cfg.podCIDR] } : {}), ...(this.cfg.taints.length ? { taints: this.cfg.taints } : {}) }, status: this.nodeStatus() };
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.create(Nodes, undefined, body);
        log.info('registered node', { node: this.cfg.nodeName });
        break;
      } catch (e) {
        if (e instanceof StatusError && e.code === 409) {
          // Registered before (a restart): its conditions keep their transition times.
          this.registered = (await this.client.patch(Nodes, undefined, this.cfg.nodeName, { metadata: { labels, annotations } }, 'merge')) as Node & KubeObject;
          this.conditionSince.clear();
          break;
        }
        // (with static pods the agent keeps trying: they run meanwhile, as the kubelet's)
        if ((attempt > 30 && !this.staticPods) || this.stopped) throw e;
        log.warn('node registration failed; retrying', { err: e });
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    await this.postNodeStatus(true);
  }

  private async postNodeStatus(force = false): Promise<void> {
    const status = this.nodeStatus();
    const sig = JSON.stringify(status, (k, v) => (k === 'lastHeartbeatTime' || k === 'lastTransitionTime' ? undefined : v));
    if (!force && sig === this.lastNodeStatus && Date.now() - this.lastNodeStatusAt < this.cfg.statusReportSec * 1000) return;
    await this.client.patch(Nodes, undefined, this.cfg.nodeName, { status }, 'strategic', 'status');
    this.lastNodeStatus = sig;
    this.lastNodeStatusAt = Date.now();
  }

  private async renewLease(): Promise<void> {
    const ns = 'kube-node-lease';
    const name = this.cfg.nodeName;
    try {
      const l = await this.client.get(Leases, ns, name);
      await this.client.update(Leases, ns, name, { ...l, spec: { ...(l.spec as object), holderIdentity: name, leaseDurationSeconds: this.cfg.leaseDurationSec, renewTime: micro() } });
    } catch (e) {
      if (!(e instanceof StatusError && e.code === 404)) throw e;
      await this.client.create(Leases, ns, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: ns }, spec: { holderIdentity: name, leaseDurationSeconds: this.cfg.leaseDurationSec, renewTime: micro() } });
    }
    // If the controller marked us Unknown meanwhile, say we are Ready again.
    const me = this.nodeInformer.get(name);
    const ready = me?.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready && ready.status !== 'True') {
      await this.postNodeStatus(true);
      this.nodeEvent('Normal', 'NodeReady', `Node ${name} status is now: NodeReady`);
    }
  }
}

/** Where a container's events point inside its pod, as the kubelet's container references do: `spec.containers{app}`. */
export function containerFieldPath(pod: Pod, name: string): string {
  const spec = pod.spec;
  if (spec?.initContainers?.some((c) => c.name === name)) return `spec.initContainers{${name}}`;
  if (spec?.ephemeralContainers?.some((c) => c.name === name)) return `spec.ephemeralContainers{${name}}`;
  return `spec.containers{${name}}`;
}

export const defaultNodeName = () => hostname().toLowerCase();
