// bench/secure-port: how long the scheduler and the controller manager take from their process
// start to their secure port answering /healthz, against an apiserver of their own (the built
// binaries, as tsctl up runs them): with a self-signed pair made in memory at every start (1.32's
// default, no --cert-dir) and with the pair kept under --cert-dir (as tsctl up passes
// DATA_DIR/pki), the runs of both ways alternated; and the CPU seconds each start has used by then.
//   npm run build && npx vite-node bench/secure-port/run.ts [--runs 9]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseFlags } from '../../pkg/util/flags.js';
import { freePort } from '../../test/helpers/ports.js';
import { cpuSeconds, runMain, writeResult } from '../common.js';

const { flags } = parseFlags({ runs: { type: 'number', default: 9, help: 'starts per component and way' }, out: { type: 'string', default: 'bench/results/secure-port.json', help: 'result file' } }, process.argv.slice(2));
const dist = resolve('dist');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The status of GET `path` over HTTPS on loopback, 0 when nothing answers. */
const status = (port: number, path: string) =>
  new Promise<number>((res) => {
    const req = request({ host: '127.0.0.1', port, path, rejectUnauthorized: false, agent: false, timeout: 500 }, (r) => {
      r.resume().on('end', () => res(r.statusCode ?? 0));
    });
    req.on('error', () => res(0)).on('timeout', () => {
      req.destroy();
      res(0);
    });
    req.end();
  });

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** One start: ms from spawn to /healthz 200, and the process's CPU seconds by then; stopped after. */
async function start(component: string, kubeconfig: string, extra: string[]): Promise<{ ms: number; cpu: number }> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(dist, `cmd/${component}/main.js`), '--kubeconfig', kubeconfig, '--bind-address', '127.0.0.1', '--secure-port', String(port), '--authentication-kubeconfig', kubeconfig, '--authorization-kubeconfig', kubeconfig, ...extra], { stdio: 'ignore' });
  try {
    while ((await status(port, '/healthz')) !== 200) {
      if (child.exitCode !== null) throw new Error(`${component} exited ${child.exitCode}`);
      await sleep(5);
    }
    return { ms: Math.round(performance.now() - t0), cpu: cpuSeconds(child.pid!) };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-bench-secure-port-'));
  const apiPort = await freePort();
  const api = spawn(process.execPath, [join(dist, 'cmd/apiserver/main.js'), '--data-dir', dir, '--bind-address', '127.0.0.1', '--advertise-address', '127.0.0.1', '--secure-port', String(apiPort), '--etcd-client-port', String(await freePort()), '--etcd-peer-port', String(await freePort()), '--grpc-port', '0'], { stdio: 'ignore' });
  try {
    while ((await status(apiPort, '/readyz')) !== 200) {
      if (api.exitCode !== null) throw new Error(`the apiserver exited ${api.exitCode}`);
      await sleep(100);
    }
    const result: Record<string, unknown> = { benchmark: 'secure-port: process start to /healthz on the secure port, a pair made in memory at each start vs one kept under --cert-dir', date: new Date().toISOString(), machine: { cpus: cpus().length, node: process.version }, runs: flags.runs, unit: 'ms' };
    for (const component of ['scheduler', 'controller-manager']) {
      const kubeconfig = join(dir, `${component}.kubeconfig`);
      const kept = ['--cert-dir', join(dir, 'pki')];
      await start(component, kubeconfig, kept); // (the kept pair made once)
      const ways = { inMemory: [] as { ms: number; cpu: number }[], keptPair: [] as { ms: number; cpu: number }[] };
      for (let i = 0; i < flags.runs; i++) {
        ways.inMemory.push(await start(component, kubeconfig, []));
        ways.keptPair.push(await start(component, kubeconfig, kept));
      }
      result[component] = Object.fromEntries(Object.entries(ways).map(([k, v]) => [k, { medianMs: median(v.map((x) => x.ms)), medianCpuSeconds: median(v.map((x) => x.cpu)), ms: v.map((x) => x.ms) }]));
    }
    writeResult(flags.out, result);
  } finally {
    const exited = new Promise((r) => api.once('exit', r));
    api.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
