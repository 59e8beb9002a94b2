// The crash-loop back-off of a container that exited and is to restart: the first restart at
// once, then a wait of backoffBaseSec (10 s) doubling up to backoffMaxSec (300 s), forgotten once
// an attempt ran for 10 minutes.
import type { Container } from '../api/types.js';
import type { ContainerStatus } from '../runtime/types.js';
import { formatPod } from './container-labels.js';
import type { ContainerRecord, PodContext, WorkerDeps } from './pod-worker-deps.js';

/** Whether `c` may restart now after its attempt `st` exited; when not, CrashLoopBackOff and a retry once the back-off is up. */
export function restartAllowed(d: Pick<WorkerDeps, 'backoffBaseSec' | 'backoffMaxSec'>, ctx: PodContext, c: Container, st: ContainerStatus, rec: ContainerRecord): boolean {
  const ran = st.startedAt && st.finishedAt ? Date.parse(st.finishedAt) - Date.parse(st.startedAt) : 0;
  // (forgotten as a whole: with only the delay reset, the first-restart case below never came
  // again and every later restart was allowed at once, for good)
  if (ran > 10 * 60_000) Object.assign(rec, { delaySec: 0, notBefore: 0 });
  const now = Date.now();
  if (rec.notBefore === 0 && rec.delaySec === 0) {
    // First restart: now; from the next one on, wait.
    rec.delaySec = d.backoffBaseSec;
    return true;
  }
  const finished = st.finishedAt ? Date.parse(st.finishedAt) : now;
  rec.notBefore = Math.max(rec.notBefore, finished + rec.delaySec * 1000);
  if (now < rec.notBefore) {
    const pod = ctx.pod;
    rec.waiting = { reason: 'CrashLoopBackOff', message: `back-off ${rec.delaySec}s restarting failed container=${c.name} pod=${formatPod(pod)}` };
    ctx.event('Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${formatPod(pod)}`, c.name);
    ctx.retryIn(rec.notBefore - now + 50);
    return false;
  }
  rec.delaySec = Math.min(rec.delaySec * 2, d.backoffMaxSec);
  return true;
}
