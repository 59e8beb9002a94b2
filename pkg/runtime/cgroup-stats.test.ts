import { describe, expect, it } from 'vitest';
import { parseKeyValues, statsFromV1, statsFromV2 } from './cgroup-stats.js';

describe('cgroup stats', () => {
  it('reads v1 files: ticks become nanoseconds, an unlimited memory limit is 0, no quota is 0', () => {
    const s = statsFromV1({
      'cpuacct.usage': '1500000000\n',
      'cpuacct.stat': 'user 100\nsystem 20\n',
      'cpu.stat': 'nr_periods 40\nnr_throttled 30\nthrottled_time 2500000000\n',
      'cpu.cfs_quota_us': '-1\n',
      'cpu.cfs_period_us': '100000\n',
      'cpu.shares': '51\n',
      'memory.usage_in_bytes': '10485760\n',
      'memory.limit_in_bytes': '9223372036854771712\n',
      'memory.stat': 'cache 1\nrss 2\ntotal_cache 4194304\ntotal_rss 5242880\ntotal_inactive_file 1048576\n',
    });
    expect(s).toEqual({
      cpuNs: 1.5e9, cpuUserNs: 1e9, cpuSystemNs: 2e8, cfsPeriods: 40, cfsThrottledPeriods: 30, cfsThrottledNs: 2.5e9,
      memoryUsageBytes: 10485760, memoryWorkingSetBytes: 9437184, memoryRssBytes: 5242880, memoryCacheBytes: 4194304,
      memoryLimitBytes: 0, cpuQuotaUs: 0, cpuPeriodUs: 100000, cpuShares: 51,
    });
    expect(statsFromV1({ 'cpuacct.usage': '1', 'memory.limit_in_bytes': '67108864', 'cpu.cfs_quota_us': '5000' })).toMatchObject({ memoryLimitBytes: 67108864, cpuQuotaUs: 5000 });
  });

  it('reads v2 files: microseconds become nanoseconds, max is unlimited, cpu.weight becomes shares', () => {
    const s = statsFromV2({
      'cpu.stat': 'usage_usec 2000\nuser_usec 1500\nsystem_usec 500\nnr_periods 10\nnr_throttled 4\nthrottled_usec 300\n',
      'cpu.max': '5000 100000\n',
      'cpu.weight': '2\n',
      'memory.current': '8192\n',
      'memory.stat': 'anon 4096\nfile 2048\ninactive_file 1024\n',
      'memory.max': 'max\n',
    });
    expect(s).toEqual({
      cpuNs: 2e6, cpuUserNs: 1.5e6, cpuSystemNs: 5e5, cfsPeriods: 10, cfsThrottledPeriods: 4, cfsThrottledNs: 3e5,
      memoryUsageBytes: 8192, memoryWorkingSetBytes: 7168, memoryRssBytes: 4096, memoryCacheBytes: 2048,
      memoryLimitBytes: 0, cpuQuotaUs: 5000, cpuPeriodUs: 100000, cpuShares: 28,
    });
    // (runc's weight for 1024 shares is 39, which converts back to 998: the conversion rounds)
    expect(statsFromV2({ 'cpu.weight': '39', 'cpu.max': 'max 100000', 'memory.max': '1048576' })).toMatchObject({ cpuShares: 998, cpuQuotaUs: 0, memoryLimitBytes: 1048576 });
  });

  it('parses key-value files, skipping what is not a number', () => {
    expect([...parseKeyValues('a 1\nb x\n\n c  22 \n')]).toEqual([['a', 1], ['c', 22]]);
  });
});
