// The controller manager's defaults that users see as its flags' defaults, as 1.32's.
import { describe, expect, it } from 'vitest';
import { defaultControllerConfig } from './manager.js';

describe('controller manager defaults', () => {
  it('gives a node 50 s without a lease renewal before it is Unknown (1.32 raised --node-monitor-grace-period from 40 s), checked every 5 s', () => {
    expect(defaultControllerConfig.nodeMonitorGracePeriodMs).toBe(50_000);
    expect(defaultControllerConfig.nodeMonitorPeriodMs).toBe(5_000);
  });
});
