import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Etcd3 } from 'etcd3';
import { loadKubeconfig } from '../../pkg/client/kubeconfig.js';
import { Pods, RestClient } from '../../pkg/client/rest-client.js';
import { freePort } from '../../test/helpers/ports.js';
import { nodeFlagsFor, serverEnv } from '../../pkg/tsctl/cluster.js';
import { childrenOf, cpuSeconds, ensureDefaultServiceAccount } from '../common.js';
const podBody = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'bench', shard: String(name.length % 4) } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] } });
const dataDir = mkdtempSync(join(tmpdir(), 'tskube-bench-api-'));
const port = await freePort(), etcdPort = await freePort(), peerPort = await freePort();
const extra = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const child = spawn(process.execPath, [...nodeFlagsFor('apiserver'), ...extra, resolve('dist/cmd/apiserver/main.js'), '--data-dir', dataDir, '--secure-port', String(port), '--etcd-client-port', String(etcdPort), '--etcd-peer-port', String(peerPort), '--grpc-port', '-1', '--etcd-compaction-interval', '0'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...serverEnv } });
try {
  await new Promise<void>((res) => child.stdout.on('data', (b: Buffer) => b.toString().includes('"ready":true') && res()));
  const kc = loadKubeconfig(join(dataDir, 'kubeconfig'));
  const clients = Array.from({ length: 8 }, () => new RestClient(kc, { maxSockets: 4 }));
  await ensureDefaultServiceAccount(clients[0]!);
  const metrics = async () => { const t = await (await fetch(`http://127.0.0.1:${etcdPort}/metrics`)).text(); const m: Record<string, number> = {}; for (const x of t.matchAll(/^grpc_server_handled_total\{[^}]*grpc_method="(\w+)"[^}]*\} (\d+)/gm)) m[x[1]!] = (m[x[1]!] ?? 0) + Number(x[2]); return m; };
  const etcdPid = childrenOf(child.pid!)[0]!;
  const N = Number(process.env.N ?? 4000);
  for (let round = 0; round < 2; round++) {
    const m0 = await metrics();
    const c0 = [cpuSeconds(child.pid!), cpuSeconds(etcdPid), cpuSeconds(process.pid)];
    let next = 0; const t0 = performance.now();
    await Promise.all(clients.map(async (c) => { while (next < N) { const i = next++; await c.create(Pods, 'default', podBody(`p${round}-${i}`)); } }));
    const secs = (performance.now() - t0) / 1000;
    const m1 = await metrics();
    const c1 = [cpuSeconds(child.pid!), cpuSeconds(etcdPid), cpuSeconds(process.pid)];
    console.log(`round ${round}: ${(N / secs).toFixed(0)} creates/s; cpu ms/create api ${((c1[0]! - c0[0]!) * 1000 / N).toFixed(3)} etcd ${((c1[1]! - c0[1]!) * 1000 / N).toFixed(3)} client ${((c1[2]! - c0[2]!) * 1000 / N).toFixed(3)}`);
    console.log(Object.fromEntries(Object.keys(m1).map((k) => [k, m1[k]! - (m0[k] ?? 0)]).filter(([, v]) => (v as number) > 0)));
  }
  const e = new Etcd3({ hosts: `http://127.0.0.1:${etcdPort}` });
  const v = await e.get('/registry/pods/default/p0-1').string();
  console.log('stored bytes', v?.length); console.log(v);
  e.close(); for (const c of clients) c.close();
} finally { child.kill('SIGTERM'); await new Promise((r) => child.once('exit', r)); rmSync(dataDir, { recursive: true, force: true }); }
