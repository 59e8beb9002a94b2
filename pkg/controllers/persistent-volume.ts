// The PersistentVolume controller (kube-controller-manager's persistentvolume-binder): binds
// claims to volumes and keeps both phases. An unbound claim of an Immediate class binds at once
// to the matching Available volume (its class, access modes, volume mode, selector, the smallest
// that is large enough; a volume pre-bound to it wins), or is provisioned; a WaitForFirstConsumer
// claim waits for the scheduler (which pre-binds a volume or names the node to provision on). A
// claim is Pending, Bound, or Lost when its volume goes; a volume is Available, Bound, Released
// once its claim is gone — then reclaimed: Retain keeps it Released, Delete deletes a volume
// tskube's local-path provisioner made (its node agent removes the data) and fails any other.
// Bound claims whose class allows expansion and that ask for more get it (local-path volumes).
import type { KubeObject, Node, PersistentVolume, PersistentVolumeClaim, StorageClass } from '../api/types.js';
import {
  ANN_BETA_STORAGE_PROVISIONER,
  ANN_BIND_COMPLETED,
  ANN_BOUND_BY_CONTROLLER,
  ANN_PROVISIONED_BY,
  ANN_SELECTED_NODE,
  ANN_STORAGE_PROVISIONER,
  claimClass,
  claimKey,
  findMatchingVolume,
  isClaimBound,
  isVolumeBoundToClaim,
  LOCAL_PATH_PROVISIONER,
  storageCapacity,
  storageRequest,
  volumeClass,
  volumeModesMatch,
} from '../api/persistent-volumes.js';
import { compareQuantities, isValidQuantity } from '../api/quantity.js';
import type { ApiClient } from '../client/api-client.js';
import type { EventSink } from '../client/event-sink.js';
import { recordEvent } from '../client/events.js';
import { keyOf, type Informer } from '../client/informer.js';
import { isNotFound, PersistentVolumeClaims, PersistentVolumes, StatusError } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { hostname } from 'node:os';
import { localPathRefusal, localPathVolume, provisionedVolumeName, selectedNode } from './local-path-provisioner.js';
import { WorkQueue } from './work-queue.js';

const log = logger('persistentvolume-controller');
const SOURCE = { component: 'persistentvolume-controller' };
/**
 * The local-path provisioner's own events (Provisioning, ProvisioningSucceeded, ProvisioningFailed)
 * come from it, as an external provisioner's do (sig-storage-lib-external-provisioner records
 * them as "<provisioner>_<identity>"): they have a spam-filter budget of their own, so a claim that
 * waited long for its first consumer (a WaitForFirstConsumer every resync) still shows them.
 */
const PROVISIONER_SOURCE = { component: `${LOCAL_PATH_PROVISIONER}_${hostname()}` };

type PV = PersistentVolume & KubeObject;
type PVC = PersistentVolumeClaim & KubeObject;
type SC = StorageClass & KubeObject;

export interface PersistentVolumeInformers {
  volumes: Informer<PV>;
  claims: Informer<PVC>;
  classes: Informer<SC>;
  nodes: Informer<Node & KubeObject>;
}

/** How often every claim and volume is synced again (the binder's --pvclaimbinder-sync-period, 15 s). */
const RESYNC_MS = 15_000;


