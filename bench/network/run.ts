// bench/network: pod network setup and teardown time (median, p99 over --pods pods, with and
// without a hostPort), setup time as one node fills from 10 to --grow pods, and wall time of
// --concurrent setups at once. Runs in a throwaway node network namespace (as root); writes
// bench/results/network.json and prints it.
//   npx vite-node bench/network/run.ts [--pods 100] [--grow 200] [--concurrent 50] [--backend netlink|iproute2]
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cleanupNode, PodNetwork, type HostPortMapping } from '../../pkg/network/index.js';
import { run } from '../../pkg/util/exec.js';
import { parseFlags } from '../../pkg/util/flags.js';

const { flags } = parseFlags(
  {
    pods: { type: 'number', default: 100, help: 'pods for the setup/teardown latency figures' },
    grow: { type: 'number', default: 200, help: 'pods on one node for the growth curve' },
    concurrent: { type: 'number', default: 50, help: 'setups started at once' },
    backend: { type: 'string', default: 'netlink', help: 'link backend: netlink or iproute2' },
    out: { type: 'string', default: 'bench/results/network.json', help: 'result file' },
  },
  process.argv.slice(2),
);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const round = (x: number) => Math.round(x * 100) / 100;
const summary = (xs: number[]) => ({ n: xs.length, medianMs: round(pct(xs, 50)), p99Ms: round(pct(xs, 99)), maxMs: round(Math.max(...xs)) });

const id = randomBytes(3).toString('hex');
const nsName = (role: string) => `tsknb-${id}-${role}`;
const created: string[] = [];

async function makeNetns(roles: string[]): Promise<string[]> {
  const names = roles.map(nsName);
  created.push(...names);
  await run('ip', ['-batch', '-'], { input: names.map((n) => `netns add ${n}`).join('\n') + '\n' });
  return names.map((n) => `/run/netns/${n}`);
}

async function dropNetns(paths: string[]): Promise<void> {
  const names = paths.map((p) => p.split('/').pop()!);
  await run('ip', ['-force', '-batch', '-'], { input: names.map((n) => `netns del ${n}`).join('\n') + '\n', allowFailure: true });
  for (const n of names) created.splice(created.indexOf(n), 1);
}

async function timed<T>(fn: () => Promise<T>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Sequential setups then sequential teardowns of n pods; returns both latency lists. */
async function setupTeardown(net: PodNetwork, label: string, n: number, hostPorts?: (i: number) => HostPortMapping[]) {
  const paths = await makeNetns(Array.from({ length: n }, (_, i) => `${label}${i}`));
  const setup: number[] = [];
  const teardown: number[] = [];
  for (let i = 0; i < n; i++) setup.push(await timed(() => net.setupPod({ sandboxId: `${id}-${label}${i}`, netnsPath: paths[i]!, hostPorts: hostPorts?.(i) })));
  for (let i = 0; i < n; i++) teardown.push(await timed(() => net.teardownPod(`${id}-${label}${i}`)));
  await dropNetns(paths);
  return { setup, teardown };
}

async function main(): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'tsknb-state-'));
  const [node] = await makeNetns(['node']);
  const result: Record<string, unknown> = { date: new Date().toISOString(), machine: { cores: cpus().length, node: process.version }, netnsExec: process.env.TSKUBE_NETNS_EXEC === 'nsenter' ? 'nsenter' : 'setns', backend: flags.backend };
  try {
    if (flags.backend !== 'netlink' && flags.backend !== 'iproute2') throw new Error(`--backend ${flags.backend}: want netlink or iproute2`);
    const net = new PodNetwork({ clusterCIDR: '10.240.0.0/12', podCIDR: '10.240.0.0/23', nodeNetns: node, stateDir, backend: flags.backend });
    result.ensureNodeMs = round(await timed(() => net.ensureNode()));

    // Warm-up (first spawns, JIT), not counted.
    await setupTeardown(net, 'warm', 5);

    const plain = await setupTeardown(net, 'p', flags.pods);
    result.pods = { setup: summary(plain.setup), teardown: summary(plain.teardown) };
    const hp = await setupTeardown(net, 'h', flags.pods, (i) => [{ containerPort: 80, hostPort: 20000 + i }]);
    result.podsWithHostPort = { setup: summary(hp.setup), teardown: summary(hp.teardown) };

    // Growth: setup latency of the 10 pods that bring the node to each size.
    const paths = await makeNetns(Array.from({ length: flags.grow }, (_, i) => `g${i}`));
    const each: number[] = [];
    for (let i = 0; i < flags.grow; i++) each.push(await timed(() => net.setupPod({ sandboxId: `${id}-g${i}`, netnsPath: paths[i]! })));
    const growth: { pods: number; setupMedianMs: number; setupMaxMs: number }[] = [];
    for (const size of [10, 25, 50, 100, 150, 200, 250, 300, 400, 500].filter((s) => s <= flags.grow)) {
      const window = each.slice(size - 10, size);
      growth.push({ pods: size, setupMedianMs: round(pct(window, 50)), setupMaxMs: round(Math.max(...window)) });
    }
    result.growth = growth;
    const gcMs = await timed(() => net.gc(Array.from({ length: flags.grow }, (_, i) => `${id}-g${i}`)));
    result.gcWithNoLeaksMs = round(gcMs);
    const td: number[] = [];
    for (let i = 0; i < flags.grow; i++) td.push(await timed(() => net.teardownPod(`${id}-g${i}`)));
    result.growthTeardown = summary(td);
    await dropNetns(paths);

    // Burst: many setups at once (as after an agent restart), wall clock and per-setup latency.
    const cpaths = await makeNetns(Array.from({ length: flags.concurrent }, (_, i) => `c${i}`));
    const lat: number[] = [];
    const t0 = performance.now();
    await Promise.all(cpaths.map((p, i) => timed(() => net.setupPod({ sandboxId: `${id}-c${i}`, netnsPath: p })).then((ms) => lat.push(ms))));
    const wall = performance.now() - t0;
    result.concurrent = { pods: flags.concurrent, wallMs: round(wall), podsPerSecond: round((flags.concurrent / wall) * 1000), latency: summary(lat) };
    await Promise.all(cpaths.map((_, i) => net.teardownPod(`${id}-c${i}`)));
    await dropNetns(cpaths);
  } finally {
    await cleanupNode({ nodeNetns: node, stateDir }).catch((e) => console.error(`cleanup: ${e}`));
    await dropNetns(created.map((n) => `/run/netns/${n}`));
    rmSync(stateDir, { recursive: true, force: true });
  }
  mkdirSync(dirname(flags.out), { recursive: true });
  writeFileSync(flags.out, JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
