// Defaults of Services, Endpoints and EndpointSlices (SetDefaults_Service, SetDefaults_Endpoints,
// discovery's SetDefaults_EndpointPort) and the Service strategy's normalisation on update
// (normalizeClusterIPs, patchAllocatedValues, dropTypeDependentFields in pkg/registry/core/service).
import type { Endpoints, EndpointSlice, Service, ServicePort, ServiceSpec } from './types.js';

export const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
export const CLUSTER_IP_NONE = 'None';
/** Seconds of ClientIP affinity (DefaultClientIPServiceAffinitySeconds) and its ceiling. */
export const DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800;
export const MAX_CLIENT_IP_AFFINITY_SECONDS = 86400;

/** NodePort, LoadBalancer, or ClusterIP with externalIPs: reachable from outside the cluster. */
export function externallyAccessible(spec: ServiceSpec | undefined): boolean {
  const t = spec?.type;
  return t === 'LoadBalancer' || t === 'NodePort' || (t === 'ClusterIP' && (spec?.externalIPs?.length ?? 0) > 0);
}

export const needsClusterIP = (svc: Service) => svc.spec?.type !== 'ExternalName';
export const needsNodePorts = (svc: Service) =>
  svc.spec?.type === 'NodePort' || (svc.spec?.type === 'LoadBalancer' && svc.spec.allocateLoadBalancerNodePorts !== false);
/** NodePort or LoadBalancer: node ports apply (allocated or not), the strategy's needsNodePort. */
const nodePortType = (svc: Service) => svc.spec?.type === 'NodePort' || svc.spec?.type === 'LoadBalancer';
/** LoadBalancer with externalTrafficPolicy Local: a health check node port for the load balancer to probe. */
export const needsHealthCheckNodePort = (svc: Service) => svc.spec?.type === 'LoadBalancer' && svc.spec.externalTrafficPolicy === 'Local';
export const isHeadless = (svc: Service) => svc.spec?.clusterIP === CLUSTER_IP_NONE;
/** Headless and selectorless: the one kind of Service whose IP families are not the cluster's to decide. */
export const isHeadlessWithoutSelector = (svc: Service) => isHeadless(svc) && Object.keys(svc.spec?.selector ?? {}).length === 0;

/** An IntOrString that is unset: absent, 0 or "". */
const unsetPort = (v: unknown) => v === undefined || v === null || v === 0 || v === '';

/**
 * SetDefaults_Service, then (unless `allocated` is false) what the REST storage's allocator and
 * strategy add on create (defaultServiceIPFamilies).
 */
export function defaultService(svc: Service, allocated = true): Service {
  const spec = (svc.spec ??= {});
  spec.sessionAffinity ||= 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP' && !spec.sessionAffinityConfig?.clientIP?.timeoutSeconds) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_CLIENT_IP_AFFINITY_SECONDS } };
  }
  spec.type ||= 'ClusterIP';
  for (const p of spec.ports ?? []) {
    p.protocol ||= 'TCP';
    if (unsetPort(p.targetPort)) p.targetPort = p.port;
  }
  if (externallyAccessible(spec) && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
  if (!spec.internalTrafficPolicy && ['ClusterIP', 'NodePort', 'LoadBalancer'].includes(spec.type)) spec.internalTrafficPolicy = 'Cluster';
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === undefined) spec.allocateLoadBalancerNodePorts = true;
  if (allocated) defaultServiceIPFamilies(svc);
  return svc;
}

/**
 * The single-stack IPv4 cluster's IP families (the allocator's initIPFamilyFields) and clusterIPs
 * from a lone clusterIP (normalizeClusterIPs). Not scheme defaults: 1.32 sets them in the REST
 * storage, after the create's field manager, so kubectl create service owns neither.
 */
export function defaultServiceIPFamilies(svc: Service): Service {
  const spec = (svc.spec ??= {});
  if (spec.type !== 'ExternalName') {
    if (isHeadlessWithoutSelector(svc)) {
      // Its special case: such a Service has no IPs of its own and its endpoints are the user's,
      // of either family, so it defaults to RequireDualStack and gets both families (the
      // cluster's first), even on a single-stack cluster; only SingleStack keeps one.
      spec.ipFamilyPolicy ||= 'RequireDualStack';
      if (!spec.ipFamilies?.length) spec.ipFamilies = ['IPv4'];
      const [first] = spec.ipFamilies;
      if (spec.ipFamilies.length === 1 && spec.ipFamilyPolicy !== 'SingleStack' && (first === 'IPv4' || first === 'IPv6')) {
        spec.ipFamilies = [first, first === 'IPv4' ? 'IPv6' : 'IPv4'];
      }
    } else {
      spec.ipFamilyPolicy ||= 'SingleStack';
      if (!spec.ipFamilies?.length) spec.ipFamilies = ['IPv4'];
    }
  }
  // A client that sets only clusterIP (an old one) gets clusterIPs from it.
  if (spec.clusterIP && !spec.clusterIPs?.length) spec.clusterIPs = [spec.clusterIP];
  return svc;
}

