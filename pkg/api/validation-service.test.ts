import { describe, expect, it } from 'vitest';
import { defaultEndpointSlice, defaultService, prepareServiceUpdate } from './defaults-service.js';
import { formatFieldError } from './field-error.js';
import type { Service } from './types.js';
import { validateEndpoints, validateEndpointSlice } from './validation-endpoints.js';
import { validateService, validateServiceUpdate } from './validation-service.js';

const svc = (spec: Service['spec'], name = 'web'): Service => defaultService({ metadata: { name, namespace: 'default' }, spec });
const messages = (s: Service) => validateService(s).map(formatFieldError);

describe('service defaults', () => {
  it('fills what SetDefaults_Service fills, by type', () => {
    const s = svc({ selector: { app: 'x' }, ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }] });
    expect(s.spec).toEqual({
      selector: { app: 'x' },
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }],
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
    });
    expect(svc({ type: 'NodePort', ports: [{ port: 80 }] }).spec?.externalTrafficPolicy).toBe('Cluster');
    expect(svc({ type: 'LoadBalancer', ports: [{ port: 80 }] }).spec).toMatchObject({ externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true });
    const ext = svc({ type: 'ExternalName', externalName: 'example.com' });
    expect(ext.spec).toEqual({ type: 'ExternalName', externalName: 'example.com', sessionAffinity: 'None' });
    expect(svc({ sessionAffinity: 'ClientIP', ports: [{ port: 1 }] }).spec?.sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 10800 } });
    expect(svc({ clusterIP: '10.96.0.9', ports: [{ port: 1 }] }).spec?.clusterIPs).toEqual(['10.96.0.9']);
  });

  it('keeps allocated values a client left out of an update and drops what the new type does not use', () => {
    const old = svc({ type: 'NodePort', clusterIP: '10.96.0.9', ports: [{ name: 'a', port: 80, nodePort: 30001 }, { name: 'b', port: 81, nodePort: 30002 }] });
    const omitted = svc({ type: 'NodePort', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 8181 }] });
    prepareServiceUpdate(omitted, old);
    expect(omitted.spec).toMatchObject({ clusterIP: '10.96.0.9', clusterIPs: ['10.96.0.9'] });
    expect(omitted.spec?.ports?.map((p) => p.nodePort)).toEqual([30001, 30002]);
    // Type back to ClusterIP with node ports unchanged: they go, as does externalTrafficPolicy.
    const back: Service = structuredClone(old);
    back.spec!.type = 'ClusterIP';
    prepareServiceUpdate(back, old);
    expect(back.spec?.ports?.map((p) => p.nodePort)).toEqual([undefined, undefined]);
    expect(back.spec?.externalTrafficPolicy).toBeUndefined();
    expect(validateServiceUpdate(back, old)).toEqual([]);
    // To ExternalName: the cluster IP and families go.
    const ext: Service = structuredClone(old);
    Object.assign(ext.spec!, { type: 'ExternalName', externalName: 'db.example.com' });
    prepareServiceUpdate(ext, old);
    expect(ext.spec?.clusterIP).toBeUndefined();
    expect(ext.spec?.ipFamilies).toBeUndefined();
    expect(validateServiceUpdate(ext, old)).toEqual([]);
  });

  it('keeps the node ports of a LoadBalancer switched to allocateLoadBalancerNodePorts: false (they go only when removed)', () => {
    const old = svc({ type: 'LoadBalancer', clusterIP: '10.96.0.9', ports: [{ name: 'a', port: 80, nodePort: 30001 }] });
    const off: Service = structuredClone(old);
    off.spec!.allocateLoadBalancerNodePorts = false;
    prepareServiceUpdate(off, old);
    expect(off.spec?.ports?.map((p) => p.nodePort)).toEqual([30001]);
    expect(validateServiceUpdate(off, old)).toEqual([]);
  });

  it('gives a headless Service without a selector both families and RequireDualStack, as initIPFamilyFields does', () => {
    const bare = svc({ clusterIP: 'None', ports: [{ port: 80 }] });
    expect(bare.spec).toMatchObject({ ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] });
    expect(messages(bare)).toEqual([]);
    expect(svc({ clusterIP: 'None', ipFamilyPolicy: 'PreferDualStack', ports: [{ port: 80 }] }).spec?.ipFamilies).toEqual(['IPv4', 'IPv6']);
    expect(svc({ clusterIP: 'None', ipFamilies: ['IPv6'], ports: [{ port: 80 }] }).spec?.ipFamilies).toEqual(['IPv6', 'IPv4']);
    const single = svc({ clusterIP: 'None', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'], ports: [{ port: 80 }] });
    expect(single.spec?.ipFamilies).toEqual(['IPv6']);
    expect(messages(single)).toEqual([]);
    expect(messages(svc({ clusterIP: 'None', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4', 'IPv6'], ports: [{ port: 80 }] }))).toEqual([
      `spec.ipFamilyPolicy: Invalid value: "SingleStack": must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified`,
    ]);
    // With a selector, a headless Service is the cluster's: single-stack IPv4 here.
    const selected = svc({ clusterIP: 'None', selector: { app: 'x' }, ports: [{ port: 80 }] });
    expect(selected.spec).toMatchObject({ ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'] });
    expect(messages(svc({ clusterIP: 'None', selector: { app: 'x' }, ipFamilyPolicy: 'RequireDualStack', ports: [{ port: 80 }] }))).toEqual([
      'spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services',
    ]);
    // An update that leaves the policy out keeps the Service's.
    const put: Service = { metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: 'None', clusterIPs: ['None'], ports: [{ port: 80 }] } };
    prepareServiceUpdate(put, bare);
    expect(put.spec).toMatchObject({ ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] });
    expect(validateServiceUpdate(put, bare)).toEqual([]);
    const pref = svc({ selector: { app: 'x' }, ipFamilyPolicy: 'PreferDualStack', ports: [{ port: 80 }] });
    const put2: Service = { metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'x' }, ports: [{ port: 80 }] } };
    prepareServiceUpdate(put2, pref);
    expect(put2.spec?.ipFamilyPolicy).toBe('PreferDualStack');
  });
});

