// Volume plugins, as kube-scheduler's VolumeBinding and VolumeRestrictions: a pod whose claim is
// missing, being deleted, or unbound with an Immediate class cannot be scheduled; a claim bound to
// a volume pinned to nodes (local, hostPath with nodeAffinity) restricts the pod to those nodes; a
// WaitForFirstConsumer claim gets, on each node, an Available volume that fits it there or else a
// provisioned one — then, once the node is chosen, the volume is pre-bound (its claimRef) or the
// claim gets the volume.kubernetes.io/selected-node annotation, and binding waits until the PV
// controller has bound every claim. A ReadWriteOncePod claim another pod uses blocks the pod.
import {
  ANN_NODE_LOCAL_PATH_DIR,
  ANN_SELECTED_NODE,
  claimClass,
  claimKey,
  findMatchingVolume,
  isClaimBound,
  LOCAL_PATH_PROVISIONER,
  podClaimNames,
  podEphemeralClaimNames,
  ephemeralClaimError,
  volumeNodeAffinityMatches,
} from '../../api/persistent-volumes.js';
import type { PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '../../api/types.js';
import { CycleState, StateKey, Status, type FilterPlugin, type PreBindPlugin, type PreFilterPlugin, type ReservePlugin } from '../framework.js';
import type { NodeInfo } from '../node-info.js';

/** What the plugins read: the scheduler's informers, and the pods it knows to be on nodes. */
export interface VolumeLister {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volumes(): PersistentVolume[];
  volume(name: string): PersistentVolume | undefined;
  storageClass(name: string): StorageClass | undefined;
  /** Pods bound or assumed to a node that use the claim. */
  podsUsingClaim(namespace: string, name: string): Pod[];
  /** The pod as the scheduler's informer has it now (undefined once deleted). */
  pod(namespace: string, name: string): Pod | undefined;
}

/** What the plugins write once a node is chosen. */
export interface VolumeWriter {
  /** Pre-binds `pv` to `claim` (its claimRef); the PV controller completes the binding. */
  bindVolume(pv: PersistentVolume, claim: PersistentVolumeClaim): Promise<void>;
  /** Names the node whose provisioner is to make the claim's volume; the claim's resourceVersion after the write. */
  selectNode(claim: PersistentVolumeClaim, node: string): Promise<string | undefined>;
}

export const ERR_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';
export const ERR_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
export const ERR_NO_VOLUMES = "node(s) didn't find available persistent volumes to bind";
export const ERR_PV_MISSING = 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';
export const ERR_NO_LOCAL_PATH = 'node(s) had no local-path storage directory';
export const ERR_RWOP_CONFLICT = 'node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode';

interface NodeBindings {
  /** Claims to pre-bind to the volume chosen on this node. */
  static: { claim: PersistentVolumeClaim; volume: PersistentVolume }[];
  /** Claims to provision on this node. */
  provision: PersistentVolumeClaim[];
}

interface PodVolumes {
  bound: PersistentVolumeClaim[];
  /** WaitForFirstConsumer claims, not yet bound (some may name their volume already). */
  delayed: PersistentVolumeClaim[];
  byNode: Map<string, NodeBindings>;
}

const key = new StateKey<PodVolumes>('VolumeBinding');
const NAME = 'VolumeBinding';

export interface VolumeBindingOptions {
  /** How long binding waits for the PV controller (kube-scheduler's bindTimeoutSeconds, 600). */
  bindTimeoutMs?: number;
  pollMs?: number;
}

export class VolumeBinding implements PreFilterPlugin, FilterPlugin, ReservePlugin, PreBindPlugin {
  readonly name = NAME;
  /** Volumes promised to a claim by a pod between reserve and the end of its binding: volume → claim key. */
  private readonly assumed = new Map<string, string>();

  constructor(
    private readonly lister: VolumeLister,
    private readonly writer: VolumeWriter,
    private readonly opts: VolumeBindingOptions = {},
  ) {}

  preFilter(state: CycleState, pod: Pod): Status {
    const names = podClaimNames(pod);
    if (!names.length) {
      state.skipFilter.add(NAME);
      return Status.skip;
    }
    const ns = pod.metadata?.namespace ?? 'default';
    const v: PodVolumes = { bound: [], delayed: [], byNode: new Map() };
    const ephemeral = new Set(podEphemeralClaimNames(pod));
    for (const name of names) {
      const pvc = this.lister.claim(ns, name);
      if (!pvc) return Status.unresolvable(NAME, ephemeral.has(name) ? `waiting for ephemeral volume controller to create the persistentvolumeclaim "${name}"` : `persistentvolumeclaim "${name}" not found`);
      const notOurs = ephemeral.has(name) ? ephemeralClaimError(pod, pvc) : undefined;
      if (notOurs) return Status.unresolvable(NAME, notOurs);
      if (pvc.metadata?.deletionTimestamp) return Status.unresolvable(NAME, `persistentvolumeclaim "${name}" is being deleted`);
      if (isClaimBound(pvc)) v.bound.push(pvc);
      else if (this.lister.storageClass(claimClass(pvc))?.volumeBindingMode === 'WaitForFirstConsumer') v.delayed.push(pvc);
      else return Status.unresolvable(NAME, ERR_UNBOUND_IMMEDIATE);
    }
    state.write(key, v);
    return Status.success;
  }

  filter(state: CycleState, _pod: Pod, n: NodeInfo): Status {
    const v = state.read(key);
    if (!v) return Status.success;
    for (const pvc of [...v.bound, ...v.delayed.filter((c) => c.spec?.volumeName)]) {
      const pv = this.lister.volume(pvc.spec!.volumeName!);
      if (!pv) {
        if (v.bound.includes(pvc)) return Status.unresolvable(NAME, ERR_PV_MISSING);
        continue; // a user's pre-binding to a volume not made yet: the PV controller decides
      }
      if (!volumeNodeAffinityMatches(pv, n.node)) return Status.unresolvable(NAME, ERR_NODE_CONFLICT);
    }
    const bindings: NodeBindings = { static: [], provision: [] };
    const excluded = new Set(this.assumed.keys());
    const volumes = this.lister.volumes();
    for (const pvc of v.delayed) {
      if (pvc.spec?.volumeName) continue;
      const pv = findMatchingVolume(pvc, volumes, { node: n.node, delayBinding: true, excluded });
      if (pv) {
        bindings.static.push({ claim: pvc, volume: pv });
        excluded.add(pv.metadata!.name!);
        continue;
      }
      const provisioner = this.lister.storageClass(claimClass(pvc))?.provisioner;
      if (!provisioner || provisioner === 'kubernetes.io/no-provisioner') return Status.unresolvable(NAME, ERR_NO_VOLUMES);
      if (provisioner === LOCAL_PATH_PROVISIONER && !n.node.metadata?.annotations?.[ANN_NODE_LOCAL_PATH_DIR]) return Status.unresolvable(NAME, ERR_NO_LOCAL_PATH);
      bindings.provision.push(pvc);
    }
    v.byNode.set(n.name, bindings);
    return Status.success;
  }

  reserve(state: CycleState, _pod: Pod, node: string): Status {
    for (const b of state.read(key)?.byNode.get(node)?.static ?? []) this.assumed.set(b.volume.metadata!.name!, claimKey(b.claim));
    return Status.success;
  }

  unreserve(state: CycleState, _pod: Pod, node: string): void {
    for (const b of state.read(key)?.byNode.get(node)?.static ?? []) this.assumed.delete(b.volume.metadata!.name!);
  }

  async preBind(state: CycleState, pod: Pod, node: string): Promise<Status> {
    const v = state.read(key);
    if (!v?.delayed.length) return Status.success;
    const b = v.byNode.get(node) ?? { static: [], provision: [] };
    try {
      for (const s of b.static) await this.writer.bindVolume(s.volume, s.claim);
      // Each claim's version with the node selected: the lister may not have seen the write yet.
      const selectedAt = new Map<string, number>();
      for (const c of b.provision) {
        const rv = c.metadata?.annotations?.[ANN_SELECTED_NODE] !== node ? await this.writer.selectNode(c, node) : c.metadata?.resourceVersion;
        selectedAt.set(claimKey(c), Number(rv ?? 0));
      }
      return await this.waitBound(pod, v.delayed, node, selectedAt);
    } catch (e) {
      return Status.error(NAME, `binding volumes: ${(e as Error).message}`);
    } finally {
      for (const s of b.static) this.assumed.delete(s.volume.metadata!.name!);
    }
  }

  /**
   * Until every claim is bound (checkBindings), or one cannot be (deleted, its node choice
   * undone), or the pod is gone. A choice counts as undone only in a version of the claim at or
   * after the one that made it (upstream assumes its own write in the claim cache).
   */
  private async waitBound(pod: Pod, claims: PersistentVolumeClaim[], node: string, selectedAt: Map<string, number>): Promise<Status> {
    const deadline = Date.now() + (this.opts.bindTimeoutMs ?? 600_000);
    for (;;) {
      const now = this.lister.pod(pod.metadata?.namespace ?? 'default', pod.metadata?.name ?? '');
      if (!now || now.metadata?.uid !== pod.metadata?.uid || now.metadata?.deletionTimestamp) return Status.unresolvable(NAME, 'binding volumes: the pod was deleted');
      let pending = 0;
      for (const c of claims) {
        const now = this.lister.claim(c.metadata!.namespace!, c.metadata!.name!);
        if (!now || now.metadata?.uid !== c.metadata?.uid) return Status.error(NAME, `binding volumes: persistentvolumeclaim "${c.metadata?.name}" was deleted`);
        if (isClaimBound(now)) continue;
        const selected = selectedAt.get(claimKey(c));
        const undone = selected !== undefined && Number(now.metadata?.resourceVersion ?? 0) >= selected && now.metadata?.annotations?.[ANN_SELECTED_NODE] !== node;
        if (undone) return Status.error(NAME, `binding volumes: selectedNode annotation reset for PVC "${c.metadata?.name}"`);
        pending++;
      }
      if (!pending) return Status.success;
      if (Date.now() > deadline) return Status.error(NAME, 'binding volumes: context deadline exceeded');
      await new Promise((r) => setTimeout(r, this.opts.pollMs ?? 200));
    }
  }
}

/** VolumeRestrictions: a ReadWriteOncePod claim is one pod's at a time. */
export function volumeRestrictions(lister: VolumeLister): PreFilterPlugin {
  return {
    name: 'VolumeRestrictions',
    preFilter(_state, pod) {
      const ns = pod.metadata?.namespace ?? 'default';
      for (const name of podClaimNames(pod)) {
        const pvc = lister.claim(ns, name);
        if (!pvc?.spec?.accessModes?.includes('ReadWriteOncePod')) continue;
        const others = lister.podsUsingClaim(ns, name).filter((p) => p.metadata?.name !== pod.metadata?.name);
        if (others.length) return Status.unresolvable('VolumeRestrictions', ERR_RWOP_CONFLICT);
      }
      return Status.success;
    },
  };
}
