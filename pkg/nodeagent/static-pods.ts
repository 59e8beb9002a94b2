// Static pods and their mirror pods (the kubelet's staticPodPath, pkg/kubelet/pod/mirror_client.go
// and the mirror-pod part of syncPod / HandlePodCleanups). The pods of the manifest directory run
// from the agent's own state, through the same pod workers as API pods, keyed by their hashed
// UID: they start without the API, and an agent restart finds their containers again. For each
// one the agent keeps a mirror pod in the API (same namespace/name, annotation
// kubernetes.io/config.mirror = the config hash, owned by the Node), which carries the static
// pod's status: a mirror pod that is deleted or outdated is deleted (grace 0) and made again,
// a mirror pod whose static pod is gone is deleted. Logs and exec reach the static pod by its
// namespace/name, which the mirror pod shares. A static pod whose file was edited (a new UID)
// starts only once the old one has stopped and been torn down, as the kubelet's
// allowStaticPodStart: two instances of, say, an etcd with a hostPath data dir and host ports
// must never run at once.
import type { KubeObject, Pod } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { Pods, StatusError } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { recordRestartedPods } from './metrics.js';
import { ANN_CONFIG_HASH, ANN_CONFIG_MIRROR, isMirrorPod, type StaticPod } from './static-pod-manifest.js';
import { FILE_CHECK_FREQUENCY_MS, StaticPodSource } from './static-pod-source.js';

const log = logger('static-pods');

/** How often mirror pods are checked besides their watch events (the API may have been away). */
const MIRROR_RESYNC_MS = 10_000;
/** How long a mirror pod someone deleted stays away before it is made again. */
const RECREATE_DELAY_MS = 1000;
/** How often a static pod waiting for its earlier instance to stop checks again. */
const START_WAIT_POLL_MS = 200;
/** How often mirror pods are tried again while the pods are listed but the Node's UID is not known yet. */
const NODE_WAIT_POLL_MS = 200;

export interface StaticPodDeps {
  client: ApiClient;
  nodeName: string;
  /** The manifest directory (the kubelet's staticPodPath). */
  dir: string;
  /** Runs a pod through the agent's pod workers, or (undefined) stops and removes the one of that UID. */
  run(uid: string, pod: Pod | undefined): void;
  /** Whether the agent still has a pod worker for this UID (a removed static pod: until it is torn down). */
  running(uid: string): boolean;
  /** The pods bound to this node as the agent's informer has them (mirror pods among them), by namespace/name. */
  apiPod(namespace: string, name: string): Pod | undefined;
  apiPods(): Pod[];
  /** Resolves once the agent's informer of this node's pods has listed them. */
  apiSynced(): Promise<void>;
  /** The Node's UID (for the mirror pods' owner reference); undefined until it is known. */
  nodeUid(): string | undefined;
  /** A static pod's mirror pod is there (new, or seen again): its status should be reported (again). */
  mirrorCreated(uid: string): void;
  rescanMs?: number;
}

const fullName = (p: Pod) => `${p.metadata?.namespace}/${p.metadata?.name}`;

/** The mirror pod of a static pod (mirror_client.go CreateMirrorPod): its spec and metadata, the mirror annotation, the Node as controller. */
export function mirrorPodOf(sp: StaticPod, nodeName: string, nodeUid: string): Pod & KubeObject {
  const { uid: _uid, resourceVersion: _rv, creationTimestamp: _ct, ...meta } = sp.pod.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...meta,
      annotations: { ...meta.annotations, [ANN_CONFIG_MIRROR]: sp.hash },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid, controller: true }],
    },
    spec: structuredClone(sp.pod.spec),
  } as Pod & KubeObject;
}

export class StaticPods {
  private readonly source: StaticPodSource;
  private timer: NodeJS.Timeout | undefined;
  private syncing = false;
  private pending = false;
  private stopped = false;
  /** Names of API pods that are not mirror pods but hold a static pod's name (warned once each). */
  private readonly squatted = new Set<string>();
  /** The mirror pod (UID) each static pod's status was last sent to, by static pod UID. */
  private readonly announced = new Map<string, string>();
  /** The last failure to create each mirror pod (namespace/name), logged once. */
  private readonly createFailed = new Map<string, string>();
  /** Mirror pods (namespace/name) deleted by someone: not made again before this time (ms). */
  private readonly recreateAfter = new Map<string, number>();
  /** The next pass while the Node's UID is not known yet (one at a time). */
  private nodeWait: NodeJS.Timeout | undefined;

  constructor(private readonly d: StaticPodDeps) {
    this.source = new StaticPodSource({ dir: d.dir, nodeName: d.nodeName, rescanMs: d.rescanMs ?? FILE_CHECK_FREQUENCY_MS, onChange: (pods) => this.apply(pods) });
  }

