// The controller manager: node IPAM, node lifecycle, pod GC, the ReplicaSet, Deployment,
// DaemonSet and StatefulSet controllers, the garbage collector, the Endpoints, EndpointSlice and EndpointSlice
// mirroring controllers, the disruption controller, the horizontal pod autoscaler, the ingress
// status and service load-balancer controllers, the PersistentVolume binder (with the local-path provisioner) and volume
// protection controllers, ClusterRole aggregation, and the service account, root CA publisher and
// token controllers, run by the leader only.
import { Informer } from '../client/informer.js';
import { LeaderElector, defaultIdentity } from '../client/leader-election.js';
import type { ApiClient } from '../client/api-client.js';
import { ControllerRevisions, DaemonSets, EndpointSlices, EndpointsRef, Nodes, Pods, ReplicaSets, ReplicationControllers, Deployments, Services, StatefulSets, core, Jobs, CronJobs, PodDisruptionBudgets, HorizontalPodAutoscalers, Ingresses, IngressClasses, PersistentVolumeClaims, PersistentVolumes, StorageClasses, ClusterRoles, Namespaces, ServiceAccounts, CertificateSigningRequests } from '../client/rest-client.js';
import type { EndpointSlice, Endpoints, KubeObject, Pod, Service, Ingress, IngressClass, Node, ClusterRole } from '../api/types.js';
import { IngressStatusController } from './ingress-status.js';
import { ServiceLBController } from './service-lb.js';
import { TTLController } from './ttl.js';
// DaemonSet and StatefulSet controllers, the garbage collector, the Endpoints, EndpointSlice and
// EndpointSlice mirroring controllers, and ClusterRole aggregation, run by the leader only.
import { ClusterRoleAggregationController } from './clusterrole-aggregation.js';
import { EndpointsController } from './endpoints.js';
import { CONTROLLER_NAME, EndpointSliceController, MANAGED_BY_LABEL } from './endpointslice.js';
import { EndpointSliceMirroringController } from './endpointslice-mirroring.js';
import { MIRRORING_CONTROLLER_NAME } from './slice-writer.js';
import { EventSink } from '../client/event-sink.js';
import { logger } from '../util/log.js';
import { NodeIpamController } from './node-ipam.js';
import { NodeLifecycleController } from './node-lifecycle.js';
import { collectOrphanedPods, POD_GC_QUARANTINE_MS } from './pod-gc.js';
import { ReplicaSetController } from './replicaset.js';
import { ReplicationControllerController } from './replication-controller.js';
import { DeploymentController } from './deployment.js';
import { DaemonSetController } from './daemonset.js';
import { StatefulSetController } from './statefulset.js';
import { GarbageCollector } from './garbage-collector.js';
import { JobController } from './job.js';
import { CronJobController } from './cronjob.js';
import { TTLAfterFinishedController } from './ttl-after-finished.js';
import type { BackoffConfig } from './job-status.js';
import { serviceAccountControllers } from './serviceaccount-controllers.js';
import { DisruptionController } from './disruption.js';
import { HorizontalController, defaultHorizontalConfig, type HorizontalConfig } from './horizontal.js';
import { PersistentVolumeController } from './persistent-volume.js';
import { VolumeProtectionController } from './volume-protection.js';
import { EphemeralVolumeController } from './ephemeral-volume.js';
import { CsrSigningController, type SigningConfig } from './csr-signing.js';
import { CsrApprovingController } from './csr-approving.js';
import { CsrCleaner } from './csr-cleaner.js';
import { TokenCleaner } from './token-cleaner.js';
import { BootstrapSigner } from './bootstrap-signer.js';

const log = logger('controller-manager');

