// PodNetwork: the node agent's CNI. One instance per node, operating in the node's network
// namespace (the process's own, or cfg.nodeNetns). Setup of a pod reads as a recipe —
// allocate IP, create the veth pair, configure the pod end, add hostPorts, commit — with every
// step that creates something pushing its undo, so a failure half way leaves nothing. Spawns per
// pod: none with the netlink backend (the default), else one `ip -batch` in the node namespace
// and one in the pod's; plus one iptables-restore only when the pod has hostPorts.
import { mkdir } from 'node:fs/promises';
import { formatIPv4, hostRange, parseCidr, cidrCovers, formatCidr } from './cidr.js';
import { clearUdpConntrack } from './conntrack.js';
import { ensureBridge, ensureNodeSysctls, deleteBridge, enableRouteLocalnet, uplinkMtu } from './bridge.js';
import { ConflictError, InvalidArgumentError, NetworkError, errorMessage, errorsByCode } from './errors.js';
import { HostLocalIpam, removeStoreFiles, validateSandboxId, type IpamAllocation } from './ipam.js';
import { addHostPortRules, ensureNodeRules, hostPortRuleLines, hostPortsClash, iptablesRestore, removeHostPortRules, removeNodeRules, validateHostPorts, withIptablesLock } from './iptables.js';
import { ipBatch } from './netns-exec.js';
import { ROUTE_PROTO, listOurRoutes, syncRoutes as syncPeerRoutes, type SyncRoutesResult } from './routes.js';
import type { GcResult, NetworkConfig, PodNetworkStatus, PodSetupRequest, RoutePeer, SetupStep } from './types.js';
import { KeyedMutex, UndoStack } from './undo-stack.js';
import { deleteHostVeths, hostVethExists, hostVethName, listHostVeths } from './veth.js';
import { defaultLinkOps, iproute2Ops, netlinkOps, type LinkOps } from './link-ops.js';
import { logger } from '../util/log.js';

export const DEFAULT_BRIDGE = 'tsk0';
export const DEFAULT_STATE_DIR = '/var/lib/tskube/network';
export const DEFAULT_CHAIN_PREFIX = 'TSK';

export class PodNetwork {
  readonly bridge: string;
  readonly stateDir: string;
  readonly nodeNetns: string | undefined;
  readonly chainPrefix: string;
  readonly podCIDR: string;
  readonly clusterCIDR: string;
  readonly gateway: string;
  readonly prefix: number;
  readonly podInterface: string;
  private readonly ipam: HostLocalIpam;
  private readonly links: LinkOps;
  private readonly log = logger('network');
  /** Sandboxes whose setup is running in this process: gc never reclaims them. */
  private readonly inflight = new Map<string, number>();
  /** Serialises setup and teardown per sandbox id. */
  private readonly locks = new KeyedMutex();
  private nodeReady: Promise<void> | undefined;
  /** Pod veth MTU: cfg.mtu, else the uplink's (found by ensureNode), else the kernel default. */
  private mtu: number | undefined;

