// The node agent: registers its Node and renews its Lease (agent-node-status.ts), watches the
// pods bound to it and runs each through a pod worker, relists the runtime to repair drift
// (agent-pleg.ts), reports their status as coalesced patches (agent-pod-status.ts), brings up the
// pod network with the cluster DNS, service proxy and network policy (agent-network.ts), removes
// the sandboxes of pods deleted while it was down (agent-orphans.ts), runs static pods, admits
// and evicts pods under node pressure, mounts the volumes of pods' claims and removes deleted
// local-path volumes. (server.ts serves logs, exec and metrics.)
import { join, resolve } from 'node:path';
import { podQOSClass } from '../api/defaults.js';
import { initializeCSINodeWithRetries } from './csi-node.js';
import { forbiddenSysctl } from './sysctls.js';
import type { EndpointSlice, KubeObject, Namespace, Node, Pod, Service } from '../api/types.js';
import { recordEvent } from '../client/events.js';
import { EventSink } from '../client/event-sink.js';
import { Informer } from '../client/informer.js';
import type { ApiClient } from '../client/api-client.js';
import { core, EndpointSlices, isNotFound, Namespaces, Nodes, Pods, RuntimeClasses, ServiceAccounts, Services } from '../client/rest-client.js';
import { SourceCache } from './source-cache.js';
import { TokenManager } from './token-manager.js';
import type { SourceKind } from './config-sources.js';
import { Runtime } from '../runtime/runtime.js';
import { logger } from '../util/log.js';
import { PodWorker } from './pod-worker.js';
import { NodeIngressController } from './ingress-controller.js';
import { NODE_INGRESS_ADDRESSES } from '../api/ingress-class.js';
import { ClaimVolumeResolver } from './claim-volumes.js';
import { LocalPathCleaner } from './local-path-cleaner.js';
import { NodePressure } from './node-pressure.js';
import { parseEvictionSettings, type EvictionSettings } from './eviction-thresholds.js';
import { StaticPods } from './static-pods.js';
import { isMirrorPod, isStaticPod } from './static-pod-manifest.js';
import { servesClusterDNS, type AgentConfig } from './agent-config.js';
import { NodeNetwork } from './agent-network.js';
import { NodeStatusManager } from './agent-node-status.js';
import { removeOrphanSandboxes } from './agent-orphans.js';
import { Pleg } from './agent-pleg.js';
import { recordRestartedPods, setNodeName } from './metrics.js';
import { PodStatusManager } from './agent-pod-status.js';
import { isPodTerminal } from '../api/pod-phase.js';
import { admitPredicates, type AdmitFailure } from './admit-predicates.js';
import { podsToPreempt, PreemptionError, PREEMPT_DISRUPTION_MESSAGE, PREEMPT_MESSAGE, PREEMPT_REASON, type Requirement } from './critical-preemption.js';
import { QOSCgroups } from './qos-cgroups.js';
import { enforceReservedCgroups } from './reserved-cgroups.js';
import { podCgroupPath } from '../runtime/cgroups.js';
import { podsCgroupReservation } from './node-allocatable.js';
import { parseQuantity } from '../api/quantity.js';
import { leaseRenewIntervalMs } from './node-status-settings.js';

export { defaultAgentConfig, defaultNodeName, type AgentConfig } from './agent-config.js';

const log = logger('nodeagent');
/** How often the status of each pod in the API is checked against the one the agent last wrote (the kubelet status manager's syncPeriod). */
const STATUS_RECONCILE_MS = 10_000;
/**
 * How long stop() waits for the syncs under way to end (each ends at its next step; one blocked
 * past this on something that will not come is left, with a warning).
 */
const WORKER_STOP_WAIT_MS = 10_000;

