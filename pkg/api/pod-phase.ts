// A pod's phase: Succeeded and Failed are terminal (its containers will not run again; the
// kubelet, the controllers, quota and the scheduler all treat such a pod as gone but for its record).
import type { Pod } from './types.js';

/** Whether a phase is terminal (Succeeded or Failed). */
export function isTerminalPhase(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Whether the pod has run to its end (phase Succeeded or Failed). */
export function isPodTerminal(pod: Pick<Pod, 'status'>): boolean {
  return isTerminalPhase(pod.status?.phase);
}
