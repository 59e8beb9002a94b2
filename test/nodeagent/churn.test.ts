// Pod churn leaves nothing behind. Rounds of pods of every shape the agent handles differently
// (a long-running pair of containers sharing an emptyDir, a container that exits and restarts, a
// pod that completes, a hostPort, a liveness probe, a Service's endpoint) are created, run and
// deleted; afterwards the node holds what it held before: no veth on the bridge, pinned
// namespace, mount, pod cgroup, container process, iptables rule of a pod, open fd of the agent
// (it runs in this process), pod worker or IP address.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pods } from '../../pkg/client/rest-client.js';
import { run } from '../../pkg/util/exec.js';
import { eventually } from '../helpers/control-plane.js';
import { busyboxPod, ctr, podStatus, startCluster, type Cluster } from './harness.js';

/** The UIDs of every pod this test made. */
const uids = new Set<string>();

/** Directories two levels under each hierarchy's pods cgroup (pod cgroups, QoS-class parents). */
function cgroupDirs(): string[] {
  const roots = [join('/sys/fs/cgroup', c.cfg.cgroupRoot), ...readdirSync('/sys/fs/cgroup').map((d) => join('/sys/fs/cgroup', d, c.cfg.cgroupRoot))];
  const out: string[] = [];
  const sub = (dir: string) => {
    try {
      return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
    } catch {
      return [];
    }
  };
  for (const r of roots) for (const d of sub(r)) out.push(d, ...sub(d));
  return out;
}

const Services = { group: '', version: 'v1', resource: 'services', namespaced: true } as const;
let c: Cluster;

beforeAll(async () => {
  c = await startCluster({ podCIDR: '10.199.45.0/24', controllers: {} });
}, 180_000);
afterAll(async () => {
  await c?.stop();
});

/** Everything of the node that pods use, counted. */
async function nodeState() {
  const dataDir = c.cfg.dataDir;
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(dataDir)).length;
  const links = (await run('ip', ['-o', 'link', 'show', 'master', c.cfg.bridge])).stdout.split('\n').filter(Boolean).length;
  const iptables = (await run('iptables-save', [])).stdout.split('\n').filter((l) => l.startsWith('-A') && l.includes(c.cfg.chainPrefix!)).length;
  const nsDir = join(dataDir, 'runtime', 'ns');
  const pinned = readdirSync(nsDir).length;
  const fds = readdirSync('/proc/self/fd').length;
  // Processes whose command line names this node's data dir (conmons, container monitors).
  const procs = readdirSync('/proc').filter((p) => {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) return false;
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dataDir);
    } catch {
      return false;
    }
  }).length;
  // Cgroups of this test's pods, in every hierarchy (other clusters' pods may share the parents).
  const podCgroups = cgroupDirs().filter((d) => [...uids].some((u) => d.includes(u))).length;
  const openFiles = readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dataDir);
    } catch {
      return false;
    }
  }).length;
  return { mounts, links, iptables, pinned, procs, podCgroups, openFiles, fds, workers: c.agent.workers.size };
}

function roundPods(r: number) {
  const web = { name: 'web', containerPort: 8080 };
  return [
    busyboxPod(`pair-${r}`, {
      volumes: [{ name: 'scratch', emptyDir: {} }],
      containers: [
        ctr('a', 'echo hi > /s/x; sleep 3600', { volumeMounts: [{ name: 'scratch', mountPath: '/s' }] }),
        ctr('b', 'sleep 3600', { volumeMounts: [{ name: 'scratch', mountPath: '/s' }] }),
      ],
    }),
    busyboxPod(`crash-${r}`, { containers: [ctr('main', 'exit 3')] }),
    busyboxPod(`done-${r}`, { restartPolicy: 'Never', containers: [ctr('main', 'echo done')] }),
    busyboxPod(`hostport-${r}`, { containers: [ctr('main', 'sleep 3600', { ports: [{ containerPort: 80, hostPort: 18080 + r, hostIP: '127.0.0.1' }] })] }),
    {
      ...busyboxPod(`served-${r}`, {
        containers: [ctr('main', 'mkdir /w; echo ok > /w/index.html; httpd -f -p 8080 -h /w', { ports: [web], livenessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 } })],
      }),
      metadata: { name: `served-${r}`, labels: { app: 'churn' } },
    },
  ];
}

describe('pod churn', () => {
  it('rounds of pods of every shape, created, run and deleted, leave the node as it was', async () => {
    await c.cp.admin.create(Services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'churn' }, spec: { selector: { app: 'churn' }, ports: [{ port: 80, targetPort: 8080 }] } });
    // The first round warms up: what is made lazily and kept (the bridge, the image's snapshot,
    // the Service's chains, keep-alive connections of the clients in this process) is in the
    // baseline taken after it, and later rounds must not add to it.
    let before: Awaited<ReturnType<typeof nodeState>> | undefined;
    const settled = (base: Awaited<ReturnType<typeof nodeState>> | undefined) =>
      eventually(
        async () => {
          const now = await nodeState();
          const clean = now.workers === 0 && now.procs === 0 && now.podCgroups === 0;
          return clean && (!base || (now.links === base.links && now.pinned === base.pinned && now.mounts === base.mounts)) ? now : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500, what: 'the node to settle' },
      ).catch(() => undefined);

    for (let r = 0; r < 4; r++) {
      const pods = roundPods(r);
      for (const p of pods) uids.add(((await c.cp.admin.create(Pods, 'default', p)) as { metadata: { uid: string } }).metadata.uid);
      await eventually(
        async () => {
          const st = await Promise.all(pods.map((p) => podStatus(c, (p.metadata as { name: string }).name)));
          const running = (i: number) => st[i]!.phase === 'Running';
          return running(0) && (st[1]!.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && st[2]!.phase === 'Succeeded' && running(3) && st[4]!.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
        },
        { timeoutMs: 60_000, intervalMs: 300, what: `round ${r}: every pod in its state` },
      );
      // The counters see the pods while they run (5 veths, 4 sandboxes' namespaces, cgroups, monitors).
      const during = await nodeState();
      expect(during.links).toBeGreaterThanOrEqual(4);
      expect(during.pinned).toBeGreaterThanOrEqual(4);
      expect(during.podCgroups).toBeGreaterThanOrEqual(4);
      expect(during.procs).toBeGreaterThanOrEqual(4);
      expect(during.workers).toBeGreaterThanOrEqual(5);
      for (const p of pods) await c.cp.admin.delete(Pods, 'default', (p.metadata as { name: string }).name, { gracePeriodSeconds: r === 1 ? 1 : 0 });
      await eventually(async () => (await c.cp.admin.list(Pods, 'default')).items.length === 0, { timeoutMs: 60_000, what: `round ${r}: pods gone` });
      // (the API objects go when the agent confirms; its own teardown may end a moment later)
      if (r === 0) before = await settled(undefined);
    }
    await settled(before);
    const after = await nodeState();
    expect(before).toBeDefined();
    expect({ ...after, fds: undefined }).toEqual({ ...before, fds: undefined });
    expect(after).toMatchObject({ workers: 0, procs: 0, pinned: 0, links: 0, podCgroups: 0 });
    expect(uids.size).toBe(20);
    // (keep-alive sockets of the clients in this process come and go: a few fds either way)
    expect(after.fds).toBeLessThanOrEqual(before!.fds + 4);
  }, 300_000);
});
