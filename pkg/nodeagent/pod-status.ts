// Pod status as the kubelet reports it: phase, conditions, IPs, start time, QoS class, and
// container statuses with state, lastState, restartCount, ready, started, image, imageID,
// containerID and reasons.
import { podQOSClass } from '../api/defaults.js';
import type { Container, Pod } from '../api/types.js';
import { ContainerState, type ContainerStatus } from '../runtime/types.js';
import { isActive, restartCountOf } from './container-labels.js';
import type { ContainerRecord } from './pod-worker-deps.js';
import { rfc3339Now } from '../util/time.js';
import { isSidecar } from '../api/pod-resources.js';

type Json = Record<string, unknown>;

/** What the status is computed from: a pod worker's view of its pod (PodWorker is one). */
export interface PodView {
  readonly pod: Pod;
  readonly sandbox: { readonly id: string; readonly state?: string } | undefined;
  readonly podIP: string;
  readonly startTime?: string;
  /** The pod failed for good, and why. */
  readonly failed?: { reason: string; message: string };
  /** The pod's terminal phase as the API holds it: it stays (no phase leaves Succeeded or Failed). */
  readonly endedInApi?: 'Succeeded' | 'Failed';
  /** The DisruptionTarget condition, when the node agent ends the pod itself. */
  readonly disruption?: { reason: string; message: string };
  /**
   * The pod was deleted and its containers have stopped (the kubelet's podIsTerminal, in
   * SyncTerminatingPod): its phase is terminal by its containers' ends, and none waits for a restart.
   */
  readonly terminal?: boolean;
  readonly records: ReadonlyMap<string, ContainerRecord>;
  readonly terminationMessages: ReadonlyMap<string, string>;
  /** The newest attempt of a container, and the one before it. */
  latest(name: string): ContainerStatus | undefined;
  previous(name: string): ContainerStatus | undefined;
}

const ts = (s?: string) => (s ? s.replace(/\.\d+Z$/, 'Z') : undefined);

function stateOf(st: ContainerStatus | undefined, waiting: { reason: string; message?: string } | undefined, message: string | undefined): Json {
  if (!st || st.state === ContainerState.Created || st.state === ContainerState.Unknown) {
    return { waiting: waiting ?? { reason: 'ContainerCreating' } };
  }
  if (st.state === ContainerState.Running) return { running: { startedAt: ts(st.startedAt) } };
  if (waiting) return { waiting };
  return terminated(st, message);
}

function terminated(st: ContainerStatus, message: string | undefined): Json {
  const reason = st.reason || (st.exitCode === 0 ? 'Completed' : 'Error');
  const msg = message || st.message;
  return {
    terminated: {
      exitCode: st.exitCode ?? 0,
      reason,
      ...(msg ? { message: msg } : {}),
      startedAt: ts(st.startedAt),
      finishedAt: ts(st.finishedAt),
      containerID: `tskube://${st.id}`,
    },
  };
}

