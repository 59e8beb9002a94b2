// The init containers of a pod, in order (the kubelet's computeInitContainerActions): an ordinary
// one must exit 0 before the next starts; a sidecar (restartPolicy Always) must be started (its
// startup probe succeeded, its postStart hook done) before the next starts, and is restarted
// whenever it exits, with the crash-loop back-off, whatever the pod's restartPolicy, also once
// the app containers run.
import type { Container, Pod } from '../api/types.js';
import { isSidecar } from '../api/pod-resources.js';
import { ContainerState, type ContainerStatus, type RuntimeService } from '../runtime/types.js';
import { restartCountOf } from './container-labels.js';
import type { ContainerRecord } from './pod-worker-deps.js';

/** What the init container phase drives of the worker. */
export interface InitContainerHost {
  readonly pod: Pod;
  readonly runtime: Pick<RuntimeService, 'startContainer' | 'removeContainer'>;
  latest(name: string): ContainerStatus | undefined;
  record(name: string): ContainerRecord;
  /** The restart count of a container's first attempt in this sandbox. */
  firstAttempt(name: string): number;
  startContainer(c: Container, attempt: number): Promise<void>;
  restartAllowed(c: Container, st: ContainerStatus): boolean;
  ensureProbers(c: Container, st: ContainerStatus): void;
  stopProbers(name: string): void;
  /** Re-reads the pod's containers from the runtime. */
  refresh(): Promise<void>;
  /** The pod failed for good. */
  fail(reason: string, message: string): void;
  retryIn(ms: number): void;
  kick(): void;
}

/** Advances the init containers by one step; true when the app containers may run. */
export async function syncInitContainers(h: InitContainerHost, policy: string): Promise<boolean> {
  const spec = h.pod.spec!;
  // Once an app container has been started, the pod has been initialized: only sidecars matter.
  const initialized = (spec.containers ?? []).some((c) => h.latest(c.name!));
  for (const c of spec.initContainers ?? []) {
    const sidecar = isSidecar(c);
    if (initialized && !sidecar) continue;
    let st = h.latest(c.name!);
    if (!sidecar && st?.state === ContainerState.Exited && st.exitCode === 0) continue;
    if (st?.state === ContainerState.Created) {
      await h.runtime.startContainer(st.id).catch(async () => {
        await h.runtime.removeContainer(st!.id).catch(() => {});
        h.retryIn(500);
      });
      if (initialized) continue;
      return false;
    }
    if (st?.state === ContainerState.Exited) {
      if (sidecar) {
        h.stopProbers(c.name!);
        h.record(c.name!).ready = false;
        if (!h.restartAllowed(c, st)) {
          if (initialized) continue;
          return false;
        }
      } else if (policy === 'Never') {
        // (generateAPIPodStatus: phase Failed from the init container's status, no reason or message)
        h.fail('Failed', '');
        h.kick(); // (its sidecars are to be stopped)
        return false;
      } else if (!h.restartAllowed(c, st)) return false;
    }
    if (st?.state !== ContainerState.Running) {
      await h.startContainer(c, st ? restartCountOf(st) + 1 : h.firstAttempt(c.name!));
      if (!sidecar) return false;
      await h.refresh();
      st = h.latest(c.name!);
    }
    if (!sidecar) return false; // running: wait for it to exit
    if (st?.state === ContainerState.Running) h.ensureProbers(c, st);
    // (a sidecar that has not started yet holds the next init container, not a running pod)
    if (!initialized && !(st?.state === ContainerState.Running && h.record(c.name!).started)) return false;
  }
  return true;
}
