// The node agent's side of node-pressure eviction and image GC: feeds the eviction manager and
// the image GC manager from the real runtime, cgroupfs and statfs, runs their loops, and tells
// the agent when the pressure conditions change (the Node's status, and the kubelet's
// NodeHas... events).
import { readFileSync, readdirSync, statfsSync } from 'node:fs';
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod } from '../api/types.js';
import { cgroupPids } from '../runtime/cgroups.js';
import type { Runtime } from '../runtime/runtime.js';
import { ContainerState, SandboxState } from '../runtime/types.js';
import { logger } from '../util/log.js';
import { EvictionManager, CONDITION_TEXT, type PressureCondition } from './eviction-manager.js';
import type { PodUsage } from './eviction-ranking.js';
import { observe, realStatsReader, type NodeStatsReader } from './eviction-signals.js';
import { parseEvictionSettings, type EvictionSettings } from './eviction-thresholds.js';
import { ImageGCManager } from './image-gc.js';
import { ContainerGC, type GCPod } from './container-gc.js';
import { containerNameLabel, podUidLabel } from './container-labels.js';

const log = logger('node-pressure');

/** What the agent gives: its pods, how to evict one, and where to report. */
export interface NodePressureDeps {
  runtime: Runtime;
  nodeName: string;
  /** The agent's data dir (nodefs) and the image store's root (imagefs). */
  dataDir: string;
  imageDir: string;
  podsDir: string;
  activePods(): Pod[];
  evict(pod: Pod, message: string, graceSec: number, disruptionTarget: boolean): Promise<void>;
  /** The pods the agent has (its pod workers), for container GC. */
  gcPods(): Iterable<GCPod>;
  nodeEvent(type: string, reason: string, message: string): void;
  podEvent(pod: Pod, type: string, reason: string, message: string): void;
  conditionsChanged(): void;
  stats?: NodeStatsReader;
}

/** Bytes of the files under `dir` (what an emptyDir or a log takes); 0 when it is gone. */
async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  const walk = async (p: string): Promise<void> => {
    const st = await lstat(p).catch(() => undefined);
    if (!st) return;
    total += st.blocks * 512;
    if (st.isDirectory()) for (const e of await readdir(p).catch(() => [] as string[])) await walk(join(p, e));
  };
  await walk(dir);
  return total;
}

/** The event reasons of each pressure condition: [when True, when False]. */
const PRESSURE_EVENTS: Record<PressureCondition, [string, string]> = {
  MemoryPressure: ['NodeHasInsufficientMemory', 'NodeHasSufficientMemory'],
  DiskPressure: ['NodeHasDiskPressure', 'NodeHasNoDiskPressure'],
  PIDPressure: ['NodeHasInsufficientPID', 'NodeHasSufficientPID'],
};

export class NodePressure {
  readonly eviction: EvictionManager;
  readonly imageGC: ImageGCManager;
  readonly containerGC: ContainerGC;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;
  /** Bumped by each start: the loops of an earlier one end. */
  private generation = 0;
  private monitoringMs: number;
  private imageGCPeriodMs: number;
  private containerGCPeriodMs: number;
  /** The condition statuses last announced by an event (all start False). */
  private readonly reported = new Map<PressureCondition, boolean>();

