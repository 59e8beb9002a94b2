// The binding cycle of a pod assumed on a node (kube-scheduler's bindingCycle): PreBind plugins
// (volume binding's writes), then the first Bind plugin that does not skip. On success the pod
// leaves the queue; on failure its reservation and assumption are undone and it is retried
// (or dropped when the failure is unresolvable).
import type { Pod } from '../api/types.js';
import { logger } from '../util/log.js';
import { Code, Status, type CycleState, type Profile } from './framework.js';
import { podNotScheduled, podScheduled } from './metrics.js';
import { podKey } from './node-info.js';
import type { SchedulingQueue } from './queue.js';

const log = logger('scheduler');

export interface BindingDeps {
  profile: Pick<Profile, 'preBind' | 'bind' | 'reserve'>;
  queue: Pick<SchedulingQueue, 'done' | 'retryLater'>;
  cfg: { schedulerName: string; scheduledEvents: boolean };
  /** Undo the pod's assumption on the node (unless someone else bound it). */
  forget(pod: Pod, node: string): void;
  event(pod: Pod, type: string, reason: string, message: string): void;
}

/**
 * `firstSeen` (Date.now()) is when the pod entered the queue; `cycle.started` (performance.now())
 * when this attempt's scheduling cycle began, and `cycle.attempt` its number (from 1).
 */
export async function bindPod(d: BindingDeps, state: CycleState, pod: Pod, node: string, firstSeen: number, cycle: { started: number; attempt: number } = { started: performance.now(), attempt: 1 }): Promise<void> {
  const key = podKey(pod);
  let st: Status = Status.error('', 'no bind plugin');
  for (const pl of d.profile.preBind) {
    st = await pl.preBind(state, pod, node);
    if (!st.ok) break;
  }
  if (st.ok || !d.profile.preBind.length) {
    for (const pl of d.profile.bind) {
      st = await pl.bind(pod, node);
      if (st.code !== Code.Skip) break;
    }
  } else d.event(pod, 'Warning', 'FailedScheduling', `running PreBind plugin "${st.plugin}": ${st.reasons.join('; ')}`);
  if (st.ok) {
    d.queue.done(pod);
    podScheduled(d.cfg.schedulerName, (performance.now() - cycle.started) / 1000, cycle.attempt, (Date.now() - firstSeen) / 1000);
    if (d.cfg.scheduledEvents) d.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${key} to ${node}`);
    return;
  }
  // Forget the assumption; retry later unless someone else bound it.
  for (const r of d.profile.reserve) r.unreserve(state, pod, node);
  d.forget(pod, node);
  podNotScheduled('error', d.cfg.schedulerName, (performance.now() - cycle.started) / 1000);
  log.warn('bind failed', { pod: key, node, reason: st.reasons.join('; ') });
  if (st.code === Code.UnschedulableAndUnresolvable) d.queue.done(pod);
  else d.queue.retryLater(pod);
}
