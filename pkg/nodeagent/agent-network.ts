// The node's side of the cluster network, once it has a podCIDR: the pod network (bridge, NAT,
// host-gw routes to the other nodes' pod ranges), then the cluster DNS on the bridge's gateway,
// the service proxy and network policy enforcement, which write into the network's chains.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EndpointSlice, KubeObject, Namespace, Node, Pod, Service } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { Informer } from '../client/informer.js';
import { Events, Nodes } from '../client/rest-client.js';
import { DnsCache } from '../dns/cache.js';
import { ClusterRecords } from '../dns/cluster-records.js';
import { KUBE_DNS_NAMESPACE, KUBE_DNS_SERVICE, kubeDnsClusterIP, NODE_DNS_ADDRESS } from '../dns/kube-dns-service.js';
import { DNS_METRICS_PORT, DnsMetricsServer } from '../dns/metrics-server.js';
import { DnsMetrics } from '../dns/metrics.js';
import { DnsServer } from '../dns/server.js';
import { removeNetpolRules } from '../network/netpol-syncer.js';
import { PodNetwork } from '../network/pod-network.js';
import { PROXIER_HEALTH_PORT, ProxierHealth, ProxierHealthServer } from '../network/proxier-health.js';
import { ProxyMetrics } from '../network/proxy-metrics.js';
import { ProxyMetricsServer } from './proxy-metrics-server.js';
import { ServiceHealthServer } from '../network/service-health.js';
import { removeServiceRules } from '../network/service-proxier.js';
import { logger } from '../util/log.js';
import { servesClusterDNS, type AgentConfig } from './agent-config.js';
import { NodeNetworkPolicy } from './network-policy.js';
import type { NetworkPlugin } from './pod-worker-deps.js';
import { kubeProxyStarting, NodeServiceProxy } from './service-proxy.js';

const log = logger('nodeagent');
/**
 * The service proxy's full resync period (kube-proxy's --iptables-sync-period, 30 s); its health
 * server calls it unhealthy once a change has waited twice that (server.go's healthTimeout).
 */
const PROXY_SYNC_PERIOD_MS = 30_000;

/** The nameservers of the node's /etc/resolv.conf. */
function nodeResolvers(): string[] {
  try {
    return [...readFileSync('/etc/resolv.conf', 'utf8').matchAll(/^nameserver\s+(\S+)/gm)].map((m) => m[1]!);
  } catch {
    return [];
  }
}

export type NodeNetworkConfig = Pick<AgentConfig, 'nodeName' | 'dataDir' | 'podCIDR' | 'clusterCIDR' | 'bridge' | 'nodeNetns' | 'chainPrefix' | 'clusterDNS' | 'clusterDomain' | 'serviceProxy' | 'serviceHealthAddress' | 'metricsBindAddress' | 'networkPolicy'>;

export interface NodeNetworkDeps {
  client: ApiClient;
  /** The other nodes, for the routes to their pod ranges. */
  nodes(): (Node & KubeObject)[];
  services: Informer<Service & KubeObject>;
  /** Every EndpointSlice (undefined when neither the cluster DNS nor the service proxy is wanted). */
  slices: Informer<EndpointSlice & KubeObject> | undefined;
  /** Every Namespace, when the cluster DNS is served (a pod name in a missing namespace is NXDOMAIN). */
  namespaces?: Informer<Namespace & KubeObject>;
  stopped(): boolean;
  /** The pod network is up (the Node's status says so). */
  ready(): Promise<void>;
}

export class NodeNetwork {
  private net: PodNetwork | undefined;
  private readonly netReady: Promise<PodNetwork>;
  private resolveNet!: (n: PodNetwork) => void;
  private podCIDR: string | undefined;
  /** The cluster DNS, when this agent serves it (clusterDNS not 'none'), with the records the informers feed. */
  private dns: { records: ClusterRecords; server?: DnsServer; metricsServer?: DnsMetricsServer } | undefined;
  private serviceProxy: NodeServiceProxy | undefined;
  /** kube-proxy's metrics server, with the service proxy when an address is given for it. */
  private proxyMetricsServer: ProxyMetricsServer | undefined;
  private networkPolicy: NodeNetworkPolicy | undefined;

  constructor(
    private readonly cfg: NodeNetworkConfig,
    private readonly d: NodeNetworkDeps,
  ) {
    this.netReady = new Promise((r) => (this.resolveNet = r));
    if (servesClusterDNS(cfg)) {
      const records = new ClusterRecords(cfg.clusterDomain);
      d.services.on({ add: (s) => records.setService(s), update: (s) => records.setService(s), delete: (s) => records.deleteService(s) });
      d.slices!.on({ add: (e) => records.setSlice(e), update: (e) => records.setSlice(e), delete: (e) => records.deleteSlice(e) });
      // (the records go by the Namespaces from the informer's first list on, as CoreDNS answers
      // only once its informers have synced; before, by the namespaces that hold a service)
      if (d.namespaces) {
        d.namespaces.on({ add: (n) => records.setNamespace(n), update: (n) => records.setNamespace(n), delete: (n) => records.deleteNamespace(n) });
      }
      this.dns = { records };
    }
  }