describe('service validation', () => {
  it('accepts the usual shapes', () => {
    expect(messages(svc({ selector: { app: 'x' }, ports: [{ port: 80 }] }))).toEqual([]);
    expect(messages(svc({ clusterIP: 'None', ports: [] }))).toEqual([]);
    expect(messages(svc({ type: 'ExternalName', externalName: 'example.com.' }))).toEqual([]);
    expect(messages(svc({ type: 'NodePort', ports: [{ name: 'a', port: 53, protocol: 'TCP', nodePort: 30053 }, { name: 'b', port: 53, protocol: 'UDP', nodePort: 30053 }] }))).toEqual([]);
  });

  it("reports Kubernetes' messages and paths", () => {
    expect(messages(svc({ ports: [{ port: 80 }, { port: 81 }] }))).toEqual(['spec.ports[0].name: Required value', 'spec.ports[1].name: Required value']);
    expect(messages(svc({ ports: [{ name: 'A', port: 0 }] }))).toEqual([
      expect.stringMatching(/^spec\.ports\[0\]\.name: Invalid value: "A": a lowercase RFC 1123 label/),
      'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
    ]);
    expect(messages(svc({ type: 'NodePort', ports: [{ name: 'a', port: 1, nodePort: 30001 }, { name: 'b', port: 2, nodePort: 30001 }] }))).toEqual(['spec.ports[1].nodePort: Duplicate value: 30001']);
    expect(messages(svc({ type: 'ExternalName', externalName: 'Not A Name' }))).toEqual([expect.stringMatching(/^spec\.externalName: Invalid value: "Not A Name": a lowercase RFC 1123 subdomain/)]);
    expect(messages(svc({ type: 'ExternalName', externalName: 'x.example', clusterIP: '10.96.0.3', ports: [{ port: 1 }] }))).toContain('spec.clusterIPs: Forbidden: may not be set for ExternalName services');
    expect(messages(svc({ type: 'LoadBalancer', ports: [{ port: 10250 }] }))).toEqual(['spec.ports[0]: Invalid value: 10250: may not expose port 10250 externally since it is used by kubelet']);
    expect(messages(svc({ externalTrafficPolicy: 'Local', ports: [{ port: 1 }] }))).toEqual(['spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services']);
    expect(messages(svc({ clusterIP: '10.96.0.3', clusterIPs: ['10.96.0.4'], ports: [{ port: 1 }] }))).toEqual(['spec.clusterIPs: Invalid value: []string{"10.96.0.4"}: first value must match `clusterIP`']);
    expect(messages(svc({ ipFamilyPolicy: 'RequireDualStack', ports: [{ port: 1 }] }))).toEqual(['spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services']);
    expect(messages(svc({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 90000 } }, ports: [{ port: 1 }] }))).toEqual([
      'spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 90000: must be greater than 0 and less than 86400',
    ]);
    expect(messages(svc({ trafficDistribution: 'Foo', ports: [{ port: 1 }] }))).toEqual(['spec.trafficDistribution: Unsupported value: "Foo": supported values: "PreferClose"']);
    expect(messages(svc({ trafficDistribution: 'PreferClose', ports: [{ port: 1 }] }))).toEqual([]);
    expect(messages(svc({ ports: [{ port: 1 }] }, '1abc'))[0]).toMatch(/^metadata\.name: Invalid value: "1abc": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character/);
  });

  it('refuses a changed cluster IP on update, except to or from ExternalName', () => {
    const old = svc({ clusterIP: '10.96.0.3', ports: [{ port: 1 }] });
    const moved = svc({ clusterIP: '10.96.0.4', ports: [{ port: 1 }] });
    expect(validateServiceUpdate(moved, old).map(formatFieldError)).toEqual(['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.4"}: may not change once set']);
  });

  it('load balancers: a health check node port kept when left out, immutable, dropped with the Local policy; source ranges checked', () => {
    const old = svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 31000, clusterIP: '10.96.0.3', ports: [{ port: 1, nodePort: 30001 }] });
    const left = svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', clusterIP: '10.96.0.3', ports: [{ port: 1, nodePort: 30001 }] });
    prepareServiceUpdate(left, old);
    expect(left.spec?.healthCheckNodePort).toBe(31000);
    const changed = svc({ ...old.spec, healthCheckNodePort: 31001 });
    expect(validateServiceUpdate(changed, old).map(formatFieldError)).toEqual(['spec.healthCheckNodePort: Forbidden: field is immutable']);
    const cluster = svc({ ...old.spec, externalTrafficPolicy: 'Cluster' });
    prepareServiceUpdate(cluster, old);
    expect(cluster.spec?.healthCheckNodePort).toBeUndefined();
    expect(messages(svc({ type: 'LoadBalancer', ports: [{ port: 1 }], loadBalancerSourceRanges: ['10.0.0.0/33'] }))).toEqual([
      'spec.LoadBalancerSourceRanges[0]: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
    ]);
  });
});

