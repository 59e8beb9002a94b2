import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['pkg/**/*.test.ts', 'cmd/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites start etcd, runc containers and network namespaces; running files
    // one at a time keeps them from fighting over 2 cores and shared kernel state.
    fileParallelism: false,
    pool: 'forks',
    // Sweeps what killed earlier runs left (their iptables rules would catch this run's Service traffic).
    globalSetup: ['test/global-setup.ts'],
    // Components log JSON at info; tests keep warnings and errors only (TSKUBE_LOG_LEVEL overrides).
    env: { TSKUBE_LOG_LEVEL: process.env.TSKUBE_LOG_LEVEL ?? 'warn' },
  },
});
