// The agent's Node in the API (the kubelet's node status manager and node lease controller):
// registration with labels, taints and podCIDR, the status (capacity, allocatable, conditions,
// addresses, node info, images) posted when it changes or every statusReportSec, and the Lease renewed
// every leaseRenewSec. Each is a heartbeat, tried up to 5 times with a timeout on each try; from
// the second failed try on, the agent's connections are closed so that the next try dials afresh.
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { ANN_NODE_LOCAL_PATH_DIR } from '../api/persistent-volumes.js';
import type { Node } from '../api/types.js';
import { isExtendedResourceName } from '../api/resource-names.js';
import type { ApiClient } from '../client/api-client.js';
import { isNotFound, Leases, Nodes, StatusError } from '../client/rest-client.js';
import type { Image } from '../runtime/types.js';
import { logger } from '../util/log.js';
import type { AgentConfig } from './agent-config.js';
import { nodeResources, type NodePressure } from './node-pressure.js';
import { reservedAmount } from './node-allocatable.js';
import { formatMilli } from '../api/quantity.js';

const log = logger('nodeagent');

const now3339 = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const micro = () => new Date().toISOString().replace('Z', '000Z');
const arch = () => (process.arch === 'x64' ? 'amd64' : process.arch);

function osImage(): string {
  try {
    return /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

export type NodeStatusConfig = Pick<AgentConfig, 'nodeName' | 'nodeIP' | 'port' | 'maxPods' | 'dataDir' | 'labels' | 'taints' | 'podCIDR' | 'leaseDurationSec' | 'statusReportSec' | 'statusUpdateSec' | 'systemReserved' | 'kubeReserved'>;

/** What the Node's status is made from, besides the settings. */
export interface NodeStatusSources {
  /** Where local-path volumes are made (announced on the Node). */
  localPathDir: string;
  /** Node-pressure eviction: the pressure conditions and reserved resources (undefined before the runtime is open). */
  pressure(): NodePressure | undefined;
  /** Whether the pod network is up (the NetworkUnavailable condition). */
  networkReady(): boolean;
  /** The Node as last seen from the API. */
  node(): Node | undefined;
  stopped(): boolean;
  /** An event about the Node (NodeReady once the controller's Unknown is over). */
  nodeEvent(type: string, reason: string, message: string): void;
  /**
   * A heartbeat (status patch or Lease renewal) failed again: the kubelet's
   * onRepeatedHeartbeatFailure, which closes all its client connections (connrotation CloseAll).
   */
  onRepeatedHeartbeatFailure?(): void;
}

/** The kubelet's registerWithAPIServer's pauses between tries: 100 ms, doubling to 7 s. */
export const REGISTER_FIRST_STEP_MS = 100;
export const REGISTER_MAX_STEP_MS = 7000;
/** How often a registration pause looks whether the agent has stopped. */
const STOP_CHECK_MS = 100;

/** The kubelet's nodeStatusUpdateRetry and the node lease controller's maxUpdateRetries. */
export const HEARTBEAT_TRIES = 5;

/**
 * The timeout of each heartbeat try: the kubelet's heartbeat client's (cmd/kubelet/app/server.go),
 * nodeStatusUpdateFrequency but at most the Lease's duration (a config without them: the
 * kubelet's defaults, 10 s and 40 s).
 */
export const heartbeatTimeoutMs = (cfg: Pick<NodeStatusConfig, 'statusUpdateSec' | 'leaseDurationSec'>): number => Math.min(cfg.statusUpdateSec || 10, cfg.leaseDurationSec || 40) * 1000;

/** volutil.ControllerManagedAttachAnnotation, which the 1.32 kubelet puts on its Node. */
export const CONTROLLER_MANAGED_ATTACH_ANNOTATION = 'volumes.kubernetes.io/controller-managed-attach-detach';

/** nodeStatusMaxImages and MaxNamesPerImageInNodeStatus: the most images, and names per image, status.images lists. */
export const NODE_STATUS_MAX_IMAGES = 50;
export const MAX_NAMES_PER_IMAGE = 5;

/**
 * The kubelet's Images setter: the node's images, largest first (ties by id, descending, as
 * sliceutils.ByImageSize sorts the image manager's list), at most 50, each named by its digests
 * and then its tags (at most 5 names), with its size; kubectl get node -o yaml shows them and the
 * scheduler's ImageLocality scores by them.
 */
export function statusImages(images: Image[]): { names: string[]; sizeBytes: number }[] {
  const sorted = [...images].sort((a, b) => b.size - a.size || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  return sorted.slice(0, NODE_STATUS_MAX_IMAGES).map((i) => ({ names: [...i.repoDigests, ...i.repoTags].slice(0, MAX_NAMES_PER_IMAGE), sizeBytes: i.size }));
}

/**
 * Extended resources advertised by patching the Node's status.capacity (example.com/dongle: 4,
 * as the extended-resource task does): the kubelet's MachineInfo setter leaves them in capacity
 * and makes allocatable follow every capacity entry, and drops from allocatable an extended
 * resource no longer in capacity. The allocatable entries the stored Node calls for, null for
 * one to remove.
 */
export function extendedAllocatable(stored: Node | undefined): Record<string, string | null> {
  const capacity = (stored?.status?.capacity ?? {}) as Record<string, string>;
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(capacity)) if (isExtendedResourceName(k)) out[k] = v;
  for (const k of Object.keys(stored?.status?.allocatable ?? {})) if (isExtendedResourceName(k) && !(k in capacity)) out[k] = null;
  return out;
}

export class NodeStatusManager {
  private lastStatus = '';
  private lastStatusAt = 0;
  /** The Node as it was stored when this agent registered, if it existed already. */
  private registered: Node | undefined;
  /** When each condition the agent sets (Ready, NetworkUnavailable) last changed status. */
  private readonly conditionSince = new Map<string, { status: string; since: string }>();
  /** The renewal under way, which a renewal due meanwhile joins (the lease controller's loop runs one at a time). */
  private renewing: Promise<void> | undefined;

  constructor(
    private readonly client: ApiClient,
    private readonly cfg: NodeStatusConfig,
    private readonly s: NodeStatusSources,
  ) {}

  /** The node's capacity and allocatable resources, as the Node's status reports them. */
  resources(): { capacity: Record<string, string>; allocatable: Record<string, string> } {
    const res = nodeResources(totalmem(), this.cfg.dataDir, this.s.pressure(), undefined, { memory: reservedAmount(this.cfg, 'memory'), 'ephemeral-storage': reservedAmount(this.cfg, 'ephemeral-storage') });
    const capacity = { cpu: String(cpus().length), pods: String(this.cfg.maxPods), ...res.capacity };
    // (cpu less --system-reserved and --kube-reserved, a DecimalSI quantity: "1800m", never below 0)
    const allocatable: Record<string, string> = { ...capacity, cpu: formatMilli(Math.max(0, cpus().length * 1000 - reservedAmount(this.cfg, 'cpu'))), ...res.allocatable };
    for (const [k, v] of Object.entries(extendedAllocatable(this.s.node()))) if (v !== null) allocatable[k] = v;
    return { capacity, allocatable };
  }

  private status(images: Image[] | undefined): Record<string, unknown> {
    const pressure = this.s.pressure();
    const net = this.s.networkReady();
    const { capacity: cap, allocatable } = this.resources();
    const t = now3339();
    // lastTransitionTime moves only when the status changes, as the kubelet's condition setters
    // keep it (from the Node as stored, after a restart of the agent)
    const stored = this.registered?.status?.conditions;
    const cond = (type: string, status: string, reason: string, message: string) => {
      const known = stored?.find((c) => c.type === type);
      const prev = this.conditionSince.get(type) ?? (known?.lastTransitionTime ? { status: known.status!, since: known.lastTransitionTime } : undefined);
      const since = prev?.status === status ? prev.since : t;
      this.conditionSince.set(type, { status, since });
      return { type, status, reason, message, lastHeartbeatTime: t, lastTransitionTime: since };
    };
    return {
      capacity: cap,
      // (null removes, in the merge patch, an extended resource gone from capacity)
      allocatable: { ...allocatable, ...extendedAllocatable(this.s.node()) },
      conditions: [
        ...(pressure?.statusConditions(t) ?? []),
        cond('NetworkUnavailable', net ? 'False' : 'True', net ? 'RouteCreated' : 'NoRouteCreated', net ? 'the pod network is set up' : 'waiting for a podCIDR'),
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
        architecture: arch(),
      },
      // (left out when the runtime could not list them, as the setter leaves it empty on an error)
      ...(images ? { images: statusImages(images) } : {}),
    };
  }

  /** The runtime's images, from the image manager (none before the runtime is open), or undefined when they cannot be listed now. */
  private async images(): Promise<Image[] | undefined> {
    const gc = this.s.pressure()?.imageGC;
    if (!gc) return undefined;
    try {
      return await gc.imageList();
    } catch (e) {
      log.warn('error getting image list', { err: e });
      return undefined;
    }
  }

  /** Creates the Node (or, when it exists, merges our labels and annotations into it), then posts its status. */
  async register(): Promise<void> {
    // (initialNode: the beta os and arch labels too, which old nodeSelectors still name)
    const labels = { 'kubernetes.io/hostname': this.cfg.nodeName, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': arch(), 'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': arch(), ...this.cfg.labels };
    // (the kubelet's initialNode says volumes are attached by the attach/detach controller, as enableControllerAttachDetach defaults)
    const annotations = { [ANN_NODE_LOCAL_PATH_DIR]: this.s.localPathDir, [CONTROLLER_MANAGED_ATTACH_ANNOTATION]: 'true' };
    const body = { apiVersion: 'v1', kind: 'Node', metadata: { name: this.cfg.nodeName, labels, annotations }, spec: { ...(this.cfg.podCIDR ? { podCIDR: this.cfg.podCIDR, podCIDRs: [this.cfg.podCIDR] } : {}), ...(this.cfg.taints.length ? { taints: this.cfg.taints } : {}) }, status: this.status(await this.images()) };
    // (registerWithAPIServer: tried until it succeeds, however long the apiserver is away or
    // refuses, 100 ms apart doubling to 7 s; static pods run meanwhile)
    for (let step = REGISTER_FIRST_STEP_MS; ; step = Math.min(step * 2, REGISTER_MAX_STEP_MS)) {
      if (this.s.stopped()) throw new Error('the node agent has stopped');
      try {
        try {
          await this.client.create(Nodes, undefined, body);
          log.info('Successfully registered node', { node: this.cfg.nodeName });
          break;
        } catch (e) {
          if (!(e instanceof StatusError && e.code === 409)) throw e;
          // Registered before (a restart): its conditions keep their transition times.
          this.registered = (await this.client.patch(Nodes, undefined, this.cfg.nodeName, { metadata: { labels, annotations } }, 'merge')) as Node;
          this.conditionSince.clear();
          break;
        }
      } catch (e) {
        if (this.s.stopped()) throw e;
        log.warn('Unable to register node with API server', { node: this.cfg.nodeName, err: e });
        // (a stopped agent's pause ends within STOP_CHECK_MS: no retry, timer or late start after stop)
        for (let left = step; left > 0 && !this.s.stopped(); left -= STOP_CHECK_MS) await new Promise((r) => setTimeout(r, Math.min(STOP_CHECK_MS, left)));
      }
    }
    // (stopped while the Node was being made: the agent does not go on as registered)
    if (this.s.stopped()) throw new Error('the node agent has stopped');
    await this.post(true);
  }

  /** Posts the status when it changed, when statusReportSec have passed, or when `force`d. */
  async post(force = false): Promise<void> {
    const status = this.status(await this.images());
    const sig = JSON.stringify(status, (k, v) => (k === 'lastHeartbeatTime' || k === 'lastTransitionTime' ? undefined : v));
    if (!force && sig === this.lastStatus && Date.now() - this.lastStatusAt < this.cfg.statusReportSec * 1000) return;
    await this.heartbeat('update node status', 'Error updating node status, will retry', 'update node status exceeds retry count', () => this.client.patch(Nodes, undefined, this.cfg.nodeName, { status }, 'strategic', 'status'));
    this.lastStatus = sig;
    this.lastStatusAt = Date.now();
  }

  /**
   * One heartbeat as the kubelet makes it (kubelet_node_status.go updateNodeStatus, and the node
   * lease controller's retryUpdateLease): up to HEARTBEAT_TRIES tries one after the other, each
   * bounded by the heartbeat client's timeout; after every failed try but the first (a conflict
   * aside, which only needs the newer object) the sources' onRepeatedHeartbeatFailure closes the
   * connections, so that a connection the apiserver no longer answers on (a half-dead TCP
   * connection after a partition or a load balancer's restart) does not keep the node NotReady.
   */
  private async heartbeat<T>(what: string, retryLine: string, gaveUp: string, once: () => Promise<T>): Promise<T> {
    const ms = heartbeatTimeoutMs(this.cfg);
    for (let i = 0; ; i++) {
      let timer: NodeJS.Timeout | undefined;
      try {
        const timedOut = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${what}: no answer within the heartbeat timeout (${ms / 1000}s)`)), ms);
          timer.unref();
        });
        return await Promise.race([once(), timedOut]);
      } catch (e) {
        const conflict = e instanceof StatusError && e.code === 409;
        if (i > 0 && !conflict) this.s.onRepeatedHeartbeatFailure?.();
        // (a stopped agent tries no more)
        if (i + 1 >= HEARTBEAT_TRIES || this.s.stopped()) throw new Error(gaveUp, { cause: e });
        log.warn(retryLine, { err: e });
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /** Renews the Lease (joining a renewal under way). */
  renewLease(): Promise<void> {
    this.renewing ??= this.renewLeaseOnce().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  private async renewLeaseOnce(): Promise<void> {
    const ns = 'kube-node-lease';
    const name = this.cfg.nodeName;
    // (SetNodeOwnerFunc: the lease is owned by the Node, so that it goes with it; set once the Node's uid is known)
    const uid = this.s.node()?.metadata?.uid;
    const owners = uid ? [{ apiVersion: 'v1', kind: 'Node', name, uid }] : undefined;
    // (each try reads the Lease afresh, a conflict's newer one included)
    await this.heartbeat('update lease', 'Failed to update lease', `failed ${HEARTBEAT_TRIES} attempts to update lease`, async () => {
      try {
        const l = await this.client.get(Leases, ns, name);
        const metadata = !l.metadata?.ownerReferences?.length && owners ? { ...l.metadata, ownerReferences: owners } : l.metadata;
        await this.client.update(Leases, ns, name, { ...l, metadata, spec: { ...(l.spec as object), holderIdentity: name, leaseDurationSeconds: this.cfg.leaseDurationSec, renewTime: micro() } });
      } catch (e) {
        if (!isNotFound(e)) throw e;
        await this.client.create(Leases, ns, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: ns, ...(owners ? { ownerReferences: owners } : {}) }, spec: { holderIdentity: name, leaseDurationSeconds: this.cfg.leaseDurationSec, renewTime: micro() } });
      }
    });
    // If the controller marked us Unknown meanwhile, say we are Ready again.
    const ready = this.s.node()?.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready && ready.status !== 'True') {
      await this.post(true);
      this.s.nodeEvent('Normal', 'NodeReady', `Node ${name} status is now: NodeReady`);
    }
  }
}
