// Acting on preemption's dry run (kube-scheduler's prepareCandidate): the pod is nominated to the
// node (it is retried when the victims are gone), each victim gets a DisruptionTarget condition,
// a Preempted event and a graceful delete, and pods of lower priority nominated to that node
// lose their nomination.
import type { Pod } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { isNotFound, Pods, StatusError } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { rfc3339Now } from '../util/time.js';
import type { PostFilterResult } from './framework.js';
import { podKey } from './node-info.js';
import { PREEMPTION_REASON } from './preemption.js';
import type { Nominator } from './scheduler-nominator.js';

const log = logger('scheduler');

export interface PreemptionDeps {
  client: ApiClient;
  schedulerName: string;
  nominator: Nominator;
  /** `related`: the preemptor, of a Preempted event. */
  event(pod: Pod, type: string, reason: string, message: string, related?: Pod): void;
}

export async function prepareCandidate(d: PreemptionDeps, pod: Pod, res: PostFilterResult): Promise<void> {
  const key = podKey(pod);
  const node = res.nominatedNode;
  log.info('preempting', { pod: key, node, victims: res.victims.map(podKey) });
  const displaced = d.nominator.displacedBy(node, pod);
  d.nominator.set(pod, node);
  const setNomination = (p: Pod, to: string | null) =>
    d.client.patch(Pods, p.metadata!.namespace!, p.metadata!.name!, { status: { nominatedNodeName: to } }, 'merge', 'status').catch((e) => {
      if (!isNotFound(e)) log.warn('could not set nominatedNodeName', { pod: podKey(p), err: e });
    });
  await setNomination(pod, node);
  await Promise.all(
    res.victims.map(async (v) => {
      const ns = v.metadata!.namespace!;
      const name = v.metadata!.name!;
      const conditions = (v.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
      conditions.push({ type: 'DisruptionTarget', status: 'True', reason: PREEMPTION_REASON, message: `${d.schedulerName}: preempting to accommodate a higher priority pod`, lastProbeTime: undefined, lastTransitionTime: rfc3339Now() });
      try {
        await d.client.patch(Pods, ns, name, { status: { conditions } }, 'merge', 'status');
        await d.client.delete(Pods, ns, name, { preconditions: { uid: v.metadata!.uid } });
        d.event(v, 'Normal', 'Preempted', `Preempted by pod ${pod.metadata?.uid} on node ${node}`, pod);
      } catch (e) {
        if (!(e instanceof StatusError && (e.code === 404 || e.code === 409))) log.warn('could not preempt', { victim: `${ns}/${name}`, err: e });
      }
    }),
  );
  for (const p of displaced) {
    d.nominator.set(p, undefined);
    await setNomination(p, null);
  }
}