export class NodeAgent {
  /** spec.unschedulable as last announced (NodeNotSchedulable / NodeSchedulable events). */
  private lastUnschedulable = false;
  runtime!: Runtime;
  readonly workers = new Map<string, PodWorker>();
  private readonly events = new EventSink();
  private readonly sourceCache = new SourceCache<KubeObject | undefined>(1000);
  private podInformer: Informer<Pod & KubeObject>;
  private nodeInformer: Informer<Node & KubeObject>;
  private timers: NodeJS.Timeout[] = [];
  /** Service account tokens of the pods' projected volumes (TokenRequests bound to each pod). */
  private readonly tokens = new TokenManager((ns, sa, req) => this.client.createSubresource(ServiceAccounts, ns, sa, 'token', req));
  private stopped = false;
  private halt!: (e: Error) => void;
  /** Rejects once the agent stops: ends the workers' waits for what a stopped agent will never give them (the pod network, the Services). */
  private readonly halted = new Promise<never>((_, reject) => (this.halt = reject));
  /** Every Service: for the containers' service variables, the cluster DNS and the service proxy. */
  private serviceInformer: Informer<Service & KubeObject>;
  /** Every EndpointSlice, when the cluster DNS or the service proxy needs them. */
  private sliceInformer: Informer<EndpointSlice & KubeObject> | undefined;
  /**
   * Every Namespace, when the agent serves the cluster DNS: CoreDNS's kubernetes plugin lists and
   * watches them (its system:coredns ClusterRole) to tell a missing namespace from an empty one.
   */
  private namespaceInformer: Informer<Namespace & KubeObject> | undefined;
  /** The pod network, the cluster DNS, the service proxy and network policy enforcement. */
  private readonly net: NodeNetwork;
  private ingress: NodeIngressController | undefined;
  /** The Node and its Lease. */
  private readonly nodeStatus: NodeStatusManager;
  /** The pods' status patches and final deletions. */
  private readonly podStatus: PodStatusManager;
  private readonly pleg = new Pleg({ listContainers: (f) => this.runtime.listContainers(f), listPodSandbox: (f) => this.runtime.listPodSandbox(f) }, (uid) => this.workers.get(uid)?.kick());
  /** persistentVolumeClaim volumes of pods, and the cleanup of deleted local-path volumes. */
  private readonly claimVolumes: ClaimVolumeResolver;
  private readonly localPathCleaner: LocalPathCleaner;
  /** Node-pressure eviction and image GC, once the runtime is open. */
  private pressure: NodePressure | undefined;
  /** Pods the eviction manager's admission turned away (their Failed status may not be back yet). */
  private readonly rejected = new Set<string>();
  /** The critical pods admitted by preemption, with the evictions of their victims their workers wait for (preemptFor). */
  private readonly preempting = new Map<string, Promise<unknown>>();
  /**
   * Pods torn down after their deletion that the API still has (a finalizer holds them), by UID:
   * their updates start no new worker, as the kubelet's pod workers ignore a finished pod until it
   * leaves the API (a new worker would find nothing and write their status again).
   */
  private readonly terminatedPods = new Set<string>();
  /** The pods of the manifest directory and their mirror pods (static-pods.ts). */
  private readonly staticPods: StaticPods | undefined;
  /** The pods cgroup, limited to node allocatable, and its QoS tiers (qos-cgroups.ts). */
  readonly qosCgroups: QOSCgroups;

