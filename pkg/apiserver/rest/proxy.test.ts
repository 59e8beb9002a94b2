import { describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { dialErrorText, matchProxyPath, podUpstream, proxyable, serviceUpstream } from './proxy.js';

describe('dialErrorText', () => {
  it('says a refused connection in Go\'s words, as 1.32\'s "error trying to reach service: dial tcp ..." does', async () => {
    // a loopback port nothing listens on (port 1, tcpmux, is not served here)
    const e = await new Promise<Error>((resolve) => connect({ host: '127.0.0.1', port: 1 }).on('error', resolve));
    expect(dialErrorText(e)).toBe('dial tcp 127.0.0.1:1: connect: connection refused');
    expect(dialErrorText(Object.assign(new Error('connect EHOSTUNREACH 10.244.0.9:80'), { code: 'EHOSTUNREACH', syscall: 'connect', address: '10.244.0.9', port: 80 }))).toBe('dial tcp 10.244.0.9:80: connect: no route to host');
    expect(dialErrorText(new Error('i/o timeout'))).toBe('i/o timeout');
  });
});

describe('matchProxyPath', () => {
  it('reads NAME, NAME:PORT and SCHEME:NAME:PORT, and the path after /proxy', () => {
    expect(matchProxyPath('/api/v1/namespaces/ns/pods/p/proxy')).toEqual({ resource: 'pods', namespace: 'ns', name: 'p', scheme: '', port: '', path: '/' });
    expect(matchProxyPath('/api/v1/namespaces/ns/services/s:http/proxy/a/b')).toMatchObject({ resource: 'services', name: 's', port: 'http', path: '/a/b' });
    expect(matchProxyPath('/api/v1/namespaces/ns/services/https:s:443/proxy/')).toMatchObject({ scheme: 'https', name: 's', port: '443', path: '/' });
    expect(matchProxyPath('/api/v1/nodes/n1:10250/proxy/metrics')).toMatchObject({ resource: 'nodes', namespace: undefined, name: 'n1', port: '10250', path: '/metrics' });
  });
  it('leaves other paths alone and refuses a bad scheme or too many parts', () => {
    expect(matchProxyPath('/api/v1/namespaces/ns/pods/p/log')).toBeUndefined();
    expect(matchProxyPath('/api/v1/namespaces/ns/configmaps/c/proxy')).toBeUndefined();
    expect(() => matchProxyPath('/api/v1/namespaces/ns/pods/ftp:p:21/proxy')).toThrow(/invalid service request "ftp:p:21"/);
    expect(() => matchProxyPath('/api/v1/namespaces/ns/pods/a:b:c:d/proxy')).toThrow(/invalid service request/);
  });
});

describe('upstreams', () => {
  const pod = { spec: { containers: [{ name: 'a' }, { name: 'b', ports: [{ containerPort: 8080, name: 'web' }, { containerPort: 9090 }] }] }, status: { podIP: '10.0.0.5' } };
  const req = (port = '', scheme: '' | 'http' | 'https' = '') => ({ resource: 'pods' as const, namespace: 'ns', name: 'p', scheme, port, path: '/' });
  it("picks a pod's first declared port, a named one, a number, or 80", () => {
    expect(podUpstream(pod, req())).toEqual({ scheme: 'http', host: '10.0.0.5', port: 8080 });
    expect(podUpstream(pod, req('web'))).toMatchObject({ port: 8080 });
    expect(podUpstream(pod, req('7000', 'https'))).toMatchObject({ scheme: 'https', port: 7000 });
    expect(podUpstream({ spec: { containers: [{ name: 'a' }] }, status: { podIP: '10.0.0.6' } }, req())).toMatchObject({ port: 80 });
    expect(() => podUpstream(pod, req('nope'))).toThrow(/no port named "nope"/);
    expect(() => podUpstream({ status: {} }, req())).toThrow(/no IP address yet/);
  });
  it("picks a ready endpoint of the Service port by name or number, at random", () => {
    const svc = { spec: { ports: [{ name: 'http', port: 80 }, { name: 'metrics', port: 9100 }] } };
    const eps = { subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ name: 'http', port: 8080 }, { name: 'metrics', port: 9102 }] }] };
    const s = (port: string) => ({ ...req(port), resource: 'services' as const, name: 's' });
    expect(serviceUpstream(svc, eps, s('http'), () => 0)).toEqual({ scheme: 'http', host: '10.0.0.1', port: 8080 });
    expect(serviceUpstream(svc, eps, s('9100'), () => 0.99)).toEqual({ scheme: 'http', host: '10.0.0.2', port: 9102 });
    expect(() => serviceUpstream(svc, eps, s(''))).toThrow(/no endpoints available for service "s"/);
    expect(() => serviceUpstream(svc, { subsets: [] }, s('http'))).toThrow(/no endpoints available/);
    expect(() => serviceUpstream({ spec: { type: 'ExternalName' } }, undefined, s(''))).toThrow(/ExternalName/);
  });
  it("says what the service's ResourceLocation says: no such port number, no endpoints, or none for the port asked", () => {
    const svc = { spec: { ports: [{ name: 'http', port: 80 }] } };
    const eps = { subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ name: 'http', port: 8080 }] }] };
    const s = (port: string, scheme: '' | 'http' | 'https' = '') => ({ ...req(port, scheme), resource: 'services' as const, name: 'web' });
    expect(() => serviceUpstream(svc, eps, s('8080'))).toThrow('no service port 8080 found for service "web"');
    // a single named port is not taken when no port is asked: the endpoints' unnamed port is
    expect(() => serviceUpstream(svc, eps, s(''))).toThrow('no endpoints available for service "web"');
    expect(() => serviceUpstream(svc, eps, s('metrics', 'https'))).toThrow('no endpoints available for service "https:web:metrics"');
    expect(serviceUpstream(svc, eps, s('http', 'http'))).toMatchObject({ host: '10.0.0.1', port: 8080 });
    const unnamed = { spec: { ports: [{ port: 80 }] } };
    expect(serviceUpstream(unnamed, { subsets: [{ addresses: [{ ip: '10.0.0.2' }], ports: [{ port: 8080 }] }] }, s(''))).toMatchObject({ host: '10.0.0.2', port: 8080 });
  });
  it('never dials loopback or link-local addresses for pods and Services (kube\'s IsProxyableIP)', () => {
    expect(['127.0.0.1', '127.1.2.3', '169.254.169.254', '224.0.0.1', '0.0.0.0'].filter(proxyable)).toEqual([]);
    expect(['10.244.0.5', '192.168.1.10'].every(proxyable)).toBe(true);
    expect(() => podUpstream({ spec: {}, status: { podIP: '127.0.0.1' } }, req())).toThrow(/address not allowed: 127.0.0.1/);
    const svc = { spec: { ports: [{ port: 80 }] } };
    const eps = { subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ port: 2379 }] }] };
    const s = { ...req(''), resource: 'services' as const };
    expect(() => serviceUpstream(svc, eps, s)).toThrow(/address not allowed/);
    // (webhook Services, which only admins configure, may point anywhere)
    expect(serviceUpstream(svc, eps, s, () => 0, true)).toMatchObject({ host: '127.0.0.1', port: 2379 });
  });
});
