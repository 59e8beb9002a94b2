import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '../api/types.js';
import { containerEnv } from './container-config.js';
import { resourceFieldValue } from './downward-resources.js';

const c: Container = { name: 'main', image: 'x', resources: { requests: { cpu: '250m', memory: '32Mi' }, limits: { cpu: '500m', memory: '64Mi' } } };
const allocatable = { cpu: '2', memory: '8064Mi', 'ephemeral-storage': '9Gi' };

describe('the downward API\'s resourceFieldRef (the kubelet\'s values)', () => {
  it('divides by the divisor and rounds up; cpu counts in cores by default', () => {
    expect(resourceFieldValue(c, 'limits.cpu', undefined)).toBe('1');
    expect(resourceFieldValue(c, 'limits.cpu', '1m')).toBe('500');
    expect(resourceFieldValue(c, 'requests.cpu', '1m')).toBe('250');
    expect(resourceFieldValue(c, 'requests.memory', '1Mi')).toBe('32');
    expect(resourceFieldValue(c, 'limits.memory', undefined)).toBe(String(64 * 1024 * 1024));
    expect(resourceFieldValue(c, 'limits.memory', '1Gi')).toBe('1');
  });

  it('a limit the container does not set is the node\'s allocatable amount; a request it does not set is 0', () => {
    const bare: Container = { name: 'b', image: 'x' };
    expect(resourceFieldValue(bare, 'limits.cpu', '1m', allocatable)).toBe('2000');
    expect(resourceFieldValue(bare, 'limits.memory', '1Mi', allocatable)).toBe('8064');
    expect(resourceFieldValue(bare, 'limits.ephemeral-storage', '1Gi', allocatable)).toBe('9');
    expect(resourceFieldValue(bare, 'requests.cpu', '1m', allocatable)).toBe('0');
  });

  it('reaches env, for this container or the one named', () => {
    const pod = { metadata: { name: 'p', namespace: 'default' }, spec: { containers: [c, { name: 'side', image: 'x' }] } } as Pod;
    const env = containerEnv(pod, { ...c, env: [
      { name: 'CPU_M', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
      { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'requests.memory', divisor: '1Mi' } } },
      { name: 'SIDE_MEM', valueFrom: { resourceFieldRef: { containerName: 'side', resource: 'limits.memory', divisor: '1Mi' } } },
    ] }, 'n1', '10.0.0.1', '10.1.0.2', undefined, undefined, () => allocatable);
    expect([env.get('CPU_M'), env.get('MEM_MI'), env.get('SIDE_MEM')]).toEqual(['500', '32', '8064']);
  });
});

describe('resourceFieldRef edge cases', () => {
  it('a zero limit is the allocatable amount too (cpu, memory, ephemeral-storage only); a zero divisor counts as 1; a container named but missing is an error', () => {
    const zero: Container = { name: 'z', image: 'x', resources: { limits: { memory: '0', 'hugepages-2Mi': '0' } } };
    expect(resourceFieldValue(zero, 'limits.memory', '1Mi', allocatable)).toBe('8064');
    expect(resourceFieldValue(zero, 'limits.hugepages-2Mi', undefined, { ...allocatable, 'hugepages-2Mi': '1Gi' })).toBe('0');
    expect(resourceFieldValue(c, 'requests.memory', '0Mi')).toBe(String(32 * 1024 * 1024));
    const pod = { metadata: { name: 'p', namespace: 'default' }, spec: { containers: [c] } } as Pod;
    expect(() => containerEnv(pod, { ...c, env: [{ name: 'X', valueFrom: { resourceFieldRef: { containerName: 'nope', resource: 'limits.cpu' } } }] }, 'n1', '10.0.0.1', '10.1.0.2')).toThrow('container nope not found');
  });
});
