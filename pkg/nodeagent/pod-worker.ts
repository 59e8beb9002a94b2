// One worker per pod UID, run serially and coalescing to the latest spec: it drives the
// runtime and the network towards the pod's spec (sandbox, init containers in order, app
// containers, restarts with crash-loop backoff, probes, hooks) and, on deletion, terminates
// gracefully, tears everything down and confirms the deletion.
import type { Container, KubeObject, Pod } from '../api/types.js';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { logger } from '../util/log.js';
import { containerConfig, requiresNonRoot, runAsNonRootError, sandboxConfig } from './container-config.js';
import type { ServiceLike } from '../dns/cluster-records.js';
import { serviceEnv } from './service-env.js';
import { ConfigSourceError, ConfigSources, decodeSource, envFromVars, type SourceKind } from './config-sources.js';
import { podReferences } from '../api/pod-references.js';
import { ensureTmpfs, isApiVolume, isMemoryBacked, payloadDigest, volumePayload, writeAtomic } from './api-volumes.js';
import { pullCredentials } from './pull-secrets.js';
import type { TokenProjection } from './token-manager.js';
import { VolumeMountError, type ClaimVolumes, type MountedClaim } from './claim-volumes.js';
import { networkOps, podStartDuration, podWorkerErrors, runtimeOps, timed } from './metrics.js';
import { Prober, runHandler } from './probes.js';
import { stopInOrder } from './termination-order.js';
import { isSidecar } from '../api/pod-resources.js';
import { ContainerState, type ContainerConfig, type ContainerStatus, type RuntimeService, type ImageService, type PodSandboxStatus } from '../runtime/types.js';
import { unmountAll } from '../runtime/syscalls.js';
import type { HostPortMapping } from '../network/types.js';
import { rfc3339Now } from '../util/time.js';
import { goDuration } from '../util/duration.js';

const log = logger('pod-worker');

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
  statusChanged(w: PodWorker): void;
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
}

/** What the worker knows of a container beyond the runtime's status. */
export interface ContainerRecord {
  /** Restart backoff: the next start may not happen before this time (ms). */
  notBefore: number;
  delaySec: number;
  waiting?: { reason: string; message?: string };
  ready: boolean;
  started: boolean;
  probers: Prober[];
  probedId?: string;
}

export const podUidLabel = 'io.kubernetes.pod.uid';
export const containerNameLabel = 'io.kubernetes.container.name';

export function restartCountOf(c: ContainerStatus): number {
  return Number(c.annotations?.['io.kubernetes.container.restartCount'] ?? c.metadata.attempt ?? 0);
}

/** Sandbox creation retries: the first after 2 s, then doubling up to the kubelet's 10 s pod-worker back-off. */
const SANDBOX_RETRY_FIRST_SEC = 2;
const SANDBOX_RETRY_MAX_SEC = 10;

export class PodWorker {
  pod: Pod;
  deleted = false;
  sandbox: PodSandboxStatus | undefined;
  podIP = '';
  /** Latest runtime status of each container attempt of this pod, by id. */
  containers: ContainerStatus[] = [];
  records = new Map<string, ContainerRecord>();
  /** The pod failed for good (restartPolicy Never init failure, or deadline). */
  failed?: { reason: string; message: string };
  /** Set when the node agent ends the pod itself (eviction): the DisruptionTarget condition. */
  disruption?: { reason: string; message: string };
  /** An eviction under way: its grace period and who waits for the containers to stop. */
  private eviction?: { graceSec: number; waiters: (() => void)[] };
  startTime?: string;
  private seenAt = Date.now();
  private startReported = false;
  private running = false;
  private dirty = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private terminated = false;
  /** Sandbox creation back-off after a failure (FailedCreatePodSandBox): no new attempt before notBefore (ms). */
  private sandboxBackoff = { notBefore: 0, delaySec: 0 };

  constructor(pod: Pod, private readonly d: WorkerDeps) {
    this.pod = pod;
  }

  get uid(): string {
    return this.pod.metadata!.uid!;
  }

  get key(): string {
    return `${this.pod.metadata!.namespace}/${this.pod.metadata!.name}`;
  }

  update(pod: Pod | undefined): void {
    if (pod) this.pod = pod;
    else this.deleted = true;
    this.kick();
  }

  /** Run a sync now, or once the current one ends (coalescing). */
  kick(): void {
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.running = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    do {
      this.dirty = false;
      try {
        await this.sync();
      } catch (e) {
        podWorkerErrors.inc();
        log.warn('pod sync failed', { pod: this.key, err: e instanceof Error ? e.message : String(e) });
        this.retryIn(2000);
      }
    } while (this.dirty && !this.terminated);
    this.running = false;
  }

  private deadlineTimer: NodeJS.Timeout | undefined;
  /** The ConfigMaps and Secrets the pod refers to, as last fetched. */
  private sources = new ConfigSources();
  /** API volumes (configMap, secret, downwardAPI, projected) by name: their directories, and the digest last written. */
  private apiVolumes = new Map<string, { dir: string; digest: string }>();
  /** Refreshes API volumes while the pod runs, as the kubelet's periodic sync does. */
  private volumeTimer: NodeJS.Timeout | undefined;