  constructor(settings: EvictionSettings, private readonly d: NodePressureDeps) {
    const parsed = parseEvictionSettings(settings);
    for (const type of Object.keys(CONDITION_TEXT) as PressureCondition[]) this.reported.set(type, false);
    this.monitoringMs = settings.monitoringIntervalMs;
    this.imageGCPeriodMs = settings.imageGCPeriodMs;
    this.containerGCPeriodMs = settings.containerGCPeriodMs;
    this.containerGC = new ContainerGC(d.gcPods);
    const stats = d.stats ?? realStatsReader();
    this.imageGC = new ImageGCManager(parsed.imageGC, {
      listImages: () => d.runtime.listImages(),
      imagesInUse: () => this.imagesInUse(),
      removeImage: (id) => d.runtime.removeImage(id),
      imageFs: () => stats.fs(d.imageDir),
      nodeEvent: d.nodeEvent,
    });
    this.eviction = new EvictionManager(
      NodePressure.evictionConfig(settings, parsed),
      {
        observe: () => observe(stats, d.dataDir, d.imageDir),
        activePods: d.activePods,
        podUsage: () => this.podUsage(),
        evict: async (pod, message, grace, disruptionTarget) => {
          await d.evict(pod, message, grace, disruptionTarget);
          await this.releaseEmptyDirs(pod);
        },
        // The kubelet's order: dead containers (their writable layers and logs), then the images
        // no container uses any more.
        reclaimNodeLevel: async () => {
          // (a failure here must not keep the images from going; the kubelet's container_gc.go and
          // image_gc_manager.go log lines)
          log.info('Attempting to delete unused containers');
          const containers = await this.containerGC.deleteAllUnusedContainers().catch((e: Error) => (log.warn('removing dead containers failed', { err: e.message }), 0));
          log.info('Attempting to delete unused images');
          const freed = await this.imageGC.deleteUnusedImages();
          log.debug('node-level reclaim: dead containers and unused images removed', { containers, imageBytes: freed });
        },
        nodeEvent: d.nodeEvent,
        podEvent: d.podEvent,
        conditionsChanged: () => this.conditionsChanged(),
      },
    );
  }

  private static evictionConfig(settings: EvictionSettings, parsed: ReturnType<typeof parseEvictionSettings>) {
    return { thresholds: parsed.thresholds, pressureTransitionPeriodMs: parsed.pressureTransitionPeriodMs, maxPodGracePeriodSec: settings.maxPodGracePeriodSec, podCleanupTimeoutMs: 30_000 };
  }

  /** New settings while running (throws ThresholdError, changing nothing, when one is bad); loops pick them up on their next round. */
  reconfigure(settings: EvictionSettings): void {
    const parsed = parseEvictionSettings(settings);
    this.eviction.reconfigure(NodePressure.evictionConfig(settings, parsed));
    this.imageGC.policy = parsed.imageGC;
    this.monitoringMs = settings.monitoringIntervalMs;
    this.imageGCPeriodMs = settings.imageGCPeriodMs;
    this.containerGCPeriodMs = settings.containerGCPeriodMs;
    if (this.generation > 0 && !this.stopped) this.start();
  }

  /** Starts (or restarts, after reconfigure) the eviction, image GC and container GC loops; a loop of an older generation stops. */
  start(): void {
    const gen = ++this.generation;
    for (const t of this.timers.values()) clearTimeout(t);
    const loop = (fn: () => Promise<unknown>, everyMs: () => number, what: string) => {
      const run = async () => {
        const evicted = await fn().catch((e: Error) => log.warn(`${what} failed`, { err: e.message }));
        // After an eviction the next pass follows at once (the pod is gone by now).
        if (!this.stopped && gen === this.generation) this.timers.set(what, setTimeout(() => void run(), evicted ? 0 : everyMs()));
      };
      void run();
    };
    loop(() => this.eviction.synchronize(), () => this.monitoringMs, 'eviction pass');
    this.timers.set('image garbage collection', setTimeout(() => loop(() => this.imageGC.garbageCollect().then(() => undefined), () => this.imageGCPeriodMs, 'image garbage collection'), Math.min(this.imageGCPeriodMs, 5000)));
    this.timers.set('container garbage collection', setTimeout(() => loop(() => this.collectContainers(), () => this.containerGCPeriodMs, 'container garbage collection'), Math.min(this.containerGCPeriodMs, 5000)));
  }

  /** One periodic container GC, logged and reported as the kubelet's StartGarbageCollection does. */
  private async collectContainers(): Promise<undefined> {
    try {
      const removed = await this.containerGC.garbageCollect();
      log.debug('Container garbage collection succeeded', { removed });
    } catch (e) {
      log.error('Container garbage collection failed', { err: (e as Error).message });
      this.d.nodeEvent('Warning', 'ContainerGCFailed', (e as Error).message);
    }
    return undefined;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
  }

  /** The pressure conditions for the Node's status, with when each changed. */
  conditions(): { type: PressureCondition; status: 'True' | 'False'; reason: string; message: string; since: number }[] {
    return [...this.eviction.conditions].map(([type, c]) => {
      const [reason, message] = CONDITION_TEXT[type][c.status ? 'true' : 'false'];
      return { type, status: c.status ? 'True' : 'False', reason, message, since: c.since };
    });
  }

