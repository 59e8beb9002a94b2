import { describe, expect, it } from 'vitest';
import { parseFlags } from '../util/flags.js';
import { secureServingFlags, startDelegatedServing } from './delegated-serving.js';

const flagsOf = (...args: string[]) => parseFlags(secureServingFlags(10259), args).flags;

describe('the secure serving flags', () => {
  it("take 1.32's defaults: 0.0.0.0, /healthz,/readyz,/livez always allowed, no kubeconfigs", () => {
    expect(flagsOf()).toMatchObject({ 'secure-port': 10259, 'bind-address': '0.0.0.0', 'authorization-always-allow-paths': ['/healthz', '/readyz', '/livez'], 'authentication-kubeconfig': '', 'authorization-kubeconfig': '' });
    expect(flagsOf('--authorization-always-allow-paths', '/healthz,/metrics')['authorization-always-allow-paths']).toEqual(['/healthz', '/metrics']);
  });

  it("--secure-port 0 serves nothing; out of range is SecureServingOptions.Validate's error", async () => {
    expect(await startDelegatedServing(flagsOf('--secure-port', '0'), { pairName: 'kube-scheduler', userAgent: 'test' })).toBeUndefined();
    for (const p of ['-1', '65536']) await expect(startDelegatedServing(flagsOf('--secure-port', p), { pairName: 'kube-scheduler', userAgent: 'test' })).rejects.toThrow(`--secure-port ${p} must be between 0 and 65535, inclusive. 0 for turning off secure port`);
  });
});