const sameList = (a: string[] | undefined, b: string[] | undefined) => JSON.stringify(a ?? []) === JSON.stringify(b ?? []);

/**
 * A Service update as the strategy sees it: clusterIP and clusterIPs kept in step, values the
 * server allocated carried over when the client left them out, and fields the new type does not
 * use dropped when the client did not change them.
 */
export function prepareServiceUpdate(svc: Service, old: Service): void {
  const spec = (svc.spec ??= {});
  const oldSpec = old.spec ?? {};
  // normalizeClusterIPs
  if (oldSpec.clusterIPs?.length && !spec.clusterIPs?.length && oldSpec.clusterIP === spec.clusterIP) spec.clusterIPs = oldSpec.clusterIPs;
  if ((oldSpec.clusterIP ?? '') !== (spec.clusterIP ?? '')) {
    if (oldSpec.clusterIP && !spec.clusterIP) {
      if (sameList(oldSpec.clusterIPs, spec.clusterIPs)) delete spec.clusterIPs;
    } else if (sameList(oldSpec.clusterIPs, spec.clusterIPs)) {
      spec.clusterIPs = [spec.clusterIP!];
    }
  }
  // dropTypeDependentFields: only what the client left as it was.
  if (needsClusterIP(old) && !needsClusterIP(svc) && oldSpec.clusterIP === spec.clusterIP && sameList(oldSpec.clusterIPs, spec.clusterIPs)) {
    delete spec.clusterIP;
    delete spec.clusterIPs;
    if (sameList(oldSpec.ipFamilies, spec.ipFamilies)) delete spec.ipFamilies;
    if (oldSpec.ipFamilyPolicy === spec.ipFamilyPolicy) delete spec.ipFamilyPolicy;
  }
  // (by type, as the strategy's needsNodePort: a LoadBalancer switched to
  // allocateLoadBalancerNodePorts: false keeps the node ports it has until they are removed)
  if (nodePortType(old) && !nodePortType(svc) && sameNodePorts(oldSpec.ports, spec.ports)) {
    for (const p of spec.ports ?? []) delete p.nodePort;
  }
  if (externallyAccessible(oldSpec) && !externallyAccessible(spec) && oldSpec.externalTrafficPolicy === spec.externalTrafficPolicy) {
    delete spec.externalTrafficPolicy;
  }
  if (spec.type !== 'LoadBalancer' && oldSpec.allocateLoadBalancerNodePorts === spec.allocateLoadBalancerNodePorts) delete spec.allocateLoadBalancerNodePorts;
  if (needsHealthCheckNodePort(old) && !needsHealthCheckNodePort(svc) && oldSpec.healthCheckNodePort === spec.healthCheckNodePort) delete spec.healthCheckNodePort;
  // patchAllocatedValues
  if (needsClusterIP(old) && needsClusterIP(svc)) {
    if (!spec.clusterIP && oldSpec.clusterIP) spec.clusterIP = oldSpec.clusterIP;
    if (!spec.clusterIPs?.length && oldSpec.clusterIPs?.length) spec.clusterIPs = oldSpec.clusterIPs;
  }
  if (needsHealthCheckNodePort(old) && needsHealthCheckNodePort(svc) && !spec.healthCheckNodePort && oldSpec.healthCheckNodePort) spec.healthCheckNodePort = oldSpec.healthCheckNodePort;
  // initIPFamilyFields: an update that leaves ipFamilyPolicy out keeps the Service's (a PUT of a
  // PreferDualStack or RequireDualStack Service without it stays so), rather than the default.
  if (!spec.ipFamilyPolicy && oldSpec.ipFamilyPolicy && needsClusterIP(svc)) spec.ipFamilyPolicy = oldSpec.ipFamilyPolicy;
  if (needsNodePorts(old) && needsNodePorts(svc)) {
    const inNew = new Set((spec.ports ?? []).map((p) => p.nodePort).filter(Boolean));
    const byName = new Map((oldSpec.ports ?? []).map((p) => [p.name ?? '', p.nodePort]));
    for (const p of spec.ports ?? []) {
      const was = byName.get(p.name ?? '');
      if (!p.nodePort && was && !inNew.has(was)) {
        p.nodePort = was;
        inNew.add(was);
      }
    }
  }
  defaultService(svc);
}

function sameNodePorts(a: ServicePort[] | undefined, b: ServicePort[] | undefined): boolean {
  const ports = (l: ServicePort[] | undefined) => (l ?? []).map((p) => p.nodePort ?? 0);
  return JSON.stringify(ports(a)) === JSON.stringify(ports(b));
}

export function defaultEndpoints(ep: Endpoints): Endpoints {
  for (const ss of ep.subsets ?? []) for (const p of ss.ports ?? []) p.protocol ||= 'TCP';
  return ep;
}

export function defaultEndpointSlice(slice: EndpointSlice): EndpointSlice {
  for (const p of slice.ports ?? []) {
    p.name ??= '';
    p.protocol ||= 'TCP';
  }
  return slice;
}
