// bench/podstartup on a single-node cluster (tsctl up in a temp data dir): 100 busybox sleep
// pods (image present) created at 5 pods/s, then 100 at once; time from create to Running and
// ready as observed by a watch, p50 and p99; node agent RSS with the pods running (20 s after the
// last start, and right after it); and in the
// same run the floor: plain `runc run` of the same image.
//   npm run build && npx vite-node bench/podstartup/run.ts [--pods 100]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { loadKubeconfig } from '../../pkg/client/kubeconfig.js';
import { Pods, RestClient } from '../../pkg/client/rest-client.js';
import { down, up } from '../../pkg/tsctl/cluster.js';
import { parseFlags } from '../../pkg/util/flags.js';
import { freePort } from '../../test/helpers/ports.js';
import { Runtime, cleanupAll } from '../../pkg/runtime/index.js';
import { prepareFloor } from '../runtime/floor.js';
import { childrenOf, cpuWithChildren, machineBusySeconds, rssMb, runMain, writeResult } from '../common.js';

const { flags } = parseFlags({ pods: { type: 'number', default: 100, help: 'pods per phase' }, out: { type: 'string', default: 'bench/results/podstartup.json', help: 'result file' } }, process.argv.slice(2));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round((s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN) * 10) / 10;
};

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tskube-bench-pods-'));
  const log = (l: string) => console.error(l);
  await up({ dataDir, apiserverPort: await freePort(), etcdClientPort: await freePort(), etcdPeerPort: await freePort(), log });
  const result: Record<string, unknown> = { date: new Date().toISOString(), machine: { cores: cpus().length, node: process.version } };
  try {
    const client = new RestClient(loadKubeconfig(join(dataDir, 'kubeconfig')), { maxSockets: 32 });
    // Wait for the node and its pod network.
    for (let i = 0; i < 100; i++) {
      const nodes = await client.list({ group: '', version: 'v1', resource: 'nodes', namespaced: false });
      if (nodes.items.some((n) => (n.status as { conditions?: { type: string; status: string }[] }).conditions?.some((c) => c.type === 'NetworkUnavailable' && c.status === 'False'))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const createdAt = new Map<string, number>();
    const runningAt = new Map<string, number>();
    const rv = (await client.list(Pods, 'default')).metadata.resourceVersion;
    const w = await client.watch(Pods, 'default', { resourceVersion: rv }, (e) => {
      const st = e.object.status as { phase?: string; containerStatuses?: { ready?: boolean }[] } | undefined;
      const name = e.object.metadata!.name!;
      if (st?.phase === 'Running' && st.containerStatuses?.every((c) => c.ready) && !runningAt.has(name)) runningAt.set(name, performance.now());
    });
    const body = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'tskube.local/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] } });
    const phase = async (prefix: string, ratePerSec: number) => {
      const names: string[] = [];
      const jobs: Promise<unknown>[] = [];
      for (let i = 0; i < flags.pods; i++) {
        const name = `${prefix}-${i}`;
        names.push(name);
        createdAt.set(name, performance.now());
        jobs.push(client.create(Pods, 'default', body(name)));
        if (ratePerSec > 0) await new Promise((r) => setTimeout(r, 1000 / ratePerSec));
      }
      await Promise.all(jobs);
      const deadline = Date.now() + 300_000;
      while (names.some((n) => !runningAt.has(n)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const lat = names.filter((n) => runningAt.has(n)).map((n) => runningAt.get(n)! - createdAt.get(n)!);
      return { pods: names.length, running: lat.length, p50Ms: pct(lat, 50), p99Ms: pct(lat, 99), maxMs: pct(lat, 100) };
    };
    const paced = await phase('paced', 5);
    console.error(`5 pods/s: p50 ${paced.p50Ms} ms, p99 ${paced.p99Ms} ms`);
    const agentPid = Number(readFileSync(join(dataDir, 'run', 'nodeagent.pid'), 'utf8'));
    const rssRightAfter = rssMb(agentPid);
    // Steady state with the 100 pods running: what the agent holds once the wave of starts is over.
    await new Promise((r) => setTimeout(r, 20_000));
    const rssWith100 = rssMb(agentPid);
    console.error(`node agent RSS with ${flags.pods} pods running: ${rssRightAfter.toFixed(0)} MB right after the last start, ${rssWith100.toFixed(0)} MB 20 s later`);
    // The node holds 110 pods (the kubelet's default): make room before the burst.
    await client.request(client.path(Pods, 'default'), { method: 'DELETE', body: { gracePeriodSeconds: 0 } });
    for (let i = 0; i < 600; i++) {
      if ((await client.list(Pods, 'default')).items.length === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    // With grace 0 the objects go at once while the agent still stops and removes 100 pods: the
    // burst starts on a quiet node, as Kubernetes' density test's does, once no container is left.
    // (no container in runc's state and no sandbox of the runtime's: every pod torn down)
    const count = (d: string) => (existsSync(join(dataDir, 'runtime', d)) ? readdirSync(join(dataDir, 'runtime', d)).length : 0);
    const leftover = () => count('runc') + count('sandboxes');
    const tQuiet = performance.now();
    for (let i = 0; i < 600 && leftover() > 0; i++) await new Promise((r) => setTimeout(r, 200));
    const quietSec = (performance.now() - tQuiet) / 1000;
    console.error(`the node had torn the paced pods down ${quietSec.toFixed(1)} s after they were deleted (${leftover()} containers and sandboxes left)`);
    result.pacedTeardownSec = Math.round(quietSec * 10) / 10;
    // Where the burst's CPU goes: each component's own CPU seconds and those of the children it
    // waited for (the agent's runc start and namespace holders), and the machine's busy time;
    // the rest is conmon, runc create and the kernel.
    const componentPids = Object.fromEntries(['apiserver', 'scheduler', 'controller-manager', 'nodeagent'].map((n) => [n, Number(readFileSync(join(dataDir, 'run', `${n}.pid`), 'utf8'))]));
    componentPids.etcd = childrenOf(componentPids.apiserver!)[0]!;
    const cpu0 = Object.fromEntries(Object.entries(componentPids).map(([k, pid]) => [k, cpuWithChildren(pid)]));
    const busy0 = machineBusySeconds();
    const tBurst = performance.now();
    const burst = await phase('burst', 0);
    const burstWall = (performance.now() - tBurst) / 1000;
    const burstCpu = Object.fromEntries(Object.entries(componentPids).map(([k, pid]) => [k, Math.round((cpuWithChildren(pid) - cpu0[k]!) * 100) / 100]));
    const machineBusy = Math.round((machineBusySeconds() - busy0) * 10) / 10;
    result.burstCpuSeconds = { wall: Math.round(burstWall * 10) / 10, machineBusy, machineCapacity: Math.round(burstWall * cpus().length * 10) / 10, ...burstCpu };
    console.error(`burst of ${flags.pods}: p50 ${burst.p50Ms} ms, p99 ${burst.p99Ms} ms; CPU s ${JSON.stringify(result.burstCpuSeconds)}`);
    w.stop();
    // The floor, in this run: plain `runc run` of the same busybox image (`true`), one at a time.
    const floorRoot = mkdtempSync(join(tmpdir(), 'tskube-bench-floor-'));
    const floorMs: number[] = [];
    try {
      const rt = await Runtime.open({ root: floorRoot });
      await rt.buildBusybox('busybox:floor');
      const f = await prepareFloor(rt, floorRoot, 'busybox:floor');
      for (let i = 0; i < 33; i++) {
        const ms = await f.runOnce();
        if (i >= 3) floorMs.push(ms);
      }
      await f.close();
    } finally {
      await cleanupAll(floorRoot);
      rmSync(floorRoot, { recursive: true, force: true });
    }
    console.error(`runc run floor: p50 ${pct(floorMs, 50)} ms, p99 ${pct(floorMs, 99)} ms`);
    const podman = spawnSync('sh', ['-c', 'command -v podman']).status === 0;
    Object.assign(result, {
      paced5PerSec: paced,
      burst,
      nodeAgentRssMb: { with100PodsRunning: Math.round(rssWith100), rightAfterLastStart: Math.round(rssRightAfter), afterBurst: Math.round(rssMb(agentPid)) },
      floorRuncRun: { what: 'runc run of busybox `true` (create, start, exit, delete), sequential, same run', runs: floorMs.length, p50Ms: pct(floorMs, 50), p99Ms: pct(floorMs, 99) },
      podman: podman ? 'installed, not measured (its image store would need the busybox image imported)' : 'not installed on this machine',
      targets: { pacedP99Under1s: paced.p99Ms < 1000, pacedP50Under300ms: paced.p50Ms < 300, agentRssUnder80MB: rssWith100 < 80 },
    });
    client.close();
  } finally {
    await down({ dataDir, log });
  }
  writeResult(flags.out, result);
}

runMain(main);
