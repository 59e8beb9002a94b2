// Argument checking of PodNetwork, before any kernel work (the wiring itself is tested on the
// real kernel in test/network).
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { PodNetwork } from './pod-network.js';

const base = { clusterCIDR: '10.244.0.0/16', podCIDR: '10.244.3.0/24', stateDir: '/nonexistent/tsk-unit' };

describe('PodNetwork configuration', () => {
  it('derives the gateway and prefix from the podCIDR', () => {
    const net = new PodNetwork(base);
    expect([net.gateway, net.prefix, net.bridge, net.chainPrefix, net.podInterface]).toEqual(['10.244.3.1', 24, 'tsk0', 'TSK', 'eth0']);
    expect(new PodNetwork({ ...base, backend: 'iproute2' }).backend).toBe('iproute2');
  });
  it('rejects a podCIDR outside the cluster CIDR, host bits, and bad bridge names', () => {
    expect(() => new PodNetwork({ ...base, podCIDR: '10.245.0.0/24' })).toThrow(/not inside clusterCIDR/);
    expect(() => new PodNetwork({ ...base, podCIDR: '10.244.3.1/24' })).toThrow(/host bits/);
    expect(() => new PodNetwork({ ...base, bridgeName: 'a-very-long-bridge-name' })).toThrow(InvalidArgumentError);
  });
  it('rejects bad setup requests before touching anything', async () => {
    const net = new PodNetwork(base);
    await expect(net.setupPod({ sandboxId: 'bad id', netnsPath: '/run/netns/x' })).rejects.toThrow(/invalid sandbox id/);
    await expect(net.setupPod({ sandboxId: 'ok', netnsPath: 'relative' })).rejects.toThrow(/not absolute/);
    await expect(net.setupPod({ sandboxId: 'ok', netnsPath: '/run/netns/x', hostPorts: [{ containerPort: 80, hostPort: 70000 }] })).rejects.toThrow(/hostPort 70000/);
    await expect(net.teardownPod('a"b')).rejects.toThrow(InvalidArgumentError);
  });
});
