// One worker per pod UID, run serially and coalescing to the latest spec: it drives the
// runtime and the network towards the pod's spec and, on deletion, terminates gracefully, tears
// everything down and confirms the deletion. Its sync is a recipe of phases, each in its own
// module: the sandbox (pod-worker-sandbox.ts), the pod's data and volumes
// (pod-worker-volumes.ts), the active deadline, the init containers
// (pod-worker-init-containers.ts), the app and ephemeral containers (started by
// pod-worker-container-start.ts, restarted under pod-worker-crash-loop.ts, probed by
// pod-worker-probes.ts), and the end (pod-worker-termination.ts).
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container, Pod } from '../api/types.js';
import { ContainerState, type ContainerStatus, type PodSandboxStatus } from '../runtime/types.js';
import { logger } from '../util/log.js';
import { rfc3339Now } from '../util/time.js';
import { containerNameLabel, isActive, latestAttempt, podUidLabel, previousAttempt, restartCountOf } from './container-labels.js';
import { podStartDuration, podWorkerDuration, podWorkerErrors, runtimeOps, timed, trackVolumes } from './metrics.js';
import { startContainer, type ContainerStartHost } from './pod-worker-container-start.js';
import { restartAllowed } from './pod-worker-crash-loop.js';
import type { ContainerRecord, WorkerDeps } from './pod-worker-deps.js';
import { syncInitContainers, type InitContainerHost } from './pod-worker-init-containers.js';
import { ensureProbers, forgetProbeSeries, stopProbers, type ProbeHost } from './pod-worker-probes.js';
import { PodSandboxMaker } from './pod-worker-sandbox.js';
import { containerSpecOf, MINIMUM_GRACE_PERIOD_SEC, stopContainer, stopContainers, teardownPod } from './pod-worker-termination.js';
import { isSidecar } from '../api/pod-resources.js';
import { PodVolumes } from './pod-worker-volumes.js';
import { rfc3339Nano, withLocalAnnotations } from './local-annotations.js';
import { missingPullSecrets, missingPullSecretsMessage } from './pull-secrets.js';
import { isStaticPod } from './static-pod-manifest.js';
import { capForPod, MAX_MESSAGE_LOG_LINES, messageFromLog, readMessageFile } from './termination-message.js';
import { isTerminalPhase } from '../api/pod-phase.js';

export type { ContainerRecord, NetworkPlugin, WorkerDeps } from './pod-worker-deps.js';

const log = logger('pod-worker');