  constructor(private readonly cfg: NetworkConfig) {
    const pod = parseCidr(cfg.podCIDR);
    const cluster = parseCidr(cfg.clusterCIDR);
    if (!cidrCovers(cluster, pod)) throw new InvalidArgumentError(`podCIDR ${cfg.podCIDR} is not inside clusterCIDR ${cfg.clusterCIDR}`);
    this.podCIDR = formatCidr(pod);
    this.clusterCIDR = formatCidr(cluster);
    this.gateway = formatIPv4(hostRange(pod).gateway);
    this.prefix = pod.prefix;
    this.bridge = cfg.bridgeName ?? DEFAULT_BRIDGE;
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(this.bridge)) throw new InvalidArgumentError(`bridge name "${this.bridge}" is not a valid interface name`);
    this.stateDir = cfg.stateDir ?? DEFAULT_STATE_DIR;
    this.nodeNetns = cfg.nodeNetns;
    this.chainPrefix = cfg.chainPrefix ?? DEFAULT_CHAIN_PREFIX;
    this.podInterface = cfg.podInterface ?? 'eth0';
    this.mtu = cfg.mtu;
    this.ipam = new HostLocalIpam(this.stateDir, this.podCIDR);
    this.links = cfg.backend === 'iproute2' ? iproute2Ops : cfg.backend === 'netlink' ? netlinkOps : defaultLinkOps();
  }

  /** How links are made: rtnetlink through koffi, or iproute2 batches. */
  get backend(): LinkOps['name'] {
    return this.links.name;
  }

  /** Bridge, sysctls and node chains; safe to call again (it refreshes them). */
  ensureNode(): Promise<void> {
    const p = this.doEnsureNode();
    this.nodeReady = p.catch((e) => {
      this.nodeReady = undefined;
      throw e;
    });
    return p;
  }

  private async doEnsureNode(): Promise<void> {
    // The state dir first: it is how `tsctl down` (and cleanupNode's callers) know this node has
    // a pod network to remove, before any pod has written its address there.
    await mkdir(this.stateDir, { recursive: true, mode: 0o700 });
    await ensureBridge(this.nodeNetns, this.bridge, this.gateway, this.prefix, this.podCIDR);
    await ensureNodeSysctls(this.nodeNetns);
    if (this.cfg.mtu === undefined) this.mtu = await uplinkMtu(this.nodeNetns);
    await this.iptables(() =>
      ensureNodeRules(this.nodeNetns, { prefix: this.chainPrefix, bridge: this.bridge, podCIDR: this.podCIDR, clusterCIDR: this.clusterCIDR }),
    );
    // Only once the guard rule above is in place: packets from pods DNATed to the node's loopback
    // (Service endpoints at 127.0.0.1) are routed instead of dropped as martians.
    await enableRouteLocalnet(this.nodeNetns, this.bridge);
    this.log.info('node network ready', { bridge: this.bridge, podCIDR: this.podCIDR, gateway: this.gateway, mtu: this.mtu, netns: this.nodeNetns, backend: this.links.name });
  }

  /** Wires the pod's namespace to the bridge; calling it again for a wired pod returns its status. */
  async setupPod(req: PodSetupRequest): Promise<PodNetworkStatus> {
    const id = req.sandboxId;
    validateSandboxId(id);
    const hostPorts = req.hostPorts ?? [];
    const bad = validateHostPorts(hostPorts);
    if (bad) throw new InvalidArgumentError(`pod network "${id}": ${bad}`);
    if (!req.netnsPath.startsWith('/')) throw new InvalidArgumentError(`pod network "${id}": netns path "${req.netnsPath}" is not absolute`);
    this.inflight.set(id, (this.inflight.get(id) ?? 0) + 1);
    try {
      return await this.locks.run(id, () => this.doSetup(req, hostPorts));
    } finally {
      const n = this.inflight.get(id)! - 1;
      if (n === 0) this.inflight.delete(id);
      else this.inflight.set(id, n);
    }
  }

  private async doSetup(req: PodSetupRequest, hostPorts: NonNullable<PodSetupRequest['hostPorts']>): Promise<PodNetworkStatus> {
    const id = req.sandboxId;
    const hostIf = hostVethName(id);
    await (this.nodeReady ?? this.ensureNode());
    const undo = new UndoStack();
    let step: SetupStep = 'allocate-ip';
    const enter = async (s: SetupStep) => {
      step = s;
      await this.cfg.beforeStep?.(s, id);
    };
    try {
      await enter('allocate-ip');
      const { allocation, existing } = await this.allocate(id, req, hostPorts);
      undo.push(`release ${allocation.ip}`, () => this.ipam.release(id));
      if (existing) {
        if (allocation.state === 'ready' && allocation.netnsPath === req.netnsPath && samePorts(allocation.hostPorts, hostPorts) && (await hostVethExists(this.nodeNetns, hostIf))) {
          return this.statusOf(allocation);
        }
        // A crashed or changed earlier setup: clear what it left, keep its address.
        await this.removePodPieces(id, allocation);
        await this.ipam.update(id, { state: 'reserved', netnsPath: req.netnsPath, hostPorts });
      }

      await enter('host-veth');
      undo.push(`delete veth ${hostIf}`, () => this.links.deleteLinks(this.nodeNetns, [hostIf]));
      await this.links.createVeth(this.nodeNetns, { hostIf, bridge: this.bridge, podNetns: req.netnsPath, podIf: this.podInterface, mtu: this.mtu });

      await enter('pod-interface');
      await this.links.configurePod(req.netnsPath, { podIf: this.podInterface, ip: allocation.ip, prefix: this.prefix, gateway: this.gateway });

      if (hostPorts.length > 0) {
        await enter('host-ports');
        undo.push('remove hostPort rules', () => this.removeHostPorts((owner) => owner === id));
        const lines = hostPortRuleLines(this.chainPrefix, id, allocation.ip, this.podCIDR, hostPorts);
        await this.iptables(() => addHostPortRules(this.nodeNetns, lines));
        // A UDP client of the port's previous holder would otherwise stay DNATed to it.
        const udp = hostPorts.filter((m) => m.protocol === 'UDP').map((m) => m.hostPort);
        if (udp.length > 0) await clearUdpConntrack(this.nodeNetns, udp).catch((e) => this.log.warn('clearing UDP conntrack entries for hostPorts', { sandbox: id, ports: udp, error: e }));
      }

      await enter('commit');
      await this.ipam.update(id, { state: 'ready' });
      this.log.debug('pod network set up', { sandbox: id, ip: allocation.ip, hostInterface: hostIf });
      return this.statusOf(allocation);
    } catch (e) {
      const undoErrors = await undo.unwind();
      for (const u of undoErrors) this.log.error('pod network cleanup after failed setup', { sandbox: id, error: u });
      if (e instanceof NetworkError && e.message.startsWith(`pod network "${id}"`)) throw e;
      const Cls = e instanceof NetworkError ? errorsByCode[e.code] : NetworkError;
      throw new Cls(`pod network "${id}": ${step}: ${errorMessage(e)}`, { cause: e });
    }
  }

  private allocate(id: string, req: PodSetupRequest, hostPorts: NonNullable<PodSetupRequest['hostPorts']>) {
    return this.ipam.allocate(id, { netnsPath: req.netnsPath, hostPorts }, (others) => {
      for (const o of others) {
        for (const theirs of o.hostPorts ?? []) {
          const clash = hostPorts.find((mine) => hostPortsClash(mine, theirs));
          if (clash) throw new ConflictError(`pod network "${id}": hostPort ${clash.hostPort}/${clash.protocol ?? 'TCP'} is taken by sandbox "${o.sandboxId}"`);
        }
      }
    });
  }

  /** Unwires the pod and frees its address; a pod that is already gone is fine. */
  async teardownPod(sandboxId: string, _netnsPath?: string): Promise<void> {
    validateSandboxId(sandboxId);
    await this.locks.run(sandboxId, async () => {
      const a = await this.ipam.get(sandboxId);
      await this.removePodPieces(sandboxId, a);
      await this.ipam.release(sandboxId);
      this.log.debug('pod network torn down', { sandbox: sandboxId, ip: a?.ip });
    });
  }

  /** The pod's network as set up, or undefined. */
  async status(sandboxId: string): Promise<PodNetworkStatus | undefined> {
    const a = await this.ipam.get(sandboxId);
    return a?.state === 'ready' ? this.statusOf(a) : undefined;
  }

  /** Every address handed out (ready or mid-setup). */
  allocations(): Promise<IpamAllocation[]> {
    return this.ipam.list();
  }

  /** host-gw: routes to every other node's podCIDR via its node IP; stale ones go. */
  syncRoutes(peers: readonly RoutePeer[]): Promise<SyncRoutesResult> {
    return syncPeerRoutes(this.nodeNetns, this.podCIDR, peers);
  }

  /**
   * Frees what pods that no longer exist left behind (a crash mid-setup, a teardown that never
   * came): their addresses, host veths and hostPort rules. liveSandboxIds are the pods the
   * runtime still has; setups running in this process are always kept.
   */
  async gc(liveSandboxIds: Iterable<string>): Promise<GcResult> {
    const live = new Set(liveSandboxIds);
    const keep = (id: string) => live.has(id) || this.inflight.has(id);
    const released = await this.ipam.releaseExcept(keep);
    const veths = await listHostVeths(this.nodeNetns);
    const keepNames = new Set([...live, ...this.inflight.keys()].map(hostVethName));
    const orphans = veths.filter((v) => (v.master === undefined || v.master === this.bridge) && !keepNames.has(v.name)).map((v) => v.name);
    // Re-check in-flight setups right before deleting: one may have started since the listing.
    const inflightNames = new Set([...this.inflight.keys()].map(hostVethName));
    const toDelete = orphans.filter((n) => !inflightNames.has(n));
    await this.links.deleteLinks(this.nodeNetns, toDelete);
    const removedHostPortRules = await this.removeHostPorts((owner) => !keep(owner));
    const result: GcResult = { releasedIPs: released.map((a) => a.ip), removedVeths: toDelete, removedHostPortRules };
    if (released.length || toDelete.length || removedHostPortRules) this.log.info('pod network gc', { ...result });
    return result;
  }

  /** Removes the pod's hostPort rules and veth pair (a is what IPAM knows of it, if anything). */
  private async removePodPieces(id: string, a: IpamAllocation | undefined): Promise<void> {
    const rules = async () => {
      if (a?.state === 'ready') {
        // A finished setup: its rules are exactly what we wrote, delete them by spec in one spawn
        // (none when it has no hostPorts); fall back to a search if someone changed them.
        if (!a.hostPorts?.length) return;
        const del = hostPortRuleLines(this.chainPrefix, id, a.ip, this.podCIDR, a.hostPorts).map((l) => '-D' + l.slice(2));
        await this.iptables(() => iptablesRestore(this.nodeNetns, { nat: del })).catch(() => this.removeHostPorts((owner) => owner === id));
      } else {
        // Unknown or unfinished: search iptables for anything it left.
        await this.removeHostPorts((owner) => owner === id);
      }
    };
    // Independent, and each mostly waiting (the kernel's link deletion, an iptables spawn).
    const [r, l] = await Promise.allSettled([rules(), this.links.deleteLinks(this.nodeNetns, [hostVethName(id)])]);
    if (r.status === 'rejected') throw r.reason;
    if (l.status === 'rejected') throw l.reason;
  }


  private removeHostPorts(owned: (id: string) => boolean): Promise<number> {
    return this.iptables(() => removeHostPortRules(this.nodeNetns, this.chainPrefix, owned));
  }

  private iptables<T>(fn: () => Promise<T>): Promise<T> {
    return withIptablesLock(this.nodeNetns, fn);
  }

  private statusOf(a: IpamAllocation): PodNetworkStatus {
    return { ip: a.ip, gateway: this.gateway, prefix: this.prefix, interface: this.podInterface, hostInterface: hostVethName(a.sandboxId) };
  }
}

