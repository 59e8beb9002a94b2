// The parts of core/v1 Service and discovery.k8s.io/v1 EndpointSlice the service proxy reads,
// in their Kubernetes JSON shapes (structural, so the API's generated types fit), and the
// flattened service port the rules are built from.

export interface ObjectMetaLike {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface ServicePortLike {
  name?: string;
  /** TCP (default), UDP; SCTP is skipped. */
  protocol?: string;
  port?: number;
  /** Not read: the EndpointSlice controller resolves it into the slice's ports. */
  targetPort?: number | string;
  nodePort?: number;
}

export interface ServiceLike {
  metadata?: ObjectMetaLike;
  spec?: {
    /** ClusterIP (default), NodePort, LoadBalancer (node ports and status.loadBalancer.ingress IPs), ExternalName (skipped). */
    type?: string;
    /** "None" or empty: headless, no proxying. */
    clusterIP?: string;
    ports?: ServicePortLike[];
    /** An ExternalName Service's DNS name (the ingress proxy's backend; kube-proxy skips the Service). */
    externalName?: string;
    externalIPs?: string[];
    sessionAffinity?: string;
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    /** Local: node ports, external and load-balancer IPs reach only this node's endpoints, unmasqueraded. */
    externalTrafficPolicy?: string;
    /** Local: the cluster IP reaches only this node's endpoints. */
    internalTrafficPolicy?: string;
    /** LoadBalancer + externalTrafficPolicy Local: the port the agent answers /healthz on. */
    healthCheckNodePort?: number;
    /** Sources allowed to the load-balancer IPs (others are dropped); empty: all. */
    loadBalancerSourceRanges?: string[];
  };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

export interface EndpointLike {
  addresses?: string[];
  /** Unset ready means ready; unset serving means the value of ready (discovery/v1). */
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  nodeName?: string;
}

export interface EndpointSliceLike {
  metadata?: ObjectMetaLike;
  addressType?: string;
  endpoints?: EndpointLike[];
  ports?: { name?: string; port?: number; protocol?: string }[];
}

/** The label naming the Service an EndpointSlice belongs to. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export type ServiceProtocol = 'TCP' | 'UDP';

export interface ServiceEndpoint {
  ip: string;
  port: number;
}

/** One port of one Service, with the endpoints traffic to it goes to. */
export interface ProxiedServicePort {
  /** `namespace/name:portName` (kube-proxy's ServicePortName; portName may be empty). */
  id: string;
  clusterIP: string;
  port: number;
  protocol: ServiceProtocol;
  nodePort?: number;
  externalIPs: string[];
  /** ClientIP session affinity timeout in seconds; undefined: no affinity. */
  affinitySeconds?: number;
  /** Ready endpoints (or serving-and-terminating ones when none is ready), sorted, distinct. */
  endpoints: ServiceEndpoint[];
  /** The same choice among the endpoints on this node (nodeName); empty when the node is unknown. */
  localEndpoints: ServiceEndpoint[];
  /** status.loadBalancer.ingress IPv4 addresses (not loopback) of a LoadBalancer Service. */
  loadBalancerIPs: string[];
  /** loadBalancerSourceRanges as IPv4 CIDRs; empty: every source. */
  sourceRanges: string[];
  /** externalTrafficPolicy Local. */
  externalLocal: boolean;
  /** internalTrafficPolicy Local. */
  internalLocal: boolean;
  /** The Service's health check node port (LoadBalancer with externalTrafficPolicy Local). */
  healthCheckNodePort?: number;
  /** The Service this port belongs to. */
  service: { namespace: string; name: string };
}

/** The key the proxy keeps an object under. */
export const keyOfMeta = (m: ObjectMetaLike | undefined) => `${m?.namespace ?? 'default'}/${m?.name ?? ''}`;
