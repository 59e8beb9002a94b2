// The node agent's network policy enforcement (the role of kube-router's or Calico's policy
// agent): informers over every pod, namespace and NetworkPolicy of the cluster feed a resolver
// for this node's pods, and the syncer rewrites the node's TSK-NWPLCY chains after each change
// that matters (coalesced). Nothing is written before all three informers have listed, so a
// restarted agent never drops traffic its policies allow from peers it has not seen yet.
import type { KubeObject, Namespace, NetworkPolicy, Pod } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { Informer } from '../client/informer.js';
import { Namespaces, NetworkPolicies, Pods } from '../client/rest-client.js';
import { NetpolSyncer, type NetpolSyncResult } from '../network/netpol-syncer.js';
import { logger } from '../util/log.js';
import { resolveNetworkPolicies } from './netpol-resolve.js';

const log = logger('network-policy');

export interface NetworkPolicyConfig {
  nodeName: string;
  nodeNetns?: string;
  chainPrefix?: string;
  minSyncMs?: number;
}

/** What of a pod its peers' and its own rules depend on. */
function podPolicyView(p: Pod & KubeObject): string {
  const ports = (p.spec?.containers ?? []).flatMap((c) => (c.ports ?? []).map((cp) => `${cp.name}/${cp.protocol}/${cp.containerPort}`));
  return JSON.stringify([p.metadata?.labels, p.status?.podIP, p.status?.phase, p.spec?.nodeName, p.spec?.hostNetwork, ports]);
}

export class NodeNetworkPolicy {
  private readonly pods: Informer<Pod & KubeObject>;
  private readonly namespaces: Informer<Namespace & KubeObject>;
  private readonly policies: Informer<NetworkPolicy & KubeObject>;
  readonly syncer: NetpolSyncer;
  private synced = false;

  constructor(client: ApiClient, private readonly cfg: NetworkPolicyConfig) {
    this.pods = new Informer<Pod & KubeObject>(client, Pods);
    this.namespaces = new Informer<Namespace & KubeObject>(client, Namespaces);
    this.policies = new Informer<NetworkPolicy & KubeObject>(client, NetworkPolicies);
    this.syncer = new NetpolSyncer({
      resolve: () => resolveNetworkPolicies({ nodeName: cfg.nodeName, pods: this.pods.list(), namespaces: this.namespaces.list(), policies: this.policies.list() }),
      nodeNetns: cfg.nodeNetns,
      chainPrefix: cfg.chainPrefix,
      minSyncMs: cfg.minSyncMs,
    });
    const changed = () => this.synced && this.syncer.changed();
    this.pods.on({ add: changed, delete: changed, update: (p, old) => podPolicyView(p) !== podPolicyView(old) && changed() });
    this.namespaces.on({ add: changed, delete: changed, update: (n, old) => JSON.stringify(n.metadata?.labels) !== JSON.stringify(old.metadata?.labels) && changed() });
    this.policies.on({ add: changed, update: changed, delete: changed });
  }

  /** Starts the informers; resolves after the first sync of the rules, once all three have listed. */
  async start(): Promise<NetpolSyncResult> {
    this.pods.start();
    this.namespaces.start();
    this.policies.start();
    await Promise.all([this.pods.hasSynced(), this.namespaces.hasSynced(), this.policies.hasSynced()]);
    this.synced = true;
    const r = await this.syncer.syncNow();
    log.info('network policy enforcement started', { node: this.cfg.nodeName, isolatedPods: r.isolatedPods, staleChains: r.staleChains.length });
    return r;
  }

  /** Stops writing rules; they stay (the pods stay isolated) until the node's network is cleaned up. */
  async stop(): Promise<void> {
    this.synced = false;
    this.pods.stop();
    this.namespaces.stop();
    this.policies.stop();
    await this.syncer.stop();
  }
}
