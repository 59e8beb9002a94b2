// Pod status as the kubelet reports it: phase, conditions, IPs, start time, QoS class, and
// container statuses with state, lastState, restartCount, ready, started, image, imageID,
// containerID and reasons.
import { podQOSClass } from '../api/defaults.js';
import type { Container, Pod } from '../api/types.js';
import { ContainerState, type ContainerStatus } from '../runtime/types.js';
import { restartCountOf, type PodWorker } from './pod-worker.js';
import { rfc3339Now } from '../util/time.js';

type Json = Record<string, unknown>;

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

function containerStatus(w: PodWorker, c: Container, init: boolean, initDone = true): Json {
  const st = w.latest(c.name!);
  const rec = w.records.get(c.name!);
  const prev = w.previous(c.name!);
  const waiting = rec?.waiting && (!st || st.state !== ContainerState.Running) ? rec.waiting : undefined;
  const running = st?.state === ContainerState.Running;
  const out: Json = {
    name: c.name,
    state: stateOf(st, !st && (init || !initDone) ? { reason: 'PodInitializing' } : waiting, st ? w.terminationMessages.get(st.id) : undefined),
    lastState: prev ? terminated(prev, w.terminationMessages.get(prev.id)) : {},
    ready: !init && running && !!rec?.ready,
    restartCount: st ? restartCountOf(st) : 0,
    image: c.image,
    imageID: st?.imageRef ?? '',
    started: running && (rec?.started ?? true),
  };
  if (st) out.containerID = `tskube://${st.id}`;
  if (init && st?.state === ContainerState.Exited) out.ready = st.exitCode === 0;
  return out;
}

/** Kubernetes' getPhase over app containers, after init. */
export function computePhase(w: PodWorker): string {
  const spec = w.pod.spec!;
  if (w.failed) return 'Failed';
  for (const c of spec.initContainers ?? []) {
    const st = w.latest(c.name!);
    if (!(st?.state === ContainerState.Exited && st.exitCode === 0)) return 'Pending';
  }
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
  if (failed > 0) return 'Failed';
  return 'Succeeded';
}

export function computeStatus(w: PodWorker, hostIP: string): Json {
  const pod = w.pod;
  const spec = pod.spec!;
  const phase = computePhase(w);
  const initialized = (spec.initContainers ?? []).every((c) => {
    const st = w.latest(c.name!);
    return st?.state === ContainerState.Exited && st.exitCode === 0;
  });
  const initStatuses = (spec.initContainers ?? []).map((c) => containerStatus(w, c, true));
  const statuses = (spec.containers ?? []).map((c) => containerStatus(w, c, false, initialized));
  const containersReady = statuses.length > 0 && statuses.every((s) => s.ready) && phase === 'Running';
  const prev = new Map((pod.status?.conditions ?? []).map((c) => [c.type, c]));
  const now = rfc3339Now();
  const cond = (type: string, ok: boolean, reason?: string, message?: string): Json => {
    const status = ok ? 'True' : 'False';
    const old = prev.get(type);
    return { type, status, lastProbeTime: null, lastTransitionTime: old?.status === status ? old.lastTransitionTime : now, ...(reason && !ok ? { reason } : {}), ...(message && !ok ? { message } : {}) };
  };
  const notReady = statuses.filter((s) => !s.ready).map((s) => s.name);
  const unready = `containers with unready status: [${notReady.join(' ')}]`;
  const conditions = [
    cond('PodReadyToStartContainers', !!w.sandbox && !!w.podIP),
    cond('Initialized', initialized, 'ContainersNotInitialized', `containers with incomplete status: [${(spec.initContainers ?? []).filter((c) => !(w.latest(c.name!)?.exitCode === 0)).map((c) => c.name).join(' ')}]`),
    cond('Ready', containersReady, phase === 'Succeeded' || phase === 'Failed' ? 'PodCompleted' : 'ContainersNotReady', unready),
    cond('ContainersReady', containersReady, phase === 'Succeeded' || phase === 'Failed' ? 'PodCompleted' : 'ContainersNotReady', unready),
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
  const ephemeral = (spec.ephemeralContainers ?? []).map((c) => ({ ...containerStatus(w, c as Container, false), ready: false }));
  if (ephemeral.length) status.ephemeralContainerStatuses = ephemeral;
  if (w.failed) Object.assign(status, { reason: w.failed.reason === 'Failed' ? undefined : w.failed.reason, message: w.failed.message });
  return status;
}