/** What the kubelet reports of a container it cannot find once its pod has ended (TerminatePod). */
const LOST_CONTAINER = { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' };
/** ... and as the last state of one that was running before (convertToAPIContainerStatuses). */
const LOST_RUNNING = { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was deleted.  The container used to be Running' };

type HeldStatus = NonNullable<NonNullable<Pod['status']>['containerStatuses']>[number];
const heldStatus = (list: HeldStatus[] | undefined, name: string) => list?.find((s) => s.name === name);
/** Whether a container has ever left waiting (the kubelet's evidence of a start). */
const begun = (s: HeldStatus | Json | undefined) => !!s && (!(s.state as Json | undefined)?.waiting || !!(s.lastState as Json | undefined)?.terminated);

/**
 * The status of a container of an ended pod that the runtime no longer has (removed, or lost
 * with the node's runtime state while the agent was down), from what the API holds: the
 * kubelet's convertToAPIContainerStatuses. A terminated state stays. A container that was
 * running was restarted as far as anyone knows: its last state says it could not be located,
 * its restart count goes one up. The container ID goes with the container.
 */
function formerStatus(w: PodView, c: Container, held: HeldStatus | undefined, waiting: { reason: string }): Json {
  if (held?.state?.terminated) return { ...held, ready: false, started: false };
  const out: Json = { name: c.name, state: { waiting }, lastState: held?.lastState ?? {}, ready: false, restartCount: held?.restartCount ?? 0, image: c.image, imageID: '', started: false, ...mountStatuses(c) };
  if (held?.state?.running && !held.lastState?.terminated) {
    out.lastState = { terminated: { ...LOST_RUNNING } };
    if (!w.pod.metadata?.deletionTimestamp) out.restartCount = (held.restartCount ?? 0) + 1;
  }
  return out;
}

/**
 * The kubelet's TerminatePod, once an ended pod has nothing running: whether a container that is
 * not terminated succeeded is not known, so it is reported as failed (ContainerStatusUnknown,
 * exit code 137) rather than let the pod read as successful: every app container once the pod
 * had initialized, and the init containers up to the last that was ever started (or the first).
 */
function terminatePod(pod: Pod, inits: Json[], apps: Json[]): void {
  const unknown = (s: Json) => {
    if (!(s.state as Json | undefined)?.terminated) s.state = { terminated: { ...LOST_CONTAINER } };
  };
  if (hasPodInitialized(pod)) apps.forEach(unknown);
  let last = inits.length ? 0 : -1;
  inits.forEach((s, i) => void (begun(s) && (last = i)));
  inits.slice(0, last + 1).forEach(unknown);
}

/** The kubelet's hasPodInitialized, from the status the API holds. */
function hasPodInitialized(pod: Pod): boolean {
  const inits = pod.spec?.initContainers ?? [];
  if (!inits.length) return true;
  if ((pod.status?.containerStatuses ?? []).some(begun)) return true;
  const held = pod.status?.initContainerStatuses ?? [];
  const last = held[held.length - 1];
  const c = last && inits.find((x) => x.name === last.name);
  if (!last || !c) return false;
  if (isSidecar(c)) return !!last.state?.running && last.started === true;
  return last.lastState?.terminated?.exitCode === 0 || last.state?.terminated?.exitCode === 0;
}

/**
 * RecursiveReadOnlyMounts (beta, on in 1.32): a container's mounts, read-only ones not recursively
 * so. From the spec, as convertToAPIContainerStatuses fills them in the default waiting status of
 * every container, so one not created yet lists them too.
 */
function mountStatuses(c: Container): Json {
  if (!c.volumeMounts?.length) return {};
  return { volumeMounts: c.volumeMounts.map((m) => ({ name: m.name, mountPath: m.mountPath, ...(m.readOnly ? { readOnly: true, recursiveReadOnly: 'Disabled' } : {}) })) };
}

function containerStatus(w: PodView, c: Container, kind: 'init' | 'app' | 'ephemeral'): Json {
  const init = kind === 'init';
  const st = w.latest(c.name!);
  if (!st && w.endedInApi) {
    const held = w.pod.status;
    // (an ephemeral container's status is kept as it was: TerminatePod does not touch them)
    if (kind === 'ephemeral') return { ...(heldStatus(held?.ephemeralContainerStatuses, c.name!) ?? { name: c.name, state: { waiting: { reason: 'ContainerCreating' } }, lastState: {}, restartCount: 0, image: c.image, imageID: '' }), ready: false };
    return formerStatus(w, c, heldStatus(init ? held?.initContainerStatuses : held?.containerStatuses, c.name!), { reason: (w.pod.spec?.initContainers ?? []).length ? 'PodInitializing' : 'ContainerCreating' });
  }
  const rec = w.records.get(c.name!);
  const prev = w.previous(c.name!);
  // (a container of an ended or deleted pod is not restarted: it reads as what it ended with, not as
  // waiting for a restart, as ShouldContainerBeRestarted says no once the pod is deleted)
  const ended = w.endedInApi || w.terminal;
  // (convertToAPIContainerStatuses: an exited container waits, with why its start failed
  // (RunContainerError, PostStartHookError, CrashLoopBackOff), only when ShouldContainerBeRestarted
  // says it starts again: not under the pod's restartPolicy Never, nor OnFailure once it exited 0,
  // nor an init container that completed; a sidecar always starts again. Otherwise it stays
  // terminated: a Never pod's StartError is never shown as waiting, not even until its phase is written.)
  const policy = w.pod.spec?.restartPolicy ?? 'Always';
  const exited = st?.state === ContainerState.Exited;
  const restarts = !exited || (init && isSidecar(c)) || (!(init && st.exitCode === 0) && (policy === 'Always' || (policy === 'OnFailure' && st.exitCode !== 0)));
  const waiting = rec?.waiting && restarts && (!st || (st.state !== ContainerState.Running && !ended)) ? rec.waiting : undefined;
  const running = st?.state === ContainerState.Running;
  // A container that has not passed its startup probe is not ready, whatever readiness says (the prober manager's UpdatePodStatus).
  const started = running && (rec?.started ?? true);
  // An exited container shown as waiting for its restart is the last state (the kubelet moves
  // Terminated to LastTerminationState before it says Waiting): the one before it is older.
  const last = waiting && st?.state === ContainerState.Exited ? st : prev;
  const out: Json = {
    name: c.name,
    // (convertToAPIContainerStatuses: a container not created yet waits as PodInitializing in a pod
    // with init containers, init, app and ephemeral ones alike, even once the init containers are
    // done, unless its last start failed for a reason of its own)
    state: stateOf(st, !st && !waiting && w.pod.spec?.initContainers?.length ? { reason: 'PodInitializing' } : waiting, st ? w.terminationMessages.get(st.id) : undefined),
    lastState: last ? terminated(last, w.terminationMessages.get(last.id)) : {},
    ready: !init && started && !!rec?.ready,
    restartCount: st ? restartCountOf(st) : 0,
    image: st?.image || c.image, // (the running container's: the old image until a changed definition has restarted it)
    imageID: st?.imageRef ?? '',
    started,
  };
  if (st) out.containerID = `tskube://${st.id}`;
  // (started is the prober manager's, and its UpdatePodStatus sets it for app and init containers
  // alone: an ephemeral container's status has none)
  if (kind === 'ephemeral') delete out.started;
  Object.assign(out, mountStatuses(c));
  if (init && isSidecar(c)) out.ready = started && !!rec?.ready;
  else if (init && st?.state === ContainerState.Exited) out.ready = st.exitCode === 0;
  return out;
}

/** A sidecar counts as started while it runs with its startup probe passed (or none). */
const sidecarStarted = (w: PodView, c: Container): boolean => w.latest(c.name!)?.state === ContainerState.Running && (w.records.get(c.name!)?.started ?? true);

/**
 * The init containers that hold the pod's initialization: ordinary ones that have not exited 0 and
 * sidecars not started. None once an app container has been started (the pod was initialized; a
 * sidecar restarting later does not undo that, nor does a completed init container removed).
 */
export function pendingInitContainers(w: PodView): string[] {
  const spec = w.pod.spec!;
  if ((spec.containers ?? []).some((c) => w.latest(c.name!))) return [];
  // (nor for an ended pod the API holds initialized, whose containers the node no longer has)
  if (w.endedInApi && w.pod.status?.conditions?.some((c) => c.type === 'Initialized' && c.status === 'True')) return [];
  return (spec.initContainers ?? [])
    .filter((c) => {
      if (isSidecar(c)) return !sidecarStarted(w, c);
      const st = w.latest(c.name!);
      return !(st?.state === ContainerState.Exited && st.exitCode === 0);
    })
    .map((c) => c.name!);
}

/** Kubernetes' getPhase over app containers, after init. */
export function computePhase(w: PodView): string {
  const spec = w.pod.spec!;
  // (no phase leaves Succeeded or Failed: the API's wins over what the worker makes of its containers)
  if (w.endedInApi) return w.endedInApi;
  if (w.failed) return 'Failed';
  // A deleted pod whose containers have stopped (getPhase with podIsTerminal, then TerminatePod):
  // Succeeded when every app container exited 0, whatever the restart policy; otherwise, one
  // never started or still initializing included, Failed.
  if (w.terminal) {
    const ok = (spec.containers ?? []).every((c) => {
      const st = w.latest(c.name!);
      return st?.state === ContainerState.Exited && st.exitCode === 0;
    });
    return ok ? 'Succeeded' : 'Failed';
  }
  // (sidecars' exits do not count: a pod whose app containers are done ends by them)
  if (pendingInitContainers(w).length) return 'Pending';
  let running = 0;
  let waiting = 0;
  let succeeded = 0;
  let failed = 0;
  for (const c of spec.containers ?? []) {
    const st = w.latest(c.name!);
    if (!st || st.state === ContainerState.Created) waiting++;
    else if (st.state === ContainerState.Running) running++;
    else if (st.state === ContainerState.Exited) {
      if (st.exitCode === 0) succeeded++;
      else failed++;
      // A container that will be restarted counts as running (it is in CrashLoopBackOff).
      const policy = spec.restartPolicy ?? 'Always';
      if (policy === 'Always' || (policy === 'OnFailure' && st.exitCode !== 0)) {
        if (st.exitCode === 0) succeeded--;
        else failed--;
        running++;
      }
    }
  }
  if (waiting > 0 && running === 0 && succeeded === 0 && failed === 0) return 'Pending';
  if (running > 0 || waiting > 0) return 'Running';
  // App containers done: sidecars still running (being stopped) keep the pod Running, as the
  // kubelet's getPhase counts them; once they have stopped the pod is done.
  if ((spec.initContainers ?? []).some((c) => isSidecar(c) && w.latest(c.name!)?.state === ContainerState.Running)) return 'Running';
  if (failed > 0) return 'Failed';
  return 'Succeeded';
}

export function computeStatus(w: PodView, hostIP: string): Json {
  const pod = w.pod;
  const spec = pod.spec!;
  const phase = computePhase(w);
  const pendingInit = pendingInitContainers(w);
  const initialized = pendingInit.length === 0;
  const initStatuses = (spec.initContainers ?? []).map((c) => containerStatus(w, c, 'init'));
  const statuses = (spec.containers ?? []).map((c) => containerStatus(w, c, 'app'));
  const active = [...(spec.initContainers ?? []), ...(spec.containers ?? [])].some((c) => {
    const st = w.latest(c.name!);
    return !!st && isActive(st);
  });
  if ((w.endedInApi || w.terminal) && !active) terminatePod(pod as Pod, initStatuses, statuses);
  // Sidecars are part of readiness (Kubernetes' GenerateContainersReadyCondition), listed first.
  const sidecarStatuses = initStatuses.filter((_, i) => isSidecar(spec.initContainers![i]!));
  const readiness = [...sidecarStatuses, ...statuses];
  const containersReady = statuses.length > 0 && readiness.every((s) => s.ready) && phase === 'Running';
  const prev = new Map((pod.status?.conditions ?? []).map((c) => [c.type, c]));
  const now = rfc3339Now();
  const cond = (type: string, ok: boolean, reason?: string, message?: string): Json => {
    const status = ok ? 'True' : 'False';
    const old = prev.get(type);
    return { type, status, lastProbeTime: null, lastTransitionTime: old?.status === status ? old.lastTransitionTime : now, ...(reason && !ok ? { reason } : {}), ...(message && !ok ? { message } : {}) };
  };
  const notReady = readiness.filter((s) => !s.ready).map((s) => s.name);
  const unready = `containers with unready status: [${notReady.join(' ')}]`;
  // Readiness gates (GeneratePodReadyCondition): Ready also waits for each gate's condition, which
  // another controller (a load balancer's) sets on the pod; the kubelet only reads them.
  const gates = (spec.readinessGates ?? []).flatMap((g) => {
    const c = prev.get(g.conditionType ?? '');
    if (!c) return [`corresponding condition of pod readiness gate "${g.conditionType}" does not exist.`];
    return c.status === 'True' ? [] : [`the status of pod readiness gate "${g.conditionType}" is not "True", but ${c.status}`];
  });
  // An ended pod's readiness says how it ended and nothing more (generateContainersReadyConditionForTerminalPhase);
  // a pod that succeeded was initialized, and says so (PodCompleted).
  const ended = phase === 'Succeeded' ? 'PodCompleted' : phase === 'Failed' ? 'PodFailed' : undefined;
  const initializedCond = phase === 'Succeeded' ? { ...cond('Initialized', true), reason: 'PodCompleted' } : cond('Initialized', initialized, 'ContainersNotInitialized', `containers with incomplete status: [${pendingInit.join(' ')}]`);
  const conditions = [
    // (a terminal pod's sandbox is as good as gone: the kubelet's killPod stops it with the containers)
    cond('PodReadyToStartContainers', !w.terminal && w.sandbox?.state === 'SANDBOX_READY' && !!w.podIP),
    initializedCond,
    ended ? cond('Ready', false, ended) : containersReady && gates.length ? cond('Ready', false, 'ReadinessGatesNotReady', gates.join(', ')) : cond('Ready', containersReady, 'ContainersNotReady', unready),
    cond('ContainersReady', containersReady, ended ?? 'ContainersNotReady', ended ? undefined : unready),
    ...(prev.get('PodScheduled') ? [prev.get('PodScheduled') as unknown as Json] : [cond('PodScheduled', true)]),
  ];
  if (w.disruption) conditions.push({ type: 'DisruptionTarget', status: 'True', lastProbeTime: null, lastTransitionTime: (prev.get('DisruptionTarget') as { lastTransitionTime?: string } | undefined)?.lastTransitionTime ?? now, reason: w.disruption.reason, message: w.disruption.message });
  const status: Json = {
    phase,
    conditions,
    hostIP,
    hostIPs: [{ ip: hostIP }],
    podIP: w.podIP || undefined,
    podIPs: w.podIP ? [{ ip: w.podIP }] : undefined,
    startTime: w.startTime,
    qosClass: podQOSClass(pod as Pod),
    initContainerStatuses: initStatuses.length ? initStatuses : undefined,
    containerStatuses: statuses,
  };
  // Ephemeral containers are never ready and never restarted; they do not count for the phase.
  const ephemeral = (spec.ephemeralContainers ?? []).map((c) => ({ ...containerStatus(w, c as Container, 'ephemeral'), ready: false }));
  if (ephemeral.length) status.ephemeralContainerStatuses = ephemeral;
  // (an ended pod's reason and message are the API's: eviction, deadline, or whoever ended it)
  if (w.endedInApi) Object.assign(status, { reason: pod.status?.reason, message: pod.status?.message });
  else if (w.failed) Object.assign(status, { reason: w.failed.reason === 'Failed' ? undefined : w.failed.reason, message: w.failed.message || undefined });
  // The status manager's mergePodStatus: a pod does not turn Failed or Succeeded in the API while
  // its containers could still be running (an eviction's or a deadline's kill takes up to the
  // grace period). It keeps the phase, reason and message the API holds until they have stopped;
  // the conditions (DisruptionTarget, Ready False) go out at once.
  const isEnd = (p?: string) => p === 'Failed' || p === 'Succeeded';
  if (isEnd(phase) && active && !isEnd(pod.status?.phase)) {
    Object.assign(status, { phase: pod.status?.phase ?? 'Pending', reason: pod.status?.reason, message: pod.status?.message });
  }
  return status;
}
