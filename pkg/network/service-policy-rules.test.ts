// Rules for load-balancer IPs, loadBalancerSourceRanges and the traffic policies (kube-proxy's
// KUBE-EXT, KUBE-SVL and KUBE-FW chains), from Services and EndpointSlices on node n1.
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from './iptables.js';
import { servicePorts } from './service-model.js';
import { buildServiceRules, extChain, fwChain, restorePlan, sepChain, svcChain, svlChain } from './service-rules.js';
import type { EndpointSliceLike, ServiceLike } from './service-types.js';

const CLUSTER = '10.244.0.0/16';
const MARK = '-j MARK --set-xmark 0x2000/0x2000';
const DROP = '-m conntrack ! --ctstate DNAT -j DROP';

const lb = (spec: NonNullable<ServiceLike['spec']>, ingress = ['172.31.0.11', '172.31.0.12']): ServiceLike => ({
  metadata: { name: 'lb', namespace: 'default' },
  spec: { type: 'LoadBalancer', clusterIP: '10.96.0.40', ports: [{ port: 80, nodePort: 30080 }], externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', ...spec },
  status: { loadBalancer: { ingress: ingress.map((ip) => ({ ip })) } },
});
const slice = (eps: [string, string][]): EndpointSliceLike => ({
  metadata: { name: 'lb-x', namespace: 'default', labels: { 'kubernetes.io/service-name': 'lb' } },
  addressType: 'IPv4',
  ports: [{ port: 8080, protocol: 'TCP' }],
  endpoints: eps.map(([ip, nodeName]) => ({ addresses: [ip], conditions: { ready: true }, nodeName })),
});
const both = slice([['10.244.1.2', 'n1'], ['10.244.2.2', 'n2']]);
const remoteOnly = slice([['10.244.2.2', 'n2']]);

function rulesFor(s: ServiceLike, sl: EndpointSliceLike[], node = 'n1') {
  const ports = servicePorts([s], sl, node);
  return { p: ports[0]!, rules: buildServiceRules('TSK', CLUSTER, ports) };
}
const chainRules = (nat: string[], chain: string) => nat.filter((r) => r.startsWith(`-A ${chain} `));

describe('service ports for load balancers and traffic policies', () => {
  it('takes the IPv4 ingress IPs of LoadBalancer Services (not loopback), normalised source ranges and the local endpoints', () => {
    const p = servicePorts([lb({ loadBalancerSourceRanges: [' 192.0.2.7/24', '198.51.100.9', 'fe80::/64'], externalTrafficPolicy: 'Local', healthCheckNodePort: 31000 }, ['172.31.0.11', '127.0.0.1', 'lb.example.com'])], [both], 'n1')[0]!;
    expect(p).toMatchObject({
      loadBalancerIPs: ['172.31.0.11'],
      sourceRanges: ['192.0.2.0/24', '198.51.100.9/32'],
      externalLocal: true,
      internalLocal: false,
      healthCheckNodePort: 31000,
      service: { namespace: 'default', name: 'lb' },
      localEndpoints: [{ ip: '10.244.1.2', port: 8080 }],
    });
    expect(p.endpoints).toHaveLength(2);
    // The legacy annotation when the field is empty.
    const annotated = lb({});
    annotated.metadata!.annotations = { 'service.beta.kubernetes.io/load-balancer-source-ranges': '10.1.0.0/16, 10.2.0.0/16' };
    expect(servicePorts([annotated], [both], 'n1')[0]!.sourceRanges).toEqual(['10.1.0.0/16', '10.2.0.0/16']);
    // Not a LoadBalancer: no load-balancer IPs even with a leftover status.
    expect(servicePorts([lb({ type: 'NodePort' })], [both], 'n1')[0]!.loadBalancerIPs).toEqual([]);
    // Without a node name nothing is local.
    expect(servicePorts([lb({})], [both])[0]!.localEndpoints).toEqual([]);
  });
});

describe('load-balancer and traffic-policy rules', () => {
  it('sends each load-balancer IP through the external chain (masqueraded for Cluster)', () => {
    const { p, rules } = rulesFor(lb({}), [both]);
    const ext = extChain('TSK', p);
    expect(rules.nat).toContain(`-A TSK-SERVICES -d 172.31.0.11/32 -p tcp -m tcp --dport 80 -m comment --comment "default/lb loadbalancer IP" -j ${ext}`);
    expect(rules.nat).toContain(`-A TSK-SERVICES -d 172.31.0.12/32 -p tcp -m tcp --dport 80 -m comment --comment "default/lb loadbalancer IP" -j ${ext}`);
    expect(chainRules(rules.nat, ext)).toEqual([`-A ${ext} -m comment --comment "default/lb masquerade traffic for external destinations" ${MARK}`, `-A ${ext} -j ${svcChain('TSK', p)}`]);
    expect(rules.filter).toEqual([]);
  });

  it('with source ranges: the firewall chain lets the ranges (and the load balancer itself) on to the external chain, the filter drops the rest', () => {
    const { p, rules } = rulesFor(lb({ loadBalancerSourceRanges: ['192.0.2.0/24'] }, ['172.31.0.11']), [both]);
    const fw = fwChain('TSK', p);
    const ext = extChain('TSK', p);
    expect(fw).toMatch(/^TSK-FW-[0-9A-F]{16}$/);
    expect(rules.natChains).toContain(fw);
    expect(rules.nat).toContain(`-A TSK-SERVICES -d 172.31.0.11/32 -p tcp -m tcp --dport 80 -m comment --comment "default/lb loadbalancer IP" -j ${fw}`);
    expect(chainRules(rules.nat, fw)).toEqual([
      `-A ${fw} -s 192.0.2.0/24 -m comment --comment "default/lb loadbalancer source range" -j ${ext}`,
      `-A ${fw} -s 172.31.0.11/32 -m comment --comment "default/lb loadbalancer source range" -j ${ext}`,
    ]);
    expect(rules.filter).toEqual([`-A TSK-SERVICES -d 172.31.0.11/32 -p tcp -m tcp --dport 80 -m comment --comment "default/lb traffic not accepted by loadBalancerSourceRanges" ${DROP}`]);
  });

  it('externalTrafficPolicy Local: pods and the node go to every endpoint, the rest to the local ones unmasqueraded', () => {
    const { p, rules } = rulesFor(lb({ externalTrafficPolicy: 'Local' }), [both]);
    const ext = extChain('TSK', p);
    const svc = svcChain('TSK', p);
    const svl = svlChain('TSK', p);
    expect(chainRules(rules.nat, ext)).toEqual([
      `-A ${ext} -s 10.244.0.0/16 -m comment --comment "default/lb pod traffic for external destinations" -j ${svc}`,
      `-A ${ext} -m addrtype --src-type LOCAL -m comment --comment "default/lb masquerade LOCAL traffic" ${MARK}`,
      `-A ${ext} -m addrtype --src-type LOCAL -m comment --comment "default/lb route LOCAL traffic to cluster" -j ${svc}`,
      `-A ${ext} -j ${svl}`,
    ]);
    const local = sepChain('TSK', p, { ip: '10.244.1.2', port: 8080 });
    expect(chainRules(rules.nat, svl)).toEqual([`-A ${svl} -m comment --comment "default/lb -> 10.244.1.2:8080" -j ${local}`]);
    // The cluster chain still spreads over both; the SVL chain never marks for masquerade.
    expect(chainRules(rules.nat, svc).filter((r) => r.includes('-j TSK-SEP-'))).toHaveLength(2);
    expect(chainRules(rules.nat, svl).some((r) => r.includes('MARK'))).toBe(false);
    // The cluster IP is Cluster policy: the SVC chain.
    expect(rules.nat).toContain(`-A TSK-SERVICES -d 10.96.0.40/32 -p tcp -m tcp --dport 80 -m comment --comment "default/lb cluster IP" -j ${svc}`);
    expect(rules.filter).toEqual([]);
  });

  it('externalTrafficPolicy Local on a node without local endpoints: no SVL chain, node port and load-balancer IPs dropped when not short-circuited', () => {
    const { p, rules } = rulesFor(lb({ externalTrafficPolicy: 'Local' }, ['172.31.0.11']), [remoteOnly]);
    const ext = extChain('TSK', p);
    expect(rules.natChains).not.toContain(svlChain('TSK', p));
    expect(chainRules(rules.nat, ext).at(-1)).toBe(`-A ${ext} -m addrtype --src-type LOCAL -m comment --comment "default/lb route LOCAL traffic to cluster" -j ${svcChain('TSK', p)}`);
    expect(rules.filter).toEqual([
      `-A TSK-SERVICES -d 172.31.0.11/32 -p tcp -m tcp --dport 80 -m comment --comment "default/lb has no local endpoints" ${DROP}`,
      `-A TSK-SERVICES -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30080 -m comment --comment "default/lb has no local endpoints" ${DROP}`,
    ]);
  });

  it('without any endpoint: load-balancer IPs are rejected like the cluster IP and node port', () => {
    const { rules } = rulesFor(lb({ externalTrafficPolicy: 'Local' }, ['172.31.0.11']), []);
    expect(rules.filter.map((r) => r.split('--comment ')[1])).toEqual([
      '"default/lb has no endpoints" -j REJECT --reject-with icmp-port-unreachable',
      '"default/lb has no endpoints" -j REJECT --reject-with icmp-port-unreachable',
      '"default/lb has no endpoints" -j REJECT --reject-with icmp-port-unreachable',
    ]);
  });

  it('internalTrafficPolicy Local: the cluster IP goes to the local endpoints only, and is dropped on a node without any', () => {
    const s = lb({ type: 'ClusterIP', internalTrafficPolicy: 'Local', externalTrafficPolicy: undefined, ports: [{ port: 80 }] }, []);
    const { p, rules } = rulesFor(s, [both]);
    const svl = svlChain('TSK', p);
    expect(rules.nat).toContain(`-A TSK-SERVICES -d 10.96.0.40/32 -p tcp -m tcp --dport 80 -m comment --comment "default/lb cluster IP" -j ${svl}`);
    expect(chainRules(rules.nat, svl)).toEqual([
      `-A ${svl} ! -s 10.244.0.0/16 -d 10.96.0.40/32 -p tcp -m tcp --dport 80 -m comment --comment "default/lb cluster IP" ${MARK}`,
      `-A ${svl} -m comment --comment "default/lb -> 10.244.1.2:8080" -j ${sepChain('TSK', p, { ip: '10.244.1.2', port: 8080 })}`,
    ]);
    const remote = rulesFor(s, [remoteOnly]).rules;
    expect(remote.nat.some((r) => r.startsWith('-A TSK-SERVICES -d 10.96.0.40/32'))).toBe(false);
    expect(remote.filter).toEqual([`-A TSK-SERVICES -d 10.96.0.40/32 -p tcp -m tcp --dport 80 -m comment --comment "default/lb has no local endpoints" ${DROP}`]);
  });

  it('deletes the SVL and FW chains of a service that no longer needs them (policy back to Cluster, ranges removed)', () => {
    const before = rulesFor(lb({ externalTrafficPolicy: 'Local', loadBalancerSourceRanges: ['192.0.2.0/24'] }), [both]);
    const saved = parseIptablesSave(`*nat\n${before.rules.natChains.map((c) => `:${c} - [0:0]`).join('\n')}\n${before.rules.nat.join('\n')}\nCOMMIT\n`);
    const after = rulesFor(lb({}), [both]);
    const plan = restorePlan('TSK', after.rules, saved);
    expect(plan.staleChains.sort()).toEqual([fwChain('TSK', before.p), svlChain('TSK', before.p)].sort());
    expect(plan.tables.nat.slice(-2).sort()).toEqual([`-X ${fwChain('TSK', before.p)}`, `-X ${svlChain('TSK', before.p)}`].sort());
  });
});
