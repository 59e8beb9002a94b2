// The pvc-protection and pv-protection controllers: a claim keeps the kubernetes.io/pvc-protection
// finalizer while a scheduled pod names it, so deleting a claim in use leaves it Terminating until
// its last pod is gone; a volume keeps kubernetes.io/pv-protection while it is Bound. Both add
// their finalizer to objects that lack it (the apiserver's admission adds it on create).
import { podClaimNames, PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER } from '../api/persistent-volumes.js';
import type { KubeObject, PersistentVolume, PersistentVolumeClaim, Pod } from '../api/types.js';
import type { ApiClient, ResourceRef } from '../client/api-client.js';
import { keyOf, type Informer } from '../client/informer.js';
import { isNotFound, PersistentVolumeClaims, PersistentVolumes, Pods } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { WorkQueue } from './work-queue.js';

const log = logger('volume-protection');

type PV = PersistentVolume & KubeObject;
type PVC = PersistentVolumeClaim & KubeObject;
type P = Pod & KubeObject;

/** A scheduled pod naming the claim holds it (podUsesPVC: the kubelet may have it mounted). */
export const podUsesClaim = (pod: Pod, claim: PersistentVolumeClaim) => !!pod.spec?.nodeName && pod.metadata?.namespace === claim.metadata?.namespace && podClaimNames(pod).includes(claim.metadata?.name ?? '');

export class VolumeProtectionController {
  readonly claimQueue: WorkQueue;
  readonly volumeQueue: WorkQueue;

  constructor(
    private readonly client: ApiClient,
    private readonly inf: { claims: Informer<PVC>; volumes: Informer<PV>; pods: Informer<P> },
  ) {
    this.claimQueue = new WorkQueue('pvc-protection', (key) => this.syncClaim(key));
    this.volumeQueue = new WorkQueue('pv-protection', (key) => this.syncVolume(key));
    inf.claims.on({ add: (c) => this.claimQueue.add(keyOf(c)), update: (c) => this.claimQueue.add(keyOf(c)) });
    inf.volumes.on({ add: (v) => this.volumeQueue.add(keyOf(v)), update: (v) => this.volumeQueue.add(keyOf(v)) });
    const podChanged = (p: P) => {
      for (const name of podClaimNames(p)) this.claimQueue.add(`${p.metadata?.namespace}/${name}`);
    };
    inf.pods.on({ add: podChanged, update: podChanged, delete: podChanged });
  }

  start(): void {
    for (const c of this.inf.claims.list()) this.claimQueue.add(keyOf(c));
    for (const v of this.inf.volumes.list()) this.volumeQueue.add(keyOf(v));
  }

  stop(): void {
    this.claimQueue.stop();
    this.volumeQueue.stop();
  }

  async syncClaim(key: string): Promise<void> {
    const claim = this.inf.claims.get(key);
    if (!claim) return;
    const has = !!claim.metadata?.finalizers?.includes(PVC_PROTECTION_FINALIZER);
    if (!claim.metadata?.deletionTimestamp) {
      if (!has) await this.setFinalizer(PersistentVolumeClaims, claim, true);
      return;
    }
    if (!has || (await this.claimInUse(claim))) return;
    await this.setFinalizer(PersistentVolumeClaims, claim, false);
    log.info('claim no longer in use; removed its finalizer', { claim: key });
  }

  /** The informer's pods first; if none uses the claim, a live list, as a pod may have been bound just now. */
  private async claimInUse(claim: PVC): Promise<boolean> {
    if (this.inf.pods.list().some((p) => podUsesClaim(p, claim))) return true;
    const live = await this.client.list<P>(Pods, claim.metadata!.namespace);
    return live.items.some((p) => podUsesClaim(p, claim));
  }

  async syncVolume(name: string): Promise<void> {
    const pv = this.inf.volumes.get(name);
    if (!pv) return;
    const has = !!pv.metadata?.finalizers?.includes(PV_PROTECTION_FINALIZER);
    if (!pv.metadata?.deletionTimestamp) {
      if (!has) await this.setFinalizer(PersistentVolumes, pv, true);
      return;
    }
    if (has && pv.status?.phase !== 'Bound') await this.setFinalizer(PersistentVolumes, pv, false);
  }

  private async setFinalizer(ref: ResourceRef, obj: KubeObject, present: boolean): Promise<void> {
    const f = ref === PersistentVolumes ? PV_PROTECTION_FINALIZER : PVC_PROTECTION_FINALIZER;
    const rest = (obj.metadata?.finalizers ?? []).filter((x) => x !== f);
    const finalizers = present ? [...rest, f] : rest;
    try {
      await this.client.update(ref, obj.metadata?.namespace, obj.metadata!.name!, { ...obj, metadata: { ...obj.metadata, finalizers } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