  /** Whether the pod network is up. */
  get up(): boolean {
    return !!this.net;
  }

  /** The pod network, once it is up. */
  plugin(): Promise<NetworkPlugin> {
    return this.netReady;
  }

  /** A Node changed: our own may have its podCIDR now; the routes to the others follow. */
  onNode(n: Node & KubeObject): void {
    if (n.metadata?.name === this.cfg.nodeName) {
      this.serviceProxy?.syncNode(n);
      const cidr = this.cfg.podCIDR ?? n.spec?.podCIDR;
      if (cidr && !this.net) void this.init(cidr);
    }
    void this.syncRoutes();
  }

  async init(podCIDR: string): Promise<void> {
    if (this.podCIDR) return;
    this.podCIDR = podCIDR;
    const net = new PodNetwork({ clusterCIDR: this.cfg.clusterCIDR, podCIDR, bridgeName: this.cfg.bridge, stateDir: join(this.cfg.dataDir, 'network'), nodeNetns: this.cfg.nodeNetns, chainPrefix: this.cfg.chainPrefix });
    for (;;) {
      try {
        await net.ensureNode();
        break;
      } catch (e) {
        log.error('pod network set-up failed; retrying', { err: e });
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
    this.net = net;
    await this.startDNS(net.gateway);
    void this.announceDNS();
    this.resolveNet(net);
    log.info('pod network ready', { podCIDR, bridge: this.cfg.bridge });
    await this.startServiceProxy(net);
    await this.startNetworkPolicy(net);
    await this.syncRoutes();
    await this.d.ready();
  }

  /** The service proxy writes into the node's chains (masquerade by its postrouting chain), so it starts after them. */
  private async startServiceProxy(net: PodNetwork): Promise<void> {
    if (this.d.stopped()) return;
    if (!this.cfg.serviceProxy || !this.d.slices) {
      await removeServiceRules(net.nodeNetns, net.chainPrefix).catch((e: Error) => log.warn('removing service proxy rules', { err: e.message }));
      return;
    }
    const proxierHealth = new ProxierHealth(2 * PROXY_SYNC_PERIOD_MS);
    const metrics = this.cfg.metricsBindAddress ? new ProxyMetrics() : undefined;
    if (metrics) {
      this.proxyMetricsServer = new ProxyMetricsServer(metrics, this.cfg.metricsBindAddress);
      await this.proxyMetricsServer.start();
    }
    this.serviceProxy = new NodeServiceProxy({ services: this.d.services, slices: this.d.slices }, {
      clusterCIDR: net.clusterCIDR,
      nodeNetns: net.nodeNetns,
      chainPrefix: net.chainPrefix,
      nodeName: this.cfg.nodeName,
      health: new ServiceHealthServer(this.cfg.serviceHealthAddress || '0.0.0.0', () => proxierHealth.healthy()),
      resyncMs: PROXY_SYNC_PERIOD_MS,
      metrics,
    }, new ProxierHealthServer(proxierHealth, this.cfg.serviceHealthAddress || '0.0.0.0', PROXIER_HEALTH_PORT, metrics), this.dns?.server ? { address: net.gateway, metricsPort: this.dns.metricsServer?.listening() } : undefined);
    const own = this.d.nodes().find((n) => n.metadata?.name === this.cfg.nodeName);
    if (own) this.serviceProxy.syncNode(own);
    // Not awaited: pods need not wait for services (the informers retry on their own).
    void this.serviceProxy.start().catch((e: Error) => log.error('service proxy start failed', { err: e.message }));
    // (its informers are running: kube-proxy's birth cry, best effort)
    void this.d.client.create(Events, 'default', kubeProxyStarting(this.cfg.nodeName)).catch((e: Error) => log.debug('kube-proxy Starting event not recorded', { err: e.message }));
  }

  /** Policy chains hook in before the node's forward chain, so they start after it. */
  private async startNetworkPolicy(net: PodNetwork): Promise<void> {
    if (this.d.stopped()) return;
    if (!this.cfg.networkPolicy) {
      await removeNetpolRules(net.nodeNetns, net.chainPrefix).catch((e: Error) => log.warn('removing network policy rules', { err: e.message }));
      return;
    }
    this.networkPolicy = new NodeNetworkPolicy(this.d.client, { nodeName: this.cfg.nodeName, nodeNetns: net.nodeNetns, chainPrefix: net.chainPrefix });
    // Not awaited, as the service proxy: the informers retry on their own.
    void this.networkPolicy.start().catch((e: Error) => log.error('network policy enforcement start failed', { err: e.message }));
  }

  async syncRoutes(): Promise<void> {
    if (!this.net) return;
    const peers = this.d
      .nodes()
      .filter((n) => n.metadata?.name !== this.cfg.nodeName && n.spec?.podCIDR)
      .map((n) => ({ nodeName: n.metadata!.name!, nodeIP: n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '', podCIDR: n.spec!.podCIDR! }))
      .filter((p) => p.nodeIP);
    await this.net.syncRoutes(peers).catch((e: Error) => log.warn('route sync failed', { err: e.message }));
  }

  /** The network's garbage collection of what sandboxes no longer there held (nothing before the network is up). */
  async gc(liveSandboxIds: string[]): Promise<void> {
    await this.net?.gc(liveSandboxIds);
  }

  /** A pod's containers wait (at most 5 s) for the network policy rules that know its address. */
  async podAddressed(pod: Pod, ip: string): Promise<void> {
    if (!this.networkPolicy) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((r) => (timer = setTimeout(() => (log.warn('network policy rules for a new pod not written within 5 s; starting it anyway', { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}` }), r()), 5000)));
    await Promise.race([this.networkPolicy.podAddressed(pod as Pod & KubeObject, ip).catch((e: Error) => log.warn('network policy rules for a new pod', { err: e.message })), late]).finally(() => clearTimeout(timer));
  }

  /** The pod is gone: its network policy state goes. */
  podGone(uid: string): void {
    this.networkPolicy?.podGone(uid);
  }

  /**
   * Serves the cluster DNS on the bridge's gateway, port 53, forwarding other names to the
   * node's resolvers, and CoreDNS's metrics beside it on port 9153 (kube-dns's metrics port).
   * When port 53 cannot be had (another DNS server holds it), pods get the node's resolvers
   * instead, and the agent says so; when 9153 cannot, the DNS is served without its metrics.
   */
  private async startDNS(gateway: string): Promise<void> {
    if (!this.dns || this.cfg.nodeNetns) return;
    const metrics = new DnsMetrics();
    // (kubeadm's `cache 30`, the cluster zone's answers never kept)
    const cache = new DnsCache({ maxTTL: 30, except: [this.dns.records.zone] }, metrics);
    const server = new DnsServer(this.dns.records, { host: gateway, port: 53, upstreams: nodeResolvers(), metrics, cache });
    try {
      await server.start();
      this.dns.server = server;
      this.dns.records.nameserver = gateway;
    } catch (e) {
      log.warn('cannot serve the cluster DNS; pods get the node\'s resolvers', { address: `${gateway}:53`, err: (e as Error).message });
      return;
    }
    const metricsServer = new DnsMetricsServer(metrics, gateway);
    try {
      await metricsServer.start();
      this.dns.metricsServer = metricsServer;
    } catch (e) {
      log.warn('cannot serve the cluster DNS\'s metrics', { address: `${gateway}:${DNS_METRICS_PORT}`, err: (e as Error).message });
    }
  }

  /**
   * Records on the Node the address its cluster DNS answers on, or that it serves none (the
   * annotation removed), for kube-dns's endpoints (controllers/node-dns.ts). Tried until it is
   * written (the Node may not be registered yet: static pods start the network before it is).
   */
  private async announceDNS(): Promise<void> {
    const value = this.dns?.server && this.net ? this.net.gateway : null;
    for (let delayMs = 500; !this.d.stopped(); delayMs = Math.min(delayMs * 2, 10_000)) {
      try {
        await this.d.client.patch(Nodes, undefined, this.cfg.nodeName, { metadata: { annotations: { [NODE_DNS_ADDRESS]: value } } }, 'merge');
        return;
      } catch (e) {
        log.warn('cannot record the cluster DNS address on the Node; retrying', { err: (e as Error).message });
        await new Promise((r) => setTimeout(r, delayMs).unref());
      }
    }
  }

  /** The nameservers of ClusterFirst pods (see AgentConfig.clusterDNS). */
  dnsServers(): string[] {
    if (Array.isArray(this.cfg.clusterDNS)) return this.cfg.clusterDNS;
    if (this.dns?.server && this.net) {
      // (kube-system/kube-dns, as the kubelet's clusterDNS names it in a kubeadm cluster, once this
      // node's service proxy sends it to the DNS here; the gateway itself before and without one)
      const ip = this.serviceProxy?.written ? kubeDnsClusterIP(this.d.services.get(`${KUBE_DNS_NAMESPACE}/${KUBE_DNS_SERVICE}`)) : undefined;
      return [ip ?? this.net.gateway];
    }
    // Pods cannot reach the node's loopback resolvers (systemd-resolved's 127.0.0.53).
    return nodeResolvers().filter((s) => !s.startsWith('127.'));
  }

  /** Stops the service proxy, network policy enforcement and the cluster DNS (the pod network stays, as the node's). */
  async stop(): Promise<void> {
    await this.serviceProxy?.stop();
    await this.proxyMetricsServer?.stop();
    await this.networkPolicy?.stop();
    await this.dns?.server?.stop();
    await this.dns?.metricsServer?.stop();
  }
}