  private retryIn(ms: number): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.kick(), ms);
  }

  record(name: string): ContainerRecord {
    let r = this.records.get(name);
    if (!r) {
      r = { notBefore: 0, delaySec: 0, ready: false, started: false, probers: [] };
      this.records.set(name, r);
    }
    return r;
  }

  /** Why a container is waiting (ErrImagePull, CrashLoopBackOff, ...), if it is. */
  waitingReason(name: string): string | undefined {
    return this.records.get(name)?.waiting?.reason;
  }

  /** Restart counts to go on from, by container name, when a lost sandbox's containers were removed. */
  private nextAttempt = new Map<string, number>();

  /** The newest attempt of a container, and the one before it (for logs --previous). */
  latest(name: string): ContainerStatus | undefined {
    let best: ContainerStatus | undefined;
    for (const c of this.containers) if (c.labels[containerNameLabel] === name && (!best || restartCountOf(c) > restartCountOf(best) || (restartCountOf(c) === restartCountOf(best) && c.createdAt > best.createdAt))) best = c;
    return best;
  }

  previous(name: string): ContainerStatus | undefined {
    const cur = this.latest(name);
    return this.containers.filter((c) => c.labels[containerNameLabel] === name && c !== cur).sort((a, b) => restartCountOf(b) - restartCountOf(a))[0];
  }

  /** Termination messages of exited containers, by container id (read once, capped at 4 KiB). */
  readonly terminationMessages = new Map<string, string>();

  private async readTerminationMessages(): Promise<void> {
    for (const c of this.containers) {
      if (c.state !== ContainerState.Exited || this.terminationMessages.has(c.id)) continue;
      const file = c.annotations?.['tskube.io/termination-log'];
      let msg = file ? await readFile(file, 'utf8').catch(() => '') : '';
      msg = msg.slice(0, 4096);
      const spec = [...(this.pod.spec?.containers ?? []), ...(this.pod.spec?.initContainers ?? [])].find((x) => x.name === c.labels[containerNameLabel]);
      if (!msg && c.exitCode !== 0 && spec?.terminationMessagePolicy === 'FallbackToLogsOnError') {
        const lines: string[] = [];
        for await (const l of this.d.runtime.readLogs(c.id, { tail: 80 })) lines.push(l);
        msg = lines.join('\n').slice(-2048);
      }
      this.terminationMessages.set(c.id, msg);
    }
  }

  private async refresh(): Promise<void> {
    const rt = this.d.runtime;
    const sandboxes = (await rt.listPodSandbox({ labelSelector: { [podUidLabel]: this.uid } })).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
    this.sandbox = sandboxes[0];
    this.podIP = this.sandbox?.ip ?? '';
    this.containers = await rt.listContainers({ labelSelector: { [podUidLabel]: this.uid } });
    await this.readTerminationMessages().catch(() => {});
  }

  async sync(): Promise<void> {
    if (this.terminated) return;
    await this.refresh();
    const pod = this.pod;
    if (this.deleted || pod.metadata?.deletionTimestamp) return this.terminate();
    if (this.eviction) return this.stopEvicted();
    const spec = pod.spec!;
    if (!this.sandbox || this.sandbox.state !== 'SANDBOX_READY') {
      const wait = this.sandboxBackoff.notBefore - Date.now();
      if (wait > 0) {
        this.retryIn(wait + 50);
        return this.reportStatus();
      }
      if (!(await this.createSandbox())) return this.reportStatus();
      await this.refresh();
    }
    // (kept from the pod's status across a restart of the agent, as the kubelet does)
    this.startTime ??= pod.status?.startTime ?? rfc3339Now();
    if (!(await this.prepareApiData())) return this.reportStatus();
    if (!(await this.prepareClaimVolumes())) return this.reportStatus();
    if (this.deadlineExceeded()) {
      this.reportStatus();
      if (this.containers.some((c) => c.state === ContainerState.Running || c.state === ContainerState.Created)) {
        await this.stopContainers(spec.terminationGracePeriodSeconds ?? 30);
        await this.refresh();
        this.reportStatus();
      }
      return;
    }
    const policy = spec.restartPolicy ?? 'Always';
    if (this.finished() || this.failed) {
      // A pod that has run to its end (restartPolicy Never/OnFailure, every app container done,
      // or an init container failed under Never): its sidecars are stopped, in order, and not
      // restarted (the kubelet's KillPod).
      if (this.containers.some((c) => c.state === ContainerState.Running || c.state === ContainerState.Created)) {
        await this.stopContainers(spec.terminationGracePeriodSeconds ?? 30);
        await this.refresh();
      }
      return this.reportStatus();
    }
    if (!(await this.syncInitContainers(policy))) return this.reportStatus();
    // App containers.
    let allStarted = true;
    for (const c of spec.containers ?? []) {
      const st = this.latest(c.name!);
      if (!st) {
        await this.startContainer(c, this.nextAttempt.get(c.name!) ?? 0);
        continue;
      }
      if (st.state === ContainerState.Running) {
        this.ensureProbers(c, st);
        continue;
      }
      allStarted = false;
      if (st.state === ContainerState.Created) {
        // Created but never started (a start that failed, or an agent that died in between):
        // start it now; if that fails, drop it so the next sync creates a fresh attempt.
        try {
          await timed(runtimeOps, 'start_container', () => this.d.runtime.startContainer(st.id));
          this.d.event(this.pod, 'Normal', 'Started', `Started container ${c.name}`, c.name);
        } catch (e) {
          log.warn('starting a created container failed; recreating it', { pod: this.key, container: c.name, err: (e as Error).message });
          await this.d.runtime.removeContainer(st.id).catch(() => {});
          this.retryIn(500);
        }
        continue;
      }
      if (st.state === ContainerState.Exited) {
        this.stopProbers(c.name!);
        const rec = this.record(c.name!);
        rec.ready = false;
        const restart = policy === 'Always' || (policy === 'OnFailure' && st.exitCode !== 0);
        if (restart && (await this.restartAllowed(c, st))) await this.startContainer(c, restartCountOf(st) + 1);
      }
    }
    // Ephemeral containers (kubectl debug): started once, never restarted, in the pod's
    // namespaces and, with targetContainerName, in that container's PID namespace.
    for (const ec of this.finished() ? [] : (spec.ephemeralContainers ?? [])) {
      if (this.latest(ec.name!)) continue;
      const target = ec.targetContainerName ? this.latest(ec.targetContainerName) : undefined;
      if (ec.targetContainerName && target?.state !== ContainerState.Running) continue; // the target's start comes first
      await this.startContainer(ec as Container, 0, target?.id);
    }
    if (allStarted && !this.startReported) {
      this.startReported = true;
      podStartDuration.observe((Date.now() - this.seenAt) / 1000);
    }
    await this.refresh();
    // Containers started by this sync run now: their probers, and the readiness of those without
    // a readiness probe, are set before the status goes out. (The kubelet reports such a
    // container ready as soon as it runs; this status said Running but not Ready until the next sync.)
    for (const c of spec.containers ?? []) {
      const st = this.latest(c.name!);
      if (st?.state === ContainerState.Running) this.ensureProbers(c, st);
    }
    this.reportStatus();
  }

  /**
   * Init containers, in order (the kubelet's computeInitContainerActions): an ordinary one must
   * exit 0 before the next starts; a sidecar (restartPolicy Always) must be started (its startup
   * probe succeeded, its postStart hook done) before the next starts, and is restarted whenever it
   * exits, with the crash-loop back-off, whatever the pod's restartPolicy, also once the app
   * containers run. True when the app containers may run.
   */
  private async syncInitContainers(policy: string): Promise<boolean> {
    const spec = this.pod.spec!;
    // Once an app container has been started, the pod has been initialized: only sidecars matter.
    const initialized = (spec.containers ?? []).some((c) => this.latest(c.name!));
    for (const c of spec.initContainers ?? []) {
      const sidecar = isSidecar(c);
      if (initialized && !sidecar) continue;
      let st = this.latest(c.name!);
      if (!sidecar && st?.state === ContainerState.Exited && st.exitCode === 0) continue;
      if (st?.state === ContainerState.Created) {
        await this.d.runtime.startContainer(st.id).catch(async () => {
          await this.d.runtime.removeContainer(st!.id).catch(() => {});
          this.retryIn(500);
        });
        if (initialized) continue;
        return false;
      }
      if (st?.state === ContainerState.Exited) {
        if (sidecar) {
          this.stopProbers(c.name!);
          this.record(c.name!).ready = false;
          if (!(await this.restartAllowed(c, st))) {
            if (initialized) continue;
            return false;
          }
        } else if (policy === 'Never') {
          this.failed = { reason: 'Failed', message: `init container ${c.name} failed` };
          this.kick(); // (its sidecars are to be stopped)
          return false;
        } else if (!(await this.restartAllowed(c, st))) return false;
      }
      if (st?.state !== ContainerState.Running) {
        await this.startContainer(c, st ? restartCountOf(st) + 1 : (this.nextAttempt.get(c.name!) ?? 0));
        if (!sidecar) return false;
        await this.refresh();
        st = this.latest(c.name!);
      }
      if (!sidecar) return false; // running: wait for it to exit
      if (st?.state === ContainerState.Running) this.ensureProbers(c, st);
      // (a sidecar that has not started yet holds the next init container, not a running pod)
      if (!initialized && !(st?.state === ContainerState.Running && this.record(c.name!).started)) return false;
    }
    return true;
  }

  private reportStatus(): void {
    this.d.statusChanged(this);
  }

  /**
   * Make the pod's sandbox (runtime handler, namespaces, pod cgroup, network). On failure: the
   * kubelet's FailedCreatePodSandBox event, and another attempt after a back-off: 2 s, doubling
   * to the kubelet's pod-worker back-off of 10 s, which it then keeps (a sandbox failure is not a
   * crash loop: a missing handler or a network hiccup should be retried at a steady pace); the
   * pod stays Pending with its containers waiting.
   */
  private async createSandbox(): Promise<boolean> {
    try {
      await this.makeSandbox();
      this.sandboxBackoff = { notBefore: 0, delaySec: 0 };
      return true;
    } catch (e) {
      this.d.event(this.pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(e as Error).message}`);
      const b = this.sandboxBackoff;
      b.delaySec = Math.min(b.delaySec ? b.delaySec * 2 : SANDBOX_RETRY_FIRST_SEC, SANDBOX_RETRY_MAX_SEC);
      b.notBefore = Date.now() + b.delaySec * 1000;
      log.warn('pod sandbox creation failed', { pod: this.key, retryInSec: b.delaySec, err: (e as Error).message });
      this.retryIn(b.delaySec * 1000 + 50);
      return false;
    }
  }

  private async makeSandbox(): Promise<void> {
    const rt = this.d.runtime;
    if (this.sandbox) {
      // A sandbox that died (its namespaces are gone): start over, as the kubelet does.
      // The containers go with it; the new ones count on from their restart counts, as the kubelet's do.
      for (const c of this.containers) {
        const name = c.labels[containerNameLabel];
        if (name && this.latest(name) === c) this.nextAttempt.set(name, restartCountOf(c) + 1);
      }
      if (this.sandbox.netnsPath) await this.d.network().then((n) => n.teardownPod(this.sandbox!.id)).catch(() => {});
      for (const c of this.containers) await rt.removeContainer(c.id).catch(() => {});
      await rt.removePodSandbox(this.sandbox.id).catch(() => {});
    }
    const rcName = this.pod.spec?.runtimeClassName;
    const runtimeHandler = rcName && this.d.runtimeHandler ? await this.d.runtimeHandler(rcName) : '';
    const cfg = sandboxConfig(this.pod, { attempt: 0, dnsServers: this.d.dnsServers(), clusterDomain: this.d.clusterDomain, runtimeHandler });
    // (a failure here crossed the CRI in the kubelet: its event carries the gRPC status words)
    const id = await timed(runtimeOps, 'run_podsandbox', () => rt.runPodSandbox(cfg)).catch((e: Error) => {
      throw new Error(`rpc error: code = Unknown desc = ${e.message}`, { cause: e });
    });
    try {
      const status = await rt.podSandboxStatus(id);
      if (!status.netnsPath) {
        // hostNetwork: the node's network, and so the node's address
        await rt.setPodSandboxIP(id, this.d.hostIP);
        this.podIP = this.d.hostIP;
        return;
      }
      const hostPorts: HostPortMapping[] = [];
      for (const c of [...(this.pod.spec?.initContainers ?? []).filter(isSidecar), ...(this.pod.spec?.containers ?? [])]) {
        for (const p of c.ports ?? []) if (p.hostPort) hostPorts.push({ containerPort: p.containerPort!, hostPort: p.hostPort, protocol: (p.protocol ?? 'TCP') as HostPortMapping['protocol'], hostIP: p.hostIP || undefined });
      }
      const net = await this.d.network();
      const res = await timed(networkOps, 'setup', () => net.setupPod({ sandboxId: id, netnsPath: status.netnsPath, hostPorts }));
      await rt.setPodSandboxIP(id, res.ip);
      this.podIP = res.ip;
      await this.d.podAddressed?.(this.pod, res.ip);
    } catch (e) {
      await rt.stopPodSandbox(id).catch(() => {});
      await rt.removePodSandbox(id).catch(() => {});
      throw e;
    }
  }

  /** Crash-loop backoff: 10 s doubling to 300 s (configurable), reset after 10 minutes of running. */
  private async restartAllowed(c: Container, st: ContainerStatus): Promise<boolean> {
    const rec = this.record(c.name!);
    const ran = st.startedAt && st.finishedAt ? Date.parse(st.finishedAt) - Date.parse(st.startedAt) : 0;
    if (ran > 10 * 60_000) rec.delaySec = 0;
    const now = Date.now();
    if (rec.notBefore === 0 && rec.delaySec === 0) {
      // First restart: now; from the next one on, wait.
      rec.delaySec = this.d.backoffBaseSec;
      return true;
    }
    const finished = st.finishedAt ? Date.parse(st.finishedAt) : now;
    rec.notBefore = Math.max(rec.notBefore, finished + rec.delaySec * 1000);
    if (now < rec.notBefore) {
      rec.waiting = { reason: 'CrashLoopBackOff', message: `back-off ${rec.delaySec}s restarting failed container=${c.name} pod=${this.pod.metadata!.name}_${this.pod.metadata!.namespace}(${this.uid})` };
      this.d.event(this.pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${this.pod.metadata!.name}_${this.pod.metadata!.namespace}(${this.uid})`, c.name);
      this.retryIn(rec.notBefore - now + 50);
      return false;
    }
    rec.delaySec = Math.min(rec.delaySec * 2, this.d.backoffMaxSec);
    return true;
  }

  private async ensureImage(c: Container): Promise<boolean> {
    const rt = this.d.runtime;
    const image = c.image!;
    const rec = this.record(c.name!);
    const present = await rt.imageStatus(image).catch(() => null);
    const policy = c.imagePullPolicy ?? (image.endsWith(':latest') || !/:[^/]+$/.test(image) ? 'Always' : 'IfNotPresent');
    if (present && policy !== 'Always') {
      this.d.event(this.pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`, c.name);
      return true;
    }
    if (policy === 'Never') {
      rec.waiting = { reason: 'ErrImageNeverPull', message: `Container image "${image}" is not present with pull policy of Never` };
      this.d.event(this.pod, 'Warning', 'ErrImageNeverPull', rec.waiting.message!, c.name);
      return false;
    }
    if (rec.waiting?.reason === 'ErrImagePull' || rec.waiting?.reason === 'ImagePullBackOff') {
      if (Date.now() < rec.notBefore) {
        rec.waiting = { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` };
        // as the kubelet's image manager reports each back-off it waits out
        this.d.event(this.pod, 'Normal', 'BackOff', rec.waiting.message!, c.name);
        this.d.event(this.pod, 'Warning', 'Failed', 'Error: ImagePullBackOff', c.name);
        this.retryIn(rec.notBefore - Date.now() + 50);
        return false;
      }
    }
    this.d.event(this.pod, 'Normal', 'Pulling', `Pulling image "${image}"`, c.name);
    const t0 = Date.now();
    try {
      await timed(runtimeOps, 'pull_image', () => this.pull(image));
    } catch (e) {
      if (present) {
        // Always, but the registry is unreachable: the local copy will do, as containerd would not; say so.
        this.d.event(this.pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${(e as Error).message}; using the local copy`, c.name);
        return true;
      }
      rec.delaySec = Math.min(Math.max(rec.delaySec * 2, this.d.backoffBaseSec), this.d.backoffMaxSec);
      rec.notBefore = Date.now() + rec.delaySec * 1000;
      rec.waiting = { reason: 'ErrImagePull', message: `failed to pull image "${image}": ${(e as Error).message}` };
      this.d.event(this.pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${(e as Error).message}`, c.name);
      this.d.event(this.pod, 'Warning', 'Failed', 'Error: ErrImagePull', c.name);
      this.retryIn(rec.delaySec * 1000);
      return false;
    }
    const took = goDuration(Date.now() - t0);
    const size = (await rt.imageStatus(image).catch(() => null))?.size;
    this.d.event(this.pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${took} (${took} including waiting).${size ? ` Image size: ${size} bytes.` : ''}`, c.name);
    return true;
  }

  /** Pulls with each credential the pod's imagePullSecrets offer for the image, in turn (none: anonymously). */
  private async pull(image: string): Promise<void> {
    const creds = pullCredentials(this.pod, image, this.sources);
    if (!creds.length) return void (await this.d.runtime.pullImage(image));
    let last: unknown;
    for (const auth of creds) {
      try {
        return void (await this.d.runtime.pullImage(image, { auth }));
      } catch (e) {
        last = e;
      }
    }
    throw last;
  }

  private async startContainer(c: Container, attempt: number, pidNamespaceOf?: string): Promise<void> {
    const rt = this.d.runtime;
    const rec = this.record(c.name!);
    if (!(await this.ensureImage(c))) return;
    const hostPaths = new Map<string, string>();
    for (const v of this.pod.spec?.volumes ?? []) if (v.hostPath?.path && v.name) hostPaths.set(v.name, v.hostPath.path);
    const readOnly = new Set<string>();
    for (const [name, c] of this.claimVolumes) {
      hostPaths.set(name, c.path);
      if (c.readOnly) readOnly.add(name);
    }
    const terminationLog = join(this.d.podsDir, this.uid, `${c.name}-${attempt}-termination-log`);
    await mkdir(dirname(terminationLog), { recursive: true });
    await writeFile(terminationLog, '');
    // (the image's user is looked up only when runAsNonRoot asks for it)
    const nonRoot = requiresNonRoot(this.pod, c) ? runAsNonRootError(this.pod, c, (await rt.imageStatus(c.image!).catch(() => null))?.user) : undefined;
    if (nonRoot) {
      rec.waiting = { reason: 'CreateContainerConfigError', message: nonRoot };
      this.d.event(this.pod, 'Warning', 'Failed', `Error: ${nonRoot}`, c.name);
      this.retryIn(5000);
      return;
    }
    await this.d.servicesSynced?.();
    let cfg: ContainerConfig;
    try {
      const apiVolumes = new Map([...this.apiVolumes].map(([name, v]) => [name, v.dir]));
      cfg = containerConfig(this.pod, c, { attempt, nodeName: this.d.nodeName, hostIP: this.d.hostIP, podIP: this.podIP, volumes: { hostPaths, apiVolumes, readOnly }, sources: this.sources, services: serviceEnv(this.d.services?.() ?? [], this.pod.metadata!.namespace!, this.pod.spec!.enableServiceLinks ?? true), terminationLog });
      if (pidNamespaceOf) cfg.pidNamespaceOf = pidNamespaceOf;
      const invalid = c.envFrom?.length ? envFromVars(this.pod, c, this.sources).invalid : [];
      if (invalid.length) this.d.event(this.pod, 'Warning', 'InvalidEnvironmentVariableNames', `Keys [${invalid.join(', ')}] from the EnvFrom of container ${c.name} were skipped since they are considered invalid environment variable names.`);
    } catch (e) {
      if (!(e instanceof ConfigSourceError)) throw e;
      rec.waiting = { reason: 'CreateContainerConfigError', message: e.message };
      this.d.event(this.pod, 'Warning', 'Failed', `Error: ${e.message}`, c.name);
      this.retryIn(5000);
      return;
    }
    let id: string;
    try {
      id = await timed(runtimeOps, 'create_container', () => rt.createContainer(this.sandbox!.id, cfg));
    } catch (e) {
      rec.waiting = { reason: 'CreateContainerError', message: (e as Error).message };
      this.d.event(this.pod, 'Warning', 'Failed', `Error: ${(e as Error).message}`, c.name);
      this.retryIn(5000);
      return;
    }
    // Keep the newest exited attempt for logs --previous; older ones go.
    for (const old of this.containers.filter((x) => x.labels[containerNameLabel] === c.name && x.state === ContainerState.Exited).sort((a, b) => restartCountOf(b) - restartCountOf(a)).slice(1)) {
      await rt.removeContainer(old.id).catch(() => {});
    }
    this.d.event(this.pod, 'Normal', 'Created', `Created container ${c.name}`, c.name);
    try {
      await timed(runtimeOps, 'start_container', () => rt.startContainer(id));
    } catch (e) {
      rec.waiting = { reason: 'RunContainerError', message: (e as Error).message };
      this.d.event(this.pod, 'Warning', 'Failed', `Error: ${(e as Error).message}`, c.name);
      this.retryIn(5000);
      return;
    }
    rec.waiting = undefined;
    rec.started = !c.startupProbe;
    this.d.event(this.pod, 'Normal', 'Started', `Started container ${c.name}`, c.name);
    if (c.lifecycle?.postStart) {
      const r = await runHandler(rt, id, c, c.lifecycle.postStart, this.podIP, 30);
      if (!r.ok) {
        this.d.event(this.pod, 'Warning', 'FailedPostStartHook', r.message, c.name);
        await rt.stopContainer(id, 0).catch(() => {});
      }
    }
  }

  private ensureProbers(c: Container, st: ContainerStatus): void {
    const rec = this.record(c.name!);
    if (rec.probedId === st.id) return;
    this.stopProbers(c.name!);
    rec.probedId = st.id;
    rec.ready = !c.readinessProbe;
    rec.started = !c.startupProbe;
    const rt = this.d.runtime;
    const mk = (kind: 'liveness' | 'readiness' | 'startup', probe: NonNullable<Container['livenessProbe']>) =>
      new Prober(kind, probe, () => runHandler(rt, st.id, c, probe, this.podIP, probe.timeoutSeconds ?? 1), (ok, message) => {
        if (kind === 'readiness') {
          rec.ready = ok;
          if (!ok) this.d.event(this.pod, 'Warning', 'Unhealthy', `Readiness probe failed: ${message}`, c.name);
          this.reportStatus();
          return;
        }
        if (kind === 'startup' && ok) {
          rec.started = true;
          startRest();
          this.reportStatus();
          if (isSidecar(c)) this.kick(); // the next init container may start
          return;
        }
        const what = kind === 'liveness' ? 'Liveness' : 'Startup';
        this.d.event(this.pod, 'Warning', 'Unhealthy', `${what} probe failed: ${message}`, c.name);
        this.d.event(this.pod, 'Normal', 'Killing', `Container ${c.name} failed ${kind} probe, will be restarted`, c.name);
        this.stopProbers(c.name!);
        void rt.stopContainer(st.id, this.pod.spec?.terminationGracePeriodSeconds ?? 30).finally(() => this.kick());
      });
    const startRest = () => {
      if (c.livenessProbe) rec.probers.push(mk('liveness', c.livenessProbe));
      if (c.readinessProbe) rec.probers.push(mk('readiness', c.readinessProbe));
      for (const p of rec.probers) if (p.kind !== 'startup') p.start();
    };
    if (c.startupProbe) {
      const sp = mk('startup', c.startupProbe);
      rec.probers.push(sp);
      sp.start();
    } else startRest();
  }

  private stopProbers(name: string): void {
    const rec = this.records.get(name);
    if (!rec) return;
    for (const p of rec.probers) p.stop();
    rec.probers = [];
    rec.probedId = undefined;
  }

  /** Graceful termination: preStop, stop with the grace period, teardown, confirm. */
  private async terminate(): Promise<void> {
    const pod = this.pod;
    await this.stopContainers(pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30);
    await this.teardown();
    this.terminated = true;
    if (!this.deleted && pod.metadata?.deletionTimestamp) await this.d.confirmDeleted(pod);
    this.d.finished(this.uid);
  }

  /**
   * Stops every running container: probers off, preStop hooks, SIGTERM, SIGKILL once `grace`
   * seconds are up. App containers first; sidecars once the app containers (and the sidecars
   * declared after them) have exited, in reverse order, within the same grace period.
   */
  private async stopContainers(grace: number): Promise<void> {
    const rt = this.d.runtime;
    const pod = this.pod;
    for (const name of this.records.keys()) this.stopProbers(name);
    const deadline = Date.now() + grace * 1000;
    const running = this.containers.filter((c) => c.state === ContainerState.Running || c.state === ContainerState.Created);
    const byName = new Map<string, ContainerStatus[]>();
    for (const st of running) {
      const name = st.labels[containerNameLabel] ?? st.id;
      byName.set(name, [...(byName.get(name) ?? []), st]);
    }
    const stopOne = async (name: string, st: ContainerStatus, turn: Promise<void>): Promise<void> => {
      const c = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((x) => x.name === name);
      this.d.event(pod, 'Normal', 'Killing', `Stopping container ${name}`, name);
      if (c?.lifecycle?.preStop && st.state === ContainerState.Running) {
        const left = Math.max(1, Math.floor((deadline - Date.now()) / 1000));
        const r = await Promise.race([runHandler(rt, st.id, c, c.lifecycle.preStop, this.podIP, left), new Promise<{ ok: false; message: string }>((res) => setTimeout(() => res({ ok: false, message: 'timed out' }), left * 1000))]);
        if (!r.ok) this.d.event(pod, 'Warning', 'FailedPreStopHook', r.message, name);
      }
      // (a sidecar waits for its turn, but no longer than the grace period)
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([turn, new Promise<void>((res) => (timer = setTimeout(res, Math.max(0, deadline - Date.now()))))]);
      clearTimeout(timer);
      const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      await timed(runtimeOps, 'stop_container', () => rt.stopContainer(st.id, left)).catch((e) => log.warn('stop failed', { pod: this.key, err: e }));
    };
    await stopInOrder(pod, [...byName.keys()], (name, turn) => Promise.all(byName.get(name)!.map((st) => stopOne(name, st, turn))).then(() => undefined));
  }

  /**
   * Fetches the ConfigMaps and Secrets the pod refers to and writes its API volumes, as the
   * kubelet does before it starts containers (and again every apiVolumeSyncMs, a minute by
   * default, so that volumes follow changes). A volume whose source is missing stops the pod's start: a FailedMount event with
   * the kubelet's message, and a retry. False when containers may not start yet.
   */
  private async prepareApiData(): Promise<boolean> {
    const pod = this.pod;
    const ns = pod.metadata!.namespace!;
    const refs = podReferences(pod);
    const volumes = (pod.spec?.volumes ?? []).filter(isApiVolume);
    if (!refs.length && !volumes.length) return true;
    const sources = new ConfigSources();
    for (const r of refs) {
      try {
        const obj = await this.d.getSource(r.kind, ns, r.name);
        sources.set(r.kind, r.name, obj && decodeSource(r.kind, obj as Record<string, unknown>));
      } catch (e) {
        // The API is out of reach: what was fetched before still serves (as the kubelet's cache does).
        if (!this.sources.has(r.kind, r.name)) throw e;
        sources.set(r.kind, r.name, this.sources.get(r.kind, r.name));
      }
    }
    this.sources = sources;
    for (const v of volumes) {
      const dir = join(this.d.podsDir, this.uid, 'volumes', v.name!);
      try {
        await this.fetchTokens(v, sources);
        const payload = volumePayload(v, pod, sources);
        const digest = payloadDigest(payload);
        if (this.apiVolumes.get(v.name!)?.digest !== digest) {
          if (isMemoryBacked(v)) await ensureTmpfs(dir);
          await writeAtomic(dir, payload);
        }
        this.apiVolumes.set(v.name!, { dir, digest });
      } catch (e) {
        if (!(e instanceof ConfigSourceError)) throw e;
        if (this.apiVolumes.has(v.name!)) continue; // written before: keep what containers see
        this.d.event(pod, 'Warning', 'FailedMount', `MountVolume.SetUp failed for volume "${v.name}" : ${e.message}`);
        this.retryIn(5000);
        return false;
      }
    }
    if (volumes.length) {
      clearTimeout(this.volumeTimer);
      this.volumeTimer = setTimeout(() => this.kick(), this.d.apiVolumeSyncMs);
    }
    return true;
  }

  /** The service account tokens a projected volume holds, into `sources` (the kubelet's message when one cannot be had). */
  private async fetchTokens(v: NonNullable<NonNullable<Pod['spec']>['volumes']>[number], sources: ConfigSources): Promise<void> {
    for (const s of v.projected?.sources ?? []) {
      if (!s.serviceAccountToken) continue;
      try {
        sources.setToken(s.serviceAccountToken, await this.d.serviceAccountToken(this.pod, s.serviceAccountToken));
      } catch (e) {
        throw new ConfigSourceError(`failed to fetch token: ${(e as Error).message}`);
      }
    }
  }

  /** The pod's persistentVolumeClaim volumes, once resolved (kept while the pod lives, as the kubelet keeps them mounted). */
  private claimVolumes = new Map<string, MountedClaim>();

  /**
   * Resolves the pod's persistentVolumeClaim volumes to their directories, as the kubelet mounts
   * them before starting containers. A claim that cannot be mounted yet (unbound, missing) holds
   * the pod: a FailedMount event with the kubelet's message, and a retry. False until all are.
   */
  private async prepareClaimVolumes(): Promise<boolean> {
    for (const v of this.pod.spec?.volumes ?? []) {
      if (!v.persistentVolumeClaim || this.claimVolumes.has(v.name!)) continue;
      try {
        if (!this.d.claimVolumes) throw new VolumeMountError(`MountVolume.SetUp failed for volume "${v.name}" : this node agent does not mount persistentVolumeClaim volumes`);
        this.claimVolumes.set(v.name!, await this.d.claimVolumes.resolve(this.pod, v));
      } catch (e) {
        if (!(e instanceof VolumeMountError)) throw e;
        this.d.event(this.pod, 'Warning', 'FailedMount', e.message);
        this.retryIn(5000);
        return false;
      }
    }
    return true;
  }

  /** Whether the pod has run to its end: every app container exited and none is to restart. */
  private finished(): boolean {
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    if (policy === 'Always') return false;
    return (this.pod.spec?.containers ?? []).every((c) => {
      const st = this.latest(c.name!);
      return st?.state === ContainerState.Exited && (policy === 'Never' || st.exitCode === 0);
    });
  }

  /**
   * The kubelet's activeDeadlineHandler: once the pod has been active on the node for
   * spec.activeDeadlineSeconds since its startTime, it fails (DeadlineExceeded) and its
   * containers are stopped. Until then a timer wakes the worker at the deadline.
   */
  private deadlineExceeded(): boolean {
    if (this.failed?.reason === 'DeadlineExceeded') return true;
    const ads = this.pod.spec?.activeDeadlineSeconds;
    clearTimeout(this.deadlineTimer);
    if (!ads || !this.startTime || this.failed || this.finished()) return false;
    const left = Date.parse(this.startTime) + Number(ads) * 1000 - Date.now();
    if (left > 0) {
      this.deadlineTimer = setTimeout(() => this.kick(), left + 10);
      return false;
    }
    const message = 'Pod was active on the node longer than the specified deadline';
    this.failed = { reason: 'DeadlineExceeded', message };
    this.d.event(this.pod, 'Normal', 'DeadlineExceeded', message);
    return true;
  }

  /**
   * The eviction manager's kill: the pod fails for good (phase Failed, reason Evicted, a
   * DisruptionTarget condition) and its containers stop within `graceSec`; resolves once they have.
   */
  evict(message: string, graceSec: number): Promise<void> {
    this.failed = { reason: 'Evicted', message };
    this.disruption = { reason: 'TerminationByKubelet', message };
    return new Promise((resolve) => {
      if (this.eviction) this.eviction.waiters.push(resolve);
      else this.eviction = { graceSec, waiters: [resolve] };
      this.kick();
    });
  }

  private async stopEvicted(): Promise<void> {
    const ev = this.eviction!;
    clearTimeout(this.deadlineTimer);
    this.reportStatus();
    if (this.containers.some((c) => c.state === ContainerState.Running || c.state === ContainerState.Created)) {
      await this.stopContainers(ev.graceSec);
      await this.refresh();
      this.reportStatus();
    }
    for (const w of ev.waiters.splice(0)) w();
  }

  /** Removes the pod's containers, network and sandbox (idempotent). */
  async teardown(): Promise<void> {
    const rt = this.d.runtime;
    await this.refresh().catch(() => {});
    for (const c of this.containers) await rt.removeContainer(c.id).catch((e) => log.warn('remove container failed', { pod: this.key, err: e }));
    // (secret and projected volumes are tmpfs mounts in there)
    await unmountAll(join(this.d.podsDir, this.uid)).catch((e) => log.warn('unmounting the pod\'s volumes failed', { pod: this.key, err: e }));
    await rm(join(this.d.podsDir, this.uid), { recursive: true, force: true }).catch(() => {});
    const sandboxes = await rt.listPodSandbox({ labelSelector: { [podUidLabel]: this.uid } }).catch(() => []);
    for (const s of sandboxes) {
      if (s.netnsPath) await this.d.network().then((n) => timed(networkOps, 'teardown', () => n.teardownPod(s.id))).catch((e) => log.warn('network teardown failed', { pod: this.key, err: e }));
      await rt.stopPodSandbox(s.id).catch(() => {});
      await rt.removePodSandbox(s.id).catch((e) => log.warn('remove sandbox failed', { pod: this.key, err: e }));
    }
  }

  stop(): void {
    this.terminated = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    clearTimeout(this.deadlineTimer);
    clearTimeout(this.volumeTimer);
    for (const name of this.records.keys()) this.stopProbers(name);
  }
}
