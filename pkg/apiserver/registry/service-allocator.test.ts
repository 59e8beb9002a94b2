import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.js';
import { ApiError } from '../errors.js';
import { NODE_PORT_PREFIX, parsePortRange, pickFree, rangeOffset, SERVICE_IP_PREFIX, ServiceAllocator } from './service-allocator.js';

/** An allocator over a fake key store: `taken` is what etcd holds. */
function allocator(cidr = '10.96.0.0/28', ports = '30000-30009', taken: string[] = []) {
  return new ServiceAllocator(cidr, parsePortRange(ports), async (prefix) => taken.filter((k) => k.startsWith(prefix)));
}
const svc = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 's', namespace: 'd' }, spec: { ports: [{ port: 80 }], ...spec } });
const rejection = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
};

describe('service allocator', () => {
  it('parses ranges and keeps the lower band for requested values', () => {
    expect(parsePortRange('30000-32767')).toEqual({ min: 30000, max: 32767 });
    expect(() => parsePortRange('3-2')).toThrow(/invalid port range/);
    expect(rangeOffset(14)).toBe(0);
    expect(rangeOffset(65534)).toBe(256);
    expect(rangeOffset(2768)).toBe(173);
    // Random picks land in the upper band while it has room, then anywhere.
    const picks = Array.from({ length: 50 }, () => pickFree(100, () => false)!);
    expect(Math.min(...picks)).toBeGreaterThanOrEqual(16);
    expect(pickFree(100, (i) => i >= 16)).toBeLessThan(16);
    expect(pickFree(100, () => true)).toBeUndefined();
  });

  it('picks a health check node port for LoadBalancer + Local, apart from the node ports, and checks a requested one', async () => {
    const a = allocator('10.96.0.0/28', '30000-30002');
    const s = svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 80 }, { port: 81 }] });
    const picked = await a.allocate(s, undefined, new Set());
    const spec = s.spec as { healthCheckNodePort: number; ports: { nodePort: number }[] };
    expect(new Set([spec.healthCheckNodePort, ...spec.ports.map((p) => p.nodePort)])).toEqual(new Set([30000, 30001, 30002]));
    expect(picked).toContain(NODE_PORT_PREFIX + spec.healthCheckNodePort);
    expect(a.keysOf(s)).toContain(NODE_PORT_PREFIX + spec.healthCheckNodePort);
    // Cluster policy: none.
    const cluster = svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: false });
    await allocator().allocate(cluster, undefined, new Set());
    expect((cluster.spec as { healthCheckNodePort?: number }).healthCheckNodePort).toBeUndefined();
    const out = await rejection(allocator().allocate(svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 40000 }), undefined, new Set()));
    expect(out.message).toContain('spec.healthCheckNodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-30009');
    const held = svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 30005, ports: [{ port: 80, nodePort: 30001 }] });
    expect(allocator().takenError(held, NODE_PORT_PREFIX + '30005', false).message).toContain('spec.healthCheckNodePort: Invalid value: 30005: provided port is already allocated');
  });

  it('picks a cluster IP and node ports for what is unset, and names their keys', async () => {
    const a = allocator();
    expect(a.firstIP).toBe('10.96.0.1');
    const s = svc({ type: 'NodePort', ports: [{ port: 80 }, { port: 81, nodePort: 30003 }] });
    const picked = await a.allocate(s, undefined, new Set());
    const spec = s.spec as { clusterIP: string; clusterIPs: string[]; ports: { nodePort: number }[] };
    expect(spec.clusterIPs).toEqual([spec.clusterIP]);
    expect(spec.ports[0]!.nodePort).not.toBe(30003);
    expect(a.keysOf(s)).toEqual([SERVICE_IP_PREFIX + spec.clusterIP, NODE_PORT_PREFIX + spec.ports[0]!.nodePort, NODE_PORT_PREFIX + 30003]);
    expect(picked).toEqual([SERVICE_IP_PREFIX + spec.clusterIP, NODE_PORT_PREFIX + spec.ports[0]!.nodePort]);
    // An update that keeps them allocates nothing new.
    expect(await a.allocate(structuredClone(s), s, new Set())).toEqual([]);
  });

  it('gives entries with the same port number one node port, as Kubernetes does (DNS on TCP and UDP)', async () => {
    const a = allocator();
    const s = svc({ type: 'NodePort', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }, { name: 'web', port: 80 }] });
    const picked = await a.allocate(s, undefined, new Set());
    const ports = (s.spec as { ports: { nodePort: number }[] }).ports;
    expect(ports[0]!.nodePort).toBe(ports[1]!.nodePort);
    expect(ports[2]!.nodePort).not.toBe(ports[0]!.nodePort);
    expect(picked.filter((k) => k.startsWith(NODE_PORT_PREFIX))).toEqual([NODE_PORT_PREFIX + ports[0]!.nodePort, NODE_PORT_PREFIX + ports[2]!.nodePort]);
    // A requested node port on one entry is shared by its twin that asks for none.
    const r = svc({ type: 'NodePort', ports: [{ name: 'u', port: 53, protocol: 'UDP' }, { name: 't', port: 53, protocol: 'TCP', nodePort: 30005 }] });
    await a.allocate(r, undefined, new Set());
    expect((r.spec as { ports: { nodePort: number }[] }).ports.map((p) => p.nodePort)).toEqual([30005, 30005]);
  });

  it('nothing for headless and ExternalName services', async () => {
    const a = allocator();
    const headless = svc({ clusterIP: 'None' });
    expect(await a.allocate(headless, undefined, new Set())).toEqual([]);
    expect(a.keysOf(headless)).toEqual([]);
    const ext = svc({ type: 'ExternalName', externalName: 'x.example', ports: [] });
    expect(await a.allocate(ext, undefined, new Set())).toEqual([]);
    expect(a.keysOf(ext)).toEqual([]);
  });

  it('checks requested values against the ranges with Kubernetes messages', async () => {
    const a = allocator();
    const far = await rejection(a.allocate(svc({ clusterIP: '10.96.0.15', clusterIPs: ['10.96.0.15'] }), undefined, new Set()));
    expect(far.message).toBe('Service "s" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.15"}: failed to allocate IP 10.96.0.15: the provided IP (10.96.0.15) is not in the valid range. The range of valid IPs is 10.96.0.0/28');
    const port = await rejection(a.allocate(svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] }), undefined, new Set()));
    expect(port.message).toBe('Service "s" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-30009');
    const taken = a.takenError(svc({ type: 'NodePort', ports: [{ port: 1, nodePort: 30001 }, { port: 2, nodePort: 30002 }] }), NODE_PORT_PREFIX + 30002, false);
    expect(taken.message).toBe('Service "s" is invalid: spec.ports[1].nodePort: Invalid value: 30002: provided port is already allocated');
    expect(a.takenError(svc({}), SERVICE_IP_PREFIX + '10.96.0.2', true).code).toBe(500);
  });

  it('after a clash, picks among what the store does not hold; a full range is a 500', async () => {
    const all = Array.from({ length: 14 }, (_, i) => SERVICE_IP_PREFIX + `10.96.0.${i + 1}`);
    const free = '10.96.0.7';
    const a = allocator('10.96.0.0/28', '30000-30009', all.filter((k) => k !== SERVICE_IP_PREFIX + free));
    const s = svc({ clusterIP: '10.96.0.3', clusterIPs: ['10.96.0.3'] });
    // 10.96.0.3 was picked earlier and found taken: it is replaced by the one free address.
    await a.allocate(s, undefined, new Set([SERVICE_IP_PREFIX + '10.96.0.3']));
    expect((s.spec as { clusterIP: string }).clusterIP).toBe(free);
    const full = allocator('10.96.0.0/28', '30000-30009', all);
    const e = await rejection(full.allocate(svc({ clusterIP: '10.96.0.3', clusterIPs: ['10.96.0.3'] }), undefined, new Set([SERVICE_IP_PREFIX + '10.96.0.3'])));
    expect(e.message).toBe('Internal error occurred: failed to allocate a serviceIP: range is full');
  });
});
