// The node agent's settings (the kubelet's flags and config file) and their defaults.
import { hostname } from 'node:os';
import type { IngressListen, IngressServersTransport } from './ingress-controller.js';
import { defaultEvictionSettings, type EvictionSettings } from './eviction-thresholds.js';

export interface AgentConfig {
  nodeName: string;
  nodeIP: string;
  dataDir: string;
  port: number;
  labels: Record<string, string>;
  taints: { key: string; value?: string; effect: string }[];
  podCIDR?: string;
  clusterCIDR: string;
  bridge: string;
  maxPods: number;
  backoffBaseSec: number;
  backoffMaxSec: number;
  /**
   * The kubelet's nodeLeaseDurationSeconds, nodeStatusUpdateFrequency and nodeStatusReportFrequency
   * (node-status-settings.ts): the Lease's duration, renewed every 25% of it; how often the status
   * is posted when it changed, and how often when it did not.
   */
  leaseDurationSec: number;
  statusUpdateSec: number;
  statusReportSec: number;
  relistMs: number;
  /** How often ConfigMap, Secret and downward-API volumes are refreshed (the kubelet's sync frequency, 1 min). */
  apiVolumeSyncSec: number;
  importImages?: string;
  /** Sets the network's nodeNetns (when the agent itself runs on the host for a lab node). */
  nodeNetns?: string;
  chainPrefix?: string;
  /**
   * The nameservers of ClusterFirst pods: 'serve' gives them the cluster DNS the agent serves on
   * the pod bridge's gateway (kube-dns's cluster IP once the service proxy sends it there);
   * 'none' gives pods the node's own resolvers and serves nothing; or the addresses pods are given
   * (the kubelet's --cluster-dns, kubeadm's clusterDNS: [10.96.0.10]). Unless 'none', the agent
   * serves the cluster DNS, as CoreDNS runs in a kubeadm cluster whatever its kubelets name.
   */
  clusterDNS: 'serve' | 'none' | string[];
  clusterDomain: string;
  /** Run the service proxy (kube-proxy's iptables mode) once the pod network is up; off: its chains are removed. */
  serviceProxy: boolean;
  /** Where the service proxy answers the health check node ports of LoadBalancer Services with externalTrafficPolicy Local (default: every address of the node). */
  serviceHealthAddress?: string;
  /**
   * kube-proxy's --metrics-bind-address, host:port: where the service proxy serves /metrics,
   * /healthz and /proxyMode over plain HTTP (proxy-metrics-server.ts); port 0 picks a free one.
   * Undefined or empty: none (the binary's default is 127.0.0.1:10249).
   */
  metricsBindAddress?: string;
  /** Enforce NetworkPolicies for this node's pods once the pod network is up; off: their chains are removed. */
  networkPolicy: boolean;
  /** Where the ingress controller listens for HTTP and HTTPS (undefined: no ingress controller on this node). */
  ingress?: IngressListen;
  /** How the ingress controller speaks to HTTPS backends (default: their certificates verified against Node's bundled CAs, as Traefik's). */
  ingressServersTransport?: IngressServersTransport;
  /** Where local-path volumes are made on this node (default <dataDir>/storage); announced on the Node. */
  localPathDir?: string;
  /** Runtime handlers besides runc, by name: a runc-compatible binary each (RuntimeClasses name them). */
  runtimeHandlers?: Record<string, string>;
  /** Node-pressure eviction and image GC (the kubelet's --eviction-* and --image-gc-* flags). */
  eviction: EvictionSettings;
  /** The directory of static pod manifests (the kubelet's staticPodPath); undefined: no static pods. */
  podManifestPath?: string;
  /** Sysctls allowed beyond the safe set (the kubelet's --allowed-unsafe-sysctls: names, or prefixes ending in *). */
  allowedUnsafeSysctls?: string[];
  /**
   * The node's pods cgroup, relative to each hierarchy (the kubelet's --cgroup-root with its
   * "kubepods"): Guaranteed pods' cgroups in it, Burstable and BestEffort ones in its burstable
   * and besteffort tiers (qos-cgroups.ts). Agents on one machine need one each.
   */
  cgroupRoot: string;
  /**
   * Resources set aside for the OS's daemons and for Kubernetes' own (the kubelet's
   * --system-reserved and --kube-reserved, systemReserved and kubeReserved in its config file):
   * ResourceName (cpu, memory, ephemeral-storage, pid) to quantity, left out of the Node's
   * allocatable and of the pods cgroup's limits (node-allocatable.ts). Undefined: none.
   */
  systemReserved?: Record<string, string>;
  kubeReserved?: Record<string, string>;
  /**
   * The kubelet's --enforce-node-allocatable: with "pods" (the default) the pods cgroup is capped at
   * node allocatable (the capacity less the reservations), without it at the capacity itself, as
   * enforceNodeAllocatableCgroups does ("none": nothing enforced). Undefined: ["pods"].
   */
  enforceNodeAllocatable?: string[];
  /** The kubelet's healthzPort and healthzBindAddress: the plain /healthz server beside the HTTPS one (healthz.ts); undefined when none runs. */
  healthzPort?: number;
  healthzBindAddress?: string;
  /**
   * The kubelet's --system-reserved-cgroup and --kube-reserved-cgroup: existing cgroups that get
   * their reservation's limits when --enforce-node-allocatable has system-reserved or
   * kube-reserved (reserved-cgroups.ts); told by /configz.
   */
  systemReservedCgroup?: string;
  kubeReservedCgroup?: string;
}

export const defaultAgentConfig = (nodeName: string): AgentConfig => ({
  nodeName,
  nodeIP: '127.0.0.1',
  dataDir: '/var/lib/tskube',
  port: 10250,
  labels: {},
  taints: [],
  clusterCIDR: '10.244.0.0/16',
  bridge: 'tsk0',
  maxPods: 110,
  backoffBaseSec: 10,
  backoffMaxSec: 300,
  leaseDurationSec: 40,
  statusUpdateSec: 10,
  statusReportSec: 300,
  relistMs: 1000,
  apiVolumeSyncSec: 60,
  clusterDNS: 'serve',
  clusterDomain: 'cluster.local',
  serviceProxy: true,
  networkPolicy: true,
  ingress: { http: { host: '', port: 80 }, https: { host: '', port: 443 } },
  eviction: defaultEvictionSettings(),
  cgroupRoot: '/tskube',
});

export const defaultNodeName = () => hostname().toLowerCase();

/**
 * Whether the agent serves the cluster DNS (the role CoreDNS plays: each node answers kube-dns on
 * its own bridge): unless clusterDNS is 'none'. A list of addresses only says what pods are given.
 */
export const servesClusterDNS = (cfg: Pick<AgentConfig, 'clusterDNS'>): boolean => cfg.clusterDNS !== 'none';
