import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from './iptables.js';
import { servicePorts } from './service-model.js';
import { buildServiceRules, extChain, restorePlan, sepChain, svcChain } from './service-rules.js';
import type { EndpointSliceLike, ServiceLike } from './service-types.js';

const CLUSTER = '10.244.0.0/16';

const svc = (name: string, spec: NonNullable<ServiceLike['spec']>, namespace = 'default'): ServiceLike => ({ metadata: { name, namespace }, spec });
const slice = (service: string, name: string, ports: EndpointSliceLike['ports'], endpoints: EndpointSliceLike['endpoints'], namespace = 'default'): EndpointSliceLike => ({
  metadata: { name, namespace, labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  ports,
  endpoints,
});
const ep = (ip: string, conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean }) => ({ addresses: [ip], conditions, nodeName: 'n1' });

function rulesFor(services: ServiceLike[], slices: EndpointSliceLike[]) {
  const ports = servicePorts(services, slices);
  return { ports, rules: buildServiceRules('TSK', CLUSTER, ports) };
}

describe('service ports from Services and EndpointSlices', () => {
  it('matches each service port to the slice port of the same name and protocol (named targetPorts resolved by the slice)', () => {
    const ports = servicePorts(
      [svc('web', { clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }] })],
      [
        // Two slices, one endpoint repeated across them: counted once.
        slice('web', 'web-a', [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'dns', port: 5353, protocol: 'UDP' }], [ep('10.244.1.3'), ep('10.244.1.2')]),
        slice('web', 'web-b', [{ name: 'http', port: 8080, protocol: 'TCP' }], [ep('10.244.2.9'), ep('10.244.1.2')]),
        // Same service name in another namespace: not ours.
        slice('web', 'web-x', [{ name: 'http', port: 1, protocol: 'TCP' }], [ep('10.244.9.9')], 'other'),
      ],
    );
    expect(ports).toMatchObject([
      { id: 'default/web:dns', clusterIP: '10.96.0.10', port: 53, protocol: 'UDP', nodePort: undefined, externalIPs: [], affinitySeconds: undefined, endpoints: [{ ip: '10.244.1.2', port: 5353 }, { ip: '10.244.1.3', port: 5353 }] },
      {
        id: 'default/web:http',
        clusterIP: '10.96.0.10',
        port: 80,
        protocol: 'TCP',
        nodePort: undefined,
        externalIPs: [],
        affinitySeconds: undefined,
        endpoints: [{ ip: '10.244.1.2', port: 8080 }, { ip: '10.244.1.3', port: 8080 }, { ip: '10.244.2.9', port: 8080 }],
      },
    ]);
  });

  it('uses ready endpoints; serving terminating ones only when none is ready (KEP-1669)', () => {
    const s = svc('api', { clusterIP: '10.96.0.11', ports: [{ port: 443 }] });
    const port = [{ port: 8443, protocol: 'TCP' }];
    const mixed = servicePorts([s], [slice('api', 'a', port, [ep('10.244.1.5', { ready: true }), ep('10.244.1.6', { ready: false, serving: true, terminating: true }), ep('10.244.1.7', { ready: false })])]);
    expect(mixed[0]!.endpoints).toEqual([{ ip: '10.244.1.5', port: 8443 }]);
    const draining = servicePorts([s], [slice('api', 'a', port, [ep('10.244.1.6', { ready: false, serving: true, terminating: true }), ep('10.244.1.8', { ready: false, serving: false, terminating: true }), ep('10.244.1.7', { ready: false })])]);
    expect(draining[0]!.endpoints).toEqual([{ ip: '10.244.1.6', port: 8443 }]);
    const none = servicePorts([s], [slice('api', 'a', port, [ep('10.244.1.7', { ready: false })])]);
    expect(none[0]!.endpoints).toEqual([]);
    // Unset conditions mean ready.
    expect(servicePorts([s], [slice('api', 'a', port, [ep('10.244.1.9')])])[0]!.endpoints).toHaveLength(1);
  });

  it('skips headless, ExternalName and SCTP; keeps nodePorts only for NodePort and LoadBalancer; ClientIP affinity defaults to 3 h', () => {
    const ports = servicePorts(
      [
        svc('headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
        svc('ext', { type: 'ExternalName', ports: [{ port: 80 }] }),
        svc('np', { type: 'NodePort', clusterIP: '10.96.0.12', ports: [{ port: 80, nodePort: 30080 }, { name: 's', port: 9, protocol: 'SCTP', nodePort: 30009 }], sessionAffinity: 'ClientIP' }),
        svc('cip', { type: 'ClusterIP', clusterIP: '10.96.0.13', ports: [{ port: 80, nodePort: 30081 }], sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } }),
      ],
      [],
    );
    expect(ports.map((p) => [p.id, p.nodePort, p.affinitySeconds])).toEqual([
      ['default/cip', undefined, 60],
      ['default/np', 30080, 10800],
    ]);
  });
});

