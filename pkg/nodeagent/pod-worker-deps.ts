// What a pod worker is given by the node agent (WorkerDeps), what it keeps per container
// (ContainerRecord), and the narrow view of the worker its parts get (PodContext).
import type { KubeObject, Pod } from '../api/types.js';
import type { ServiceLike } from '../dns/cluster-records.js';
import type { HostPortMapping } from '../network/types.js';
import type { ImageService, RuntimeService } from '../runtime/types.js';
import type { ClaimVolumes } from './claim-volumes.js';
import type { SourceKind } from './config-sources.js';
import type { Prober } from './probes.js';
import type { TokenProjection } from './token-manager.js';

export interface NetworkPlugin {
  setupPod(req: { sandboxId: string; netnsPath: string; hostPorts?: HostPortMapping[] }): Promise<{ ip: string }>;
  teardownPod(sandboxId: string): Promise<void>;
}

export interface WorkerDeps {
  runtime: RuntimeService & ImageService;
  /** Per-pod agent files (termination message files) live under here, by pod UID. */
  podsDir: string;
  network(): Promise<NetworkPlugin>;
  nodeName: string;
  hostIP: string;
  /** The node's allocatable resources (the downward API's value of a limit a container does not set). */
  nodeAllocatable?: () => Record<string, string>;
  /** The nameservers of ClusterFirst pods (read when a sandbox is made: the cluster DNS starts with the network). */
  dnsServers: () => string[];
  clusterDomain?: string;
  /** The cluster's Services, for the variables the kubelet gives containers (none when absent). */
  services?: () => ServiceLike[];
  /**
   * Resolves once the Services have been listed: until then no container starts, or it would lack
   * their variables for good (the kubelet refuses too: "services have not yet been read at least once").
   */
  servicesSynced?: () => Promise<void>;
  backoffBaseSec: number;
  backoffMaxSec: number;
  /** An event about the pod, or about one of its containers (the event's fieldPath names it). */
  event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, container?: string): void;
  /** The status changed: report it (coalesced by the status manager). */
  statusChanged(): void;
  /**
   * Writes the status of the deleted pod whose containers have stopped (its terminal phase);
   * resolves once the API holds it: true, or false when the pod is gone or the agent stops.
   */
  reportTerminal(): Promise<boolean>;
  /** Teardown is complete: confirm the deletion to the API (DELETE with grace 0). */
  confirmDeleted(pod: Pod): Promise<void>;
  /** The worker is done for good (pod gone and torn down). */
  finished(uid: string): void;
  /** A ConfigMap or Secret from the API; undefined when it does not exist (other failures throw). */
  getSource(kind: SourceKind, namespace: string, name: string): Promise<KubeObject | undefined>;
  /** The pod's service account token for a projected serviceAccountToken source (the token manager's, refreshed when due). */
  serviceAccountToken(pod: Pod, p: TokenProjection): Promise<string>;
  /** How often API volumes are refreshed while the pod runs. */
  apiVolumeSyncMs: number;
  /** The sandbox has its address (not for hostNetwork): resolves when the pod may start (its network policies in place). */
  podAddressed?(pod: Pod, ip: string): Promise<void>;
  /** Resolves persistentVolumeClaim volumes to host directories (none: such pods wait with FailedMount). */
  claimVolumes?: ClaimVolumes;
  /** The handler of a RuntimeClass (throws when there is no such class, with the kubelet's words). */
  runtimeHandler?(runtimeClassName: string): Promise<string>;
  /**
   * The cgroup the pod's cgroup goes under (its QoS tier), once the tiers are up to date, as the
   * kubelet runs UpdateQOSCgroups before it makes a pod cgroup; absent: the runtime's default parent.
   */
  podCgroupParent?(pod: Pod): Promise<string>;
  /**
   * Where the current layout puts the pod's cgroup (its QoS tier's pod<uid>), as the kubelet's
   * pod container manager names it for Exists; absent: no check.
   */
  podCgroupPath?(pod: Pod): string;
}

/** What the worker knows of a container beyond the runtime's status. */
export interface ContainerRecord {
  /** Restart backoff: the next start may not happen before this time (ms). */
  notBefore: number;
  delaySec: number;
  /** Image pull back-off (ErrImagePull, ImagePullBackOff), apart from the restart back-off as the kubelet keeps it. */
  /** The image pull back-off, and what the last failed pull said (the back-off's message carries it). */
  pullBackoff?: { notBefore: number; delaySec: number; lastError?: string };
  waiting?: { reason: string; message?: string };
  /** Stopped because its image changed ("definition changed"): restarted whatever the restart policy until a new attempt runs. */
  changedRestart?: boolean;
  ready: boolean;
  started: boolean;
  probers: Prober[];
  probedId?: string;
  /**
   * The attempt a failed liveness or startup probe is stopping: it gets no new probers while it
   * stops (a sync meanwhile would probe it, fail it and stop it again, hooks and events anew),
   * as the kubelet's probe worker holds off a container it has failed until a new one runs.
   */
  probeKilledId?: string;
}

/** What the parts of a pod worker see of it: its pod as now known, and how to ask for another sync. */
export interface PodContext {
  readonly pod: Pod;
  readonly uid: string;
  /** namespace/name, for logs. */
  readonly key: string;
  readonly podIP: string;
  /** An event about the pod. */
  event(type: 'Normal' | 'Warning', reason: string, message: string, container?: string): void;
  /** Sync again after `ms` (replacing an earlier retry). */
  retryIn(ms: number): void;
  /** Sync again now, or once the current sync ends. */
  kick(): void;
}
