// The CRI-shaped interface of the runtime, as the node agent drives it. Field names follow the
// CRI (k8s.io/cri-api runtime/v1) in camelCase; configs are what the agent builds from a Pod.
import type { Readable, Writable } from 'node:stream';
import type { PullProgress, RegistryAuth } from './registry-client.js';
import type { SeccompProfile } from './seccomp.js';

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly?: boolean;
  /** rprivate (default), rslave or rshared bind propagation. */
  propagation?: 'private' | 'rslave' | 'rshared';
  /** hostPath is a subPath of this volume's directory: made (with the volume's mode) when missing, and kept inside it. */
  subPathOf?: { volume: string; dir: string };
}

/** A pod-level volume the runtime manages itself (emptyDir); containers mount it by name. */
export interface VolumeMount {
  name: string;
  containerPath: string;
  readonly?: boolean;
  subPath?: string;
}

export interface EmptyDirVolume {
  name: string;
  medium?: '' | 'Memory';
  /** Bytes, for the tmpfs size of Memory-medium volumes. */
  sizeLimit?: number;
  /**
   * The pod's fsGroup: the volume's directory belongs to it, setgid, so what the containers
   * write there is the group's (the kubelet's SetVolumeOwnership on an emptyDir).
   */
  fsGroup?: number;
}

export interface LinuxResources {
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  memoryLimitInBytes?: number;
  pidsLimit?: number;
  /** The container's processes' oom_score_adj (CRI's LinuxContainerResources.oom_score_adj); unset, the runtime's own. */
  oomScoreAdj?: number;
}

export interface SecurityContext {
  privileged?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  runAsUser?: number;
  runAsGroup?: number;
  supplementalGroups?: number[];
  readOnlyRootFilesystem?: boolean;
  /** Defaults to true like Kubernetes; false sets no_new_privs. */
  allowPrivilegeEscalation?: boolean;
  /** securityContext.seccompProfile; none means Unconfined, as in Kubernetes. Privileged containers are never filtered. */
  seccomp?: SeccompProfile;
}

export interface PodSandboxConfig {
  name: string;
  namespace: string;
  uid: string;
  attempt?: number;
  hostname?: string;
  /** The pod's domain when it has a subdomain (`<subdomain>.<ns>.svc.<cluster domain>`): /etc/hosts names its FQDN. */
  hostDomain?: string;
  /** setHostnameAsFQDN: the kernel's hostname (uname -n, /etc/hostname) is the FQDN, hostname.hostDomain, when there is a domain. */
  hostnameAsFQDN?: boolean;
  dnsConfig?: { servers?: string[]; searches?: string[]; options?: string[] };
  hostAliases?: { ip: string; hostnames: string[] }[];
  /** Cgroup parent of the pod cgroup path; default `/tskube`. */
  cgroupParent?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** emptyDir volumes, created with the sandbox and shared by its containers. */
  emptyDirs?: EmptyDirVolume[];
  /**
   * Limits of the whole pod, applied on the pod cgroup: cpu shares from the requests, and a CFS
   * quota and memory limit from the limits when every container sets them (plus the overhead).
   */
  resources?: LinuxResources;
  /** The runtime handler (a RuntimeClass's handler); empty: the default, runc. */
  runtimeHandler?: string;
  /**
   * Which namespaces are the node's own (CRI's NamespaceMode NODE): hostNetwork (which brings
   * the node's UTS namespace, so its hostname, as containerd does), hostIPC, hostPID.
   * The rest are the pod's; the PID namespace is each container's unless sharedPid.
   */
  hostNamespaces?: { network?: boolean; ipc?: boolean; pid?: boolean };
  /** Sysctls of the pod's namespaces (CRI's LinuxPodSandboxConfig.sysctls), written as each container starts. */
  sysctls?: Record<string, string>;
  /**
   * One PID namespace for the whole pod (shareProcessNamespace; CRI's NamespaceMode POD): the
   * sandbox runs an init that is its PID 1 and reaps zombies; every container joins it.
   */
  sharedPid?: boolean;
}

