// A pod's data on the node before its containers start: the ConfigMaps and Secrets it refers to
// (for env, envFrom, imagePullSecrets and volumes), its API volumes (configMap, secret,
// downwardAPI, projected) written and refreshed, and its persistentVolumeClaim volumes resolved
// to host directories. What containerConfig needs to mount them comes from mounts().
import { join } from 'node:path';
import type { Pod } from '../api/types.js';
import { podReferences } from '../api/pod-references.js';
import { ensureTmpfs, isApiVolume, isMemoryBacked, payloadDigest, volumePayload, writeAtomic } from './api-volumes.js';
import { VolumeMountError, type MountedClaim } from './claim-volumes.js';
import { HostPathError, setUpHostPath } from './host-path.js';
import { timedMount, volumePluginOf } from './metrics.js';
import { mountRetryMs, unmountableMessage, unmountableSource } from './unmounted-volumes.js';
import { ConfigSourceError, ConfigSources, decodeSource } from './config-sources.js';
import type { PodContext, WorkerDeps } from './pod-worker-deps.js';

type Volume = NonNullable<NonNullable<Pod['spec']>['volumes']>[number];

/** How a FailedMount of syncPod's own (WaitForAttachAndMount's) begins, not an operation's. */
const UNPROCESSED = 'Unable to attach or mount volumes: ';
/** The kubelet's pod worker backOffPeriod: a pod whose sync failed is synced again after it. */
const POD_SYNC_BACKOFF_MS = 10_000;

/** The volumes of a container's config: host directories by volume name, API volume directories, and the read-only ones. */
export interface PodMounts {
  hostPaths: Map<string, string>;
  apiVolumes: Map<string, string>;
  readOnly: Set<string>;
}

export class PodVolumes {
  /** The ConfigMaps and Secrets the pod refers to, as last fetched. */
  sources = new ConfigSources();
  /** API volumes by name: their directories, and the digest last written. */
  private apiVolumes = new Map<string, { dir: string; digest: string }>();
  /** The pod's persistentVolumeClaim volumes, once resolved (kept while the pod lives, as the kubelet keeps them mounted). */
  private claims = new Map<string, MountedClaim>();
  /** The pod's hostPath volumes that passed their type check. */
  private hostPathsReady = new Set<string>();
  /**
   * Volumes whose last set-up failed: failed attempts, and when the next is due. Each volume
   * waits on its own, as the kubelet's nestedpendingoperations back each failed mount operation
   * off (500 ms doubling to 2 min 2 s) whatever the pod's other volumes do.
   */
  private backoff = new Map<string, { failures: number; nextAt: number }>();
  /** Refreshes API volumes while the pod runs, as the kubelet's periodic sync does. */
  private timer: NodeJS.Timeout | undefined;
  /** Every hostPath and claim volume has been set up once (its emptyDirs with them). */
  private prepared = false;

  constructor(
    private readonly d: Pick<WorkerDeps, 'podsDir' | 'getSource' | 'serviceAccountToken' | 'apiVolumeSyncMs' | 'claimVolumes' | 'nodeAllocatable'>,
    private readonly ctx: PodContext,
  ) {}

