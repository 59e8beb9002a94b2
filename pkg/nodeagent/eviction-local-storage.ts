// The kubelet's local storage eviction (LocalStorageCapacityIsolation), checked on every pass
// whatever the node's thresholds: a pod goes when an emptyDir outgrows its sizeLimit, when its
// ephemeral storage exceeds the sum of its containers' ephemeral-storage limits, or when one
// container's writable layer and logs exceed that container's limit.
import type { Pod } from '../api/types.js';
import { canonicalQuantity, parseQuantity } from '../api/quantity.js';
import type { PodUsage } from './eviction-ranking.js';

const limitOf = (c: { resources?: { limits?: Record<string, string> } }) => c.resources?.limits?.['ephemeral-storage'];

/** Whether any pod sets a limit this check looks at (otherwise usage need not be measured). */
export function hasLocalStorageLimits(pods: Pod[]): boolean {
  return pods.some((p) => (p.spec?.volumes ?? []).some((v) => v.emptyDir?.sizeLimit && v.emptyDir.medium !== 'Memory') || (p.spec?.containers ?? []).some((c) => limitOf(c as never)));
}

/**
 * The kubelet's message when `pod` breaks one of its local storage limits; undefined when it does
 * not. Each ends in '. ', as 1.32's emptyDirMessageFmt, podEphemeralStorageMessageFmt and
 * containerEphemeralStorageMessageFmt do: the pod's status.message and its Evicted event keep the space.
 */
export function localStorageViolation(pod: Pod, u: PodUsage | undefined): string | undefined {
  if (!u) return undefined;
  for (const v of pod.spec?.volumes ?? []) {
    const limit = v.emptyDir?.sizeLimit;
    if (!limit || v.emptyDir!.medium === 'Memory') continue;
    const used = u.volumes?.get(v.name!);
    if (used !== undefined && parseQuantity(limit) > 0 && used > parseQuantity(limit)) return `Usage of EmptyDir volume "${v.name}" exceeds the limit "${canonicalQuantity(limit)}". `;
  }
  const containers = pod.spec?.containers ?? [];
  const limits = containers.map((c) => limitOf(c as never) as string | undefined);
  if (limits.length && limits.every((l) => l !== undefined)) {
    // Only when every container has a limit is there a pod-level one (as the kubelet's PodLimits).
    const total = limits.reduce((a, l) => a + parseQuantity(l!), 0);
    if ((u.disk ?? 0) > total) return `Pod ephemeral local storage usage exceeds the total limit of containers ${formatTotal(limits as string[])}. `;
  }
  for (let i = 0; i < containers.length; i++) {
    const limit = limits[i];
    const used = u.containerDisk?.get(containers[i]!.name!);
    if (limit && used !== undefined && used > parseQuantity(limit)) return `Container ${containers[i]!.name} exceeded its local ephemeral storage limit "${canonicalQuantity(limit)}". `;
  }
  return undefined;
}

/**
 * The signal kubelet_evictions counts a local storage eviction under, by which limit its message
 * says was exceeded (the eviction manager's signalEmptyDirFsLimit, signalEphemeralPodFsLimit,
 * signalEphemeralContainerFsLimit).
 */
export function localStorageSignal(message: string): string {
  if (message.startsWith('Usage of EmptyDir')) return 'emptydirfs.limit';
  if (message.startsWith('Pod ephemeral')) return 'ephemeralpodfs.limit';
  return 'ephemeralcontainerfs.limit';
}

/** The sum of quantities, written as Kubernetes would (one limit: as given). */
function formatTotal(limits: string[]): string {
  if (limits.length === 1) return canonicalQuantity(limits[0]!);
  const bytes = limits.reduce((a, l) => a + parseQuantity(l), 0);
  const bin = [['Ei', 60], ['Pi', 50], ['Ti', 40], ['Gi', 30], ['Mi', 20], ['Ki', 10]] as const;
  for (const [suf, shift] of bin) if (bytes % 2 ** shift === 0) return `${bytes / 2 ** shift}${suf}`;
  return String(bytes);
}
