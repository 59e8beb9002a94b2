// Ending a pod's containers and removing what the pod had on the node: graceful stops in the
// kubelet's order (preStop hooks, SIGTERM, SIGKILL when the grace period is up; app containers
// before sidecars), then the teardown of containers, volumes, network and sandbox.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod } from '../api/types.js';
import { ContainerState, type ContainerStatus, type RuntimeService } from '../runtime/types.js';
import { unmountAll } from '../runtime/syscalls.js';
import { logger } from '../util/log.js';
import { containerNameLabel, isActive, podUidLabel } from './container-labels.js';
import { networkOps, runtimeOps, timed } from './metrics.js';
import type { PodContext, WorkerDeps } from './pod-worker-deps.js';
import { runHook } from './probes.js';
import { stopInOrder } from './termination-order.js';

const log = logger('pod-worker');

/**
 * The kubelet's minimumGracePeriodInSeconds: every container killContainer stops gets SIGTERM at
 * least this long before SIGKILL, whatever its grace period (a pod deleted with
 * --grace-period=1, a probe's kill with terminationGracePeriodSeconds 0) and whatever its preStop
 * hook and its turn among sidecars took of it: 1.32 applies the floor after a grace period
 * override too (the pod worker's, on deletion and eviction).
 */
export const MINIMUM_GRACE_PERIOD_SEC = 2;
/** A preStop hook still running this long after the grace period is given up (its outcome matters to no one by then). */
const PRESTOP_SLACK_SEC = 5;

/** Waits for `p`, but not past `deadline` (ms). */
async function untilDeadline(p: Promise<unknown>, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((res) => (timer = setTimeout(res, Math.max(0, deadline - Date.now()))))]);
  clearTimeout(timer);
}

/** The spec of a pod's app or init container by name. */
export function containerSpecOf(pod: Pod, name: string | undefined) {
  return [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((x) => x.name === name);
}

/**
 * Stops every running container: preStop hooks, SIGTERM, SIGKILL once `grace` seconds are up
 * (at least MINIMUM_GRACE_PERIOD_SEC after SIGTERM).
 * App containers first; sidecars once the app containers (and the sidecars declared after them)
 * have exited, in reverse order, within the same grace period. (Probers are the caller's to stop.)
 */
export async function stopContainers(rt: RuntimeService, ctx: PodContext, containers: ContainerStatus[], grace: number): Promise<void> {
  const pod = ctx.pod;
  const deadline = Date.now() + grace * 1000;
  const byName = new Map<string, ContainerStatus[]>();
  for (const st of containers.filter(isActive)) {
    const name = st.labels[containerNameLabel] ?? st.id;
    byName.set(name, [...(byName.get(name) ?? []), st]);
  }
  const stopOne = (name: string, st: ContainerStatus, turn: Promise<void>) => stopContainer(rt, ctx, name, st, deadline, `Stopping container ${name}`, turn, MINIMUM_GRACE_PERIOD_SEC);
  await stopInOrder(pod, [...byName.keys()], (name, turn) => Promise.all(byName.get(name)!.map((st) => stopOne(name, st, turn))).then(() => undefined));
}

/**
 * Stops one container by `deadline` (ms): its preStop hook, then (once `turn` has come, or the
 * deadline) SIGTERM and SIGKILL when the time is up. `why` is the Killing event's message.
 * `minGraceSec`: SIGTERM comes at least this long before SIGKILL, even past the deadline.
 */
export async function stopContainer(rt: RuntimeService, ctx: PodContext, name: string, st: ContainerStatus, deadline: number, why: string, turn: Promise<void> = Promise.resolve(), minGraceSec = 0): Promise<void> {
  const c = containerSpecOf(ctx.pod, name);
  ctx.event('Normal', 'Killing', why, name);
  // As the kubelet's killContainer: the preStop hook only when there is time for it, for no
  // longer than the grace period (a hook still running then is only logged); whatever it left,
  // SIGTERM still comes MINIMUM_GRACE_PERIOD_SEC seconds before SIGKILL.
  let hookRan = false;
  if (c?.lifecycle?.preStop && st.state === ContainerState.Running && deadline > Date.now()) {
    hookRan = true;
    let inTime = true;
    const hook = runHook(rt, st.id, c, c.lifecycle.preStop, ctx.podIP, ctx.pod, Math.ceil((deadline - Date.now()) / 1000) + PRESTOP_SLACK_SEC).then((r) => {
      if (r.ok) return void (r.warning && ctx.event('Warning', 'LifecycleHTTPFallback', r.warning));
      log.warn('preStop hook failed', { pod: ctx.key, container: name, message: r.message, inGracePeriod: inTime });
      // (the event does not carry the handler's words, which may hold secrets, as the kubelet's)
      if (inTime) ctx.event('Warning', 'FailedPreStopHook', 'PreStopHook failed', name);
    });
    await untilDeadline(hook, deadline);
    inTime = false;
  }
  // (a sidecar waits for its turn, but no longer than the grace period)
  await untilDeadline(turn, deadline);
  let left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
  if (hookRan) left = Math.max(left, MINIMUM_GRACE_PERIOD_SEC);
  left = Math.max(left, minGraceSec);
  await timed(runtimeOps, 'stop_container', () => rt.stopContainer(st.id, left)).catch((e) => log.warn('stop failed', { pod: ctx.key, err: e }));
}

/** Removes the pod's containers, volumes, network and sandboxes (idempotent). */
export async function teardownPod(d: Pick<WorkerDeps, 'runtime' | 'podsDir' | 'network'>, pod: { uid: string; key: string }, containers: ContainerStatus[]): Promise<void> {
  const rt = d.runtime;
  for (const c of containers) await rt.removeContainer(c.id).catch((e) => log.warn('remove container failed', { pod: pod.key, err: e }));
  // (secret and projected volumes are tmpfs mounts in there)
  await unmountAll(join(d.podsDir, pod.uid)).catch((e) => log.warn('unmounting the pod\'s volumes failed', { pod: pod.key, err: e }));
  await rm(join(d.podsDir, pod.uid), { recursive: true, force: true }).catch(() => {});
  const sandboxes = await rt.listPodSandbox({ labelSelector: { [podUidLabel]: pod.uid } }).catch(() => []);
  for (const s of sandboxes) {
    if (s.netnsPath) await d.network().then((n) => timed(networkOps, 'teardown', () => n.teardownPod(s.id))).catch((e) => log.warn('network teardown failed', { pod: pod.key, err: e }));
    await rt.stopPodSandbox(s.id).catch(() => {});
    await rt.removePodSandbox(s.id).catch((e) => log.warn('remove sandbox failed', { pod: pod.key, err: e }));
  }
}
