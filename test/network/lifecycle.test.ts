// Setup and teardown lifecycle on the real kernel, in one lab node namespace: idempotency,
// concurrency, failures half way (injected and a killed process), gc, and a node clean-up that
// leaves no trace.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupNode, ConflictError, PodNetwork as RealPodNetwork, type NetworkConfig, type PodSetupRequest, type SetupStep } from '../../pkg/network/index.js';
import { hostVethName } from '../../pkg/network/veth.js';
import { Lab, labNamespaces } from './lab.js';

/** Every sandbox id this file wires, to prove afterwards that none of them touched the host. */
const usedIds = new Set<string>();
class PodNetwork extends RealPodNetwork {
  override setupPod(req: PodSetupRequest) {
    usedIds.add(req.sandboxId);
    return super.setupPod(req);
  }
}

const childScript = fileURLToPath(new URL('./fixtures/setup-child.ts', import.meta.url));
const viteNode = fileURLToPath(new URL('../../node_modules/vite-node/vite-node.mjs', import.meta.url));

describe.each(['netlink', 'iproute2'] as const)('pod network lifecycle (%s backend)', (backend) => {
  const lab = new Lab();
  const stateRoot = mkdtempSync(join(tmpdir(), 'tsknt-state-'));
  const stateDir = join(stateRoot, 'node');
  let node: string;
  let cfg: NetworkConfig;
  let net: PodNetwork;

  /** What of ours is on the node: host veths, hostPort rules, addresses. */
  async function leftovers() {
    const links = (await lab.exec(node, 'ip', ['-o', 'link', 'show', 'type', 'veth'])).stdout;
    const veths = [...links.matchAll(/^\d+: (tsk[0-9a-f]{8})@/gm)].map((m) => m[1]);
    const rules = (await lab.exec(node, 'iptables-save', ['-t', 'nat'])).stdout.split('\n').filter((l) => l.includes('tsk-hp:'));
    const ips = (await net.allocations()).map((a) => `${a.sandboxId}=${a.ip}`);
    return { veths, rules, ips };
  }

  const nothing = { veths: [], rules: [], ips: [] };

  beforeAll(async () => {
    node = await lab.netns('node');
    cfg = { clusterCIDR: '10.244.0.0/16', podCIDR: '10.244.7.0/24', nodeNetns: node, stateDir, backend };
    net = new PodNetwork(cfg);
    expect(net.backend).toBe(backend);
    await net.ensureNode();
  });

  it('records the node network in its state dir before any pod, so a clean-up finds it', () => {
    expect(existsSync(stateDir)).toBe(true);
  });

  afterAll(async () => {
    try {
      if (node) await cleanupNode({ nodeNetns: node, stateDir }).catch(() => {});
    } finally {
      await lab.destroy();
      rmSync(stateRoot, { recursive: true, force: true });
    }
  });

    it('setup is idempotent (same address, same wiring) and so is teardown', async () => {
      const netnsPath = await lab.netns('idem');
      const id = `${lab.id}-idem`;
      const first = await net.setupPod({ sandboxId: id, netnsPath });
      const second = await net.setupPod({ sandboxId: id, netnsPath });
      expect(second).toEqual(first);
      expect((await lab.exec(netnsPath, 'ip', ['-o', '-4', 'addr', 'show', 'dev', 'eth0'])).stdout).toContain(first.ip);
      // A changed request (now with a hostPort) re-wires the pod but keeps its address.
      const third = await net.setupPod({ sandboxId: id, netnsPath, hostPorts: [{ containerPort: 80, hostPort: 31080 }] });
      expect(third.ip).toBe(first.ip);
      // (a mapping's rules: the pods' hairpin mark, the loopback mark, the DNAT)
      expect((await leftovers()).rules).toHaveLength(3);
      await net.teardownPod(id);
      await net.teardownPod(id);
      await net.teardownPod(`${lab.id}-never-existed`);
      expect(await leftovers()).toEqual(nothing);
      await lab.deleteNetns(netnsPath);
    });

    it('gives 50 concurrent setups 50 distinct addresses, all wired, and tears them down concurrently', async () => {
      const roles = Array.from({ length: 50 }, (_, i) => `c${i}`);
      const paths = await lab.netnsMany(roles);
      const statuses = await Promise.all(paths.map((netnsPath, i) => net.setupPod({ sandboxId: `${lab.id}-${roles[i]}`, netnsPath })));
      const ips = statuses.map((s) => s.ip);
      expect(new Set(ips).size).toBe(50);
      expect((await net.allocations()).length).toBe(50);
      expect((await leftovers()).veths).toHaveLength(50);
      // Every pod really holds the address it was told about.
      const seen = await Promise.all(paths.map((p) => lab.exec(p, 'ip', ['-o', '-4', 'addr', 'show', 'dev', 'eth0'])));
      seen.forEach((r, i) => expect(r.stdout).toContain(`inet ${ips[i]}/24`));
      await Promise.all(roles.map((r) => net.teardownPod(`${lab.id}-${r}`)));
      expect(await leftovers()).toEqual(nothing);
      await Promise.all(paths.map((p) => lab.deleteNetns(p)));
    });

    const steps: SetupStep[] = ['allocate-ip', 'host-veth', 'pod-interface', 'host-ports', 'commit'];
    it.each(steps)('a failure injected at step %s unwinds everything done before it', async (step) => {
      const netnsPath = await lab.netns(`fail-${step}`);
      const id = `${lab.id}-fail-${step}`;
      const failing = new PodNetwork({
        ...cfg,
        beforeStep: (s) => {
          if (s === step) throw new Error(`injected at ${s}`);
        },
      });
      await expect(failing.setupPod({ sandboxId: id, netnsPath, hostPorts: [{ containerPort: 80, hostPort: 31081, protocol: 'UDP' }] })).rejects.toThrow(
        new RegExp(`pod network "${id}": ${step}: injected at ${step}`),
      );
      expect(await leftovers()).toEqual(nothing);
      const inside = (await lab.exec(netnsPath, 'ip', ['-o', 'link', 'show'])).stdout;
      expect(inside).not.toContain('eth0');
      await lab.deleteNetns(netnsPath);
    });

    it('a failing command half way (pod namespace gone) leaves nothing', async () => {
      await expect(net.setupPod({ sandboxId: `${lab.id}-nons`, netnsPath: `/run/netns/${lab.name('does-not-exist')}` })).rejects.toThrow(/host-veth/);
      expect(await leftovers()).toEqual(nothing);
    });

    it('a pod namespace that already has an eth0 is refused with the kernel error, leaving nothing', async () => {
      const p = await lab.netns('taken');
      await lab.ip(lab.name('taken'), 'link add eth0 type veth peer name other0');
      const err = await net.setupPod({ sandboxId: `${lab.id}-taken`, netnsPath: p }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(backend === 'netlink' ? /host-veth: create veth tsk[0-9a-f]{8} \(peer eth0 in .*\): EEXIST/ : /host-veth: .*File exists/);
      expect(await leftovers()).toEqual(nothing);
    });

    it('refuses a hostPort another pod holds, leaving nothing of the refused pod', async () => {
      const p1 = await lab.netns('hp1');
      const p2 = await lab.netns('hp2');
      await net.setupPod({ sandboxId: `${lab.id}-hp1`, netnsPath: p1, hostPorts: [{ containerPort: 80, hostPort: 31082 }] });
      await expect(net.setupPod({ sandboxId: `${lab.id}-hp2`, netnsPath: p2, hostPorts: [{ containerPort: 81, hostPort: 31082, hostIP: '172.31.0.1' }] })).rejects.toThrow(ConflictError);
      // Another protocol on the same port is fine.
      await net.setupPod({ sandboxId: `${lab.id}-hp2`, netnsPath: p2, hostPorts: [{ containerPort: 81, hostPort: 31082, protocol: 'UDP' }] });
      expect((await leftovers()).veths.sort()).toEqual([hostVethName(`${lab.id}-hp1`), hostVethName(`${lab.id}-hp2`)].sort());
      await net.teardownPod(`${lab.id}-hp1`);
      await net.teardownPod(`${lab.id}-hp2`);
      expect(await leftovers()).toEqual(nothing);
    });

    const crashPoints = [
      { at: 'host-veth', veth: false, rules: 0 },
      { at: 'pod-interface', veth: true, rules: 0 },
      { at: 'commit', veth: true, rules: 3 },
    ] as const;
    it.each(crashPoints)('after a setup process is SIGKILLed at $at, gc frees what it left and keeps live pods', async ({ at, veth, rules }) => {
      const n = crashPoints.findIndex((c) => c.at === at);
      const live = await lab.netns(`live-${at}`);
      const liveId = `${lab.id}-live-${at}`;
      const liveStatus = await net.setupPod({ sandboxId: liveId, netnsPath: live, hostPorts: [{ containerPort: 80, hostPort: 31090 + 2 * n }] });
      const victim = await lab.netns(`victim-${at}`);
      const id = `${lab.id}-victim-${at}`;
      const arg = JSON.stringify({ cfg, req: { sandboxId: id, netnsPath: victim, hostPorts: [{ containerPort: 80, hostPort: 31091 + 2 * n }] }, hangAt: at });
      const child = spawn(process.execPath, [viteNode, childScript, arg], { stdio: ['ignore', 'pipe', 'pipe'] });
      lab.track(child);
      await new Promise<void>((resolve, reject) => {
        let out = '';
        let err = '';
        child.stdout!.on('data', (d) => {
          out += d;
          if (out.includes(`HANG ${at}`)) resolve();
        });
        child.stderr!.on('data', (d) => (err += d));
        child.on('exit', (code) => reject(new Error(`setup child exited ${code} before hanging: ${out} ${err}`)));
      });
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      // The crash left a reserved address (and, depending on how far it got, a veth and hostPort rules)...
      const left = await leftovers();
      expect(left.veths.includes(hostVethName(id))).toBe(veth);
      expect(left.rules.filter((r) => r.includes(`tsk-hp:${id}`))).toHaveLength(rules);
      expect((await net.allocations()).find((a) => a.sandboxId === id)?.state).toBe('reserved');
      // ... which gc (with the runtime's live pods) sweeps, in a fresh instance as after a restart.
      const afterRestart = new PodNetwork(cfg);
      const res = await afterRestart.gc([liveId]);
      expect(res.removedVeths).toEqual(veth ? [hostVethName(id)] : []);
      expect(res.releasedIPs).toHaveLength(1);
      expect(res.removedHostPortRules).toBe(rules);
      expect(await leftovers()).toEqual({ veths: [hostVethName(liveId)], rules: [expect.stringContaining(`tsk-hp:${liveId}`), expect.stringContaining(`tsk-hp:${liveId}`), expect.stringContaining(`tsk-hp:${liveId}`)], ips: [`${liveId}=${liveStatus.ip}`] });
      // A retry of the crashed pod after gc works from scratch.
      const retried = await afterRestart.setupPod({ sandboxId: id, netnsPath: victim });
      expect(retried.ip).toMatch(/^10\.244\.7\./);
      await afterRestart.teardownPod(id);
      await afterRestart.teardownPod(liveId);
      expect(await leftovers()).toEqual(nothing);
    });

    it('a retry after a crash reuses the reserved address and clears the half-made wiring', async () => {
      const p = await lab.netns('retry');
      const id = `${lab.id}-retry`;
      // A setup that stalls for good right before commit, as if its process had died there.
      let reached!: () => void;
      const atCommit = new Promise<void>((r) => (reached = r));
      const hanging = new PodNetwork({
        ...cfg,
        beforeStep: (s) => {
          if (s !== 'commit') return undefined;
          reached();
          return new Promise<void>(() => {});
        },
      });
      void hanging.setupPod({ sandboxId: id, netnsPath: p });
      await atCommit;
      expect((await leftovers()).veths).toContain(hostVethName(id));
      const reserved = (await net.allocations()).find((a) => a.sandboxId === id)!;
      expect(reserved.state).toBe('reserved');
      const status = await new PodNetwork(cfg).setupPod({ sandboxId: id, netnsPath: p });
      expect(status.ip).toBe(reserved.ip);
      expect((await lab.exec(p, 'ip', ['-o', '-4', 'addr', 'show', 'dev', 'eth0'])).stdout).toContain(status.ip);
      await net.teardownPod(id);
      expect(await leftovers()).toEqual(nothing);
    });

    it('cleanupNode removes every trace: veths, bridge, chains, routes, IPAM store; then nothing of the lab remains', async () => {
      const p = await lab.netns('last');
      await net.setupPod({ sandboxId: `${lab.id}-last`, netnsPath: p, hostPorts: [{ containerPort: 80, hostPort: 31085 }] });
      await net.syncRoutes([{ nodeName: 'other', nodeIP: '10.244.7.200', podCIDR: '10.244.8.0/24' }]);
      expect(existsSync(join(stateDir, 'ipam.log'))).toBe(true);
      await cleanupNode({ nodeNetns: node, stateDir });
      const links = (await lab.exec(node, 'ip', ['-o', 'link', 'show'])).stdout.trim().split('\n');
      expect(links).toHaveLength(1);
      expect(links[0]).toMatch(/^1: lo:/);
      expect((await lab.exec(node, 'ip', ['route', 'show', 'table', 'all', 'proto', '147'])).stdout.trim()).toBe('');
      const saved = (await lab.exec(node, 'iptables-save', [])).stdout;
      expect(saved).not.toMatch(/TSK|tsk/);
      expect(existsSync(stateDir)).toBe(false);
      expect((await lab.exec(p, 'ip', ['-o', 'link', 'show'])).stdout).not.toContain('eth0');
      // Idempotent.
      await cleanupNode({ nodeNetns: node, stateDir });
      await lab.destroy();
      expect(await labNamespaces(lab.id)).toEqual([]);
      // The host's own namespace never saw any of it.
      const hostLinks = (await lab.exec('/proc/1/ns/net', 'ip', ['-o', 'link', 'show'])).stdout;
      expect(usedIds.size).toBeGreaterThan(50);
      for (const id of usedIds) expect(hostLinks).not.toContain(hostVethName(id));
      const hostRules = (await lab.exec('/proc/1/ns/net', 'iptables-save', [])).stdout;
      expect(hostRules).not.toContain(lab.id);
    });
});