  constructor(readonly client: ApiClient, readonly cfg: AgentConfig) {
    parseEvictionSettings(cfg.eviction); // bad settings fail here, before anything starts
    this.podInformer = new Informer(client, Pods, { fieldSelector: `spec.nodeName=${cfg.nodeName}` });
    this.nodeInformer = new Informer(client, Nodes);
    this.claimVolumes = new ClaimVolumeResolver(client, this.localPathDir);
    this.localPathCleaner = new LocalPathCleaner(client, this.localPathDir);
    this.serviceInformer = new Informer<Service & KubeObject>(client, Services);
    if (cfg.podManifestPath) this.staticPods = this.makeStaticPods(cfg.podManifestPath);
    if (servesClusterDNS(cfg) || cfg.serviceProxy || cfg.ingress) this.sliceInformer = new Informer<EndpointSlice & KubeObject>(client, EndpointSlices);
    if (servesClusterDNS(cfg)) this.namespaceInformer = new Informer<Namespace & KubeObject>(client, Namespaces);
    if (cfg.ingress) this.ingress = new NodeIngressController(client, { listen: cfg.ingress, nodeIP: cfg.nodeIP, secretRefreshMs: cfg.apiVolumeSyncSec * 1000, dnsServers: () => this.clusterDNSServers(), serversTransport: cfg.ingressServersTransport }, { services: this.serviceInformer, slices: this.sliceInformer! });
    this.net = new NodeNetwork(cfg, {
      client,
      nodes: () => this.nodeInformer.list(),
      services: this.serviceInformer,
      slices: this.sliceInformer,
      namespaces: this.namespaceInformer,
      stopped: () => this.stopped,
      ready: () => this.nodeStatus.post(true),
    });
    this.nodeStatus = new NodeStatusManager(client, cfg, {
      localPathDir: this.localPathDir,
      pressure: () => this.pressure,
      networkReady: () => this.net.up,
      node: () => this.nodeInformer.get(cfg.nodeName),
      stopped: () => this.stopped,
      nodeEvent: (type, reason, message) => this.nodeEvent(type, reason, message),
      // (the kubelet's closeAllConns: every connection of its API client, watches included)
      onRepeatedHeartbeatFailure: () => client.closeAllConnections?.(),
    });
    this.qosCgroups = new QOSCgroups(cfg.cgroupRoot || '/tskube', {
      capacity: () => {
        const cap = this.nodeStatus.resources().capacity;
        return { milliCPU: parseQuantity(cap.cpu ?? '0') * 1000, memoryBytes: parseQuantity(cap.memory ?? '0') };
      },
      reserved: () => podsCgroupReservation(cfg),
      // (the kubelet's activePods: terminating pods count until their worker is done, ended ones do not)
      activePods: () => [...this.workers.values()].filter((w) => !w.failed && (!isPodTerminal(w.pod) || w.deleted || !!w.pod.metadata?.deletionTimestamp)).map((w) => w.pod),
      nodeEvent: (type, reason, message) => this.nodeEvent(type, reason, message),
    });
    // (a static pod's status goes to its mirror pod, once there is one)
    this.podStatus = new PodStatusManager(client, cfg.nodeIP, (pod, uid) => (isStaticPod(pod) ? this.staticPods?.statusTarget(uid) : uid));
  }

  get localPathDir(): string {
    return resolve(this.cfg.localPathDir ?? join(this.cfg.dataDir, 'storage'));
  }