  /**
   * Fetches the ConfigMaps and Secrets the pod refers to and writes its API volumes, as the
   * kubelet does before it starts containers (and again every apiVolumeSyncMs, a minute by
   * default, so that volumes follow changes). A volume whose source is missing stops the pod's start: a FailedMount event with
   * the kubelet's message, and a retry after the volume's back-off. False when containers may not start yet.
   */
  async prepareApiData(): Promise<boolean> {
    const pod = this.ctx.pod;
    const ns = pod.metadata!.namespace!;
    const refs = podReferences(pod);
    const volumes = (pod.spec?.volumes ?? []).filter(isApiVolume);
    if (!refs.length && !volumes.length) return true;
    const sources = new ConfigSources();
    for (const r of refs) {
      try {
        const obj = await this.d.getSource(r.kind, ns, r.name);
        sources.set(r.kind, r.name, obj && decodeSource(r.kind, obj as Record<string, unknown>));
      } catch (e) {
        // The API is out of reach: what was fetched before still serves (as the kubelet's cache does).
        if (!this.sources.has(r.kind, r.name)) throw e;
        sources.set(r.kind, r.name, this.sources.get(r.kind, r.name));
      }
    }
    this.sources = sources;
    // Each volume is set up on its own, as the kubelet's volume manager mounts them one by one:
    // every one that cannot be has its FailedMount, not only the first.
    let failed = false;
    let wait = Infinity;
    for (const v of volumes) {
      const dir = join(this.d.podsDir, this.ctx.uid, 'volumes', v.name!);
      const left = this.backoffLeft(v.name!);
      if (left > 0) {
        // (its back-off runs: no attempt, and no event, until it is due)
        if (this.apiVolumes.has(v.name!)) continue;
        failed = true;
        wait = Math.min(wait, left);
        continue;
      }
      try {
        // (each setup, the periodic remount of a mounted one too, is a volume_mount operation)
        await timedMount(volumePluginOf(v), async () => {
          await this.fetchTokens(v, sources);
          const payload = volumePayload(v, pod, sources, this.d.nodeAllocatable);
          const digest = payloadDigest(payload);
          if (this.apiVolumes.get(v.name!)?.digest !== digest) {
            if (isMemoryBacked(v)) await ensureTmpfs(dir);
            await writeAtomic(dir, payload, pod.spec?.securityContext?.fsGroup ?? undefined);
          }
          this.apiVolumes.set(v.name!, { dir, digest });
        });
        this.backoff.delete(v.name!);
      } catch (e) {
        if (!(e instanceof ConfigSourceError)) throw e;
        // (a remount of a running pod's volume fails with its event too, as the kubelet's does)
        const left = this.mountFailed(v.name!, `MountVolume.SetUp failed for volume "${v.name}" : ${e.message}`);
        if (this.apiVolumes.has(v.name!)) continue; // written before: keep what containers see
        failed = true;
        wait = Math.min(wait, left);
      }
    }
    if (failed) {
      this.ctx.retryIn(wait);
      return false;
    }
    if (volumes.length) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.ctx.kick(), this.d.apiVolumeSyncMs);
    }
    return true;
  }

  /** The service account tokens a projected volume holds, into `sources` (the kubelet's message when one cannot be had). */
  private async fetchTokens(v: Volume, sources: ConfigSources): Promise<void> {
    for (const s of v.projected?.sources ?? []) {
      if (!s.serviceAccountToken) continue;
      try {
        sources.setToken(s.serviceAccountToken, await this.d.serviceAccountToken(this.ctx.pod, s.serviceAccountToken));
      } catch (e) {
        throw new ConfigSourceError(`failed to fetch token: ${(e as Error).message}`);
      }
    }
  }

  /**
   * Resolves the pod's persistentVolumeClaim volumes to their directories and checks its hostPath
   * volumes, as the kubelet mounts them before starting containers. One that cannot be mounted yet
   * (an unbound or missing claim, a failed type check, a source tskube does not mount) holds the
   * pod: a FailedMount event with the kubelet's message, and a retry after its back-off. False until all are.
   */
  async prepareClaimVolumes(): Promise<boolean> {
    const pod = this.ctx.pod;
    const mounted = new Set([...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...(pod.spec?.ephemeralContainers ?? [])].flatMap((c) => (c.volumeMounts ?? []).map((m) => m.name)));
    // Every volume is tried on its own, as the kubelet's reconciler mounts each: one that fails
    // (its FailedMount) keeps the pod waiting but neither stops nor hides the others' attempts.
    let wait = Infinity;
    for (const v of pod.spec?.volumes ?? []) {
      const kind = unmountableSource(v);
      const claim = !!(v.persistentVolumeClaim || v.ephemeral);
      const medium = v.emptyDir?.medium ?? '';
      const badMedium = !!v.emptyDir && medium !== '' && medium !== 'Memory';
      if (!kind && !claim && !v.hostPath?.path && !badMedium) continue;
      if (this.hostPathsReady.has(v.name!) || this.claims.has(v.name!)) continue;
      // (without a type nothing is checked, and only a source a container mounts is made, as containerd's)
      if (v.hostPath?.path && !v.hostPath.type && !mounted.has(v.name)) continue;
      const left = this.backoffLeft(v.name!);
      if (left > 0) {
        wait = Math.min(wait, left);
        continue;
      }
      try {
        if (kind) {
          // Sources tskube does not mount (nfs, iscsi, csi, ...) hold the pod for good.
          throw new VolumeMountError(unmountableMessage(v.name!, kind, v[kind as keyof typeof v] as Record<string, unknown>, false));
        } else if (badMedium) {
          // 1.32's apiserver takes any medium (StorageMedium is no enum); its emptyDir plugin
          // refuses one it does not know at SetUp. Huge pages need a request of them, which a
          // pod on a tskube node (with no huge pages to allocate) never has.
          const hugePages = medium === 'HugePages' || medium.startsWith('HugePages-');
          const why = hugePages ? `medium ${medium}: hugePages storage requested, but there is no resource request for huge pages` : `unknown storage medium "${medium}"`;
          throw new VolumeMountError(`MountVolume.SetUp failed for volume "${v.name}" : ${why}`);
        } else if (v.hostPath?.path) {
          // the kubelet's type check (DirectoryOrCreate and FileOrCreate make them)
          await timedMount(volumePluginOf(v), () => setUpHostPath(v.hostPath!.path!, v.hostPath!.type));
          this.hostPathsReady.add(v.name!);
        } else {
          if (!this.d.claimVolumes) throw new VolumeMountError(`MountVolume.SetUp failed for volume "${v.name}" : this node agent does not mount persistentVolumeClaim volumes`);
          this.claims.set(v.name!, await this.d.claimVolumes.resolve(pod, v));
        }
        this.backoff.delete(v.name!);
      } catch (e) {
        if (e instanceof HostPathError) wait = Math.min(wait, this.mountFailed(v.name!, `MountVolume.SetUp failed for volume "${v.name}" : ${e.message}`));
        else if (e instanceof VolumeMountError && e.message.startsWith(UNPROCESSED)) {
          // A claim the volume manager could not process (missing, unbound) is no mount operation
          // with a back-off: syncPod fails with it, and the pod worker syncs again after its
          // backOffPeriod (10 s), each time with this event.
          this.ctx.event('Warning', 'FailedMount', e.message);
          wait = Math.min(wait, POD_SYNC_BACKOFF_MS);
        } else if (e instanceof VolumeMountError) wait = Math.min(wait, this.mountFailed(v.name!, e.message));
        else throw e;
      }
    }
    if (wait !== Infinity) {
      // (no "Unable to attach or mount volumes" when the sync's 2 min 3 s wait runs out: 1.32's
      // syncPod says nothing of an interrupted wait)
      this.ctx.retryIn(wait);
      return false;
    }
    this.prepared = true;
    return true;
  }

  /** The milliseconds before volume `name` may be set up again (0: now). */
  private backoffLeft(name: string): number {
    const s = this.backoff.get(name);
    return s ? Math.max(0, s.nextAt - Date.now()) : 0;
  }

  /** Reports a failed set-up of volume `name` (a FailedMount event) and backs it off; the milliseconds until its next attempt. */
  private mountFailed(name: string, message: string): number {
    this.ctx.event('Warning', 'FailedMount', message);
    const s = this.backoff.get(name) ?? { failures: 0, nextAt: 0 };
    s.failures++;
    const ms = mountRetryMs(s.failures);
    s.nextAt = Date.now() + ms;
    this.backoff.set(name, s);
    return ms;
  }

  /**
   * The pod's volumes by plugin as the volume manager counts them: wanted (its desired state of
   * the world: every volume, a claim once resolved to its PV) and set up (its actual state).
   */
  volumeStates(): { desired: string[]; mounted: string[] } {
    const desired: string[] = [];
    const mounted: string[] = [];
    for (const v of this.ctx.pod.spec?.volumes ?? []) {
      const name = v.name!;
      const claim = this.claims.get(name);
      if (v.persistentVolumeClaim || v.ephemeral) {
        if (!claim) continue; // (not in the desired state until its claim is bound to a PV)
        desired.push(claim.plugin ?? 'N/A');
        mounted.push(claim.plugin ?? 'N/A');
        continue;
      }
      const plugin = volumePluginOf(v);
      if (!plugin) continue; // (a source tskube does not mount: its pod never starts)
      desired.push(plugin);
      if (this.apiVolumes.has(name) || this.hostPathsReady.has(name) || (this.prepared && (v.emptyDir || v.hostPath))) mounted.push(plugin);
    }
    return { desired, mounted };
  }

  /** The pod's volumes as a container mounts them: hostPath and claim directories, API volume directories. */
  mounts(): PodMounts {
    const hostPaths = new Map<string, string>();
    for (const v of this.ctx.pod.spec?.volumes ?? []) if (v.hostPath?.path && v.name) hostPaths.set(v.name, v.hostPath.path);
    const readOnly = new Set<string>();
    for (const [name, c] of this.claims) {
      hostPaths.set(name, c.path);
      if (c.readOnly) readOnly.add(name);
    }
    const apiVolumes = new Map([...this.apiVolumes].map(([name, v]) => [name, v.dir]));
    return { hostPaths, apiVolumes, readOnly };
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
