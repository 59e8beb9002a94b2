import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Unit tests that measure the process they run in (heap, RSS, event-loop delay): they run with
 * the integration suites, alone and in a fresh process.
 */
const ISOLATED_UNIT_FILES = ['pkg/util/memory-reducer.test.ts'];

/** Where the suites that run nodes live: runc containers, network namespaces, iptables, the tsk0 bridge. */
const NODE_DIRS = ['test/nodeagent', 'test/network', 'test/runtime', 'test/lab'];

/**
 * Whether a test file starts a node: a test cluster, or `tsctl up` with its node agent (one of
 * its default components; an up whose every `--components` list leaves `nodeagent` out starts
 * only control-plane processes).
 */
function startsNode(source: string): boolean {
  if (/\bstartCluster\(/.test(source)) return true;
  if (!/\['up'|'up',/.test(source)) return false;
  const lists = [...source.matchAll(/'--components',\s*'([^']*)'/g)].map((m) => m[1]!.split(','));
  return lists.length === 0 || lists.some((l) => l.includes('nodeagent'));
}

/**
 * Integration files that start only control planes (etcd, apiserver, controllers, kubectl as a
 * client) on loopback ports of their own: they share no kernel state, so scripts/test.sh runs them
 * two at a time. A file elsewhere that starts a node (startsNode) runs with the node suites, one
 * at a time.
 */
const ROOT = dirname(fileURLToPath(import.meta.url));
const CONTROL_PLANE_FILES = (readdirSync(join(ROOT, 'test'), { recursive: true }) as string[])
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => `test/${f}`)
  .filter((f) => !NODE_DIRS.some((d) => f.startsWith(`${d}/`)))
  .filter((f) => !startsNode(readFileSync(join(ROOT, f), 'utf8')))
  .sort();

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One file at a time, each in a fresh process, unless asked (scripts/test.sh).
    fileParallelism: false,
    // Components log JSON at info; tests keep warnings and errors only (TSKUBE_LOG_LEVEL overrides).
    env: { TSKUBE_LOG_LEVEL: process.env.TSKUBE_LOG_LEVEL ?? 'warn' },
    projects: [
      {
        extends: true,
        test: {
          // Unit tests: fakes only, no etcd, runc or network namespaces. scripts/test.sh runs them
          // two files at a time in reused workers (--no-isolate; a project's own isolate setting
          // is not honoured by vitest 3.2's forks pool).
          name: 'unit',
          include: ['pkg/**/*.test.ts', 'cmd/**/*.test.ts'],
          exclude: [...ISOLATED_UNIT_FILES, ...configDefaults.exclude],
        },
      },
      {
        extends: true,
        test: {
          name: 'control-plane',
          include: CONTROL_PLANE_FILES,
          globalSetup: ['test/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          // Integration suites that start etcd, runc containers and network namespaces; running
          // files one at a time, each in a fresh process, keeps them from fighting over 2 cores and
          // shared kernel state.
          name: 'integration',
          include: ['test/**/*.test.ts', ...ISOLATED_UNIT_FILES],
          exclude: [...CONTROL_PLANE_FILES, ...configDefaults.exclude],
          // Sweeps what killed earlier runs left (their iptables rules would catch this run's Service traffic).
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