describe('service rules', () => {
  const web = svc('web', { type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, nodePort: 30080 }, { name: 'metrics', port: 9090 }] });
  const webSlice = slice('web', 'web-1', [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9100, protocol: 'TCP' }], [ep('10.244.1.2'), ep('10.244.1.3'), ep('10.244.2.4')]);
  const empty = svc('empty', { type: 'NodePort', clusterIP: '10.96.0.20', ports: [{ port: 53, protocol: 'UDP', nodePort: 30053 }] });

  it('spreads each port over its endpoints with 1/n, 1/(n-1), ... and DNATs each to its pod, marking hairpin and off-cluster traffic', () => {
    const { ports, rules } = rulesFor([web], [webSlice]);
    const http = ports.find((p) => p.id === 'default/web:http')!;
    const metrics = ports.find((p) => p.id === 'default/web:metrics')!;
    const s = svcChain('TSK', http);
    const [e1, e2, e3] = http.endpoints.map((e) => sepChain('TSK', http, e));
    expect(s).toMatch(/^TSK-SVC-[0-9A-F]{16}$/);
    expect(new Set([s, svcChain('TSK', metrics), e1, e2, e3]).size).toBe(5);
    const svcRules = rules.nat.filter((r) => r.startsWith(`-A ${s} `));
    expect(svcRules).toEqual([
      `-A ${s} ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -m comment --comment "default/web:http cluster IP" -j MARK --set-xmark 0x2000/0x2000`,
      `-A ${s} -m comment --comment "default/web:http -> 10.244.1.2:8080" -m statistic --mode random --probability 0.3333333333 -j ${e1}`,
      `-A ${s} -m comment --comment "default/web:http -> 10.244.1.3:8080" -m statistic --mode random --probability 0.5000000000 -j ${e2}`,
      `-A ${s} -m comment --comment "default/web:http -> 10.244.2.4:8080" -j ${e3}`,
    ]);
    expect(rules.nat.filter((r) => r.startsWith(`-A ${e1} `))).toEqual([
      `-A ${e1} -s 10.244.1.2/32 -m comment --comment "default/web:http hairpin" -j MARK --set-xmark 0x2000/0x2000`,
      `-A ${e1} -p tcp -m tcp -m comment --comment "default/web:http" -j DNAT --to-destination 10.244.1.2:8080`,
    ]);
    // The metrics port goes to its own target port on the same pods.
    expect(rules.nat.filter((r) => r.includes('DNAT') && r.includes('9100'))).toHaveLength(3);
    expect(rules.nat).toContain(`-A TSK-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 9090 -m comment --comment "default/web:metrics cluster IP" -j ${svcChain('TSK', metrics)}`);
    expect(rules.filter).toEqual([]);
  });

  it('sends a nodePort through a chain that marks it for masquerade, and ends the services chain with the nodeports jump', () => {
    const { ports, rules } = rulesFor([web], [webSlice]);
    const http = ports.find((p) => p.id === 'default/web:http')!;
    const ext = extChain('TSK', http);
    expect(rules.nat).toContain(`-A TSK-NODEPORTS -p tcp -m tcp --dport 30080 -m comment --comment "default/web:http" -j ${ext}`);
    expect(rules.nat.filter((r) => r.startsWith(`-A ${ext} `))).toEqual([
      `-A ${ext} -m comment --comment "default/web:http masquerade traffic for external destinations" -j MARK --set-xmark 0x2000/0x2000`,
      `-A ${ext} -j ${svcChain('TSK', http)}`,
    ]);
    expect(rules.natChains).toContain(ext);
    // metrics has no nodePort: no EXT chain.
    expect(rules.nat.some((r) => r.includes(extChain('TSK', ports.find((p) => p.id === 'default/web:metrics')!)))).toBe(false);
    expect(rules.nat.filter((r) => r.startsWith('-A TSK-SERVICES ')).at(-1)).toBe(
      '-A TSK-SERVICES -m comment --comment "tskube service nodeports; must be last" -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j TSK-NODEPORTS',
    );
  });

  it('sends externalIPs through the external chain, and rejects them too when there are no endpoints', () => {
    const ext = svc('ext', { clusterIP: '10.96.0.50', externalIPs: ['192.0.2.10', 'not-an-ip'], ports: [{ port: 443 }] });
    const { ports, rules } = rulesFor([ext], [slice('ext', 'e', [{ port: 8443, protocol: 'TCP' }], [ep('10.244.1.2')])]);
    expect(ports[0]!.externalIPs).toEqual(['192.0.2.10']);
    expect(rules.nat).toContain(`-A TSK-SERVICES -d 192.0.2.10/32 -p tcp -m tcp --dport 443 -m comment --comment "default/ext external IP" -j ${extChain('TSK', ports[0]!)}`);
    expect(rulesFor([ext], []).rules.filter).toContain('-A TSK-SERVICES -d 192.0.2.10/32 -p tcp -m tcp --dport 443 -m comment --comment "default/ext has no endpoints" -j REJECT --reject-with icmp-port-unreachable');
  });

  it('rejects a service port without endpoints at its cluster IP and nodePort, with no nat chain for it', () => {
    const { rules } = rulesFor([empty], []);
    expect(rules.filter).toEqual([
      '-A TSK-SERVICES -d 10.96.0.20/32 -p udp -m udp --dport 53 -m comment --comment "default/empty has no endpoints" -j REJECT --reject-with icmp-port-unreachable',
      '-A TSK-SERVICES -m addrtype --dst-type LOCAL -p udp -m udp --dport 30053 -m comment --comment "default/empty has no endpoints" -j REJECT --reject-with icmp-port-unreachable',
    ]);
    expect(rules.natChains).toEqual(['TSK-SERVICES', 'TSK-NODEPORTS']);
    expect(rules.nat).toHaveLength(1);
  });

  it('pins a client to its endpoint with -m recent for ClientIP affinity', () => {
    const { ports, rules } = rulesFor([svc('sticky', { clusterIP: '10.96.0.30', ports: [{ port: 80 }], sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } } })], [slice('sticky', 's', [{ port: 80, protocol: 'TCP' }], [ep('10.244.1.2'), ep('10.244.1.3')])]);
    const p = ports[0]!;
    const [a, b] = p.endpoints.map((e) => sepChain('TSK', p, e));
    const s = rules.nat.filter((r) => r.startsWith(`-A ${svcChain('TSK', p)} `));
    expect(s[1]).toBe(`-A ${svcChain('TSK', p)} -m comment --comment "default/sticky -> 10.244.1.2:80" -m recent --name ${a} --rcheck --seconds 600 --reap -j ${a}`);
    expect(s[2]).toContain(`--rcheck --seconds 600 --reap -j ${b}`);
    expect(s[3]).toContain('--probability 0.5000000000');
    expect(rules.nat).toContain(`-A ${a} -p tcp -m tcp -m comment --comment "default/sticky" -m recent --name ${a} --set -j DNAT --to-destination 10.244.1.2:80`);
  });

  it('is deterministic, and fits chain names under 28 characters with a longer prefix', () => {
    const one = rulesFor([web, empty], [webSlice]).rules;
    const two = rulesFor([empty, web], [webSlice]).rules;
    expect(two).toEqual(one);
    const long = buildServiceRules('TEABCD', CLUSTER, servicePorts([web], [webSlice]));
    for (const ch of long.natChains) expect(ch.length).toBeLessThanOrEqual(28);
    expect(() => buildServiceRules('WAYTOOLONGPREFIX', CLUSTER, servicePorts([web], [webSlice]))).toThrow(/too long/);
  });
});

