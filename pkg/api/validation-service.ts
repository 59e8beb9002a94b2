// Validation of Services (pkg/apis/core/validation: ValidateService, validateServicePort,
// ValidateServiceClusterIPsRelatedFields, ValidateServiceUpdate, ValidateServiceStatusUpdate),
// with Kubernetes' messages and field paths. The cluster is single-stack IPv4.
import { CLUSTER_IP_NONE, externallyAccessible, isHeadless, isHeadlessWithoutSelector, MAX_CLIENT_IP_AFFINITY_SECONDS, needsHealthCheckNodePort, SERVICE_TYPES } from './defaults-service.js';
import { duplicate, forbidden, goStrings, invalid, notSupported, required, VerbatimValue, type FieldError } from './field-error.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidCIDR, isValidIP, isValidPortName, isValidPortNum } from './names.js';
import type { Service, ServicePort } from './types.js';
import { PROTOCOLS } from './validation-container.js';
import { nameIsDNS1035Label, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './validation-meta.js';

const SESSION_AFFINITIES = ['ClientIP', 'None'];
const IP_FAMILIES = ['IPv4', 'IPv6'];
const IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
const KUBELET_PORT = 10250;
export const VALID_IP_MESSAGE = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

export function validateService(svc: Service): FieldError[] {
  const errs = validateObjectMeta(svc.metadata, true, 'metadata', nameIsDNS1035Label);
  const spec = svc.spec ?? {};
  const ports = spec.ports ?? [];
  const headless = isHeadless(svc);
  if (!ports.length && !headless && spec.type !== 'ExternalName') errs.push(required('spec.ports'));
  switch (spec.type) {
    case 'LoadBalancer':
      ports.forEach((p, i) => {
        if (p.port === KUBELET_PORT) errs.push(invalid(`spec.ports[${i}]`, p.port, `may not expose port ${KUBELET_PORT} externally since it is used by kubelet`));
      });
      if (headless) errs.push(invalid('spec.clusterIPs[0]', spec.clusterIPs?.[0], "may not be set to 'None' for LoadBalancer services"));
      break;
    case 'NodePort':
      if (headless) errs.push(invalid('spec.clusterIPs[0]', spec.clusterIPs?.[0], "may not be set to 'None' for NodePort services"));
      break;
    case 'ExternalName': {
      if (spec.clusterIPs?.length) errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
      if (spec.ipFamilies?.length) errs.push(forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
      if (spec.ipFamilyPolicy) errs.push(forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
      // The value (a CNAME) may end in a dot: fully qualified.
      const cname = (spec.externalName ?? '').replace(/\.$/, '');
      if (cname) errs.push(...isDNS1123Subdomain(cname).map((m) => invalid('spec.externalName', cname, m)));
      else errs.push(required('spec.externalName'));
      break;
    }
  }
  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validateServicePort(p, ports.length > 1, names, `spec.ports[${i}]`)));
  if (spec.selector) errs.push(...validateLabels(spec.selector, 'spec.selector'));
  if (!spec.sessionAffinity) errs.push(required('spec.sessionAffinity'));
  else if (!SESSION_AFFINITIES.includes(spec.sessionAffinity)) errs.push(notSupported('spec.sessionAffinity', spec.sessionAffinity, SESSION_AFFINITIES));
  if (spec.sessionAffinity === 'ClientIP') {
    const t = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (!spec.sessionAffinityConfig?.clientIP) errs.push(required('spec.sessionAffinityConfig.clientIP', 'when session affinity type is ClientIP'));
    else if (!(t !== undefined && t > 0 && t <= MAX_CLIENT_IP_AFFINITY_SECONDS)) {
      errs.push(invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', t, `must be greater than 0 and less than ${MAX_CLIENT_IP_AFFINITY_SECONDS}`));
    }
  } else if (spec.sessionAffinity === 'None' && spec.sessionAffinityConfig) {
    errs.push(forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }
  errs.push(...validateClusterIPs(svc));
  (spec.externalIPs ?? []).forEach((ip, i) => errs.push(...(isValidIP(ip) ? nonSpecialIP(ip, `spec.externalIPs[${i}]`) : [invalid(`spec.externalIPs[${i}]`, ip, VALID_IP_MESSAGE)])));
  if (!spec.type) errs.push(required('spec.type'));
  else if (!SERVICE_TYPES.includes(spec.type)) errs.push(notSupported('spec.type', spec.type, SERVICE_TYPES));
  if (spec.type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if (p.nodePort) errs.push(forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
    });
  }
  // Duplicates, considering (protocol, nodePort) and (protocol, port) pairs.
  const nodePorts = new Set<string>();
  const portKeys = new Set<string>();
  ports.forEach((p, i) => {
    if (p.nodePort) {
      const k = `${p.protocol}/${p.nodePort}`;
      if (nodePorts.has(k)) errs.push(duplicate(`spec.ports[${i}].nodePort`, p.nodePort));
      nodePorts.add(k);
    }
    const k = `${p.protocol}/${p.port}`;
    // The key is an internal core.ServicePort of just those two, printed as Go's %#v prints it.
    const key = `core.ServicePort{Name:"", Protocol:${JSON.stringify(p.protocol ?? '')}, AppProtocol:(*string)(nil), Port:${p.port ?? 0}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;
    if (portKeys.has(k)) errs.push(duplicate(`spec.ports[${i}]`, new VerbatimValue(key)));
    portKeys.add(k);
  });
  errs.push(...validateTrafficPolicies(svc));
  // validateServiceTrafficDistribution: 1.32 knows PreferClose alone (PreferSameZone and
  // PreferSameNode came in 1.33).
  if (spec.trafficDistribution !== undefined && spec.trafficDistribution !== 'PreferClose') {
    errs.push(notSupported('spec.trafficDistribution', spec.trafficDistribution, ['PreferClose']));
  }
  if (spec.type !== 'LoadBalancer' && spec.loadBalancerClass) errs.push(forbidden('spec.loadBalancerClass', 'may only be used when `type` is \'LoadBalancer\''));
  if (spec.type !== 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== undefined) {
    errs.push(forbidden('spec.allocateLoadBalancerNodePorts', 'may only be used when `type` is \'LoadBalancer\''));
  }
  errs.push(...validateLoadBalancerFields(svc));
  return errs;
}

/** loadBalancerSourceRanges (the field path's capital L is Kubernetes' own, kept for its clients). */
function validateLoadBalancerFields(svc: Service): FieldError[] {
  const spec = svc.spec ?? {};
  const errs: FieldError[] = [];
  const ranges = spec.loadBalancerSourceRanges ?? [];
  if (ranges.length > 0) {
    if (spec.type !== 'LoadBalancer') errs.push(forbidden('spec.LoadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => {
      // Space padding is allowed, a leftover of the annotation these came from.
      if (!isValidCIDR(r.trim())) errs.push(invalid(`spec.LoadBalancerSourceRanges[${i}]`, r.trim(), 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
    });
  }
  return errs;
}

function validateServicePort(p: ServicePort, requireName: boolean, names: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !p.name) errs.push(required(`${path}.name`));
  else if (p.name) {
    errs.push(...isDNS1123Label(p.name).map((m) => invalid(`${path}.name`, p.name, m)));
    if (names.has(p.name)) errs.push(duplicate(`${path}.name`, p.name));
    names.add(p.name);
  }
  errs.push(...isValidPortNum(p.port ?? 0).map((m) => invalid(`${path}.port`, p.port ?? 0, m)));
  if (!p.protocol) errs.push(required(`${path}.protocol`));
  else if (!PROTOCOLS.includes(p.protocol)) errs.push(notSupported(`${path}.protocol`, p.protocol, PROTOCOLS));
  const tp = p.targetPort as unknown;
  if (typeof tp === 'number') errs.push(...isValidPortNum(tp).map((m) => invalid(`${path}.targetPort`, tp, m)));
  else if (typeof tp === 'string') errs.push(...isValidPortName(tp).map((m) => invalid(`${path}.targetPort`, tp, m)));
  else errs.push(invalid(`${path}.targetPort`, tp, 'must be an integer or a string'));
  if (p.nodePort !== undefined && p.nodePort !== 0) errs.push(...isValidPortNum(p.nodePort).map((m) => invalid(`${path}.nodePort`, p.nodePort, m)));
  if (p.appProtocol !== undefined) errs.push(...isQualifiedName(p.appProtocol).map((m) => invalid(`${path}.appProtocol`, p.appProtocol, m)));
  return errs;
}

/** ValidateServiceClusterIPsRelatedFields for a single-stack IPv4 cluster. */
function validateClusterIPs(svc: Service): FieldError[] {
  const spec = svc.spec ?? {};
  if (spec.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const ips = spec.clusterIPs ?? [];
  if (spec.clusterIP) {
    if (!ips.length) errs.push(required('spec.clusterIPs'));
    else if (ips[0] !== spec.clusterIP) errs.push(invalid('spec.clusterIPs', goStrings(ips), 'first value must match `clusterIP`'));
  } else if (ips.length) {
    errs.push(invalid('spec.clusterIPs', goStrings(ips), 'must be empty when `clusterIP` is not specified'));
  }
  // What the cluster is configured for does not bind a headless, selectorless Service
  // (initIPFamilyFields returns before those checks: it may hold both families, or IPv6 alone),
  // but SingleStack with two families is refused first for every Service.
  const singleStackWithTwo = spec.ipFamilyPolicy === 'SingleStack' && (spec.ipFamilies?.length ?? 0) === 2;
  const clusterBound = !isHeadlessWithoutSelector(svc) && !singleStackWithTwo;
  if (singleStackWithTwo) errs.push(invalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"));
  const seen = new Set<string>();
  (spec.ipFamilies ?? []).forEach((f, i) => {
    if (!IP_FAMILIES.includes(f)) errs.push(notSupported(`spec.ipFamilies[${i}]`, f, IP_FAMILIES));
    else if (f === 'IPv6' && clusterBound) errs.push(invalid(`spec.ipFamilies[${i}]`, f, 'not configured on this cluster'));
    if (seen.has(f)) errs.push(duplicate(`spec.ipFamilies[${i}]`, f));
    seen.add(f);
  });
  if (spec.ipFamilyPolicy && !IP_FAMILY_POLICIES.includes(spec.ipFamilyPolicy)) errs.push(notSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, IP_FAMILY_POLICIES));
  if (spec.ipFamilyPolicy === 'RequireDualStack' && clusterBound) errs.push(invalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy, 'this cluster is not configured for dual-stack services'));
  let badIPs = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === CLUSTER_IP_NONE) {
      if (ips.length > 1) {
        badIPs = true;
        errs.push(invalid('spec.clusterIPs', goStrings(ips), "'None' must be the first and only value"));
      }
      return;
    }
    if (!isValidIP(ip)) {
      badIPs = true;
      errs.push(invalid(`spec.clusterIPs[${i}]`, ip, VALID_IP_MESSAGE));
    }
  });
  if (ips.length > 2) errs.push(invalid('spec.clusterIPs', goStrings(ips), 'may only hold up to 2 values'));
  if (badIPs) return errs;
  if (ips.length > 1) errs.push(invalid('spec.clusterIPs', goStrings(ips), 'may specify no more than one IP for each IP family'));
  if (!isHeadless(svc)) {
    ips.forEach((ip, i) => {
      if (spec.ipFamilies?.[i] === 'IPv4' && ip.includes(':')) errs.push(invalid(`spec.clusterIPs[${i}]`, ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
    });
  }
  return errs;
}

function validateTrafficPolicies(svc: Service): FieldError[] {
  const spec = svc.spec ?? {};
  const errs: FieldError[] = [];
  if (!externallyAccessible(spec)) {
    if (spec.externalTrafficPolicy) errs.push(invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, 'may only be set for externally-accessible services'));
  } else if (!spec.externalTrafficPolicy) errs.push(required('spec.externalTrafficPolicy'));
  else if (!TRAFFIC_POLICIES.includes(spec.externalTrafficPolicy)) errs.push(notSupported('spec.externalTrafficPolicy', spec.externalTrafficPolicy, TRAFFIC_POLICIES));
  if (spec.healthCheckNodePort && !(spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local')) {
    errs.push(invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, 'may only be set when `type` is \'LoadBalancer\' and `externalTrafficPolicy` is \'Local\''));
  }
  if (!spec.internalTrafficPolicy) {
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP') errs.push(required('spec.internalTrafficPolicy'));
  } else if (!TRAFFIC_POLICIES.includes(spec.internalTrafficPolicy)) errs.push(notSupported('spec.internalTrafficPolicy', spec.internalTrafficPolicy, TRAFFIC_POLICIES));
  return errs;
}

/** ValidateServiceUpdate: cluster IPs may not change once set (except to, from or on ExternalName). */
export function validateServiceUpdate(svc: Service, old: Service): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata, true, 'metadata', nameIsDNS1035Label);
  if (svc.spec?.type !== 'ExternalName' && old.spec?.type !== 'ExternalName') {
    const now = svc.spec?.clusterIPs ?? [];
    const was = old.spec?.clusterIPs ?? [];
    was.forEach((ip, i) => {
      if (i < now.length && ip !== now[i]) errs.push(invalid(`spec.clusterIPs[${i}]`, goStrings(now), 'may not change once set'));
    });
    if (was.length > now.length && now.length === 0) errs.push(invalid('spec.clusterIPs[0]', goStrings(now), 'primary clusterIP can not be unset'));
  }
  // validateServiceExternalTrafficFieldsUpdate
  if (needsHealthCheckNodePort(old) && needsHealthCheckNodePort(svc) && (old.spec?.healthCheckNodePort ?? 0) !== (svc.spec?.healthCheckNodePort ?? 0)) {
    errs.push(forbidden('spec.healthCheckNodePort', 'field is immutable'));
  }
  if (old.spec?.type === 'LoadBalancer' && svc.spec?.type === 'LoadBalancer' && (old.spec.loadBalancerClass ?? '') !== (svc.spec.loadBalancerClass ?? '')) {
    errs.push(invalid('spec.loadBalancerClass', svc.spec.loadBalancerClass, 'may not change once set'));
  }
  return [...errs, ...validateService(svc).filter((e) => !e.field.startsWith('metadata'))];
}

/** ValidateServiceStatusUpdate: load-balancer ingress points are IPs or DNS names. */
export function validateServiceStatusUpdate(svc: Service, old: Service): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata, true, 'metadata', nameIsDNS1035Label);
  (svc.status?.loadBalancer?.ingress ?? []).forEach((ing, i) => {
    const path = `status.loadBalancer.ingress[${i}]`;
    if (ing.ip && !isValidIP(ing.ip)) errs.push(invalid(`${path}.ip`, ing.ip, VALID_IP_MESSAGE));
    if (ing.ipMode && !ing.ip) errs.push(forbidden(`${path}.ipMode`, 'may not be set when `ip` is not set'));
    if (ing.hostname) {
      errs.push(...isDNS1123Subdomain(ing.hostname).map((m) => invalid(`${path}.hostname`, ing.hostname, m)));
      if (isValidIP(ing.hostname)) errs.push(invalid(`${path}.hostname`, ing.hostname, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}

/** ValidateNonSpecialIP, except loopback (see validation-endpoints.ts). */
export function nonSpecialIP(ip: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (ip === '0.0.0.0' || ip === '::') errs.push(invalid(path, ip, `may not be unspecified (${ip})`));
  if (/^169\.254\./.test(ip) || /^fe[89ab]/i.test(ip)) errs.push(invalid(path, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
  if (/^224\.0\.0\./.test(ip) || /^ff02:/i.test(ip)) errs.push(invalid(path, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  return errs;
}
