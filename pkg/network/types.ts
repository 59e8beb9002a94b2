// Public types of pod networking: node configuration, per-pod requests and results.

export type Protocol = 'TCP' | 'UDP';

export interface HostPortMapping {
  containerPort: number;
  hostPort: number;
  /** Defaults to TCP. */
  protocol?: Protocol;
  /** Only traffic to this node address is forwarded; unset or 0.0.0.0 means every local address. */
  hostIP?: string;
}

export interface NetworkConfig {
  /** The whole cluster's pod address space, e.g. 10.244.0.0/16: traffic leaving it is masqueraded. */
  clusterCIDR: string;
  /** This node's slice of clusterCIDR (Node.spec.podCIDR), e.g. 10.244.1.0/24. */
  podCIDR: string;
  /** Bridge name; default tsk0. */
  bridgeName?: string;
  /** IPAM store directory; default /var/lib/tskube/network. */
  stateDir?: string;
  /**
   * Path of the node's network namespace (lab clusters: /run/netns/NODE). Every node-level
   * operation (bridge, host veths, iptables, routes, sysctls) runs there. Default: the
   * namespace this process runs in.
   */
  nodeNetns?: string;
  /** Prefix of our iptables chains; default TSK (TSK-POSTROUTING, TSK-HOSTPORTS, TSK-FORWARD). */
  chainPrefix?: string;
  /** MTU of the pod veths; default: the MTU of the node's default-route interface, else 1500. */
  mtu?: number;
  /** How links are made: rtnetlink through koffi (default when koffi loads) or iproute2 batches. */
  backend?: 'netlink' | 'iproute2';
  /** Interface name inside the pod; default eth0. */
  podInterface?: string;
  /** Test hook: awaited before each setup step (throw to inject a failure, hang to be killed). */
  beforeStep?: (step: SetupStep, sandboxId: string) => void | Promise<void>;
}

export type SetupStep = 'allocate-ip' | 'host-veth' | 'pod-interface' | 'host-ports' | 'commit';

export interface PodSetupRequest {
  sandboxId: string;
  /** The pod's pinned network namespace, e.g. /run/netns/tsk-<id>. */
  netnsPath: string;
  hostPorts?: HostPortMapping[];
}

export interface PodNetworkStatus {
  ip: string;
  gateway: string;
  prefix: number;
  /** Interface name inside the pod. */
  interface: string;
  /** The host side of the veth pair, on the bridge. */
  hostInterface: string;
}

export interface RoutePeer {
  nodeName: string;
  nodeIP: string;
  podCIDR: string;
}

export interface GcResult {
  releasedIPs: string[];
  removedVeths: string[];
  removedHostPortRules: number;
}