/** Where, in the pod's directory, the logs of the containers of a replaced sandbox are kept (keepFormerAttempt). */
export const FORMER_LOGS_DIR = 'former-logs';

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
  private killedForGood = false;
  /** This agent killed the pod for good (evict: the eviction manager, or a critical pod's admission), the kubelet's IsEvicted. */
  get evicted(): boolean {
    return this.killedForGood;
  }
  /** An eviction under way: its grace period and who waits for the containers to stop. */
  private eviction?: { graceSec: number; waiters: (() => void)[] };
  startTime?: string;
  /** Termination messages of exited containers, by container id (read once, cut as the kubelet cuts them: termination-message.ts). */
  readonly terminationMessages = new Map<string, string>();
  private seenAt = Date.now();
  /** Whether a sync has run (the first is timed as the kubelet's create). */
  private syncedOnce = false;
  private startReported = false;
  private running = false;
  private dirty = false;
  /** The loop now running (resolved when none is): what stop() waits for. */
  private looping: Promise<void> = Promise.resolve();
  /**
   * The agent stopped the worker: no sync starts, the one under way ends at its next step, and
   * nothing of the pod is made again (resolves `halted`, which cuts short the waits of that sync).
   */
  private stopped = false;
  private halt!: () => void;
  private readonly halted = new Promise<void>((resolve) => (this.halt = resolve));
  /** The evictions of the pods preempted to admit this one, waited for before its first sync (admitAfter). */
  private admission: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryAt = 0;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private terminated = false;
  /** The pod was deleted and its containers have stopped: its status is terminal (see PodView). */
  terminal = false;
  /**
   * An ended pod's containers as they last were, once the node removed them under disk pressure
   * (removeEndedContainers): the worker goes on seeing them, so its status stays as it was.
   */
  private reclaimed: ContainerStatus[] | undefined;
  /** The container GC has removed the reclaimed pod's sandboxes too (removeEndedContainers). */
  private sandboxesRemoved = false;
  /** Why a container is waiting (ErrImagePull, CrashLoopBackOff, ...), if it is. */
  waitingReason(name: string): string | undefined {
    return this.records.get(name)?.waiting?.reason;
  }

  /** Restart counts to go on from, by container name, when a lost sandbox's containers were removed. */
  private nextAttempt = new Map<string, number>();
  /**
   * Each container's last attempt in a sandbox that was replaced (its record removed with it): the
   * last state its status shows until an attempt in the new sandbox has ended, as the kubelet
   * shows the dead sandbox's container (its GC keeps one per container) after a reboot.
   */
  private formerAttempt = new Map<string, ContainerStatus>();
  /** Whether the former attempts an earlier run of the agent kept have been read (loadFormerAttempts). */
  private formerLoaded = false;
  /** What the phases see of the worker. */
  private readonly ctx: ProbeHost & ContainerStartHost & InitContainerHost;
  private readonly volumes: PodVolumes;
  /** Ends the count of the pod's volumes in volume_manager_total_volumes (at teardown, or when the agent stops). */
  private readonly untrackVolumes: () => void;
  private readonly sandboxes: PodSandboxMaker;

  constructor(pod: Pod, private readonly d: WorkerDeps) {
    this.pod = pod;
    const w = this;
    this.ctx = {
      // (what runs the pod on the node reads the kubelet's copy of it, local annotations and all)
      get pod() { return w.localPod; },
      get uid() { return w.uid; },
      get key() { return w.key; },
      get podIP() { return w.podIP; },
      event: (type, reason, message, container) => d.event(w.pod, type, reason, message, container),
      retryIn: (ms) => w.retryIn(ms),
      kick: () => w.kick(),
      get runtime() { return d.runtime; },
      get sandboxId() { return w.sandbox!.id; },
      get containers() { return w.containers; },
      get sources() { return w.volumes.sources; },
      mounts: () => w.volumes.mounts(),
      statusChanged: () => w.reportStatus(),
      latest: (name) => w.latest(name),
      record: (name) => w.record(name),
      firstAttempt: (name) => w.nextAttempt.get(name) ?? 0,
      startContainer: (c, attempt) => w.startContainer(c, attempt),
      restartAllowed: (c, st) => restartAllowed(d, w.ctx, c, st, w.record(c.name!)),
      ensureProbers: (c, st) => ensureProbers(w.ctx, c, st, w.record(c.name!)),
      stopProbers: (name) => w.stopProbers(name),
      refresh: () => w.refresh(),
      fail: (reason, message) => void (w.failed = { reason, message }),
    };
    this.volumes = new PodVolumes(d, this.ctx);
    this.untrackVolumes = trackVolumes(this.volumes);
    this.sandboxes = new PodSandboxMaker(d, this.ctx, (ip) => (w.podIP = ip), () => w.stopped);
  }

  get uid(): string {
    return this.pod.metadata!.uid!;
  }

  /** When this worker first saw the pod: its kubernetes.io/config.seen. */
  private readonly seen = rfc3339Nano(new Date());
  private local: { from: Pod; pod: Pod } | undefined;

  /** The pod with the annotations the kubelet's pod config adds (withLocalAnnotations), made again only when the pod changes. */
  private get localPod(): Pod {
    if (this.local?.from !== this.pod) this.local = { from: this.pod, pod: withLocalAnnotations(this.pod, this.seen) };
    return this.local.pod;
  }

  /**
   * The pod's terminal phase as the API holds it (Succeeded or Failed), or undefined. A pod whose
   * phase is terminal there stays so (no phase leaves Succeeded or Failed): its containers are
   * not started again whatever their restart policy, and what still runs of it is stopped, as
   * the kubelet's pod workers end such a pod. That is how an agent restarted after a pod ended
   * knows it. (A static pod's worker is made from its manifest and has no phase of its own.)
   */
  get endedInApi(): 'Succeeded' | 'Failed' | undefined {
    const phase = this.pod.status?.phase;
    return isTerminalPhase(phase) && !isStaticPod(this.pod) ? (phase as 'Succeeded' | 'Failed') : undefined;
  }

  get key(): string {
    return `${this.pod.metadata!.namespace}/${this.pod.metadata!.name}`;
  }

  /**
   * The pod as the API has it now (undefined: deleted). A change of its status alone does not
   * run a sync, as the kubelet's pod config passes on only what differs semantically: most are
   * the agent's own reports coming back, and a start that failed would otherwise be tried again
   * at once on its own report, in a loop, instead of after its retry delay. A status change that
   * matters here still does: the phase (an end the API holds), or a condition another controller
   * sets (a readiness gate's).
   */
  update(pod: Pod | undefined): void {
    if (pod) {
      const changed = differsForSync(this.pod, pod);
      this.pod = pod;
      if (!changed) return;
    } else this.deleted = true;
    this.kick();
  }

  /**
   * Admission waiting on the pods preempted for this one: the kubelet's killPodFunc blocks until
   * they are gone, so the pod is admitted, and synced at all, only then.
   */
  admitAfter(preempted: Promise<unknown>): void {
    this.admission = preempted.then(
      () => undefined,
      () => undefined,
    );
  }

  /** Run a sync now, or once the current one ends (coalescing). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.running = true;
    this.looping = this.loop();
  }

  private async loop(): Promise<void> {
    if (this.admission) {
      await Promise.race([this.admission, this.halted]);
      if (this.stopped) return void (this.running = false);
      this.admission = undefined;
    }
    do {
      this.dirty = false;
      // (kubelet_pod_worker_duration_seconds: the pod's first sync is its create, later ones syncs)
      const timer = podWorkerDuration.startTimer({ operation_type: this.syncedOnce ? 'sync' : 'create' });
      this.syncedOnce = true;
      try {
        await this.sync();
        timer();
      } catch (e) {
        timer();
        podWorkerErrors.inc();
        log.warn('pod sync failed', { pod: this.key, err: e instanceof Error ? e.message : String(e) });
        this.retryIn(2000);
      }
    } while (this.dirty && !this.terminated && !this.stopped);
    this.running = false;
  }

  /** Syncs again in `ms`, or at the earlier time a retry is already set for (two containers' back-offs: the first due wins). */
  private retryIn(ms: number): void {
    if (this.stopped) return;
    const at = Date.now() + ms;
    if (this.retryTimer && this.retryAt > Date.now() && this.retryAt <= at) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryAt = at;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, ms);
  }

  record(name: string): ContainerRecord {
    let r = this.records.get(name);
    if (!r) {
      r = { notBefore: 0, delaySec: 0, ready: false, started: false, probers: [] };
      this.records.set(name, r);
    }
    return r;
  }

  /** The newest attempt of a container, and the one before it (for logs --previous). */
  latest(name: string): ContainerStatus | undefined {
    return latestAttempt(this.containers, name);
  }

  previous(name: string): ContainerStatus | undefined {
    return previousAttempt(this.containers, name) ?? this.formerAttempt.get(name);
  }

  private async readTerminationMessages(): Promise<void> {
    for (const c of this.containers) {
      if (c.state !== ContainerState.Exited || this.terminationMessages.has(c.id)) continue;
      const file = c.annotations?.['tskube.io/termination-log'];
      // (the file's end: what a program writes last is what it died of)
      let msg = file ? await readMessageFile(file).catch(() => '') : '';
      const spec = containerSpecOf(this.pod, c.labels[containerNameLabel]);
      if (!msg && c.exitCode !== 0 && spec?.terminationMessagePolicy === 'FallbackToLogsOnError') {
        const lines: string[] = [];
        for await (const l of this.d.runtime.readLogs(c.id, { tail: MAX_MESSAGE_LOG_LINES })) lines.push(l);
        // (the log's own bytes: each full line carries its newline, a partial last one none)
        msg = messageFromLog(lines);
      }
      this.terminationMessages.set(c.id, capForPod(msg, this.pod));
    }
  }

  private async refresh(): Promise<void> {
    const rt = this.d.runtime;
    if (!this.formerLoaded) {
      this.formerLoaded = true;
      await this.loadFormerAttempts();
    }
    // (a reclaimed pod's status stays what its sandbox and containers last showed: its pod IP
    // too, as the 1.32 kubelet keeps a terminal pod's IPs)
    if (!this.reclaimed) {
      const sandboxes = (await rt.listPodSandbox({ labelSelector: { [podUidLabel]: this.uid } })).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
      this.sandbox = sandboxes[0];
      this.podIP = this.sandbox?.ip ?? '';
    }
    this.containers = this.reclaimed ?? (await rt.listContainers({ labelSelector: { [podUidLabel]: this.uid } }));
    await this.readTerminationMessages().catch(() => {});
  }

  async sync(): Promise<void> {
    if (this.terminated) return;
    await this.refresh();
    const pod = this.pod;
    // (kept from the pod's status across a restart of the agent, as the kubelet does)
    this.startTime ??= pod.status?.startTime;
    if (this.deleted || pod.metadata?.deletionTimestamp) return this.terminate();
    if (this.eviction) return this.stopEvicted();
    // A pod that has run to its end (restartPolicy Never/OnFailure, every app container done, an
    // init container failed under Never, its deadline passed) gets no new sandbox (endPod).
    if (this.failed || this.endedInApi || this.finished()) return this.endPod();
    const spec = pod.spec!;
    // As the kubelet's SyncPod, the status goes out before the sandbox and containers are made: a
    // pod whose image pulls or whose postStart hook runs long shows Pending meanwhile, its
    // containers waiting (ContainerCreating, PodInitializing), with its host IP, start time and
    // conditions, not the bare status of its creation. (Unchanged, it is not written again.)
    this.startTime ??= rfc3339Now();
    this.reportStatus();
    // The volumes come before the sandbox, as the kubelet's SyncPod waits for them
    // (WaitForAttachAndMount) before the runtime makes one: a pod whose secret or claim is
    // missing has no sandbox, and so PodReadyToStartContainers False, while it waits.
    // (both kinds are tried whatever the other does: each volume has its own FailedMount)
    const apiDataReady = await this.volumes.prepareApiData();
    if (!(await this.volumes.prepareClaimVolumes()) || !apiDataReady) return this.reportStatus();
    if (this.stopped) return;
    if (await this.killOutOfLayout()) return this.reportStatus();
    if (this.stopped) return;
    if (!this.sandbox || this.sandbox.state !== 'SANDBOX_READY') {
      const wait = this.sandboxes.backoffLeft();
      if (wait > 0) {
        this.retryIn(wait + 50);
        return this.reportStatus();
      }
      if (!(await this.createSandbox())) return this.reportStatus();
      if (this.stopped) return;
      await this.refresh();
    }
    // (the kubelet's getPullSecretsForPod, once the volumes are in place: on every sync, the
    // recorder counting the repeats on one event)
    const missing = missingPullSecrets(pod, this.volumes.sources);
    if (missing.length) this.d.event(pod, 'Warning', 'FailedToRetrieveImagePullSecret', missingPullSecretsMessage(missing));
    if (this.deadlineExceeded()) {
      this.reportStatus();
      if (await this.stopActive(spec.terminationGracePeriodSeconds ?? 30)) this.reportStatus();
      return;
    }
    const policy = spec.restartPolicy ?? 'Always';
    await this.restartChanged();
    if (this.stopped) return;
    if (!(await syncInitContainers(this.ctx, policy))) return this.reportStatus();
    // App containers.
    let allStarted = true;
    for (const c of spec.containers ?? []) {
      if (this.stopped) return;
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
        // An attempt that ran another image than the spec names now is not the one to back off
        // from (the kubelet keys its back-off by the container's definition): its restart was a
        // definition change whose start failed (an image that cannot be pulled waits out the image
        // pull back-off, ImagePullBackOff, not CrashLoopBackOff), or the image changed after it exited.
        const changed = st.image !== c.image;
        const restart = (changed && rec.changedRestart) || policy === 'Always' || (policy === 'OnFailure' && st.exitCode !== 0);
        if (restart && (changed || this.ctx.restartAllowed(c, st))) await this.startContainer(c, restartCountOf(st) + 1);
      }
    }
    // Ephemeral containers (kubectl debug): started once, never restarted, in the pod's
    // namespaces and, with targetContainerName, in that container's PID namespace.
    for (const ec of this.finished() ? [] : (spec.ephemeralContainers ?? [])) {
      if (this.stopped) return;
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

  private reportStatus(): void {
    if (this.stopped) return;
    this.d.statusChanged();
  }

  /**
   * The kubelet's "definition changed" restart: an app container or sidecar that runs an image
   * other than its spec's now (the one field of a container a pod update may change) is stopped
   * with the pod's grace period and started from the new spec at once, whatever the restart
   * policy and without back-off, its restart count one higher.
   */
  private async restartChanged(): Promise<void> {
    const spec = this.pod.spec!;
    for (const c of [...(spec.initContainers ?? []).filter(isSidecar), ...(spec.containers ?? [])]) {
      if (this.stopped) return;
      const st = this.latest(c.name!);
      if (!st || !isActive(st) || st.image === c.image) continue;
      this.stopProbers(c.name!);
      this.record(c.name!).ready = false;
      this.record(c.name!).changedRestart = true;
      const deadline = Date.now() + Number(spec.terminationGracePeriodSeconds ?? 30) * 1000;
      await this.untilHalted(stopContainer(this.d.runtime, this.ctx, c.name!, st, deadline, `Container ${c.name} definition changed, will be restarted`, undefined, MINIMUM_GRACE_PERIOD_SEC));
      if (this.stopped) return;
      await this.startContainer(c, restartCountOf(st) + 1);
      await this.refresh();
    }
  }

  /**
   * The kubelet's SyncPod: a pod with a running container whose cgroup is not where the current
   * layout puts it (pcm.Exists false, not its first sync) is killed, so that it starts again in its
   * QoS tier: one the agent ran before the QoS tiers, or under another --cgroup-root. Its
   * containers are stopped with its grace period ('Stopping container c') and its sandbox with
   * them; the next sync makes a new sandbox (SandboxChanged), its containers' restart counts going
   * on, or, for a restartPolicy Never pod, none: it has run (it ends Failed). Returns whether it did.
   */
  private async killOutOfLayout(): Promise<boolean> {
    const sandbox = this.sandbox;
    const want = this.d.podCgroupPath?.(this.pod);
    if (!want || sandbox?.state !== 'SANDBOX_READY' || !sandbox.cgroupParent || sandbox.cgroupParent === want) return false;
    if (!this.containers.some((c) => c.state === ContainerState.Running)) return false;
    log.info('the pod cgroup is not in the current layout; killing the pod to start it again there', { pod: this.key, cgroup: sandbox.cgroupParent, want });
    const pod = this.pod;
    await this.stopContainers(pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30);
    if (this.stopped) return true;
    await timed(runtimeOps, 'stop_podsandbox', () => this.d.runtime.stopPodSandbox(sandbox.id));
    await this.refresh();
    this.retryIn(0);
    return true;
  }

  /** Makes the pod's sandbox; a dead one is replaced, and its containers' restart counts go on in the new one (as the kubelet's do). */
  private async createSandbox(): Promise<boolean> {
    if (this.sandbox) {
      // (SyncPod's words when the pod had a sandbox: one that died, or one killed above)
      this.d.event(this.pod, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
      for (const c of this.containers) {
        const name = c.labels[containerNameLabel];
        if (name && this.latest(name) === c) {
          this.nextAttempt.set(name, restartCountOf(c) + 1);
          await this.keepFormerAttempt(name, c);
        }
      }
    }
    return this.sandboxes.create(this.sandbox && { sandbox: this.sandbox, containers: this.containers });
  }

  /**
   * Keeps a replaced sandbox's last attempt of a container as its previous one, its log moved
   * out of the runtime's directory for the sandbox (removed with it) into the pod's directory, so
   * that kubectl logs --previous still shows it: the kubelet's logs live in
   * /var/log/pods/<ns>_<pod>_<uid>/<container>/<attempt>.log, apart from the sandbox, and outlive
   * it, a reboot's included. The former attempt it replaces goes with its log, as the kubelet's
   * container GC keeps one dead container per name.
   */
  private async keepFormerAttempt(name: string, c: ContainerStatus): Promise<void> {
    const dir = join(this.d.podsDir, this.uid, FORMER_LOGS_DIR);
    const kept = join(dir, `${name}_${c.metadata.attempt}.log`);
    let logPath = c.logPath;
    try {
      await mkdir(dir, { recursive: true });
      await rename(c.logPath, kept).catch(async (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EXDEV') throw e;
        await copyFile(c.logPath, kept);
        await rm(c.logPath, { force: true });
      });
      logPath = kept;
    } catch (e) {
      // (none written, or unreadable: the previous attempt's logs are gone with its sandbox)
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log.warn('cannot keep the log of a replaced sandbox\'s container', { pod: this.key, container: name, err: e });
    }
    const replaced = this.formerAttempt.get(name);
    if (replaced && replaced.metadata.attempt !== c.metadata.attempt) {
      for (const f of [join(dir, `${name}_${replaced.metadata.attempt}.log`), join(dir, `${name}_${replaced.metadata.attempt}.json`)]) await rm(f, { force: true }).catch(() => {});
    }
    const former = { ...c, logPath };
    this.formerAttempt.set(name, former);
    // (its record too, as the runtime keeps a dead container's: the agent's restart finds it again)
    await writeFile(join(dir, `${name}_${c.metadata.attempt}.json`), JSON.stringify(former)).catch((e: Error) => log.warn('cannot keep the record of a replaced sandbox\'s container', { pod: this.key, container: name, err: e.message }));
  }

  /**
   * The former attempts kept by an earlier run of the agent (keepFormerAttempt), the latest of each
   * container: read once, at the worker's first sync, so that their last state and logs are shown
   * after the agent restarts, as the kubelet finds the dead sandbox's containers in the runtime.
   */
  private async loadFormerAttempts(): Promise<void> {
    const dir = join(this.d.podsDir, this.uid, FORMER_LOGS_DIR);
    for (const f of await readdir(dir).catch(() => [] as string[])) {
      if (!f.endsWith('.json')) continue;
      try {
        const c = JSON.parse(await readFile(join(dir, f), 'utf8')) as ContainerStatus;
        const name = c.labels[containerNameLabel];
        const known = name && this.formerAttempt.get(name);
        if (name && (!known || known.metadata.attempt < c.metadata.attempt)) this.formerAttempt.set(name, c);
      } catch (e) {
        log.warn('cannot read the record of a replaced sandbox\'s container', { pod: this.key, file: f, err: (e as Error).message });
      }
    }
  }

  private startContainer(c: Container, attempt: number, pidNamespaceOf?: string): Promise<void> {
    return startContainer(this.d, this.ctx, c, this.record(c.name!), attempt, pidNamespaceOf);
  }

  private ensureProbers(c: Container, st: ContainerStatus): void {
    ensureProbers(this.ctx, c, st, this.record(c.name!));
  }

  private stopProbers(name: string): void {
    const rec = this.records.get(name);
    if (rec) stopProbers(rec);
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
      if (!this.stopped) this.deadlineTimer = setTimeout(() => this.kick(), left + 10);
      return false;
    }
    const message = 'Pod was active on the node longer than the specified deadline';
    this.failed = { reason: 'DeadlineExceeded', message };
    this.d.event(this.pod, 'Normal', 'DeadlineExceeded', message);
    return true;
  }

  /** Stops the containers still created or running (probers first) and re-reads them; false when there were none. */
  private async stopActive(grace: number): Promise<boolean> {
    if (!this.containers.some(isActive)) return false;
    await this.stopContainers(grace);
    if (this.stopped) return false;
    await this.refresh();
    return true;
  }

  /**
   * Stops the containers with their grace period; a stop of the worker meanwhile ends the wait
   * (the runtime goes on with the stop, its SIGKILL at the deadline, as containerd goes on with
   * a StopContainer its kubelet no longer waits for).
   */
  private async stopContainers(grace: number): Promise<void> {
    for (const name of this.records.keys()) this.stopProbers(name);
    await this.untilHalted(stopContainers(this.d.runtime, this.ctx, this.containers, grace));
  }

  /** `work`, or less once the worker is stopped. */
  private untilHalted(work: Promise<unknown>): Promise<unknown> {
    return Promise.race([work, this.halted]);
  }

  /**
   * Graceful termination: preStop, stop with the grace period, the terminal status, teardown,
   * confirm. As the kubelet's SyncTerminatingPod and status manager: once the containers have
   * stopped, the pod's final status (Succeeded when every app container exited 0, otherwise
   * Failed; containers terminated, not ready) is written, and the pod is deleted for good only
   * when the API holds it (canBeDeleted), so a pod a finalizer holds keeps how it ended. (A static
   * pod gets no terminal phase, nor one already gone from the API.)
   */
  private async terminate(): Promise<void> {
    const pod = this.pod;
    await this.stopContainers(pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30);
    // (an agent that stops meanwhile leaves the rest to its next start: the pod deleted while it
    // was down, or still terminating, is found and torn down then)
    if (this.stopped) return;
    let confirm = !this.deleted && !!pod.metadata?.deletionTimestamp;
    if (confirm && !isStaticPod(pod)) {
      await this.refresh().catch(() => {});
      this.terminal = true;
      confirm = await this.d.reportTerminal();
    }
    this.terminated = true;
    await this.teardown();
    this.untrackVolumes();
    forgetProbeSeries(this.ctx, [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]);
    if (confirm && !this.deleted) await this.d.confirmDeleted(pod);
    this.d.finished(this.uid);
  }

  /** Torn down after its deletion: its status is written for good (the status manager's ReportedPod). */
  get tornDown(): boolean {
    return this.terminated;
  }

  /**
   * The eviction manager's kill: the pod fails for good (phase Failed, reason Evicted, a
   * DisruptionTarget condition with `disruptionMessage`, none when null) and its containers stop
   * within `graceSec`; resolves once they have. The critical pod admission handler's too, with its
   * own reason (Preempting) and condition message.
   */
  evict(message: string, graceSec: number, reason = 'Evicted', disruptionMessage: string | null = message): Promise<void> {
    this.failed = { reason, message };
    this.killedForGood = true;
    if (disruptionMessage !== null) this.disruption = { reason: 'TerminationByKubelet', message: disruptionMessage };
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
    if (await this.stopActive(ev.graceSec)) this.reportStatus();
    if (this.stopped) return;
    await this.releaseSandbox();
    for (const w of ev.waiters.splice(0)) w();
  }

  /** A pod that has run to its end: its sidecars are stopped, in order, and not restarted (the kubelet's KillPod); then its sandbox is released. */
  private async endPod(): Promise<void> {
    await this.stopActive(this.pod.spec?.terminationGracePeriodSeconds ?? 30);
    if (this.stopped) return;
    await this.releaseSandbox();
    return this.reportStatus();
  }

  /**
   * The kubelet's KillPodSandbox for a pod that has ended (run to its end, failed, evicted): once
   * its containers have stopped, its network goes (veth, address back to the node's pool) and its
   * sandbox stops, giving up its namespaces and pod cgroup (the runtime's stop); the sandbox
   * record, logs and volumes stay until the pod is deleted or the container GC takes them
   * (removeEndedContainers). Without it every evicted or completed pod held an address of the
   * node's podCIDR until deleted.
   */
  private async releaseSandbox(): Promise<void> {
    const s = this.sandbox;
    if (!s || s.state !== 'SANDBOX_READY' || this.containers.some((c) => c.state === ContainerState.Running)) return;
    if (s.netnsPath) await this.d.network().then((n) => n.teardownPod(s.id)).catch((e) => log.warn('network teardown of an ended pod failed', { pod: this.key, err: e }));
    await this.d.runtime.stopPodSandbox(s.id).catch((e) => log.warn('stopping the sandbox of an ended pod failed', { pod: this.key, err: e }));
    await this.refresh();
  }

  /** Removes the pod's containers, network and sandbox (idempotent). */
  async teardown(): Promise<void> {
    await this.refresh().catch(() => {});
    const left = this.reclaimed ? await this.d.runtime.listContainers({ labelSelector: { [podUidLabel]: this.uid } }).catch(() => []) : this.containers;
    await teardownPod(this.d, this, left);
  }

  /**
   * The container GC's removal of a pod that has ended (run to its end, failed, evicted) and is
   * not deleted: for an evicted pod in the periodic pass, for any under disk pressure (the
   * kubelet's DeleteAllUnusedContainers). Its containers go, with their writable layers and logs
   * (evictContainers), then its stopped sandbox, now without containers, with its files and
   * emptyDir volumes (kuberuntime_gc.go evictSandboxes: every sandbox of a pod whose content or
   * runtime should be removed); the pod's status keeps what they last reported, and the pod is
   * never started again. Returns how many containers were removed (0 for a pod still running,
   * being synced, or already reclaimed).
   */
  async removeEndedContainers(): Promise<number> {
    if (this.running || this.terminated || this.deleted || this.sandboxesRemoved || this.pod.metadata?.deletionTimestamp) return 0;
    const rt = this.d.runtime;
    let removed = 0;
    if (!this.reclaimed) {
      // (what the runtime has now, as the kubelet's GC lists it: a worker not yet synced knows nothing)
      await this.refresh();
      if (this.running || this.containers.some(isActive) || this.sandbox?.state === 'SANDBOX_READY') return 0;
      // Only once the apiserver holds the pod's end: a restarted agent knows an ended pod by its
      // phase there, and would otherwise find no containers and run it again. (A static pod's
      // worker is made from its manifest, with no phase: its exited containers are what it knows.)
      if (!this.endedInApi) return 0;
      const dead = this.containers;
      this.reclaimed = dead;
      for (const c of dead) {
        await rt
          .removeContainer(c.id)
          .then(() => removed++)
          .catch((e: Error) => log.warn('removing an ended pod\'s container failed', { pod: this.key, container: c.labels[containerNameLabel], err: e.message }));
      }
    }
    // Its sandboxes once none holds a container (one whose removal failed keeps them until a
    // later pass finds it gone: the pod's deletion takes both).
    if ((await rt.listContainers({ labelSelector: { [podUidLabel]: this.uid } })).length) return removed;
    let left = 0;
    for (const s of await rt.listPodSandbox({ labelSelector: { [podUidLabel]: this.uid } })) {
      if (s.state === 'SANDBOX_READY') continue;
      await rt.removePodSandbox(s.id).catch((e: Error) => (left++, log.warn('removing an ended pod\'s sandbox failed', { pod: this.key, sandbox: s.id, err: e.message })));
    }
    this.sandboxesRemoved = !left;
    return removed;
  }

  /**
   * The agent stops: no sync starts again, and the one under way ends at its next step (a wait
   * for containers to stop or for preempted pods is cut short). Resolves once it has ended, so
   * that nothing of the pod (its QoS tier, its cgroup, its sandbox) is made after the agent has
   * stopped: a clean-up of the node that follows finds all there is.
   */
  stop(): Promise<void> {
    this.stopped = true;
    this.terminated = true;
    this.halt();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    clearTimeout(this.deadlineTimer);
    this.volumes.stop();
    this.untrackVolumes();
    for (const name of this.records.keys()) this.stopProbers(name);
    return this.looping;
  }
}

/** The conditions the agent itself reports; a change of any other is another controller's. */
const OWN_CONDITIONS = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled', 'DisruptionTarget']);

/** Whether an update of the pod is one a sync must see: not only the agent's own status coming back. */
export function differsForSync(a: Pod, b: Pod): boolean {
  const meta = (p: Pod) => [p.metadata?.uid, p.metadata?.labels, p.metadata?.annotations, p.metadata?.deletionTimestamp, p.metadata?.deletionGracePeriodSeconds];
  const others = (p: Pod) => (p.status?.conditions ?? []).filter((c) => !OWN_CONDITIONS.has(c.type ?? '')).map((c) => [c.type, c.status]);
  return JSON.stringify([meta(a), a.spec, a.status?.phase, others(a)]) !== JSON.stringify([meta(b), b.spec, b.status?.phase, others(b)]);
}
