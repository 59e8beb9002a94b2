// bench/lab: `tsctl lab up --nodes 3` time to all nodes Ready, and control-plane memory (RSS of
// apiserver, scheduler, controller-manager and etcd) idle and with 300 pods over 3 nodes.
//   npm run build && npx vite-node bench/lab/run.ts [--pods 300]
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeconfig } from '../../pkg/client/kubeconfig.js';
import { Pods, RestClient } from '../../pkg/client/rest-client.js';
import { defaultLab, labDown, labUp } from '../../pkg/lab/lab.js';
import { parseFlags } from '../../pkg/util/flags.js';
import { runMain, writeResult } from '../common.js';

const { flags } = parseFlags({ pods: { type: 'number', default: 300, help: 'pods over the lab' }, nodes: { type: 'number', default: 3, help: 'nodes' }, out: { type: 'string', default: 'bench/results/lab.json', help: 'result file' } }, process.argv.slice(2));

const rssMb = (pid: number) => {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  } catch {
    return 0;
  }
};

/** RSS of the control plane: the apiserver, scheduler, controller-manager and etcd processes of this lab. */
function controlPlaneRss(dataDir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmd.includes(dataDir)) continue;
    const name = /cmd\/(apiserver|scheduler|controller-manager)\//.exec(cmd)?.[1] ?? (/\/usr\/bin\/etcd/.test(cmd) ? 'etcd' : undefined);
    if (name) out[name] = Math.round((out[name] ?? 0) + rssMb(Number(p)));
  }
  out.total = Object.values(out).reduce((a, b) => a + b, 0);
  return out;
}

async function main(): Promise<void> {
  const dataDir = join(tmpdir(), `tskube-bench-lab-${process.pid}`);
  const log = (l: string) => console.error(l);
  const t0 = performance.now();
  await labUp({ ...defaultLab(dataDir, log), nodes: flags.nodes, apiserverPort: 17443, bridge: 'tsklabb0', subnetPrefix: '172.31.252' });
  const upSeconds = (performance.now() - t0) / 1000;
  const result: Record<string, unknown> = { date: new Date().toISOString(), machine: { cores: cpus().length, node: process.version }, nodes: flags.nodes, labUpSeconds: Math.round(upSeconds * 100) / 100 };
  try {
    await new Promise((r) => setTimeout(r, 5000));
    const idle = controlPlaneRss(dataDir);
    console.error(`lab up in ${upSeconds.toFixed(1)} s; control plane idle RSS ${idle.total} MB`);
    const client = new RestClient(loadKubeconfig(join(dataDir, 'kubeconfig')), { maxSockets: 16 });
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < flags.pods) {
        const i = next++;
        await client.create(Pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `load-${i}` }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'tskube.local/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], resources: { requests: { cpu: '1m', memory: '4Mi' } } }] } });
      }
    }));
    const t1 = performance.now();
    let running = 0;
    for (let i = 0; i < 900 && running < flags.pods; i++) {
      running = (await client.list(Pods, 'default', { fieldSelector: 'status.phase=Running' })).items.length;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const loaded = controlPlaneRss(dataDir);
    console.error(`${running}/${flags.pods} pods Running after ${((performance.now() - t1) / 1000).toFixed(0)} s; control plane RSS ${loaded.total} MB`);
    Object.assign(result, {
      controlPlaneRssMb: { idle, [`with${flags.pods}Pods`]: loaded },
      podsRunning: running,
      secondsToAllRunning: Math.round((performance.now() - t1) / 1000),
      targets: { labUpUnder10s: upSeconds < 10, controlPlaneIdleUnder300MB: idle.total! < 300 },
    });
    client.close();
  } finally {
    await labDown({ dataDir, log });
  }
  writeResult(flags.out, result);
}

runMain(main);
