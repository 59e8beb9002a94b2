// One new attempt of a container: its image, its config (volumes, env from ConfigMaps, Secrets
// and Services, runAsNonRoot), create, start and the postStart hook. A step that fails leaves
// the reason in the container's record (what its status shows as waiting) and a retry.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Container } from '../api/types.js';
import { ContainerState, type ContainerConfig, type ContainerStatus } from '../runtime/types.js';
import { ConfigSourceError, envFromVars, type ConfigSources } from './config-sources.js';
import { containerConfig, requiresNonRoot, runAsNonRootError } from './container-config.js';
import { containerNameLabel, restartCountOf } from './container-labels.js';
import { recordContainerStart, runtimeOps, timed } from './metrics.js';
import type { ContainerRecord, PodContext, WorkerDeps } from './pod-worker-deps.js';
import { ensureImage } from './pod-worker-image-pull.js';
import { MINIMUM_GRACE_PERIOD_SEC, stopContainer } from './pod-worker-termination.js';
import type { PodMounts } from './pod-worker-volumes.js';
import { runHook } from './probes.js';
import { serviceEnv } from './service-env.js';
import { logger } from '../util/log.js';

const log = logger('pod-worker');

export type ContainerStartDeps = Pick<WorkerDeps, 'runtime' | 'podsDir' | 'nodeName' | 'hostIP' | 'nodeAllocatable' | 'services' | 'servicesSynced' | 'backoffBaseSec' | 'backoffMaxSec'>;

/** What a start needs of the worker beyond the pod: its sandbox, its container attempts so far and its prepared volumes and sources. */
export interface ContainerStartHost extends PodContext {
  readonly sandboxId: string;
  readonly containers: ContainerStatus[];
  readonly sources: ConfigSources;
  mounts(): PodMounts;
}

/** The container_type label of the kubelet's start metrics: which list of the pod's spec `c` is in. */
function containerType(h: ContainerStartHost, c: Container): string {
  if (h.pod.spec?.initContainers?.some((x) => x.name === c.name)) return 'init_container';
  if (h.pod.spec?.ephemeralContainers?.some((x) => x.name === c.name)) return 'ephemeral_container';
  return 'container';
}

/**
 * Creates and starts attempt `attempt` of `c` (with `pidNamespaceOf`: in that container's PID
 * namespace), counted as SyncPod counts each start it tries: by container type, and by the
 * reason it is left waiting with when it failed (ErrImagePull, CreateContainerConfigError,
 * CreateContainerError, RunContainerError, PostStartHookError, ...).
 */
export async function startContainer(d: ContainerStartDeps, h: ContainerStartHost, c: Container, rec: ContainerRecord, attempt: number, pidNamespaceOf?: string): Promise<void> {
  const before = rec.waiting;
  try {
    await attemptContainer(d, h, c, rec, attempt, pidNamespaceOf);
  } finally {
    recordContainerStart(containerType(h, c), rec.waiting !== before ? rec.waiting?.reason : undefined);
  }
}