export interface ControllerManagerConfig {
  clusterCIDR: string;
  nodeCIDRMaskSize: number;
  allocateNodeCIDRs: boolean;
  nodeMonitorGracePeriodMs: number;
  nodeMonitorPeriodMs: number;
  /** How long a registered node may go without posting a Ready condition before it is Unknown (--node-startup-grace-period; 60 s when unset). */
  nodeStartupGracePeriodMs?: number;
  podGCPeriodMs: number;
  /** How long a node must have been gone before PodGC deletes its pods (quarantineTime, 40 s when unset). */
  podGCQuarantineMs?: number;
  leaderElect: boolean;
  leaseDurationSec: number;
  renewDeadlineSec: number;
  retryPeriodSec: number;
  /** The clock of the job, cronjob and TTL controllers (tests move it; default Date.now). */
  clock?: () => number;
  /** The job controller's pod-failure backoff (default 10 s doubling to 6 min). */
  jobBackoff?: BackoffConfig;
  /** The cluster CA (PEM) the root CA publisher puts in every namespace and token secrets get (--root-ca-file, else the kubeconfig's). */
  rootCA?: string;
  /** The service account signing key (PEM file) legacy token secrets are signed with; without it the token controller does not run. */
  serviceAccountPrivateKeyFile?: string;
  /** The CA (PEM files) the CSR signing controller issues client certificates from; without it the controller does not run. */
  clusterSigning?: SigningConfig;
  /** The horizontal pod autoscaler's sync period, tolerance, stabilization window and readiness delays. */
  horizontal?: Partial<HorizontalConfig>;
  /** The client the CSR approver creates SubjectAccessReviews with (REST: the gRPC frontend serves stored resources only); default the manager's. */
  accessReviewClient?: ApiClient;
  /**
   * How often the garbage collector looks for new CRDs to monitor and checks the dependents of
   * owners it does not watch (10 s when unset; upstream's Sync runs every 30 s). Tests shorten it.
   */
  garbageCollectorRecheckMs?: number;
  /** --controllers: '*' (the ones on by default), NAME, -NAME. Only tokencleaner and bootstrapsigner, off by default, and csrapproving and csrcleaner are switched by it so far. */
  controllers?: string[];
  /**
   * Called when the lease is lost while the manager runs (not when it is stopped):
   * kube-controller-manager 1.32 exits then ("leaderelection lost", status 1) for its supervisor
   * to start it again, which the command wires; without it (in-process) the controllers stop and
   * the manager campaigns again.
   */
  onLeadershipLost?: () => void;
}

/** The controllers 1.32 runs only when --controllers names them (ControllersDisabledByDefault). */
const DISABLED_BY_DEFAULT = new Set(['bootstrapsigner', 'tokencleaner']);

/** IsControllerEnabled: the first entry naming it (NAME or -NAME) decides, else '*' enables the ones on by default. */
export function controllerEnabled(name: string, controllers: string[] = ['*']): boolean {
  let star = false;
  for (const c of controllers) {
    if (c === name) return true;
    if (c === `-${name}`) return false;
    if (c === '*') star = true;
  }
  return star && !DISABLED_BY_DEFAULT.has(name);
}

export const defaultControllerConfig: ControllerManagerConfig = {
  clusterCIDR: '10.244.0.0/16',
  nodeCIDRMaskSize: 24,
  allocateNodeCIDRs: true,
  nodeMonitorGracePeriodMs: 40_000,
  nodeMonitorPeriodMs: 5_000,
  podGCPeriodMs: 20_000,
  leaderElect: true,
  leaseDurationSec: 15,
  renewDeadlineSec: 10,
  retryPeriodSec: 2,
};

export class ControllerManager {
  /** What the current term's start has made so far, stopped when leadership is lost. */
  private running: { stop(): void }[] = [];
  /** Bumped by every start and stop of the controllers: a start that finds it moved on stops what it made. */
  private term = 0;
  private elector: LeaderElector | undefined;
  private stopped = false;

  constructor(private readonly client: ApiClient, private readonly cfg: ControllerManagerConfig) {}

  async start(): Promise<void> {
    if (!this.cfg.leaderElect) return this.startControllers();
    this.elector = new LeaderElector(this.client, {
      namespace: 'kube-system',
      name: 'kube-controller-manager',
      identity: defaultIdentity(),
      leaseDurationSec: this.cfg.leaseDurationSec,
      renewDeadlineSec: this.cfg.renewDeadlineSec,
      retryPeriodSec: this.cfg.retryPeriodSec,
      onStartedLeading: () => void this.startControllers(),
      onStoppedLeading: () => {
        this.stopControllers();
        if (!this.stopped) this.cfg.onLeadershipLost?.();
      },
    });
    this.elector.start();
  }

