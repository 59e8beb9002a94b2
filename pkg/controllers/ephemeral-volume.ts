// The ephemeral volume controller (kube-controller-manager's "ephemeral-volume"): for each
// generic ephemeral volume of a pod, the claim <pod>-<volume> is made from the volume's template
// (its labels, annotations and spec), owned by the pod as its controller, so that the scheduler
// and the PV controller treat it as any claim and the garbage collector deletes it with the pod.
// A claim of that name that the pod does not own is left alone: the scheduler and the node agent
// refuse it ("was not created for pod"). A claim deleted while its pod lives is made again.
import { ephemeralClaimName, podEphemeralClaimNames } from '../api/persistent-volumes.js';
import type { KubeObject, PersistentVolumeClaim, Pod } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { EventSink } from '../client/event-sink.js';
import { recordEvent } from '../client/events.js';
import { keyOf, type Informer } from '../client/informer.js';
import { PersistentVolumeClaims, StatusError } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { controllerRefTo } from './controller-ref.js';
import { WorkQueue } from './work-queue.js';

const log = logger('ephemeral-volume');
const SOURCE = { component: 'ephemeral_volume' };

type P = Pod & KubeObject;
type PVC = PersistentVolumeClaim & KubeObject;

const hasEphemeral = (p: Pod) => (p.spec?.volumes ?? []).some((v) => v.ephemeral);

export class EphemeralVolumeController {
  readonly queue: WorkQueue;

  constructor(
    private readonly client: ApiClient,
    private readonly inf: { pods: Informer<P>; claims: Informer<PVC> },
    private readonly events: EventSink,
  ) {
    this.queue = new WorkQueue('ephemeral-volume', (key) => this.sync(key));
    const podChanged = (p: P) => {
      if (hasEphemeral(p)) this.queue.add(keyOf(p));
    };
    inf.pods.on({ add: podChanged, update: podChanged });
    // A claim deleted under a live pod is made again; so is one whose name a user's claim held.
    inf.claims.on({
      delete: (c) => {
        const ns = c.metadata?.namespace;
        for (const p of inf.pods.list()) if (p.metadata?.namespace === ns && podEphemeralClaimNames(p).includes(c.metadata?.name ?? '')) this.queue.add(keyOf(p));
      },
    });
  }

  start(): void {
    for (const p of this.inf.pods.list()) if (hasEphemeral(p)) this.queue.add(keyOf(p));
  }

  stop(): void {
    this.queue.stop();
  }

  async sync(key: string): Promise<void> {
    const pod = this.inf.pods.get(key);
    // (a pod being deleted gets no new claims, as in Kubernetes)
    if (!pod || pod.metadata?.deletionTimestamp) return;
    const ns = pod.metadata!.namespace!;
    for (const v of pod.spec?.volumes ?? []) {
      const template = v.ephemeral?.volumeClaimTemplate;
      if (!template) continue;
      const name = ephemeralClaimName(pod, v);
      if (this.inf.claims.get(`${ns}/${name}`)) continue;
      const claim: PVC = {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: {
          name,
          namespace: ns,
          ownerReferences: [controllerRefTo(pod, 'v1', 'Pod')],
          ...(template.metadata?.labels ? { labels: template.metadata.labels } : {}),
          ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
        },
        spec: structuredClone(template.spec ?? {}),
      };
      try {
        await this.client.create(PersistentVolumeClaims, ns, claim);
        log.info('created the claim of an ephemeral volume', { pod: key, claim: name });
      } catch (e) {
        // Made by someone else in between (the informer lags): ownership is checked where it is used.
        if (e instanceof StatusError && e.code === 409) continue;
        const message = e instanceof Error ? e.message : String(e);
        this.events.enqueue(() => recordEvent(this.client, { ...pod, apiVersion: 'v1', kind: 'Pod' }, SOURCE, 'Warning', 'FailedCreate', `create PVC ${name}: ${message}`));
        throw e;
      }
    }
  }
}
