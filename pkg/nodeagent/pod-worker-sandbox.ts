// The pod's sandbox: made (runtime handler, namespaces, pod cgroup, network with host ports),
// remade when it died, and retried with a steady back-off when making it fails.
import { readFile } from 'node:fs/promises';
import { isSidecar } from '../api/pod-resources.js';
import { parseQuantity } from '../api/quantity.js';
import type { HostPortMapping } from '../network/types.js';
import type { ContainerStatus, PodSandboxStatus } from '../runtime/types.js';
import { logger } from '../util/log.js';
import { parseResolvConf, sandboxConfig } from './container-config.js';
import { networkOps, recordPodStart, recordPodStartError, runtimeOps, timed } from './metrics.js';
import type { PodContext, WorkerDeps } from './pod-worker-deps.js';

const log = logger('pod-worker');

/** Sandbox creation retries: the first after 2 s, then doubling up to the kubelet's 10 s pod-worker back-off. */
const SANDBOX_RETRY_FIRST_SEC = 2;
const SANDBOX_RETRY_MAX_SEC = 10;

export type SandboxDeps = Pick<WorkerDeps, 'runtime' | 'network' | 'hostIP' | 'dnsServers' | 'clusterDomain' | 'podAddressed' | 'runtimeHandler' | 'nodeAllocatable' | 'podCgroupParent'>;

export class PodSandboxMaker {
  /** Back-off after a failure (FailedCreatePodSandBox): no new attempt before notBefore (ms). */
  private backoff = { notBefore: 0, delaySec: 0 };

  constructor(
    private readonly d: SandboxDeps,
    private readonly ctx: PodContext,
    /** The pod's address, once the sandbox has one. */
    private readonly addressed: (ip: string) => void,
    /** Whether the worker has been stopped (its agent stops): then no sandbox is made. */
    private readonly stopped: () => boolean = () => false,
  ) {}

  /** How long the back-off still holds a new attempt (ms; 0 or less: none). */
  backoffLeft(): number {
    return this.backoff.notBefore - Date.now();
  }

  /**
   * Make the pod's sandbox, replacing `dead` (and its containers) if given. On failure: the
   * kubelet's FailedCreatePodSandBox event, and another attempt after a back-off: 2 s, doubling
   * to the kubelet's pod-worker back-off of 10 s, which it then keeps (a sandbox failure is not a
   * crash loop: a missing handler or a network hiccup should be retried at a steady pace); the
   * pod stays Pending with its containers waiting.
   */
  async create(dead: { sandbox: PodSandboxStatus; containers: ContainerStatus[] } | undefined): Promise<boolean> {
    try {
      if (!(await this.make(dead))) return false;
      this.backoff = { notBefore: 0, delaySec: 0 };
      return true;
    } catch (e) {
      this.ctx.event('Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(e as Error).message}`);
      const b = this.backoff;
      b.delaySec = Math.min(b.delaySec ? b.delaySec * 2 : SANDBOX_RETRY_FIRST_SEC, SANDBOX_RETRY_MAX_SEC);
      b.notBefore = Date.now() + b.delaySec * 1000;
      log.warn('pod sandbox creation failed', { pod: this.ctx.key, retryInSec: b.delaySec, err: (e as Error).message });
      this.ctx.retryIn(b.delaySec * 1000 + 50);
      return false;
    }
  }

  /** Makes the sandbox; false when the worker was stopped before it could. */
  private async make(dead: { sandbox: PodSandboxStatus; containers: ContainerStatus[] } | undefined): Promise<boolean> {
    const rt = this.d.runtime;
    const pod = this.ctx.pod;
    if (dead) {
      // A sandbox that died (its namespaces are gone): start over, as the kubelet does; the containers go with it.
      if (dead.sandbox.netnsPath) await this.d.network().then((n) => n.teardownPod(dead.sandbox.id)).catch(() => {});
      for (const c of dead.containers) await rt.removeContainer(c.id).catch(() => {});
      await rt.removePodSandbox(dead.sandbox.id).catch(() => {});
    }
    const rcName = pod.spec?.runtimeClassName;
    const runtimeHandler = rcName && this.d.runtimeHandler ? await this.d.runtimeHandler(rcName) : '';
    // (the node's resolv.conf: the base of a Default pod's, and its search list after a ClusterFirst pod's)
    const hostResolv = parseResolvConf(await readFile('/etc/resolv.conf', 'utf8').catch(() => ''));
    const allocatableMemory = this.d.nodeAllocatable?.().memory;
    // (the pod's QoS tier, its shares brought up to date first)
    const cgroupParent = await this.d.podCgroupParent?.(pod);
    if (this.stopped()) return false;
    const cfg = sandboxConfig(pod, { attempt: 0, dnsServers: this.d.dnsServers(), clusterDomain: this.d.clusterDomain, runtimeHandler, hostResolv, nodeAllocatableMemory: allocatableMemory ? parseQuantity(allocatableMemory) : undefined, cgroupParent, dnsWarn: (reason, message) => this.ctx.event('Warning', reason, message) });
    // (SyncPod counts each sandbox it creates, and each that fails, network setup included)
    recordPodStart();
    // (a failure here crossed the CRI in the kubelet: its event carries the gRPC status words)
    const id = await timed(runtimeOps, 'run_podsandbox', () => rt.runPodSandbox(cfg)).catch((e: Error) => {
      recordPodStartError();
      throw new Error(`rpc error: code = Unknown desc = ${e.message}`, { cause: e });
    });
    // (what was made is unmade, in reverse, when a later step fails)
    const undo: (() => Promise<unknown>)[] = [() => rt.removePodSandbox(id), () => rt.stopPodSandbox(id)];
    try {
      const status = await rt.podSandboxStatus(id);
      if (!status.netnsPath) {
        // hostNetwork: the node's network, and so the node's address
        await rt.setPodSandboxIP(id, this.d.hostIP);
        this.addressed(this.d.hostIP);
        return true;
      }
      const net = await this.d.network();
      const res = await timed(networkOps, 'setup', () => net.setupPod({ sandboxId: id, netnsPath: status.netnsPath, hostPorts: hostPortsOf(pod) }));
      // (the address, the host ports' rules: released before the sandbox goes)
      undo.push(() => net.teardownPod(id));
      await rt.setPodSandboxIP(id, res.ip);
      this.addressed(res.ip);
      await this.d.podAddressed?.(pod, res.ip);
      return true;
    } catch (e) {
      recordPodStartError();
      for (const u of undo.reverse()) await u().catch(() => {});
      throw e;
    }
  }
}

/** The host ports of the pod's app containers and sidecars. */
function hostPortsOf(pod: PodContext['pod']): HostPortMapping[] {
  const hostPorts: HostPortMapping[] = [];
  for (const c of [...(pod.spec?.initContainers ?? []).filter(isSidecar), ...(pod.spec?.containers ?? [])]) {
    for (const p of c.ports ?? []) if (p.hostPort) hostPorts.push({ containerPort: p.containerPort!, hostPort: p.hostPort, protocol: (p.protocol ?? 'TCP') as HostPortMapping['protocol'], hostIP: p.hostIP || undefined });
  }
  return hostPorts;
}
