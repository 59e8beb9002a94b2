// The node agent's service proxy (kube-proxy's place): the agent's Service and EndpointSlice
// informers (shared with the cluster DNS and the containers' service variables) feed the node's
// ServiceProxier, which rewrites the service chains after each change. Until both informers have
// listed, nothing is written, so a restarted agent never briefly programs services without their
// endpoints (or deletes the chains of services it has not seen yet).
import { hostname } from 'node:os';
import type { EndpointSlice, KubeObject, Service } from '../api/types.js';
import { eventName, microTimeNow } from '../client/events.js';
import type { Informer } from '../client/informer.js';
import { isKubeDnsSlice, localDNSEndpointSlice } from '../dns/kube-dns-service.js';
import type { NodeLike, ProxierHealthServer } from '../network/proxier-health.js';
import { ServiceProxier, type ServiceProxierConfig, type SyncResult } from '../network/service-proxier.js';
import { logger } from '../util/log.js';

const log = logger('service-proxy');

/** The informers the agent keeps; it starts and stops them. */
export interface ServiceSources {
  services: Informer<Service & KubeObject>;
  slices: Informer<EndpointSlice & KubeObject>;
}

/**
 * kube-proxy's birth cry, the event it records once its informers are started (ProxyServer.birthCry):
 * Normal Starting, action StartKubeProxy, no note, about its Node (a reference whose uid is the
 * node's name), from its events.k8s.io recorder (reportingController kube-proxy, instance
 * kube-proxy-<hostname>). kubectl describe node lists it as "Starting ... kube-proxy".
 */
export function kubeProxyStarting(nodeName: string, host = hostname()): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: eventName(nodeName), namespace: 'default' },
    involvedObject: { kind: 'Node', name: nodeName, uid: nodeName },
    reason: 'Starting',
    type: 'Normal',
    eventTime: microTimeNow(),
    action: 'StartKubeProxy',
    reportingComponent: 'kube-proxy',
    reportingInstance: `kube-proxy-${host}`,
  } as KubeObject;
}

export class NodeServiceProxy {
  readonly proxier: ServiceProxier;
  /** Handlers pass changes on only once both informers have listed (then everything is handed over at once). */
  private synced = false;
  private readonly nodeName: string;
  /** Whether the first sync has written the rules (then kube-dns answers here, when this node serves the DNS). */
  written = false;

  constructor(
    private readonly src: ServiceSources,
    cfg: ServiceProxierConfig,
    /** kube-proxy's :10256 health server, when wanted; the proxier reports to its ProxierHealth. */
    private readonly healthServer?: ProxierHealthServer,
    /**
     * The address this node's cluster DNS answers on, when it serves one, and the port of its
     * metrics when they are served: kube-system/kube-dns goes there, and only there (see
     * dns/kube-dns-service.ts): its stored slices, which list every node's DNS, are not used.
     */
    private readonly localDNS?: { address: string; metricsPort?: number },
  ) {
    this.nodeName = cfg.nodeName ?? '';
    this.proxier = new ServiceProxier({ ...cfg, proxierHealth: healthServer?.health ?? cfg.proxierHealth });
    src.services.on({
      add: (s) => this.synced && this.proxier.upsertService(s),
      update: (s) => this.synced && this.proxier.upsertService(s),
      delete: (s) => this.synced && this.proxier.deleteService(s),
    });
    const wanted = (s: EndpointSlice & KubeObject) => this.synced && !(this.localDNS && isKubeDnsSlice(s));
    src.slices.on({
      add: (s) => wanted(s) && this.proxier.upsertEndpointSlice(s),
      update: (s) => wanted(s) && this.proxier.upsertEndpointSlice(s),
      delete: (s) => wanted(s) && this.proxier.deleteEndpointSlice(s),
    });
  }

  /** Resolves after the first sync of the rules, once both informers have listed. */
  async start(): Promise<SyncResult> {
    // (kube-proxy serves its health before its informers have listed: healthy while starting up)
    await this.healthServer?.start();
    await Promise.all([this.src.services.hasSynced(), this.src.slices.hasSynced()]);
    this.synced = true;
    // (SyncLoop's first act: the health timestamp, in case no sync ever succeeds)
    this.healthServer?.health.updated();
    const local = this.localDNS ? [localDNSEndpointSlice(this.localDNS.address, this.nodeName, this.localDNS.metricsPort)] : [];
    const stored = this.localDNS ? this.src.slices.list().filter((s) => !isKubeDnsSlice(s)) : this.src.slices.list();
    this.proxier.replaceAll(this.src.services.list(), [...stored, ...local]);
    const r = await this.proxier.syncNow();
    this.written = true;
    log.info('service proxy started', { servicePorts: r.servicePorts, staleChains: r.staleChains.length });
    return r;
  }

  /** This node changed: /healthz says whether it should get load balancer traffic (SyncNode). */
  syncNode(node: NodeLike): void {
    this.healthServer?.health.syncNode(node);
  }

  /** Stops writing rules; they stay (as kube-proxy leaves them) until the node's network is cleaned up. */
  async stop(): Promise<void> {
    this.synced = false;
    await this.proxier.stop();
    await this.healthServer?.stop();
  }
}