  /**
   * Starts the controllers once their informers have listed. Leadership lost while they list (the
   * controller manager 1.32 exits then: leaderelection lost) stops what was made so far, and no
   * controller starts, so that a manager that is no longer the leader acts on nothing.
   */
  private async startControllers(): Promise<void> {
    const c = this.cfg;
    const term = ++this.term;
    const running: { stop(): void }[] = (this.running = []);
    const lost = () => {
      if (term === this.term) return false;
      for (const r of running.splice(0)) r.stop();
      return true;
    };
    const nodes = new Informer(this.client, Nodes);
    const pods = new Informer(this.client, Pods);
    if (c.allocateNodeCIDRs) {
      const ipam = new NodeIpamController(this.client, c.clusterCIDR, c.nodeCIDRMaskSize);
      let synced = false;
      const pending: Parameters<typeof ipam.allocate>[0][] = [];
      const allocate = (n: Parameters<typeof ipam.allocate>[0]) => {
        if (!synced) return void pending.push(n);
        void ipam.allocate(n).catch((e) => log.warn('pod CIDR allocation failed', { err: e }));
      };
      nodes.on({ add: (n) => (ipam.observe(n), allocate(n)), update: (n) => (ipam.observe(n), allocate(n)), delete: (n) => ipam.forget(n) });
      nodes.start();
      running.push(nodes);
      await nodes.hasSynced();
      if (lost()) return;
      synced = true;
      for (const n of pending.splice(0)) allocate(nodes.get(n.metadata!.name!) ?? n);
    } else running.push(nodes.start());
    // Workloads and the garbage collector share one informer per resource.
    const services = new Informer<Service & KubeObject>(this.client, Services);
    const informers = new Map<string, Informer>([
      ['pods', pods],
      ['services', services as unknown as Informer],
      // Every slice, the ones users manage too: slices are the Service's dependents.
      ['endpointslices', new Informer(this.client, EndpointSlices)],
      ['replicationcontrollers', new Informer(this.client, ReplicationControllers)],
      ['replicasets', new Informer(this.client, ReplicaSets)],
      ['deployments', new Informer(this.client, Deployments)],
      ['jobs', new Informer(this.client, Jobs)],
      ['cronjobs', new Informer(this.client, CronJobs)],
      ['daemonsets', new Informer(this.client, DaemonSets)],
      ['statefulsets', new Informer(this.client, StatefulSets)],
      ['controllerrevisions', new Informer(this.client, ControllerRevisions)],
      ['configmaps', new Informer(this.client, core('configmaps'))],
      ['secrets', new Informer(this.client, core('secrets'))],
      ['namespaces', new Informer(this.client, Namespaces)],
      ['serviceaccounts', new Informer(this.client, ServiceAccounts)],
      ['poddisruptionbudgets', new Informer(this.client, PodDisruptionBudgets)],
      ['horizontalpodautoscalers', new Informer(this.client, HorizontalPodAutoscalers)],
      ['persistentvolumeclaims', new Informer(this.client, PersistentVolumeClaims)],
      ['persistentvolumes', new Informer(this.client, PersistentVolumes)],
      ['storageclasses', new Informer(this.client, StorageClasses)],
    ]);
    const events = new EventSink();
    const rsController = new ReplicaSetController(this.client, { replicasets: informers.get('replicasets')! as never, pods: pods as never }, events);
    const rcController = new ReplicationControllerController(this.client, { replicationcontrollers: informers.get('replicationcontrollers')! as never, pods: pods as never }, events);
    const deployController = new DeploymentController(this.client, { deployments: informers.get('deployments')! as never, replicasets: informers.get('replicasets')! as never, pods: pods as never }, events);
    const jobController = new JobController(this.client, { jobs: informers.get('jobs')! as never, pods: pods as never }, events, { now: c.clock, backoff: c.jobBackoff });
    const cronJobController = new CronJobController(this.client, { cronjobs: informers.get('cronjobs')! as never, jobs: informers.get('jobs')! as never }, events, { now: c.clock });
    const ttlController = new TTLAfterFinishedController(this.client, informers.get('jobs')! as never, c.clock);
    const revisions = informers.get('controllerrevisions')! as never;
    const dsController = new DaemonSetController(this.client, { daemonsets: informers.get('daemonsets')! as never, pods: pods as never, nodes: nodes as never, revisions }, events);
    const claims = informers.get('persistentvolumeclaims')! as never;
    const volumes = informers.get('persistentvolumes')! as never;
    const stsController = new StatefulSetController(this.client, { statefulsets: informers.get('statefulsets')! as never, pods: pods as never, revisions, claims }, events);
    const pvController = new PersistentVolumeController(this.client, { volumes, claims, classes: informers.get('storageclasses')! as never, nodes: nodes as never }, events);
    const protection = new VolumeProtectionController(this.client, { claims, volumes, pods: pods as never });
    const ephemeral = new EphemeralVolumeController(this.client, { pods: pods as never, claims }, events);
    const gc = new GarbageCollector(this.client, informers, undefined, undefined, c.garbageCollectorRecheckMs);
    const accounts = serviceAccountControllers(this.client, { namespaces: informers.get('namespaces')!, serviceaccounts: informers.get('serviceaccounts')!, configmaps: informers.get('configmaps')!, secrets: informers.get('secrets')! }, c);
    const disruption = new DisruptionController(this.client, { pdbs: informers.get('poddisruptionbudgets')! as never, pods: pods as never, replicationcontrollers: informers.get('replicationcontrollers')! as never, replicasets: informers.get('replicasets')! as never, deployments: informers.get('deployments')! as never, statefulsets: informers.get('statefulsets')! as never }, events);
    const horizontal = new HorizontalController(this.client, { hpas: informers.get('horizontalpodautoscalers')! as never, pods: pods as never }, events, { ...defaultHorizontalConfig, ...c.horizontal });
    // Endpoints and EndpointSlices: registered before the informers start, synced once all have listed.
    const typedPods = pods as unknown as Informer<Pod & KubeObject>;
    const endpointsInformer = new Informer<Endpoints & KubeObject>(this.client, EndpointsRef);
    const slices = new Informer<EndpointSlice & KubeObject>(this.client, EndpointSlices, { labelSelector: `${MANAGED_BY_LABEL}=${CONTROLLER_NAME}` });
    const mirroredSlices = new Informer<EndpointSlice & KubeObject>(this.client, EndpointSlices, { labelSelector: `${MANAGED_BY_LABEL}=${MIRRORING_CONTROLLER_NAME}` });
    // (the Nodes too: kube-dns lists the nodes serving the cluster DNS)
    const typedNodes = nodes as unknown as Informer<Node & KubeObject>;
    const endpoints = new EndpointsController(this.client, services, typedPods, endpointsInformer, typedNodes);
    const endpointSlices = new EndpointSliceController(this.client, services, typedPods, slices, typedNodes);
    const mirroring = new EndpointSliceMirroringController(this.client, services, endpointsInformer, mirroredSlices);
    for (const c of [endpoints, endpointSlices, mirroring]) c.register();
    const clusterRoles = new Informer<ClusterRole & KubeObject>(this.client, ClusterRoles);
    const aggregation = new ClusterRoleAggregationController(this.client, clusterRoles);
    const ownInformers = [endpointsInformer, slices, mirroredSlices, clusterRoles as unknown as Informer];
    const approvingOn = controllerEnabled('csrapproving', c.controllers);
    const cleanerOn = controllerEnabled('csrcleaner', c.controllers);
    const csrs = c.clusterSigning || approvingOn || cleanerOn ? new Informer(this.client, CertificateSigningRequests) : undefined;
    const signing = csrs && c.clusterSigning && new CsrSigningController(this.client, csrs as never, c.clusterSigning);
    const approving = csrs && approvingOn ? new CsrApprovingController(this.client, c.accessReviewClient ?? this.client, csrs as never) : undefined;
    const cleaner = csrs && cleanerOn ? new CsrCleaner(this.client, csrs as never) : undefined;
    if (csrs) ownInformers.push(csrs);
    const tokenCleaner = controllerEnabled('tokencleaner', c.controllers) ? new TokenCleaner(this.client, informers.get('secrets')!) : undefined;
    const bootstrapSigner = controllerEnabled('bootstrapsigner', c.controllers) ? new BootstrapSigner(this.client, { configmaps: informers.get('configmaps')!, secrets: informers.get('secrets')! }) : undefined;
    for (const inf of [...informers.values(), ...ownInformers]) running.push(inf.start());
    // Nodes too: a DaemonSet sync before they have listed would take every daemon pod for a stray.
    await Promise.all([...informers.values(), ...ownInformers, nodes].map((i) => i.hasSynced()));
    if (lost()) return;
    for (const c of [endpoints, endpointSlices, mirroring]) c.resyncAll();
    running.push(endpoints, endpointSlices, mirroring);
    const batch = [jobController, cronJobController, ttlController, disruption, horizontal];
    const storage = [pvController, protection, ephemeral];
    const certificates = [...(signing ? [signing] : []), ...(approving ? [approving] : []), ...(cleaner ? [cleaner] : []), ...(tokenCleaner ? [tokenCleaner] : []), ...(bootstrapSigner ? [bootstrapSigner] : [])];
    for (const c of [rsController, rcController, deployController, dsController, stsController, ...batch, ...storage, gc, aggregation, ...accounts, ...certificates]) c.start();
    running.push(rsController, rcController, deployController, dsController, stsController, ...batch, ...storage, gc, aggregation, ...accounts, ...certificates);
    // Ingress status: the addresses of the Ready nodes' ingress controllers, once Ingresses, classes and nodes have listed.
    const ingressInformers = { ingresses: new Informer<Ingress & KubeObject>(this.client, Ingresses), classes: new Informer<IngressClass & KubeObject>(this.client, IngressClasses), nodes: nodes as unknown as Informer<Node & KubeObject> };
    const ingressStatus = new IngressStatusController(this.client, ingressInformers);
    running.push(ingressInformers.ingresses.start(), ingressInformers.classes.start());
    await Promise.all([ingressInformers.ingresses.hasSynced(), ingressInformers.classes.hasSynced()]);
    if (lost()) return;
    ingressStatus.start();
    running.push(ingressStatus);
    // Service load balancers: the Ready nodes' addresses for LoadBalancer Services (services and nodes have listed above).
    const serviceLB = new ServiceLBController(this.client, { services, nodes: nodes as unknown as Informer<Node & KubeObject> }, events);
    serviceLB.start();
    running.push(serviceLB);
    // The TTL controller: node.alpha.kubernetes.io/ttl on every Node (the nodes have listed above).
    const ttl = new TTLController(this.client, nodes);
    ttl.start();
    running.push(ttl);
    const lifecycle = new NodeLifecycleController(this.client, { gracePeriodMs: c.nodeMonitorGracePeriodMs, monitorPeriodMs: c.nodeMonitorPeriodMs, startupGracePeriodMs: c.nodeStartupGracePeriodMs });
    running.push(lifecycle);
    await lifecycle.start();
    if (lost()) return;
    let stopped = false;
    const missingNodes = new Map<string, number>();
    const gcTimer = setInterval(() => {
      if (!stopped) void collectOrphanedPods(this.client, pods, nodes, missingNodes, c.podGCQuarantineMs ?? POD_GC_QUARANTINE_MS).catch((e) => log.warn('pod GC failed', { err: e }));
    }, c.podGCPeriodMs);
    running.push({ stop: () => ((stopped = true), clearInterval(gcTimer)) });
    log.info('controllers started', { controllers: ['nodeipam', 'nodelifecycle', 'podgc', 'replicaset', 'replicationcontroller', 'deployment', 'daemonset', 'statefulset', 'job', 'cronjob', 'ttlafterfinished', 'garbagecollector', 'endpoints', 'endpointslice', 'endpointslicemirroring', 'disruption', 'horizontalpodautoscaling', 'ingressstatus', 'service-lb', 'ttl', 'persistentvolume-binder', 'pvc-protection', 'pv-protection', 'ephemeral-volume', 'clusterrole-aggregation', 'serviceaccount', 'root-ca-cert-publisher', 'serviceaccount-token', ...(signing ? ['csrsigning'] : []), ...(approving ? ['csrapproving'] : []), ...(cleaner ? ['csrcleaner'] : []), ...(tokenCleaner ? ['tokencleaner'] : []), ...(bootstrapSigner ? ['bootstrapsigner'] : [])] });
  }

  private stopControllers(): void {
    this.term++;
    for (const r of this.running.splice(0)) r.stop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopControllers();
    await this.elector?.stop();
  }
}
