// bench/scheduler, in the shape of kube-scheduler's scheduler_perf SchedulingBasic: N nodes
// created as API objects (no agents), then P pods; bound pods/s sampled every second (average,
// p50, p99) from the first create to the last bind; the raw etcd transaction rate measured in
// the same run; scheduler RSS. apiserver, etcd and scheduler run as separate processes.
//   npm run build && npx vite-node bench/scheduler/run.ts --nodes 500 --pods 2000
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { Etcd3 } from 'etcd3';
import { loadKubeconfig } from '../../pkg/client/kubeconfig.js';
import { Events, Nodes, Pods, RestClient } from '../../pkg/client/rest-client.js';
import { parseFlags } from '../../pkg/util/flags.js';
import { nodeFlagsFor, serverEnv } from '../../pkg/tsctl/cluster.js';
import { freePort } from '../../test/helpers/ports.js';
import { scrape } from '../../test/helpers/scrape.js';
import { childrenOf, cpuSeconds, histogramMeans, rssMb, runMain, writeResult, ensureDefaultServiceAccount } from '../common.js';

const { flags } = parseFlags(
  {
    nodes: { type: 'number', default: 500, help: 'nodes' },
    pods: { type: 'number', default: 2000, help: 'pods' },
    clients: { type: 'number', default: 16, help: 'concurrent creators' },
    out: { type: 'string', default: '', help: 'result file (default bench/results/scheduler-N-P.json)' },
  },
  process.argv.slice(2),
);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const round = (x: number) => Math.round(x * 100) / 100;


/** BENCH_NODE_FLAGS adds node flags to the servers (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"). */
function start(entry: string, args: string[]): ChildProcess {
  const extra = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  return spawn(process.execPath, [...nodeFlagsFor(entry.split('/')[2]!), ...extra, resolve(entry), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...serverEnv, TSKUBE_LOG_LEVEL: 'warn' } });
}

