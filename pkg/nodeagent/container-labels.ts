// How the node agent labels its runtime sandboxes and containers (the kubelet's label and
// annotation keys), and how the attempts of one container are told apart by their restart count.
import type { Pod } from '../api/types.js';
import { ContainerState, type ContainerStatus } from '../runtime/types.js';

export const podUidLabel = 'io.kubernetes.pod.uid';
export const podNameLabel = 'io.kubernetes.pod.name';
export const podNamespaceLabel = 'io.kubernetes.pod.namespace';
export const containerNameLabel = 'io.kubernetes.container.name';
export const restartCountAnnotation = 'io.kubernetes.container.restartCount';

/** A pod as the kubelet's messages name it (format.Pod): `name_namespace(uid)`. */
export function formatPod(pod: Pod): string {
  return `${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`;
}

export function restartCountOf(c: ContainerStatus): number {
  return Number(c.annotations?.[restartCountAnnotation] ?? c.metadata.attempt ?? 0);
}

/** Created or running: a container attempt that is still to be stopped. */
export const isActive = (c: ContainerStatus): boolean => c.state === ContainerState.Running || c.state === ContainerState.Created;

/** The newest attempt of a container (by restart count, then creation time). */
export function latestAttempt(containers: ContainerStatus[], name: string): ContainerStatus | undefined {
  let best: ContainerStatus | undefined;
  for (const c of containers) if (c.labels[containerNameLabel] === name && (!best || restartCountOf(c) > restartCountOf(best) || (restartCountOf(c) === restartCountOf(best) && c.createdAt > best.createdAt))) best = c;
  return best;
}

/** The attempt before the newest one (for logs --previous). */
export function previousAttempt(containers: ContainerStatus[], name: string): ContainerStatus | undefined {
  const cur = latestAttempt(containers, name);
  return containers.filter((c) => c.labels[containerNameLabel] === name && c !== cur).sort((a, b) => restartCountOf(b) - restartCountOf(a))[0];
}