  async start(): Promise<void> {
    const t0 = Date.now();
    setNodeName(this.cfg.nodeName);
    this.runtime = await Runtime.open({ root: join(this.cfg.dataDir, 'runtime'), handlers: this.cfg.runtimeHandlers });
    this.assertRunning();
    if (this.cfg.importImages) {
      for (const n of await this.runtime.importImage(this.cfg.importImages).catch((e: Error) => (log.warn('image import failed', { dir: this.cfg.importImages, err: e.message }), []))) log.info('imported image', { image: n });
    }
    // The pods cgroup and its QoS tiers before any pod (static ones included) is made.
    await this.qosCgroups.start(join(this.cfg.dataDir, 'runtime'));
    this.assertRunning();
    // (then the reserved cgroups' limits: a failure stops the agent, as it stops the kubelet's container manager)
    const reservedEvents: [type: 'Normal' | 'Warning', reason: string, message: string][] = [];
    await enforceReservedCgroups(this.cfg, (type, reason, message) => (type === 'Warning' ? this.nodeEvent(type, reason, message) : void reservedEvents.push([type, reason, message])));
    this.assertRunning();
    this.pressure = new NodePressure(this.cfg.eviction, {
      runtime: this.runtime,
      nodeName: this.cfg.nodeName,
      dataDir: this.cfg.dataDir,
      imageDir: join(this.cfg.dataDir, 'runtime'),
      podsDir: join(this.cfg.dataDir, 'pods'),
      activePods: () => [...this.workers.values()].filter((w) => !w.deleted && !w.failed && !w.pod.metadata?.deletionTimestamp && !isPodTerminal(w.pod)).map((w) => w.pod),
      evict: (pod, message, grace, disruptionTarget) => this.workers.get(pod.metadata!.uid!)?.evict(message, grace, 'Evicted', disruptionTarget ? message : null) ?? Promise.resolve(),
      gcPods: () => this.workers.values(),
      nodeEvent: (type, reason, message) => this.nodeEvent(type, reason, message),
      podEvent: (pod, type, reason, message) => this.event(pod, type, reason, message),
      conditionsChanged: () => void this.nodeStatus.post(true).catch((e) => log.warn('node status failed', { err: e })),
    });
    // Static pods start from the node's own state, before (and without) the API.
    if (this.staticPods) await this.startStaticPods();
    this.assertRunning();
    await this.nodeStatus.register();
    // (the kubelet's CSI volume plugin: the node's CSINode, once its Node exists)
    void initializeCSINodeWithRetries(this.client, this.cfg.nodeName, () => this.stopped, (msg, fields) => log.warn(msg, fields));
    this.nodeEvent('Normal', 'Starting', 'Starting kubelet.');
    this.pressure.announceConditions();
    this.qosCgroups.announce();
    for (const [type, reason, message] of reservedEvents) this.nodeEvent(type, reason, message);
    this.nodeEvent('Normal', 'NodeReady', `Node ${this.cfg.nodeName} status is now: NodeReady`);
    await this.startIngress();
    // (an ingress controller that began listening after stop() stopped it is stopped again)
    if (this.stopped) this.ingress?.stop();
    this.assertRunning();
    this.timers.push(setInterval(() => void this.nodeStatus.renewLease().catch((e) => log.warn('lease renewal failed', { err: e })), leaseRenewIntervalMs(this.cfg.leaseDurationSec)));
    await this.nodeStatus.renewLease().catch((e) => log.warn('lease renewal failed', { err: e }));
    this.assertRunning();
    this.nodeInformer.on({ add: (n) => this.onNode(n), update: (n) => this.onNode(n), delete: () => void this.net.syncRoutes() });
    this.nodeInformer.start();
    this.podInformer.on({
      add: (p) => this.onPod(p),
      update: (p) => this.onPod(p),
      delete: (p) => {
        if (isMirrorPod(p)) return void this.staticPods?.mirrorDeleted(p);
        this.rejected.delete(p.metadata!.uid!);
        this.terminatedPods.delete(p.metadata!.uid!);
        this.workers.get(p.metadata!.uid!)?.update(undefined);
      },
    });
    this.podInformer.start();
    this.serviceInformer.start();
    this.sliceInformer?.start();
    this.namespaceInformer?.start();
    // (a stopped informer never syncs: the stop ends this wait)
    await this.unlessStopped(Promise.all([this.podInformer.hasSynced(), this.nodeInformer.hasSynced()]));
    await this.cleanupOrphans();
    this.assertRunning();
    // (then the pod cgroups no sandbox has, and an earlier --cgroup-root's pods cgroup once empty)
    const sandboxCgroups = new Set((await this.runtime.listPodSandbox()).map((s) => s.cgroupParent));
    await this.qosCgroups.removeOrphanPodCgroups(sandboxCgroups, () => [...this.workers.keys(), ...this.podInformer.list().map((p) => p.metadata!.uid!)]);
    await this.qosCgroups.removeStale();
    this.assertRunning();
    this.localPathCleaner.start();
    this.pressure.start();
    this.timers.push(setInterval(() => void this.relist().catch((e) => log.warn('relist failed', { err: e })), this.cfg.relistMs));
    // (the kubelet's housekeeping adds its restart counts from its first pass on: both series at 0)
    recordRestartedPods(0);
    // (every nodeStatusUpdateFrequency; a zero or negative one, which the kubelet would spin on, every 100 ms)
    this.timers.push(setInterval(() => void this.nodeStatus.post().catch((e) => log.warn('node status failed', { err: e })), Math.max(this.cfg.statusUpdateSec * 1000, 100)));
    this.timers.push(setInterval(() => this.podStatus.reconcile(this.workers.values()), STATUS_RECONCILE_MS));
    log.info('node agent started', { node: this.cfg.nodeName, ip: this.cfg.nodeIP, pods: this.workers.size, startupMs: Date.now() - t0 });
  }

