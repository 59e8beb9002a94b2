import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { containerEnv } from './container-config.js';
import { serviceEnv } from './service-env.js';

const services = [
  { metadata: { name: 'kubernetes', namespace: 'default' }, spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] } },
  { metadata: { name: 'redis-primary', namespace: 'shop' }, spec: { clusterIP: '10.96.0.30', ports: [{ port: 6379 }, { name: 'metrics', port: 9121, protocol: 'TCP' }] } },
  { metadata: { name: 'dns', namespace: 'shop' }, spec: { clusterIP: '10.96.0.40', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] } },
  { metadata: { name: 'headless', namespace: 'shop' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } },
  { metadata: { name: 'elsewhere', namespace: 'other' }, spec: { clusterIP: '10.96.0.50', ports: [{ port: 80 }] } },
];

describe('service environment variables', () => {
  it('are the kubelet\'s: host and ports, named ports, and Docker link variables', () => {
    const env = serviceEnv(services, 'shop');
    expect(Object.fromEntries(env)).toMatchObject({
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_PORT_HTTPS: '443',
      KUBERNETES_PORT: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
      KUBERNETES_PORT_443_TCP_PORT: '443',
      KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
      REDIS_PRIMARY_SERVICE_HOST: '10.96.0.30',
      REDIS_PRIMARY_SERVICE_PORT: '6379',
      REDIS_PRIMARY_SERVICE_PORT_METRICS: '9121',
      REDIS_PRIMARY_PORT: 'tcp://10.96.0.30:6379',
      REDIS_PRIMARY_PORT_9121_TCP_ADDR: '10.96.0.30',
      DNS_PORT: 'udp://10.96.0.40:53',
      DNS_PORT_53_UDP_PROTO: 'udp',
    });
    // Headless services and other namespaces give nothing.
    expect([...env.keys()].filter((k) => k.startsWith('HEADLESS') || k.startsWith('ELSEWHERE'))).toEqual([]);
  });

  it('without service links only the kubernetes service is given', () => {
    expect(new Set([...serviceEnv(services, 'shop', false).keys()].map((k) => k.split('_')[0]))).toEqual(new Set(['KUBERNETES']));
  });

  it('never replace a container\'s own variable, and $(VAR) may name them', () => {
    const pod = { metadata: { name: 'p', namespace: 'shop' }, spec: { containers: [] } } as unknown as Pod;
    const c = { name: 'c', env: [{ name: 'REDIS_PRIMARY_SERVICE_HOST', value: 'mine' }, { name: 'URL', value: 'redis://$(REDIS_PRIMARY_SERVICE_HOST):$(REDIS_PRIMARY_SERVICE_PORT)' }] };
    const env = containerEnv(pod, c, 'n', '10.0.0.1', '10.244.0.5', undefined, serviceEnv(services, 'shop'));
    expect(env.get('REDIS_PRIMARY_SERVICE_HOST')).toBe('mine');
    expect(env.get('URL')).toBe('redis://mine:6379');
    expect(env.get('KUBERNETES_SERVICE_HOST')).toBe('10.96.0.1');
  });

  it('a service named kubernetes in the pod\'s own namespace wins over default\'s, in either order (the kubelet\'s serviceMap)', () => {
    const own = { metadata: { name: 'kubernetes', namespace: 'shop' }, spec: { clusterIP: '10.96.0.77', ports: [{ port: 8080 }] } };
    for (const list of [[services[0]!, own], [own, services[0]!]]) {
      const env = serviceEnv(list, 'shop');
      expect(env.get('KUBERNETES_SERVICE_HOST')).toBe('10.96.0.77');
      expect(env.get('KUBERNETES_SERVICE_PORT')).toBe('8080');
      // None of default's variables mixed in.
      expect(env.has('KUBERNETES_SERVICE_PORT_HTTPS')).toBe(false);
      expect(env.has('KUBERNETES_PORT_443_TCP')).toBe(false);
    }
    // Without service links, default's is the one.
    expect(serviceEnv([own, services[0]!], 'shop', false).get('KUBERNETES_SERVICE_HOST')).toBe('10.96.0.1');
  });
});