  /** MemoryPressure, DiskPressure and PIDPressure for the Node's status, with the kubelet's reasons and messages. */
  statusConditions(heartbeat: string): Record<string, string>[] {
    const rfc = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return this.conditions().map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message, lastHeartbeatTime: heartbeat, lastTransitionTime: rfc(c.since) }));
  }

  /** The conditions as they stand, one event each, as the kubelet announces them when it first posts its status (NodeHasSufficientMemory, ...). */
  announceConditions(): void {
    for (const [type, c] of this.eviction.conditions) {
      const reason = PRESSURE_EVENTS[type][c.status ? 0 : 1];
      this.d.nodeEvent('Normal', reason, `Node ${this.d.nodeName} status is now: ${reason}`);
      this.reported.set(type, c.status);
    }
  }

  private conditionsChanged(): void {
    for (const [type, c] of this.eviction.conditions) {
      if (this.reported.get(type) === c.status) continue;
      this.reported.set(type, c.status);
      const reason = PRESSURE_EVENTS[type][c.status ? 0 : 1];
      this.d.nodeEvent('Normal', reason, `Node ${this.d.nodeName} status is now: ${reason}`);
    }
    this.d.conditionsChanged();
  }

  /**
   * An evicted pod's emptyDir data goes once its containers have stopped, as the kubelet tears
   * down a terminated pod's volumes: on disk what a disk eviction is meant to free, and in a
   * memory-backed (tmpfs) one the memory a memory eviction is: its pages stay charged until the
   * files go, and the next pass would evict another pod for memory this one still holds.
   */
  private async releaseEmptyDirs(pod: Pod): Promise<void> {
    const paths = this.d.runtime.ephemeralStoragePaths();
    const names = (pod.spec?.volumes ?? []).filter((v) => v.emptyDir).map((v) => v.name!);
    if (!names.length) return;
    for (const s of await this.d.runtime.listPodSandbox({ labelSelector: { [podUidLabel]: pod.metadata!.uid! } })) {
      for (const name of names) {
        const dir = paths.sandboxVolume(s.id, name);
        for (const e of await readdir(dir).catch(() => [] as string[])) await rm(join(dir, e), { recursive: true, force: true }).catch((err: Error) => log.warn('cannot remove an evicted pod\'s emptyDir data', { dir, err: err.message }));
      }
    }
  }

  /** Ids of the images the node's containers (running or not) were made from. */
  private async imagesInUse(): Promise<Set<string>> {
    const names = new Set((await this.d.runtime.listContainers()).map((c) => c.image));
    const ids = new Set<string>();
    for (const n of names) {
      const st = await this.d.runtime.imageStatus(n).catch(() => null);
      if (st) ids.add(st.id);
    }
    return ids;
  }

  /**
   * Memory working set per container; ephemeral storage as the kubelet counts it (writable layers,
   * logs, emptyDir volumes not backed by memory); processes in the pod's cgroup. By pod uid.
   */
  private async podUsage(): Promise<Map<string, PodUsage>> {
    const out = new Map<string, PodUsage>();
    const rt = this.d.runtime;
    const paths = rt.ephemeralStoragePaths();
    const usage = (uid: string) => {
      let u = out.get(uid);
      if (!u) out.set(uid, (u = { memory: new Map(), disk: 0, processes: 0, containerDisk: new Map(), volumes: new Map() }));
      return u;
    };
    for (const c of await rt.listContainers()) {
      const uid = c.labels[podUidLabel];
      if (!uid) continue;
      const u = usage(uid);
      if (c.state === ContainerState.Running) {
        const st = await rt.containerStats(c.id).catch(() => undefined);
        if (st) u.memory.set(c.labels[containerNameLabel] ?? c.metadata.name, st.memoryWorkingSetBytes);
      }
      const bytes = (c.logPath ? await diskUsage(c.logPath) : 0) + (await diskUsage(paths.containerUpper(c.id)));
      const name = c.labels[containerNameLabel] ?? c.metadata.name;
      u.containerDisk!.set(name, (u.containerDisk!.get(name) ?? 0) + bytes);
      u.disk! += bytes;
    }
    const specs = new Map(this.d.activePods().map((p) => [p.metadata!.uid!, p]));
    for (const s of await rt.listPodSandbox()) {
      const uid = s.labels[podUidLabel];
      if (!uid) continue;
      const u = usage(uid);
      for (const v of specs.get(uid)?.spec?.volumes ?? []) {
        if (!v.emptyDir || v.emptyDir.medium === 'Memory') continue;
        const bytes = await diskUsage(paths.sandboxVolume(s.id, v.name!));
        u.volumes!.set(v.name!, (u.volumes!.get(v.name!) ?? 0) + bytes);
        u.disk! += bytes;
      }
      if (s.state === SandboxState.Ready && s.cgroupParent) u.processes! += (await cgroupPids(s.cgroupParent).catch(() => [])).length;
    }
    for (const [uid, u] of out) u.disk! += await diskUsage(join(this.d.podsDir, uid));
    return out;
  }
}