describe('restore plan', () => {
  const web = svc('web', { clusterIP: '10.96.0.10', ports: [{ port: 80 }] });
  const webSlice = (ips: string[]) => slice('web', 'w', [{ port: 8080, protocol: 'TCP' }], ips.map((ip) => ep(ip)));

  it('on a node without service rules: declares every chain, adds the jumps, the filter one before the node forward chain', () => {
    const { rules } = rulesFor([web], [webSlice(['10.244.1.2'])]);
    const saved = parseIptablesSave(`*filter
:FORWARD ACCEPT [0:0]
:TSK-FORWARD - [0:0]
-A FORWARD -m comment --comment "tskube forward" -j TSK-FORWARD
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
COMMIT
`);
    const plan = restorePlan('TSK', rules, saved);
    expect(plan.tables.nat.slice(0, rules.natChains.length)).toEqual(rules.natChains.map((c) => `:${c} - [0:0]`));
    expect(plan.tables.nat).toContain('-A PREROUTING -m comment --comment "tskube service portals" -j TSK-SERVICES');
    expect(plan.tables.nat).toContain('-A OUTPUT -m comment --comment "tskube service portals" -j TSK-SERVICES');
    expect(plan.tables.filter).toContain('-I FORWARD 1 -m conntrack --ctstate NEW -m comment --comment "tskube service rejects" -j TSK-SERVICES');
    expect(plan.tables.filter).toContain('-A INPUT -m conntrack --ctstate NEW -m comment --comment "tskube service rejects" -j TSK-SERVICES');
    expect(plan.jumpsAdded).toEqual(['nat PREROUTING', 'nat OUTPUT', 'filter INPUT', 'filter FORWARD', 'filter OUTPUT']);
    expect(plan.staleChains).toEqual([]);
  });

  it('once applied, the same state adds no jump and deletes nothing; a removed endpoint and a removed service leave stale chains that are deleted', () => {
    const two = rulesFor([web], [webSlice(['10.244.1.2', '10.244.1.3'])]);
    // What iptables-save would show after applying `two`.
    const savedText = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:TSK-SERVICES - [0:0]
:TSK-FORWARD - [0:0]
-A INPUT -m conntrack --ctstate NEW -m comment --comment "tskube service rejects" -j TSK-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "tskube service rejects" -j TSK-SERVICES
-A FORWARD -m comment --comment "tskube forward" -j TSK-FORWARD
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "tskube service rejects" -j TSK-SERVICES
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:TSK-HOSTPORTS - [0:0]
${two.rules.natChains.map((c) => `:${c} - [0:0]`).join('\n')}
-A PREROUTING -m comment --comment "tskube service portals" -j TSK-SERVICES
-A OUTPUT -m comment --comment "tskube service portals" -j TSK-SERVICES
${two.rules.nat.join('\n')}
COMMIT
`;
    const saved = parseIptablesSave(savedText);
    const again = restorePlan('TSK', two.rules, saved);
    expect(again.jumpsAdded).toEqual([]);
    expect(again.staleChains).toEqual([]);
    expect(again.tables.nat.filter((l) => l.startsWith('-X') || l.startsWith('-D'))).toEqual([]);

    const one = rulesFor([web], [webSlice(['10.244.1.2'])]);
    const gone = sepChain('TSK', two.ports[0]!, { ip: '10.244.1.3', port: 8080 });
    const shrink = restorePlan('TSK', one.rules, saved);
    expect(shrink.staleChains).toEqual([gone]);
    // Declared (flushed) with the others, deleted after the rules that referred to it are rewritten.
    expect(shrink.tables.nat).toContain(`:${gone} - [0:0]`);
    expect(shrink.tables.nat.at(-1)).toBe(`-X ${gone}`);
    expect(shrink.tables.nat.join('\n')).not.toContain(`-j ${gone}`);

    const none = restorePlan('TSK', rulesFor([], []).rules, saved);
    expect(none.staleChains.sort()).toEqual(two.rules.natChains.filter((c) => c.startsWith('TSK-S') && c !== 'TSK-SERVICES').sort());
    // The node's own chains are never touched.
    expect(none.tables.nat.join('\n')).not.toContain('TSK-HOSTPORTS');
  });

  it('moves the filter FORWARD jump back in front of the node forward chain', () => {
    const saved = parseIptablesSave(`*filter
:FORWARD ACCEPT [0:0]
-A FORWARD -m comment --comment "tskube forward" -j TSK-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "tskube service rejects" -j TSK-SERVICES
COMMIT
`);
    const plan = restorePlan('TSK', rulesFor([], []).rules, saved);
    expect(plan.tables.filter).toContain('-D FORWARD -m conntrack --ctstate NEW -m comment --comment "tskube service rejects" -j TSK-SERVICES');
    expect(plan.tables.filter).toContain('-I FORWARD 1 -m conntrack --ctstate NEW -m comment --comment "tskube service rejects" -j TSK-SERVICES');
  });
});