describe('endpoints and endpointslice validation', () => {
  it('endpoints: addresses, ports, special IPs', () => {
    const errs = validateEndpoints({ metadata: { name: 'x', namespace: 'd' }, subsets: [{ addresses: [{ ip: '0.0.0.0' }, { ip: 'nope' }], ports: [{ port: 80, protocol: 'TCP' }] }] }).map(formatFieldError);
    expect(errs).toEqual(['subsets[0].addresses[0].ip: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)', 'subsets[0].addresses[1].ip: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']);
    expect(validateEndpoints({ metadata: { name: 'x', namespace: 'd' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ port: 1, protocol: 'TCP' }] }] })).toEqual([]);
  });

  it('endpointslices: address type, addresses, duplicate port names, defaults', () => {
    const slice = defaultEndpointSlice({ metadata: { name: 's', namespace: 'd' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'] }], ports: [{ port: 80 }, { port: 81 }] });
    expect(slice.ports).toEqual([{ port: 80, name: '', protocol: 'TCP' }, { port: 81, name: '', protocol: 'TCP' }]);
    expect(validateEndpointSlice(slice).map(formatFieldError)).toEqual(['ports[1].name: Duplicate value: ""']);
    expect(validateEndpointSlice({ metadata: { name: 's', namespace: 'd' }, addressType: 'IPv5' }).map(formatFieldError)).toEqual(['addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"']);
    const many = { metadata: { name: 's', namespace: 'd' }, addressType: 'IPv4', endpoints: [{ addresses: Array.from({ length: 101 }, (_, i) => `10.0.${i}.1`) }] };
    expect(validateEndpointSlice(many).map(formatFieldError)).toEqual(['endpoints[0].addresses: Too many: 101: must have at most 100 items']);
  });
});