/**
 * The machine's huge page pools, as cAdvisor's MachineInfo.HugePages reads them from
 * /sys/kernel/mm/hugepages: one per page size the kernel offers (hugepages-2048kB), with the
 * pages reserved in it (nr_hugepages, often 0). In bytes.
 */
export function hugePagePools(dir = '/sys/kernel/mm/hugepages'): { pageSize: number; total: number }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const m = /^hugepages-(\d+)kB$/.exec(n);
    if (!m) return [];
    let pages = 0;
    try {
      pages = Number(readFileSync(join(dir, n, 'nr_hugepages'), 'utf8').trim()) || 0;
    } catch {
      // (unreadable: none reserved)
    }
    const pageSize = Number(m[1]) * 1024;
    return [{ pageSize, total: pages * pageSize }];
  });
}

/**
 * The Node's memory, ephemeral-storage (the data dir's filesystem; 100Gi when unreadable) and
 * huge pages: capacity, and allocatable as the kubelet has it, capacity less the hard eviction
 * thresholds. Each page size is a resource of its own (hugepages-2Mi: "0" on most machines), and
 * the pages reserved are not allocatable memory (the MachineInfo setter subtracts them).
 */
export function nodeResources(
  memoryBytes: number,
  dataDir: string,
  pressure: NodePressure | undefined,
  hugePages = hugePagePools(),
  /** What --system-reserved and --kube-reserved set aside together, in bytes. */
  reserved: { memory?: number; 'ephemeral-storage'?: number } = {},
): { capacity: Record<string, string>; allocatable: Record<string, string> } {
  const memory = Math.floor(memoryBytes / 1024) * 1024;
  let storage = 100 * 1024 ** 3;
  try {
    const s = statfsSync(dataDir);
    storage = s.blocks * s.bsize;
  } catch {
    // keep the default
  }
  const bytes = (n: number) => {
    // (Quantity's CanonicalizeBytes: the largest power of 1024 that divides it, else plain bytes)
    let v = Math.max(0, Math.floor(n));
    let i = 0;
    while (v >= 1024 && v % 1024 === 0 && i < 6) [v, i] = [v / 1024, i + 1];
    return `${v}${['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'][i]}`;
  };
  const hard = (signal: 'memory.available' | 'nodefs.available', total: number) => pressure?.eviction.hardThreshold(signal, total) ?? 0;
  const pages = Object.fromEntries(hugePages.map((h) => [`hugepages-${bytes(h.pageSize)}`, bytes(h.total)]));
  const reservedPages = hugePages.reduce((a, h) => a + h.total, 0);
  return {
    capacity: { memory: bytes(memory), 'ephemeral-storage': bytes(storage), ...pages },
    // (capacity less the reservation, a BinarySI quantity: Ki when it divides, else bytes, as
    // 243497856212; the reservation is --system-reserved, --kube-reserved and the hard eviction
    // threshold, as GetNodeAllocatableReservation sums them, then the huge pages come off memory)
    allocatable: {
      memory: bytes(Math.max(0, memory - (reserved.memory ?? 0) - hard('memory.available', memory)) - reservedPages),
      'ephemeral-storage': bytes(storage - (reserved['ephemeral-storage'] ?? 0) - hard('nodefs.available', storage)),
      ...pages,
    },
  };
}