async function attemptContainer(d: ContainerStartDeps, h: ContainerStartHost, c: Container, rec: ContainerRecord, attempt: number, pidNamespaceOf?: string): Promise<void> {
  const rt = d.runtime;
  const pod = h.pod;
  if (!(await ensureImage(d, h, h.sources, c, rec))) return;
  const volumes = h.mounts();
  const terminationLog = join(d.podsDir, h.uid, `${c.name}-${attempt}-termination-log`);
  await mkdir(dirname(terminationLog), { recursive: true });
  await writeFile(terminationLog, '');
  // (the image's user is looked up only when runAsNonRoot asks for it)
  const nonRoot = requiresNonRoot(pod, c) ? runAsNonRootError(pod, c, (await rt.imageStatus(c.image!).catch(() => null))?.user) : undefined;
  if (nonRoot) {
    rec.waiting = { reason: 'CreateContainerConfigError', message: nonRoot };
    h.event('Warning', 'Failed', `Error: ${nonRoot}`, c.name);
    h.retryIn(5000);
    return;
  }
  await d.servicesSynced?.();
  let cfg: ContainerConfig;
  try {
    cfg = containerConfig(pod, c, { attempt, nodeName: d.nodeName, hostIP: d.hostIP, podIP: h.podIP, volumes, sources: h.sources, services: serviceEnv(d.services?.() ?? [], pod.metadata!.namespace!, pod.spec!.enableServiceLinks ?? true), terminationLog, allocatable: d.nodeAllocatable });
    if (pidNamespaceOf) cfg.pidNamespaceOf = pidNamespaceOf;
    const invalid = c.envFrom?.length ? envFromVars(pod, c, h.sources).invalid : [];
    if (invalid.length) h.event('Warning', 'InvalidEnvironmentVariableNames', `Keys [${invalid.join(', ')}] from the EnvFrom of container ${c.name} were skipped since they are considered invalid environment variable names.`);
  } catch (e) {
    if (!(e instanceof ConfigSourceError)) throw e;
    return failed(h, rec, 'CreateContainerConfigError', e, c.name);
  }
  let id: string;
  try {
    id = await timed(runtimeOps, 'create_container', () => rt.createContainer(h.sandboxId, cfg));
  } catch (e) {
    return failed(h, rec, 'CreateContainerError', e as Error, c.name);
  }
  // Keep the newest exited attempt for logs --previous; older ones go.
  for (const old of h.containers.filter((x) => x.labels[containerNameLabel] === c.name && x.state === ContainerState.Exited).sort((a, b) => restartCountOf(b) - restartCountOf(a)).slice(1)) {
    await rt.removeContainer(old.id).catch(() => {});
  }
  h.event('Normal', 'Created', `Created container ${c.name}`, c.name);
  try {
    await timed(runtimeOps, 'start_container', () => rt.startContainer(id));
  } catch (e) {
    return failed(h, rec, 'RunContainerError', e as Error, c.name);
  }
  rec.waiting = undefined;
  rec.changedRestart = undefined;
  rec.started = !c.startupProbe;
  h.event('Normal', 'Started', `Started container ${c.name}`, c.name);
  if (c.lifecycle?.postStart) {
    // No time limit, as the kubelet's: a hook that waits for something to come up may take long
    // (an exec ends at the latest with the container).
    const r = await runHook(rt, id, c, c.lifecycle.postStart, h.podIP, h.pod);
    if (r.ok && r.warning) h.event('Warning', 'LifecycleHTTPFallback', r.warning);
    if (!r.ok) {
      // As the kubelet: the handler's words go to the log and the container's waiting state
      // (PostStartHookError, while it waits to start again); the event says only that it failed,
      // so that what the command printed (secrets, perhaps) does not reach the API's events.
      log.warn('postStart hook failed', { pod: h.key, container: c.name, message: r.message });
      h.event('Warning', 'FailedPostStartHook', 'PostStartHook failed', c.name);
      // killContainer: its preStop hook, SIGTERM, SIGKILL when the pod's grace period is up.
      const grace = h.pod.metadata?.deletionGracePeriodSeconds ?? h.pod.spec?.terminationGracePeriodSeconds ?? 30;
      const st = await rt.containerStatus(id).catch(() => undefined);
      if (st) await stopContainer(rt, h, c.name!, st, Date.now() + grace * 1000, 'FailedPostStartHook', undefined, MINIMUM_GRACE_PERIOD_SEC);
      else await rt.stopContainer(id, 0).catch(() => {});
      if (c.restartPolicy === 'Always' || h.pod.spec?.restartPolicy !== 'Never') rec.waiting = { reason: 'PostStartHookError', message: r.message };
    }
  }
}

/** A step of the start failed: the container waits with `reason`, an event says why, and the start is retried. */
function failed(h: PodContext, rec: ContainerRecord, reason: string, e: Error, container?: string): void {
  rec.waiting = { reason, message: e.message };
  h.event('Warning', 'Failed', `Error: ${e.message}`, container);
  h.retryIn(5000);
}