export class PersistentVolumeController {
  readonly claimQueue: WorkQueue;
  readonly volumeQueue: WorkQueue;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: ApiClient,
    private readonly inf: PersistentVolumeInformers,
    private readonly events: EventSink,
    private readonly resyncMs = RESYNC_MS,
  ) {
    this.claimQueue = new WorkQueue('pv-claims', (key) => this.syncClaim(key));
    this.volumeQueue = new WorkQueue('pv-volumes', (key) => this.syncVolume(key));
    const claimChanged = (c: PVC) => {
      this.claimQueue.add(keyOf(c));
      if (c.spec?.volumeName) this.volumeQueue.add(c.spec.volumeName);
      for (const v of inf.volumes.list()) if (v.spec?.claimRef?.name === c.metadata?.name && v.spec?.claimRef?.namespace === c.metadata?.namespace) this.volumeQueue.add(keyOf(v));
    };
    inf.claims.on({ add: claimChanged, update: claimChanged, delete: claimChanged });
    const volumeChanged = (v: PV) => {
      this.volumeQueue.add(keyOf(v));
      const ref = v.spec?.claimRef;
      if (ref?.name) this.claimQueue.add(`${ref.namespace}/${ref.name}`);
      for (const c of inf.claims.list()) if (c.spec?.volumeName === v.metadata?.name) this.claimQueue.add(keyOf(c));
    };
    inf.volumes.on({ add: volumeChanged, update: volumeChanged, delete: volumeChanged });
    // A class made or changed: claims waiting for it may now provision.
    const classChanged = () => {
      for (const c of inf.claims.list()) if (!isClaimBound(c)) this.claimQueue.add(keyOf(c));
    };
    inf.classes.on({ add: classChanged, update: classChanged });
    inf.nodes.on({ update: classChanged });
  }

  start(): void {
    this.resync();
    this.timer = setInterval(() => this.resync(), this.resyncMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.claimQueue.stop();
    this.volumeQueue.stop();
  }

  private resync(): void {
    for (const c of this.inf.claims.list()) this.claimQueue.add(keyOf(c));
    for (const v of this.inf.volumes.list()) this.volumeQueue.add(keyOf(v));
  }

  // ---- claims ----

  async syncClaim(key: string): Promise<void> {
    const claim = this.inf.claims.get(key);
    if (!claim) return;
    if (!isClaimBound(claim)) return this.syncUnboundClaim(claim);
    return this.syncBoundClaim(claim);
  }

  private async syncUnboundClaim(claim: PVC): Promise<void> {
    const wanted = claim.spec?.volumeName;
    if (wanted) return this.syncPreboundClaim(claim, wanted);
    const cls = this.classOf(claim);
    const delayBinding = cls?.volumeBindingMode === 'WaitForFirstConsumer';
    const pv = findMatchingVolume(claim, this.inf.volumes.list(), { delayBinding });
    if (pv) return this.bind(pv, claim);
    await this.setClaimPhase(claim, 'Pending');
    if (delayBinding && !selectedNode(claim)) {
      this.event(claim, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
      return;
    }
    const className = claimClass(claim);
    if (!className) {
      this.event(claim, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
      return;
    }
    if (!cls) {
      this.event(claim, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`);
      return;
    }
    await this.provision(claim, cls);
  }

  /** A claim that names its volume (spec.volumeName set by its user): bind if the volume agrees. */
  private async syncPreboundClaim(claim: PVC, name: string): Promise<void> {
    const pv = this.inf.volumes.get(name);
    if (!pv) return void (await this.setClaimPhase(claim, 'Pending'));
    if (pv.spec?.claimRef && !isVolumeBoundToClaim(pv, claim)) {
      await this.setClaimPhase(claim, 'Pending');
      this.event(claim, 'Warning', 'FailedBinding', `volume "${name}" already bound to a different claim.`);
      return;
    }
    if (!pv.spec?.claimRef) {
      const mismatch = volumeMismatch(pv, claim);
      if (mismatch) {
        await this.setClaimPhase(claim, 'Pending');
        this.event(claim, 'Warning', 'VolumeMismatch', `Cannot bind to requested volume "${name}": ${mismatch}`);
        return;
      }
    }
    await this.bind(pv, claim);
  }

  private async syncBoundClaim(claim: PVC): Promise<void> {
    const name = claim.spec!.volumeName!;
    const pv = this.inf.volumes.get(name) ?? (await this.fetchVolume(name));
    if (!pv) {
      if (claim.status?.phase !== 'Lost') {
        await this.setClaimPhase(claim, 'Lost');
        this.event(claim, 'Warning', 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
      }
      return;
    }
    if (!pv.spec?.claimRef) return this.bind(pv, claim);
    if (!isVolumeBoundToClaim(pv, claim)) {
      if (claim.status?.phase !== 'Lost') {
        await this.setClaimPhase(claim, 'Lost');
        this.event(claim, 'Warning', 'ClaimMisbound', 'Two claims are bound to the same volume, this one is bound incorrectly');
      }
      return;
    }
    if (claim.status?.phase !== 'Bound') await this.setClaimBound(claim, pv);
    else await this.expand(claim, pv);
  }

  /**
   * Binds in Kubernetes' order: the volume's claimRef, its phase, the claim's volumeName and
   * annotations, its status. Each write starts from what the last one returned. What the
   * controller chose (rather than the claim's or volume's user) is marked bound-by-controller.
   */
  private async bind(pv: PV, claim: PVC): Promise<void> {
    let volume = pv;
    const ref = volume.spec?.claimRef;
    if (!ref || ref.uid !== claim.metadata?.uid) {
      const next = structuredClone(volume);
      next.spec!.claimRef = { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata!.namespace, name: claim.metadata!.name, uid: claim.metadata!.uid, resourceVersion: claim.metadata!.resourceVersion };
      if (!ref) (next.metadata!.annotations ??= {})[ANN_BOUND_BY_CONTROLLER] = 'yes';
      volume = await this.client.update<PV>(PersistentVolumes, undefined, keyOf(volume), next);
    }
    volume = await this.setVolumePhase(volume, 'Bound');
    let c = claim;
    if (c.spec?.volumeName !== keyOf(volume) || c.metadata?.annotations?.[ANN_BIND_COMPLETED] === undefined) {
      const next = structuredClone(c);
      const a = (next.metadata!.annotations ??= {});
      if (!next.spec!.volumeName) a[ANN_BOUND_BY_CONTROLLER] = 'yes';
      next.spec!.volumeName = keyOf(volume);
      a[ANN_BIND_COMPLETED] = 'yes';
      c = await this.client.update<PVC>(PersistentVolumeClaims, c.metadata!.namespace, c.metadata!.name!, next);
    }
    await this.setClaimBound(c, volume);
    log.info('bound claim', { claim: claimKey(c), volume: keyOf(volume) });
  }

  private async setClaimBound(claim: PVC, pv: PV): Promise<void> {
    const status = { ...claim.status, phase: 'Bound', accessModes: [...(pv.spec?.accessModes ?? [])], capacity: { ...pv.spec?.capacity } };
    if (JSON.stringify(status) === JSON.stringify(claim.status)) return;
    await this.client.update(PersistentVolumeClaims, claim.metadata!.namespace, claim.metadata!.name!, { ...claim, status }, 'status');
  }

  private async setClaimPhase(claim: PVC, phase: string): Promise<void> {
    if (claim.status?.phase === phase) return;
    const status = phase === 'Bound' ? { ...claim.status, phase } : { phase };
    await this.client.update(PersistentVolumeClaims, claim.metadata!.namespace, claim.metadata!.name!, { ...claim, status }, 'status');
  }

  // ---- provisioning and expansion ----

  private async provision(claim: PVC, cls: SC): Promise<void> {
    const provisioner = cls.provisioner ?? '';
    const ann = claim.metadata?.annotations ?? {};
    let c = claim;
    if (ann[ANN_STORAGE_PROVISIONER] !== provisioner) {
      const next = structuredClone(claim);
      Object.assign((next.metadata!.annotations ??= {}), { [ANN_STORAGE_PROVISIONER]: provisioner, [ANN_BETA_STORAGE_PROVISIONER]: provisioner });
      c = await this.client.update<PVC>(PersistentVolumeClaims, claim.metadata!.namespace, claim.metadata!.name!, next);
    }
    if (provisioner === LOCAL_PATH_PROVISIONER && this.inf.volumes.get(provisionedVolumeName(c))) return; // made earlier: the volume's sync binds it
    // (local-path is no in-tree plugin either: as for any external provisioner, the controller
    // says it waits for it, and the provisioner then tells of its own work)
    this.event(c, 'Normal', 'ExternalProvisioning', `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`);
    if (provisioner !== LOCAL_PATH_PROVISIONER) return;
    const nodeName = selectedNode(c);
    const node = nodeName ? this.inf.nodes.get(nodeName) : undefined;
    const refusal = localPathRefusal(c, node, nodeName);
    if (refusal) {
      this.event(c, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${keyOf(cls)}": ${refusal}`, PROVISIONER_SOURCE);
      // A node that is gone: let the scheduler choose another (rescheduleProvisioning).
      if (nodeName && !node) await this.client.patch(PersistentVolumeClaims, c.metadata!.namespace, c.metadata!.name!, { metadata: { annotations: { [ANN_SELECTED_NODE]: null } } }, 'merge');
      return;
    }
    this.event(c, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${claimKey(c)}"`, PROVISIONER_SOURCE);
    try {
      await this.client.create(PersistentVolumes, undefined, localPathVolume(c, cls, node!));
    } catch (e) {
      if (e instanceof StatusError && e.code === 409) return;
      this.event(c, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${keyOf(cls)}": ${(e as Error).message}`, PROVISIONER_SOURCE);
      throw e;
    }
    this.event(c, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${provisionedVolumeName(c)}`, PROVISIONER_SOURCE);
    log.info('provisioned volume', { claim: claimKey(c), volume: provisionedVolumeName(c), node: nodeName });
  }

  /** A bound claim asking for more than it has: local-path volumes grow at once (a directory has no size to change). */
  private async expand(claim: PVC, pv: PV): Promise<void> {
    const want = storageRequest(claim);
    const have = claim.status?.capacity?.storage;
    if (!want || !have || !isValidQuantity(want) || !isValidQuantity(have) || compareQuantities(want, have) <= 0) return;
    if (this.classOf(claim)?.allowVolumeExpansion !== true) return;
    if (pv.metadata?.annotations?.[ANN_PROVISIONED_BY] !== LOCAL_PATH_PROVISIONER) {
      this.event(claim, 'Normal', 'ExternalExpanding', 'Ignoring the PVC: didn\'t find a plugin capable of expanding the volume; waiting for an external controller to process this PVC.');
      return;
    }
    this.event(claim, 'Normal', 'Resizing', `External resizer is resizing volume ${keyOf(pv)}`);
    let volume = pv;
    const cap = storageCapacity(pv);
    if (!cap || compareQuantities(cap, want) < 0) {
      const next = structuredClone(pv);
      next.spec!.capacity = { ...next.spec!.capacity, storage: want };
      volume = await this.client.update<PV>(PersistentVolumes, undefined, keyOf(pv), next);
    }
    await this.client.update(PersistentVolumeClaims, claim.metadata!.namespace, claim.metadata!.name!, { ...claim, status: { ...claim.status, capacity: { ...volume.spec?.capacity } } }, 'status');
    this.event(claim, 'Normal', 'VolumeResizeSuccessful', 'Resize volume succeeded');
  }

  // ---- volumes ----

  async syncVolume(name: string): Promise<void> {
    const pv = this.inf.volumes.get(name);
    if (!pv) return;
    const ref = pv.spec?.claimRef;
    if (!ref?.name) return void (await this.setVolumePhase(pv, 'Available'));
    if (!ref.uid) {
      // Pre-bound by its user to a claim by name: Available until that claim binds.
      await this.setVolumePhase(pv, 'Available');
      this.claimQueue.add(`${ref.namespace}/${ref.name}`);
      return;
    }
    let claim = this.inf.claims.get(`${ref.namespace}/${ref.name}`) ?? (await this.fetchClaim(ref.namespace!, ref.name));
    if (claim && claim.metadata?.uid !== ref.uid) claim = undefined;
    if (!claim) {
      const released = pv.status?.phase === 'Released' || pv.status?.phase === 'Failed' ? pv : await this.setVolumePhase(pv, 'Released');
      return this.reclaim(released);
    }
    const volumeName = claim.spec?.volumeName;
    if (!volumeName) {
      // Pre-bound (by the scheduler, a provisioner or a user): the claim's sync completes it.
      this.claimQueue.add(keyOf(claim));
      return;
    }
    if (volumeName === name) return void (await this.setVolumePhase(pv, 'Bound'));
    // The claim went to another volume.
    if (pv.metadata?.annotations?.[ANN_PROVISIONED_BY] && pv.spec?.persistentVolumeReclaimPolicy === 'Delete') {
      return this.reclaim(await this.setVolumePhase(pv, 'Released'));
    }
    const next = structuredClone(pv);
    if (pv.metadata?.annotations?.[ANN_BOUND_BY_CONTROLLER] !== undefined) {
      delete next.spec!.claimRef;
      delete next.metadata!.annotations![ANN_BOUND_BY_CONTROLLER];
    } else delete next.spec!.claimRef!.uid;
    await this.setVolumePhase(await this.client.update<PV>(PersistentVolumes, undefined, name, next), 'Available');
  }

  private async reclaim(pv: PV): Promise<void> {
    const policy = pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain';
    if (policy !== 'Delete' || pv.metadata?.deletionTimestamp) return;
    const by = pv.metadata?.annotations?.[ANN_PROVISIONED_BY];
    if (by === LOCAL_PATH_PROVISIONER) {
      try {
        await this.client.delete(PersistentVolumes, undefined, keyOf(pv), { preconditions: { uid: pv.metadata!.uid } });
        log.info('deleted released volume', { volume: keyOf(pv) });
      } catch (e) {
        if (!(isNotFound(e) || (e instanceof StatusError && e.code === 409))) {
          this.event(pv, 'Warning', 'VolumeFailedDelete', (e as Error).message);
          throw e;
        }
      }
      return;
    }
    if (by) return; // another provisioner's volume: it deletes its own
    if (pv.status?.phase === 'Failed') return;
    const message = `tskube deletes only the volumes its ${LOCAL_PATH_PROVISIONER} provisioner made; remove the data of volume "${keyOf(pv)}" by hand, then delete it`;
    await this.setVolumePhase(pv, 'Failed', message);
    this.event(pv, 'Warning', 'VolumeFailedDelete', message);
  }

  private async setVolumePhase(pv: PV, phase: string, message?: string): Promise<PV> {
    if (pv.status?.phase === phase && (message === undefined || pv.status?.message === message)) return pv;
    const status = { phase, ...(message ? { message } : {}) };
    return this.client.update<PV>(PersistentVolumes, undefined, keyOf(pv), { ...pv, status }, 'status');
  }

  // ---- helpers ----

  private classOf(claim: PVC): SC | undefined {
    const name = claimClass(claim);
    return name ? this.inf.classes.get(name) : undefined;
  }

  /** The informer may lag a volume just made: ask the API before calling a claim's volume lost. */
  private async fetchVolume(name: string): Promise<PV | undefined> {
    return this.client.get<PV>(PersistentVolumes, undefined, name).catch((e) => {
      if (isNotFound(e)) return undefined;
      throw e;
    });
  }

  /** Likewise before releasing a volume whose claim the informer has not shown. */
  private async fetchClaim(ns: string, name: string): Promise<PVC | undefined> {
    return this.client.get<PVC>(PersistentVolumeClaims, ns, name).catch((e) => {
      if (isNotFound(e)) return undefined;
      throw e;
    });
  }

  private event(obj: PV | PVC, type: string, reason: string, message: string, source = SOURCE): void {
    const o = { ...obj, apiVersion: 'v1', kind: obj.metadata?.namespace ? 'PersistentVolumeClaim' : 'PersistentVolume' } as KubeObject;
    this.events.enqueue(() => recordEvent(this.client, o, source, type, reason, message));
  }
}

/** Why a volume a claim asks for by name does not satisfy it (checkVolumeSatisfyClaim). */
export function volumeMismatch(pv: PersistentVolume, claim: PersistentVolumeClaim): string | undefined {
  const want = storageRequest(claim) ?? '0';
  const cap = storageCapacity(pv);
  if (!cap || !isValidQuantity(cap) || !isValidQuantity(want) || compareQuantities(cap, want) < 0) return 'requested PV is too small';
  if (volumeClass(pv) !== claimClass(claim)) return 'storageClassName does not match';
  if (!volumeModesMatch(claim, pv)) return 'incompatible volumeMode';
  return undefined;
}
