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
import { resolveNetworkPolicies, selectorMatches } from './netpol-resolve.js';

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

  /**
   * Local pods whose sandbox has an address that their status (podIP) in this agent's informer
   * does not show yet (a new pod, or a new sandbox), by UID: resolved with that address so that
   * their policies hold from their first packet, before their containers start.
   */
  private readonly addressed = new Map<string, Pod & KubeObject>();

  constructor(client: ApiClient, private readonly cfg: NetworkPolicyConfig) {
    this.pods = new Informer<Pod & KubeObject>(client, Pods);
    this.namespaces = new Informer<Namespace & KubeObject>(client, Namespaces);
    this.policies = new Informer<NetworkPolicy & KubeObject>(client, NetworkPolicies);
    this.syncer = new NetpolSyncer({
      resolve: () => resolveNetworkPolicies({ nodeName: cfg.nodeName, pods: this.podsWithAddresses(), namespaces: this.namespaces.list(), policies: this.policies.list() }),
      nodeNetns: cfg.nodeNetns,
      chainPrefix: cfg.chainPrefix,
      minSyncMs: cfg.minSyncMs,
    });
    const changed = () => this.synced && this.syncer.changed();
    this.pods.on({
      add: changed,
      delete: (p) => {
        this.addressed.delete(p.metadata?.uid ?? '');
        changed();
      },
      update: (p, old) => podPolicyView(p) !== podPolicyView(old) && changed(),
    });
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

  /** The informer's pods, with the addresses of local pods their status does not show yet. */
  private podsWithAddresses(): (Pod & KubeObject)[] {
    const pods = this.pods.list();
    if (!this.addressed.size) return pods;
    const seen = new Set<string>();
    const out = pods.map((p) => {
      const uid = p.metadata?.uid ?? '';
      const a = this.addressed.get(uid);
      if (!a) return p;
      seen.add(uid);
      if (p.status?.podIP === a.status?.podIP) {
        this.addressed.delete(uid);
        return p;
      }
      return { ...p, status: { ...p.status, podIP: a.status?.podIP } };
    });
    for (const [uid, a] of this.addressed) if (!seen.has(uid)) out.push(a);
    return out;
  }

  /**
   * A local pod's sandbox got its address: when a policy selects the pod, resolves once rules
   * that know the address are written (the kubelet's CNI plugin isolates a pod before its
   * containers start, as Calico's does). Pods no policy selects do not wait.
   */
  async podAddressed(pod: Pod & KubeObject, ip: string): Promise<void> {
    const uid = pod.metadata?.uid;
    if (!uid || !ip) return;
    this.addressed.set(uid, { ...pod, status: { ...pod.status, podIP: ip } });
    if (!this.synced) return; // the first sync, once the informers have listed, has it
    const ns = pod.metadata?.namespace;
    const selected = this.policies.list().some((p) => p.metadata?.namespace === ns && selectorMatches(p.spec?.podSelector ?? {}, pod));
    if (selected) await this.syncer.requestSync();
  }

  /** A local pod is torn down (its address is free again): it must not be resolved from its sandbox's address any more. */
  podGone(uid: string): void {
    if (this.addressed.delete(uid) && this.synced) this.syncer.changed();
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