function samePorts(a: readonly object[] | undefined, b: readonly object[]): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b);
}

export type CleanupConfig = Pick<NetworkConfig, 'bridgeName' | 'stateDir' | 'nodeNetns' | 'chainPrefix'>;

/**
 * Removes every trace of pod networking from a node: pod veths, the bridge, our iptables chains
 * and jumps, our host-gw routes and the IPAM store. Sysctls (ip_forward) are left as they are.
 */
export async function cleanupNode(cfg: CleanupConfig = {}): Promise<void> {
  const netns = cfg.nodeNetns;
  const bridge = cfg.bridgeName ?? DEFAULT_BRIDGE;
  const errors: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (e) {
      errors.push(`${what}: ${errorMessage(e)}`);
    }
  };
  await attempt('veths', async () => {
    const veths = await listHostVeths(netns);
    await deleteHostVeths(netns, veths.filter((v) => v.master === undefined || v.master === bridge).map((v) => v.name));
  });
  await attempt('bridge', () => deleteBridge(netns, bridge));
  await attempt('iptables', () => withIptablesLock(netns, () => removeNodeRules(netns, cfg.chainPrefix ?? DEFAULT_CHAIN_PREFIX)));
  await attempt('routes', async () => {
    const routes = await listOurRoutes(netns);
    await ipBatch(netns, [...routes.keys()].map((r) => `route del ${r} proto ${ROUTE_PROTO}`), { force: true, allowFailure: true });
  });
  await attempt('ipam', async () => removeStoreFiles(cfg.stateDir ?? DEFAULT_STATE_DIR));
  if (errors.length > 0) throw new NetworkError(`cleanup of node network${netns ? ` in ${netns}` : ''}: ${errors.join('; ')}`);
}