  /** Reads the manifests and starts their pods (without the API); mirror pods follow once the API answers. */
  async start(): Promise<void> {
    await this.source.start();
    this.timer = setInterval(() => this.syncMirrors(), MIRROR_RESYNC_MS);
    void this.d.apiSynced().then(() => this.syncMirrors());
  }

  stop(): void {
    this.stopped = true;
    this.source.stop();
    clearInterval(this.timer);
    clearTimeout(this.waitTimer);
    clearTimeout(this.nodeWait);
  }

  /** The static pods by UID. */
  get pods(): Map<string, StaticPod> {
    return this.source.pods;
  }

  /** The static pod of a UID the agent runs, if it is one. */
  get(uid: string): StaticPod | undefined {
    return this.source.pods.get(uid);
  }

  /** A pod event from the API for a mirror pod (they are never run as pods themselves); a current one gets its static pod's status. */
  mirrorChanged(m: Pod): void {
    const sp = [...this.pods.values()].find((x) => fullName(x.pod) === fullName(m));
    const uid = sp?.pod.metadata?.uid;
    if (uid && !m.metadata?.deletionTimestamp && m.metadata?.annotations?.[ANN_CONFIG_MIRROR] === sp.hash && this.announced.get(uid) !== m.metadata?.uid) {
      // (once per mirror pod: its own status patches come back as events too)
      this.announced.set(uid, m.metadata!.uid!);
      this.d.mirrorCreated(uid);
    }
    this.syncMirrors();
  }

  /** A mirror pod is gone from the API (deleted by someone, at once with grace 0, or by us): made again after a moment. */
  mirrorDeleted(m: Pod): void {
    const name = fullName(m);
    if ([...this.pods.values()].some((x) => fullName(x.pod) === name)) this.recreateAfter.set(name, Math.max(this.recreateAfter.get(name) ?? 0, Date.now() + RECREATE_DELAY_MS));
    this.syncMirrors();
  }

  /** The UID of the API object a static pod's status goes to (its mirror pod), or undefined while it has none. */
  statusTarget(uid: string): string | undefined {
    const sp = this.get(uid);
    if (!sp) return undefined;
    const m = this.d.apiPod(sp.pod.metadata!.namespace!, sp.pod.metadata!.name!);
    return m && isMirrorPod(m) && !m.metadata?.deletionTimestamp && m.metadata?.annotations?.[ANN_CONFIG_MIRROR] === sp.hash ? m.metadata?.uid : undefined;
  }

  private previous = new Map<string, StaticPod>();
  /** Removed static pods (UID → namespace/name) whose workers may still be stopping. */
  private readonly stopping = new Map<string, string>();
  /** New static pods not started yet: an earlier pod of the same namespace/name is still stopping. */
  private readonly waiting = new Map<string, StaticPod>();
  /** Waiting static pods whose UID is that of an instance still stopping: a restart once they start. */
  private readonly restarting = new Set<string>();
  private waitTimer: NodeJS.Timeout | undefined;

  private apply(pods: Map<string, StaticPod>): void {
    // (an edit of a manifest that sets metadata.uid keeps the UID: that pod is replaced too)
    const replaced = (uid: string) => this.previous.get(uid)?.contentHash !== pods.get(uid)?.contentHash;
    for (const [uid, sp] of this.previous) {
      if (!replaced(uid)) continue;
      this.announced.delete(uid);
      if (this.waiting.delete(uid)) {
        this.restarting.delete(uid);
        continue; // (never started)
      }
      this.stopping.set(uid, fullName(sp.pod));
      this.d.run(uid, undefined);
    }
    for (const [uid, sp] of pods) {
      if (!replaced(uid)) continue;
      this.waiting.set(uid, sp);
      // (the same UID back while its earlier instance stops: a file put back, or edited with a
      // fixed metadata.uid; the kubelet's UpdatePod flags restartRequested and counts the restart)
      if (this.d.running(uid)) this.restarting.add(uid);
    }
    this.previous = new Map(pods);
    this.startWaiting();
    this.syncMirrors();
  }

  /** Starts the new static pods whose namespace/name no earlier instance holds any more; checks again later for the others. */
  private startWaiting(): void {
    clearTimeout(this.waitTimer);
    if (this.stopped) return;
    for (const uid of [...this.stopping.keys()]) if (!this.d.running(uid)) this.stopping.delete(uid);
    const busy = new Set(this.stopping.values());
    for (const [uid, sp] of [...this.waiting]) {
      if (busy.has(fullName(sp.pod))) continue;
      this.waiting.delete(uid);
      if (this.restarting.delete(uid)) recordRestartedPods(1);
      this.d.run(uid, sp.pod);
    }
    if (this.waiting.size) {
      for (const sp of this.waiting.values()) log.debug('static pod waits for its earlier instance to stop', { pod: fullName(sp.pod) });
      this.waitTimer = setTimeout(() => this.startWaiting(), START_WAIT_POLL_MS);
    }
  }