  /**
   * Throws once stop() has been called: start() goes no further than the step under way when it
   * came, so that no informer, interval or listener starts after stop() has stopped them.
   */
  private assertRunning(): void {
    if (this.stopped) throw new Error('the node agent has stopped');
  }

  /** The cluster DNS servers ClusterFirst pods are given (none when the agent gives them the node's resolvers). */
  clusterDNSServers(): string[] {
    return this.cfg.clusterDNS === 'none' ? [] : this.net.dnsServers();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.halted.catch(() => {});
    this.halt(new Error('the node agent has stopped'));
    for (const t of this.timers) clearInterval(t);
    // The workers first: the syncs under way end, and nothing of a pod (its QoS tier, its cgroup,
    // its sandbox) is made once stop() has returned, when a clean-up of the node may follow.
    const workers = this.stopWorkers();
    this.staticPods?.stop();
    this.podInformer.stop();
    this.podStatus.stop();
    this.nodeInformer.stop();
    this.serviceInformer.stop();
    this.sliceInformer?.stop();
    this.namespaceInformer?.stop();
    this.localPathCleaner.stop();
    this.pressure?.stop();
    await workers;
    await this.qosCgroups.stop();
    this.ingress?.stop();
    await this.net.stop();
  }

  private async stopWorkers(): Promise<void> {
    const syncing = new Set<string>();
    const ends = [...this.workers.values()].map((w) => {
      syncing.add(w.key);
      return w.stop().finally(() => syncing.delete(w.key));
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, WORKER_STOP_WAIT_MS)));
    await Promise.race([Promise.all(ends), late]);
    clearTimeout(timer);
    if (syncing.size) log.warn('pod workers still syncing after the node agent stopped', { pods: [...syncing] });
  }

  /** What the workers wait for, or a rejection once the agent has stopped. */
  private unlessStopped<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.halted]);
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

  private onPod(p: Pod & KubeObject): void {
    if (this.stopped) return;
    // (mirror pods stand for static pods in the API: never run as pods themselves; without a
    // manifest directory there is no static pod behind one, and the kubelet deletes such orphans)
    if (isMirrorPod(p)) return this.staticPods ? this.staticPods.mirrorChanged(p) : void this.podStatus.confirmDeleted(p).catch((e: Error) => log.warn('deleting an orphaned mirror pod failed', { pod: `${p.metadata?.namespace}/${p.metadata?.name}`, err: e.message }));
    const uid = p.metadata!.uid!;
    const w = this.workers.get(uid);
    if (!w) {
      if (this.terminatedPods.has(uid)) return;
      if (isPodTerminal(p) && !p.metadata?.deletionTimestamp) {
        // A pod that has ended gets a worker too (it ended before this agent started, or after
        // the agent last saw it): it stops what may still run of the pod, releases its sandbox
        // and reports its containers' last states. One that never started (rejected at
        // admission) has nothing on the node.
        if (this.rejected.has(uid) || !p.status?.startTime) return;
      } else if (!p.metadata?.deletionTimestamp && !p.status?.startTime && this.rejectedAtAdmission(p)) return;
      const worker: PodWorker = new PodWorker(p, {
        runtime: this.runtime,
        podsDir: join(this.cfg.dataDir, 'pods'),
        network: () => this.unlessStopped(this.net.plugin()),
        nodeName: this.cfg.nodeName,
        hostIP: this.cfg.nodeIP,
        nodeAllocatable: () => this.nodeStatus.resources().allocatable,
        dnsServers: () => this.net.dnsServers(),
        clusterDomain: this.cfg.clusterDomain,
        services: () => this.serviceInformer.list(),
        // (static pods do not wait for the Services, as the kubelet: they must start without the API)
        servicesSynced: () => (isStaticPod(p) ? Promise.resolve() : this.unlessStopped(this.serviceInformer.hasSynced())),
        backoffBaseSec: this.cfg.backoffBaseSec,
        backoffMaxSec: this.cfg.backoffMaxSec,
        event: (pod, type, reason, message, container) => this.event(pod, type, reason, message, container),
        statusChanged: () => void this.podStatus.report(worker),
        reportTerminal: () => this.podStatus.reportTerminal(worker),
        confirmDeleted: (pod) => this.podStatus.confirmDeleted(pod),
        getSource: (kind, namespace, name) => this.getSource(kind, namespace, name),
        serviceAccountToken: (pod, proj) => this.tokens.get(pod, proj),
        apiVolumeSyncMs: this.cfg.apiVolumeSyncSec * 1000,
        podAddressed: (pod, ip) => this.net.podAddressed(pod, ip),
        claimVolumes: this.claimVolumes,
        runtimeHandler: (name) => this.runtimeHandler(name),
        // (UpdateQOSCgroups before the pod cgroup is made; a failure there does not hold the pod)
        podCgroupParent: async (pod) => {
          await this.qosCgroups.update().catch((e: Error) => log.warn('updating the QoS cgroups failed', { err: e.message }));
          return this.qosCgroups.parentOf(pod);
        },
        podCgroupPath: (pod) => podCgroupPath(this.qosCgroups.parentOf(pod), pod.metadata!.uid!),
        finished: (id) => {
          this.workers.delete(id);
          if (!worker.deleted) this.terminatedPods.add(id);
          this.podStatus.forget(id);
          this.tokens.forgetPod(id);
          this.net.podGone(id);
        },
      });
      this.workers.set(uid, worker);
      const preempted = this.preempting.get(uid);
      if (preempted) {
        this.preempting.delete(uid);
        worker.admitAfter(preempted);
      }
      return worker.kick();
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
   * The admission of a new pod, as the kubelet's admit handlers: node pressure fails it (the
   * eviction manager's, reason Evicted), and so does a sysctl not allowed here (reason
   * SysctlForbidden), and a pod the scheduler's checks would have kept off this node (the
   * predicate admit handler: OutOfcpu, NodeAffinity, NodePorts, ...), instead of its start. True
   * when rejected.
   */
  private rejectedAtAdmission(p: Pod & KubeObject): boolean {
    const uid = p.metadata!.uid!;
    if (this.rejected.has(uid)) return true;
    // (the kubelet's admit handlers, in its order: the eviction manager's, the sysctl allowlist,
    // then the predicates — against the active pods, terminating ones included, as
    // filterOutInactivePods keeps them)
    const pressure = this.pressure?.eviction.admit(p);
    const sysctl = pressure ? undefined : forbiddenSysctl(p, this.cfg.allowedUnsafeSysctls ?? []);
    const node = pressure || sysctl ? undefined : this.nodeInformer.get(this.cfg.nodeName);
    const others = () => [...this.workers.values()].filter((w) => w.uid !== uid && !w.deleted && !w.failed && !isPodTerminal(w.pod)).map((w) => w.pod);
    const admitted = node ? admitPredicates(p, node, others()) : undefined;
    const predicates = admitted?.preempt ? this.preemptFor(p, admitted.preempt, others()) : admitted?.failure;
    const [reason, message] = pressure ? ['Evicted', pressure] : sysctl ? ['SysctlForbidden', sysctl] : [predicates?.reason, predicates?.message];
    if (!message || !reason) return false;
    this.rejected.add(uid);
    log.info('pod rejected at admission', { pod: `${p.metadata?.namespace}/${p.metadata?.name}`, reason, message });
    // (the kubelet's rejectPod: the event has the handler's message, the status says it was rejected)
    this.event(p, 'Warning', reason, message);
    void this.client
      .patch(Pods, p.metadata!.namespace, p.metadata!.name!, { metadata: { uid }, status: { phase: 'Failed', reason, message: `Pod was rejected: ${message}`, qosClass: podQOSClass(p) } }, 'strategic', 'status')
      .catch((e: Error) => log.warn('cannot record the rejection of a pod', { pod: `${p.metadata?.namespace}/${p.metadata?.name}`, err: e.message }));
    return true;
  }

  /**
   * The CriticalPodAdmissionHandler: for a critical pod short only of resources, the active pods
   * it may preempt that free what it lacks are killed (each with its own grace period, a Warning
   * Preempting event, phase Failed, reason Preempting, a DisruptionTarget condition) and it is
   * admitted; when no such set exists it is refused (UnexpectedAdmissionError), as Admit refuses
   * a pod whose admission failure handler failed.
   */
  private preemptFor(pod: Pod, lacking: Requirement[], active: Pod[]): AdmitFailure | undefined {
    let victims: Pod[];
    try {
      victims = podsToPreempt(pod, active, lacking);
    } catch (e) {
      if (!(e instanceof PreemptionError)) throw e;
      return { reason: 'UnexpectedAdmissionError', message: `Unexpected error while attempting to recover from admission failure: preemption: error finding a set of pods to preempt: ${e.message}` };
    }
    const evictions: Promise<void>[] = [];
    for (const v of victims) {
      log.info('preempting a pod to admit a critical pod', { pod: `${v.metadata?.namespace}/${v.metadata?.name}`, for: `${pod.metadata?.namespace}/${pod.metadata?.name}` });
      this.event(v, 'Warning', PREEMPT_REASON, PREEMPT_MESSAGE);
      const evicted = this.workers.get(v.metadata!.uid!)?.evict(PREEMPT_MESSAGE, v.spec?.terminationGracePeriodSeconds ?? 30, PREEMPT_REASON, PREEMPT_DISRUPTION_MESSAGE);
      if (evicted) evictions.push(evicted);
    }
    // (the kubelet's killPodFunc blocks until each victim has stopped: the critical pod starts
    // only then, not beside pods still holding what it needs; a victim that never reports its
    // end holds it no longer than its grace period and a minute)
    if (evictions.length) {
      const longest = Math.max(...victims.map((v) => v.spec?.terminationGracePeriodSeconds ?? 30));
      let timer: NodeJS.Timeout | undefined;
      const cap = new Promise<void>((resolve) => (timer = setTimeout(resolve, (longest + 60) * 1000)));
      this.preempting.set(pod.metadata!.uid!, Promise.race([Promise.all(evictions), cap]).finally(() => clearTimeout(timer)));
    }
    return undefined;
  }

  private makeStaticPods(dir: string): StaticPods {
    return new StaticPods({
      client: this.client,
      nodeName: this.cfg.nodeName,
      dir,
      run: (uid, pod) => (pod ? this.onPod(pod as Pod & KubeObject) : this.workers.get(uid)?.update(undefined)),
      running: (uid) => this.workers.has(uid),
      apiPod: (ns, name) => this.podInformer.get(`${ns}/${name}`),
      apiPods: () => this.podInformer.list(),
      apiSynced: () => this.podInformer.hasSynced(),
      nodeUid: () => this.nodeInformer.get(this.cfg.nodeName)?.metadata?.uid,
      mirrorCreated: (uid) => {
        this.podStatus.forget(uid);
        const w = this.workers.get(uid);
        if (w) void this.podStatus.report(w);
      },
    });
  }

  /** With a podCIDR of its own the pod network needs no API either; then the manifests' pods start. */
  private async startStaticPods(): Promise<void> {
    if (this.cfg.podCIDR) void this.net.init(this.cfg.podCIDR).catch((e: Error) => log.warn('pod network set-up: node status not posted', { err: e.message }));
    await this.staticPods!.start();
  }

  /** A RuntimeClass's handler, read when a pod's sandbox is made (a missing class: the kubelet's NotFound words). */
  private async runtimeHandler(name: string): Promise<string> {
    try {
      const rc = (await this.client.get(RuntimeClasses, undefined, name)) as { handler?: string };
      return rc.handler ?? '';
    } catch (e) {
      if (isNotFound(e)) throw new Error(`runtimeclass.node.k8s.io "${name}" not found`, { cause: e });
      throw e;
    }
  }

  /** A ConfigMap or Secret a pod of this node refers to; undefined when it does not exist (answers shared for a second: see SourceCache). */
  private getSource(kind: SourceKind, namespace: string, name: string): Promise<KubeObject | undefined> {
    return this.sourceCache.get(`${kind}/${namespace}/${name}`, async () => {
      try {
        return await this.client.get(core(kind), namespace, name);
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    });
  }


  /** PLEG: relist the runtime; a pod whose containers changed state is synced again. */
  private async relist(): Promise<void> {
    if (this.stopped) return;
    await this.pleg.relist();
  }

  /** Sandboxes of pods the API no longer binds here (deleted while we were down) are removed. */
  private cleanupOrphans(): Promise<void> {
    // (a pod that ended before it ever started has no worker: what of it is on the node, if the
    // agent died between making its sandbox and reporting, goes as an orphan's would)
    const neverStarted = (p: Pod) => isPodTerminal(p) && !p.status?.startTime && !p.metadata?.deletionTimestamp;
    const known = new Set([...this.podInformer.list().filter((p) => !neverStarted(p)).map((p) => p.metadata!.uid!), ...this.workers.keys()]);
    return removeOrphanSandboxes({
      runtime: this.runtime,
      podsDir: join(this.cfg.dataDir, 'pods'),
      network: () => this.net.plugin(),
      networkComing: () => !this.net.up && !!this.cfg.podCIDR,
      networkGC: (ids) => this.net.gc(ids),
    }, known);
  }

  private onNode(n: Node & KubeObject): void {
    this.net.onNode(n);
    // kubectl cordon / uncordon, announced as the kubelet does
    if (n.metadata?.name !== this.cfg.nodeName) return;
    const unschedulable = n.spec?.unschedulable === true;
    if (unschedulable === this.lastUnschedulable) return;
    const reason = unschedulable ? 'NodeNotSchedulable' : 'NodeSchedulable';
    this.nodeEvent('Normal', reason, `Node ${this.cfg.nodeName} status is now: ${reason}`);
    this.lastUnschedulable = unschedulable;
  }

  /** Events go to one writer with a bounded queue, as the kubelet's event broadcaster (see EventSink); a container's name the event's fieldPath. */
  private event(pod: Pod, type: string, reason: string, message: string, container?: string): void {
    const fieldPath = container ? containerFieldPath(pod, container) : undefined;
    this.events.enqueue(() => recordEvent(this.client, pod as KubeObject, { component: 'kubelet', host: this.cfg.nodeName }, type, reason, message, fieldPath));
  }

  /** Events about the Node itself (kind Node, uid its name, as the kubelet's node reference). */
  private nodeEvent(type: string, reason: string, message: string): void {
    const ref = { apiVersion: 'v1', kind: 'Node', metadata: { name: this.cfg.nodeName, uid: this.cfg.nodeName } } as KubeObject;
    this.events.enqueue(() => recordEvent(this.client, ref, { component: 'kubelet', host: this.cfg.nodeName }, type, reason, message));
  }
}

/** Where a container's events point inside its pod, as the kubelet's container references do: `spec.containers{app}`. */
export function containerFieldPath(pod: Pod, name: string): string {
  const spec = pod.spec;
  if (spec?.initContainers?.some((c) => c.name === name)) return `spec.initContainers{${name}}`;
  if (spec?.ephemeralContainers?.some((c) => c.name === name)) return `spec.ephemeralContainers{${name}}`;
  return `spec.containers{${name}}`;
}