async function parallel(n: number, clients: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < n) await fn(next++);
  }));
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tskube-bench-sched-'));
  const [port, etcdPort, peerPort, metricsPort, grpcPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const api = start('dist/cmd/apiserver/main.js', ['--data-dir', dataDir, '--secure-port', String(port), '--etcd-client-port', String(etcdPort), '--etcd-peer-port', String(peerPort), '--grpc-port', String(grpcPort), '--etcd-compaction-interval', '0']);
  let sched: ChildProcess | undefined;
  const result: Record<string, unknown> = { date: new Date().toISOString(), machine: { cores: cpus().length, node: process.version }, nodes: flags.nodes, pods: flags.pods, schedulerTransport: process.env.BENCH_TRANSPORT ?? 'rest' };
  try {
    await new Promise<void>((res, rej) => {
      api.stdout!.on('data', (b: Buffer) => b.toString().includes('"ready":true') && res());
      api.once('exit', (c) => rej(new Error(`apiserver exited ${c}`)));
    });
    const kc = loadKubeconfig(join(dataDir, 'kubeconfig'));
    const client = new RestClient(kc, { maxSockets: flags.clients + 4 });

    // Raw etcd transactions (compare-and-put, as a bind is), same concurrency.
    const etcd = new Etcd3({ hosts: `http://127.0.0.1:${etcdPort}` });
    const value = JSON.stringify({ spec: { nodeName: 'x'.repeat(16) }, pad: 'y'.repeat(1200) });
    const rawN = 3000;
    const t0 = performance.now();
    await parallel(rawN, flags.clients, (i) => etcd.if(`/bench/txn/${i}`, 'Create', '==', 0).then(etcd.put(`/bench/txn/${i}`).value(value)).commit());
    const rawTxnPerSec = rawN / ((performance.now() - t0) / 1000);
    await etcd.delete().prefix('/bench/txn/');
    etcd.close();
    console.error(`raw etcd txns/s (${flags.clients} concurrent): ${rawTxnPerSec.toFixed(0)}`);

    await ensureDefaultServiceAccount(client);
    // Nodes as API objects.
    await parallel(flags.nodes, flags.clients, (i) =>
      client.create(Nodes, undefined, {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: `node-${i}`, labels: { 'kubernetes.io/hostname': `node-${i}` } },
        status: { capacity: { cpu: '4', memory: '32Gi', pods: '110' }, allocatable: { cpu: '4', memory: '32Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
      }),
    );
    console.error(`created ${flags.nodes} nodes`);
    // The scheduler's default transport (REST); BENCH_TRANSPORT=grpc measures the gRPC frontend.
    sched = start('dist/cmd/scheduler/main.js', ['--kubeconfig', join(dataDir, 'scheduler.kubeconfig'), '--leader-elect=false', '--secure-port', String(metricsPort), '--bind-address', '127.0.0.1', '--authentication-kubeconfig', join(dataDir, 'scheduler.kubeconfig'), '--authorization-kubeconfig', join(dataDir, 'scheduler.kubeconfig'), '--api-transport', process.env.BENCH_TRANSPORT ?? 'rest']);
    await new Promise((r) => setTimeout(r, 1500));

    // Count binds from a watch; sample every second.
    const rv = (await client.list(Pods, 'default', { limit: 1 })).metadata.resourceVersion;
    const bound = new Set<string>();
    let lastBind = 0;
    const watch = await client.watch(Pods, 'default', { resourceVersion: rv }, (e) => {
      if ((e.object.spec as { nodeName?: string })?.nodeName && !bound.has(e.object.metadata!.name!)) {
        bound.add(e.object.metadata!.name!);
        lastBind = performance.now();
      }
    });
    const samples: number[] = [];
    let prev = 0;
    const sampler = setInterval(() => {
      samples.push(bound.size - prev);
      prev = bound.size;
    }, 1000);
    const etcdPid = childrenOf(api.pid!)[0]!;
    const pids = { apiserver: api.pid!, etcd: etcdPid, scheduler: sched.pid!, benchClient: process.pid };
    const cpuBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
    const firstCreate = performance.now();
    await parallel(flags.pods, flags.clients, (i) =>
      client.create(Pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `pod-${i}` }, spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '500Mi' } } }] } }),
    );
    const created = performance.now();
    console.error(`created ${flags.pods} pods in ${((created - firstCreate) / 1000).toFixed(1)} s (${(flags.pods / ((created - firstCreate) / 1000)).toFixed(0)}/s)`);
    const deadline = Date.now() + 600_000;
    while (bound.size < flags.pods && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    clearInterval(sampler);
    samples.push(bound.size - prev);
    watch.stop();
    const total = (lastBind - firstCreate) / 1000;
    const cpu = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, round(cpuSeconds(pid) - cpuBefore[k]!)]));
    const schedRss = rssMb(sched.pid!);
    const running = samples.filter((s, i) => s > 0 || (i > 0 && i < samples.length - 1));
    Object.assign(result, {
      bound: bound.size,
      seconds: round(total),
      podsPerSecond: { average: round(bound.size / total), p50: round(pct(running, 50)), p99: round(pct(running, 99)), min: Math.min(...running), max: Math.max(...running), samples },
      podCreatesPerSecond: round(flags.pods / ((created - firstCreate) / 1000)),
      rawEtcdTxnPerSec: round(rawTxnPerSec),
      cpuSecondsDuringRun: cpu,
      schedulerRssMb: round(schedRss),
      apiserverRssMb: round(rssMb(api.pid!)),
      targets: { averageAtLeast680: bound.size / total >= 680, schedulerRssUnder200MB: schedRss < 200 },
    });
    // Where the time went, from the apiserver's own histograms: mean latency per verb and per etcd operation.
    const metricsText = await client.request<string>('/metrics', { accept: 'text/plain' });
    const means = (metric: string, label: string) => histogramMeans(metricsText, metric, label);
    result.apiserverRequestMeanMs = means('apiserver_request_duration_seconds', 'verb');
    // Scheduled events are best effort (one writer, a queue of 1000, as client-go's broadcaster): how many were kept.
    const schedMetrics = await scrape(`https://127.0.0.1:${metricsPort}/metrics`, kc.token).then((r) => r.body).catch(() => '');
    const dropped = Number(/^scheduler_events_dropped_total (\d+)/m.exec(schedMetrics)?.[1] ?? NaN);
    result.scheduledEvents = { dropped, recorded: (await client.list(Events, 'default', { fieldSelector: 'reason=Scheduled' })).items.length };
    console.error(`Scheduled events: ${JSON.stringify(result.scheduledEvents)}`);
    result.etcdRequestMeanMs = means('etcd_request_duration_seconds', 'operation');
    console.error(`apiserver mean latency by verb: ${JSON.stringify(result.apiserverRequestMeanMs)}\netcd: ${JSON.stringify(result.etcdRequestMeanMs)}`);
    console.error(`bound ${bound.size}/${flags.pods} in ${total.toFixed(1)} s: ${(bound.size / total).toFixed(0)} pods/s average; scheduler RSS ${schedRss.toFixed(0)} MB; CPU s ${JSON.stringify(cpu)}`);
    client.close();
  } finally {
    sched?.kill('SIGTERM');
    api.kill('SIGTERM');
    await Promise.all([sched, api].filter(Boolean).map((p) => new Promise((r) => (p!.exitCode !== null ? r(null) : p!.once('exit', r)))));
    rmSync(dataDir, { recursive: true, force: true });
  }
  writeResult(flags.out || `bench/results/scheduler-${flags.nodes}-${flags.pods}.json`, result);
}

runMain(main);