  /** One mirror pass at a time; a request during one runs another after it. */
  private syncMirrors(): void {
    if (this.stopped) return;
    if (this.syncing) {
      this.pending = true;
      return;
    }
    this.syncing = true;
    void (async () => {
      do {
        this.pending = false;
        await this.syncOnce().catch((e: Error) => log.warn('mirror pod sync failed', { err: e.message }));
      } while (this.pending && !this.stopped);
      this.syncing = false;
    })();
  }

  private async syncOnce(): Promise<void> {
    let synced = false;
    await Promise.race([this.d.apiSynced().then(() => (synced = true)), Promise.resolve()]);
    if (!synced) return;
    const nodeUid = this.d.nodeUid();
    if (!nodeUid) {
      // (the pods are listed but the Node not yet, its informer a moment behind: look again
      // soon rather than a whole resync period later)
      this.nodeWait ??= setTimeout(() => {
        this.nodeWait = undefined;
        this.syncMirrors();
      }, NODE_WAIT_POLL_MS).unref();
      return;
    }
    const wanted = new Map<string, StaticPod>();
    for (const sp of this.pods.values()) wanted.set(fullName(sp.pod), sp);
    for (const [name, sp] of wanted) {
      if (this.stopped) return;
      let m = this.d.apiPod(sp.pod.metadata!.namespace!, sp.pod.metadata!.name!);
      if (m && !isMirrorPod(m)) {
        if (!this.squatted.has(name)) log.warn('a pod that is not a mirror pod has the name of a static pod; no mirror pod is made', { pod: name });
        this.squatted.add(name);
        continue;
      }
      this.squatted.delete(name);
      if (m && (m.metadata?.deletionTimestamp || m.metadata?.annotations?.[ANN_CONFIG_MIRROR] !== sp.hash)) {
        const byUser = !!m.metadata?.deletionTimestamp;
        log.info(byUser ? 'mirror pod deleted; making it again' : 'mirror pod outdated; replacing it', { pod: name });
        await this.deleteMirror(m);
        // A deleted mirror pod comes back a moment later, so that the deleter (kubectl delete
        // waits for the name to go) sees it gone rather than at once replaced.
        if (byUser) this.recreateAfter.set(name, Date.now() + RECREATE_DELAY_MS);
        m = undefined;
      }
      if (m) continue;
      const wait = (this.recreateAfter.get(name) ?? 0) - Date.now();
      if (wait > 0) {
        setTimeout(() => this.syncMirrors(), wait + 10).unref();
        continue;
      }
      this.recreateAfter.delete(name);
      await this.createMirror(sp, nodeUid);
    }
    for (const m of this.d.apiPods()) {
      if (!isMirrorPod(m) || wanted.has(fullName(m))) continue;
      log.info('deleting the mirror pod of a static pod that is gone', { pod: fullName(m) });
      await this.deleteMirror(m);
    }
  }

  private async createMirror(sp: StaticPod, nodeUid: string): Promise<void> {
    try {
      await this.d.client.create(Pods, sp.pod.metadata!.namespace, mirrorPodOf(sp, this.d.nodeName, nodeUid));
      log.info('created mirror pod', { pod: fullName(sp.pod), hash: sp.pod.metadata?.annotations?.[ANN_CONFIG_HASH] });
    } catch (e) {
      // 409: it exists already (made by an earlier pass the informer has not shown yet).
      if (e instanceof StatusError && e.code === 409) return;
      // (once per pod and reason: the pass repeats every 10 s; the static pod runs regardless)
      const err = (e as Error).message;
      if (this.createFailed.get(fullName(sp.pod)) !== err) log.warn('creating the mirror pod failed; the static pod runs without one', { pod: fullName(sp.pod), err });
      this.createFailed.set(fullName(sp.pod), err);
      return;
    }
    this.createFailed.delete(fullName(sp.pod));
  }

  private async deleteMirror(m: Pod): Promise<void> {
    try {
      await this.d.client.delete(Pods, m.metadata!.namespace, m.metadata!.name!, { gracePeriodSeconds: 0, preconditions: { uid: m.metadata!.uid } });
    } catch (e) {
      if (!(e instanceof StatusError && (e.code === 404 || e.code === 409))) throw e;
    }
  }
}
