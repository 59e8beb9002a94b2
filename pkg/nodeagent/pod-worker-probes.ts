// The probes of one container attempt (the kubelet's prober manager, per container): a startup
// probe first, then liveness and readiness. Readiness sets the record's ready flag; a startup
// probe's success marks the container started; a failed liveness or startup probe stops the
// container, and the next sync restarts it.
import type { Container, Pod } from '../api/types.js';
import { isSidecar } from '../api/pod-resources.js';
import { ContainerState, type ContainerStatus, type RuntimeService } from '../runtime/types.js';
import type { ContainerRecord, PodContext } from './pod-worker-deps.js';
import { probeDuration, probeTotal } from './metrics.js';
import { Prober, runProbe, type ProbeKind, type ProbeResult } from './probes.js';
import { MINIMUM_GRACE_PERIOD_SEC, stopContainer } from './pod-worker-termination.js';

export interface ProbeHost extends PodContext {
  readonly runtime: RuntimeService;
  /** A probe changed what the status says (ready, started). */
  statusChanged(): void;
  /** The newest attempt of a container, by name. */
  latest(name: string): ContainerStatus | undefined;
  /** What the worker keeps of a container, by name. */
  record(name: string): ContainerRecord;
}

/**
 * The Killing event's message when `c` failed its liveness or startup probe, in the kubelet's
 * words: computeInitContainerActions says "Init container sc failed liveness probe" of a sidecar
 * (restarted whatever the pod's restart policy); computePodActions says of an app container
 * "Container c failed liveness probe", with ", will be restarted" only when the restart policy is
 * not Never. Under Never, when no other app container is left running, it kills the whole pod
 * (KillPod) and each container's event is killContainer's plain "Stopping container c".
 */
export function probeKillMessage(pod: Pod, c: Container, kind: 'liveness' | 'startup', otherAppContainerRunning: boolean): string {
  if (isSidecar(c)) return `Init container ${c.name} failed ${kind} probe`;
  if ((pod.spec?.restartPolicy ?? 'Always') !== 'Never') return `Container ${c.name} failed ${kind} probe, will be restarted`;
  return otherAppContainerRunning ? `Container ${c.name} failed ${kind} probe` : `Stopping container ${c.name}`;
}

/** Whether an app container other than `name` runs and is not being stopped for a failed probe (the kubelet's keepCount). */
function otherAppContainerRunning(h: ProbeHost, name: string): boolean {
  return (h.pod.spec?.containers ?? []).some((o) => {
    if (o.name === name) return false;
    const st = h.latest(o.name!);
    return st?.state === ContainerState.Running && h.record(o.name!).probeKilledId !== st.id;
  });
}

/** Starts the probers of the running attempt `st` of `c`, once per attempt (a new attempt replaces the old probers). */
export function ensureProbers(h: ProbeHost, c: Container, st: ContainerStatus, rec: ContainerRecord): void {
  // (an attempt being stopped for a failed probe is probed no more)
  if (rec.probedId === st.id || rec.probeKilledId === st.id) return;
  stopProbers(rec);
  rec.probedId = st.id;
  rec.ready = !c.readinessProbe;
  rec.started = !c.startupProbe;
  const rt = h.runtime;
  const mk = (kind: 'liveness' | 'readiness' | 'startup', probe: NonNullable<Container['livenessProbe']>) =>
    new Prober(kind, probe, () => runProbe(rt, st.id, c, probe, h.podIP, probe.timeoutSeconds ?? 1), (ok) => {
      if (kind === 'readiness') {
        rec.ready = ok;
        h.statusChanged();
        return;
      }
      if (kind === 'startup' && ok) {
        rec.started = true;
        startRest();
        h.statusChanged();
        if (isSidecar(c)) h.kick(); // the next init container may start
        return;
      }
      stopProbers(rec);
      rec.probeKilledId = st.id;
      const why = probeKillMessage(h.pod, c, kind, otherAppContainerRunning(h, c.name!));
      // As the kubelet's killContainer: the preStop hook, then the probe's own grace period if it
      // has one (probe-level terminationGracePeriodSeconds), else the pod's; a pod killed whole
      // (KillPod) stops its containers with the pod's.
      const podGrace = h.pod.spec?.terminationGracePeriodSeconds ?? 30;
      const grace = why.startsWith('Stopping') ? podGrace : (probe.terminationGracePeriodSeconds ?? podGrace);
      void stopContainer(rt, h, c.name!, st, Date.now() + grace * 1000, why, undefined, MINIMUM_GRACE_PERIOD_SEC).finally(() => h.kick());
    }, (r, seconds) => {
      countProbe(h, c, kind, r, seconds);
      // Every failed probe is an Unhealthy event, as the kubelet's prober records them (repeats
      // aggregate into one event's count: "(x12 over 1m)"), whether or not it changes the verdict:
      // a readiness probe that fails from the start says why the pod is not ready. One that could
      // not be run says what it came to, as the prober's "%s probe errored and resulted in %s
      // state: %s" does (the probe.Unknown result of a prober error).
      if (!r.ok) h.event('Warning', 'Unhealthy', `${probeType(kind)} probe ${r.errored ? 'errored and resulted in unknown state' : 'failed'}: ${r.message}`, c.name);
      else if (r.warning) h.event('Warning', 'ProbeWarning', `${probeType(kind)} probe warning: ${r.warning}`, c.name);
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

/** The kubelet's name of a probe kind: Liveness, Readiness, Startup. */
const probeType = (kind: ProbeKind) => kind[0]!.toUpperCase() + kind.slice(1);

/** Labels of a container's probe series, by probe kind (the kubelet's ProbeType names). */
function probeLabels(h: PodContext, c: Container, kind: ProbeKind) {
  const meta = h.pod.metadata;
  return { probe_type: probeType(kind), container: c.name!, pod: meta?.name ?? '', namespace: meta?.namespace ?? '' };
}

/** One probe attempt, counted by result (prober_probe_total) and timed when it succeeded, as the kubelet's are. */
function countProbe(h: PodContext, c: Container, kind: ProbeKind, r: ProbeResult, seconds: number): void {
  const labels = probeLabels(h, c, kind);
  probeTotal.inc({ ...labels, pod_uid: h.uid, result: r.ok ? 'successful' : r.errored ? 'unknown' : 'failed' });
  if (r.ok) probeDuration.observe(labels, seconds);
}

/** Drops the probe series of a pod's containers once the pod is gone, as the kubelet's probe workers do when they stop. */
export function forgetProbeSeries(h: PodContext, containers: Container[]): void {
  for (const c of containers) {
    for (const kind of ['liveness', 'readiness', 'startup'] as const) {
      const labels = probeLabels(h, c, kind);
      for (const result of ['successful', 'failed', 'unknown']) probeTotal.remove({ ...labels, pod_uid: h.uid, result });
      probeDuration.remove(labels);
    }
  }
}

export function stopProbers(rec: ContainerRecord): void {
  for (const p of rec.probers) p.stop();
  rec.probers = [];
  rec.probedId = undefined;
}
