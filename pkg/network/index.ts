// pkg/network: the node agent's pod networking (the roles of the CNI bridge and host-local
// plugins, plus flannel-style host-gw routes between nodes).
//
//   const net = new PodNetwork({ clusterCIDR: '10.244.0.0/16', podCIDR: node.spec.podCIDR });
//   await net.ensureNode();
//   const { ip } = await net.setupPod({ sandboxId, netnsPath: '/run/netns/tsk-<id>', hostPorts });
//   await net.syncRoutes(nodes.map((n) => ({ nodeName, nodeIP, podCIDR })));
//   await net.teardownPod(sandboxId);
//   await net.gc(liveSandboxIds);
//   await cleanupNode({ bridgeName: 'tsk0' });   // every trace gone
export { PodNetwork, cleanupNode, DEFAULT_BRIDGE, DEFAULT_CHAIN_PREFIX, DEFAULT_STATE_DIR, type CleanupConfig } from './pod-network.js';
export type { NetworkConfig, PodSetupRequest, PodNetworkStatus, HostPortMapping, Protocol, RoutePeer, GcResult, SetupStep } from './types.js';
export type { SyncRoutesResult } from './routes.js';
export { ROUTE_PROTO } from './routes.js';
export { HostLocalIpam, type IpamAllocation } from './ipam.js';
export { allocateNodeCIDR, parseCidr, formatCidr, parseIPv4, formatIPv4, cidrContains, cidrCovers, cidrsOverlap, hostRange, type Cidr } from './cidr.js';
export { hostVethName } from './veth.js';
export { chainNames } from './iptables.js';
export * from './errors.js';
export { ServiceProxier, removeServiceRules, type ServiceProxierConfig, type SyncResult } from './service-proxier.js';
export type { ServiceLike, EndpointSliceLike, ProxiedServicePort } from './service-types.js';