export interface ContainerConfig {
  name: string;
  attempt?: number;
  image: string;
  command?: string[];
  args?: string[];
  env?: { key: string; value: string }[];
  workingDir?: string;
  mounts?: Mount[];
  volumeMounts?: VolumeMount[];
  resources?: LinuxResources;
  securityContext?: SecurityContext;
  /** Overrides the image's STOPSIGNAL. */
  stopSignal?: string;
  /** Log file (absolute); default <root>/logs/<sandbox>/<name>_<attempt>.log. */
  logPath?: string;
  /** Rotate (truncate and restart) the log file past this many bytes; default 10 MiB. */
  logSizeMax?: number;
  tty?: boolean;
  stdin?: boolean;
  /** stdin closes when the first attach session detaches (Kubernetes' stdinOnce). */
  stdinOnce?: boolean;
  /**
   * Join this running container's PID namespace instead of getting one of its own (CRI's
   * NamespaceMode TARGET: an ephemeral container's targetContainerName).
   */
  pidNamespaceOf?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export enum SandboxState {
  Ready = 'SANDBOX_READY',
  NotReady = 'SANDBOX_NOTREADY',
}

export enum ContainerState {
  Created = 'CONTAINER_CREATED',
  Running = 'CONTAINER_RUNNING',
  Exited = 'CONTAINER_EXITED',
  Unknown = 'CONTAINER_UNKNOWN',
}

export interface PodSandboxStatus {
  id: string;
  metadata: { name: string; namespace: string; uid: string; attempt: number };
  state: SandboxState;
  createdAt: string;
  /**
   * Pinned namespaces; `netnsPath` is what pkg/network wires (`/run/netns/tsk-<id>`). An empty
   * path is the node's namespace (hostNetwork, hostIPC).
   */
  netnsPath: string;
  ipcnsPath: string;
  utsnsPath: string;
  ip?: string;
  cgroupParent: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A container's life as the runtime keeps it on disk (state.ts ContainerRecord) and reports it (ContainerStatus). */
export interface ContainerLifecycle {
  id: string;
  sandboxId: string;
  state: ContainerState;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  /** OOMKilled, Completed (exit 0) or Error. */
  reason?: string;
  message?: string;
  /** The image as asked for, and what it resolved to (repo digest or image id). */
  image: string;
  imageRef: string;
  logPath: string;
  pid?: number;
}

export interface ContainerStatus extends ContainerLifecycle {
  metadata: { name: string; attempt: number };
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerFilter {
  id?: string;
  sandboxId?: string;
  state?: ContainerState;
  labelSelector?: Record<string, string>;
}

export interface SandboxFilter {
  id?: string;
  state?: SandboxState;
  labelSelector?: Record<string, string>;
}

export interface ExecSyncResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** The command ran past its timeout and was killed (exitCode is then the kill's). */
  timedOut?: boolean;
}

/** A terminal's size in character cells (remotecommand's TerminalSize). */
export interface TerminalSize {
  width: number;
  height: number;
}

export interface ExecOptions {
  /** Run the command on a terminal: stdin, stdout and stderr are one pty, so stderr is empty. */
  tty?: boolean;
  /** The terminal's initial size (tty only). */
  size?: TerminalSize;
  stdin?: boolean;
  env?: string[];
  user?: { uid: number; gid: number };
}

export interface ExecSession {
  /** For a tty session, ending stdin types the terminal's EOF character (^D). */
  stdin: Writable | null;
  stdout: Readable;
  stderr: Readable;
  /** Settles once the process has exited and its output has been read. */
  exitCode: Promise<number>;
  /** Kill the exec'd process. */
  kill(signal?: NodeJS.Signals): void;
  /** Set the terminal's size (SIGWINCH to the process); a no-op without a tty. */
  resize(size: TerminalSize): void;
}

export interface AttachOptions {
  /** Send the client's input to the container's stdin (it must have been created with stdin). */
  stdin?: boolean;
  /**
   * Hand the session what the container wrote before it connected (from its log), so a client
   * that attaches just after the start misses nothing: kubectl run -i of a quick command.
   */
  fromStart?: boolean;
}

/** A client attached to a running container's own stdio (kubectl attach, kubectl run -it). */
export interface AttachSession {
  /** Whether the container has a terminal: then stdout carries everything and stderr is empty. */
  tty: boolean;
  /** The container's stdin; ending it closes stdin (as the container's stdinOnce would on detach). */
  stdin: Writable | null;
  stdout: Readable;
  stderr: Readable;
  /** Settles when the container exits or the session is detached. */
  closed: Promise<void>;
  /** Leave the container running and stop streaming. */
  detach(): void;
  /** Set the container's terminal size; a no-op without a tty. */
  resize(size: TerminalSize): void;
  /** With fromStart: the output written before the session connected, in order, to send first. */
  earlier: { stream: 'stdout' | 'stderr'; data: Buffer }[];
}

/** A running container's resource use now (CRI's ContainerStats, cumulative CPU). */
export interface ContainerStats {
  /** CPU time used since the container started, in nanoseconds. */
  cpuNs: number;
  memoryWorkingSetBytes: number;
}

export interface ReadLogsOptions {
  follow?: boolean;
  /** Last N lines only. */
  tail?: number;
  /** Only lines at or after this time. */
  since?: Date;
  /** Keep the CRI timestamp prefix (kubectl logs --timestamps). */
  timestamps?: boolean;
  /** Ends a follow. */
  signal?: AbortSignal;
}

export interface LogLine {
  time: string;
  stream: 'stdout' | 'stderr';
  /** P for a partial line, F for the full/final part. */
  tag: 'P' | 'F';
  message: string;
}

export interface PullImageOptions {
  auth?: RegistryAuth;
  onProgress?: (p: PullProgress) => void;
}

export interface Image {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
}

export interface ImageStatusResult extends Image {
  user?: string;
  env: string[];
  entrypoint: string[];
  cmd: string[];
  workingDir?: string;
  stopSignal?: string;
}

export interface RuntimeService {
  runPodSandbox(config: PodSandboxConfig): Promise<string>;
  stopPodSandbox(id: string): Promise<void>;
  removePodSandbox(id: string): Promise<void>;
  podSandboxStatus(id: string): Promise<PodSandboxStatus>;
  listPodSandbox(filter?: SandboxFilter): Promise<PodSandboxStatus[]>;
  /** Record the pod IP pkg/network assigned, so that status reports it. */
  setPodSandboxIP(id: string, ip: string): Promise<void>;

  createContainer(sandboxId: string, config: ContainerConfig, sandboxConfig?: PodSandboxConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string, timeoutSec: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  listContainers(filter?: ContainerFilter): Promise<ContainerStatus[]>;
  containerStatus(id: string): Promise<ContainerStatus>;
  execSync(id: string, cmd: string[], timeoutSec?: number): Promise<ExecSyncResult>;
  exec(id: string, cmd: string[], opts?: ExecOptions): Promise<ExecSession>;
  attach(id: string, opts?: AttachOptions): Promise<AttachSession>;
  containerStats(id: string): Promise<ContainerStats>;
  readLogs(id: string, opts?: ReadLogsOptions): AsyncIterable<string>;
}

export interface ImageService {
  pullImage(ref: string, opts?: PullImageOptions): Promise<string>;
  listImages(): Promise<Image[]>;
  imageStatus(ref: string): Promise<ImageStatusResult | null>;
  removeImage(ref: string): Promise<void>;
  importImage(source: string, opts?: { name?: string }): Promise<string[]>;
  pushImage(ref: string, target?: string, opts?: { auth?: RegistryAuth }): Promise<string>;
}
