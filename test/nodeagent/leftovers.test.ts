// The sweep of what a killed test run leaves: a node cluster's data dir whose owner process is
// gone loses its bridge, its iptables chains (and the jumps into them) and its files; one whose
// owner lives is left alone. Real iptables and a real bridge in the host namespace, named so
// that nothing else owns them.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupNode } from '../../pkg/network/pod-network.js';
import { LAB_DIR_PREFIX, NODE_DIR_PREFIX, processStart, recordNodeOwner, sweepLabLeftovers, sweepNetworkTestLeftovers, sweepNodeLeftovers } from '../helpers/leftovers.js';

const base = mkdtempSync(join(tmpdir(), 'tskube-sweep-'));
const suffix = Math.random().toString(36).slice(2, 6);
const dead = { bridge: `tsklfd${suffix}`, chainPrefix: `TLD${suffix.toUpperCase()}` };
const live = { bridge: `tsklfl${suffix}`, chainPrefix: `TLL${suffix.toUpperCase()}` };

function sh(cmd: string): string {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  return r.stdout;
}

/** A bridge and a Service-like chain with a jump from OUTPUT, as a node cluster makes them. */
function makeNodeState(n: { bridge: string; chainPrefix: string }) {
  sh(`ip link add ${n.bridge} type bridge`);
  sh(`iptables -t nat -N ${n.chainPrefix}-SERVICES`);
  sh(`iptables -t nat -A ${n.chainPrefix}-SERVICES -d 10.200.254.1/32 -p tcp --dport 443 -j DNAT --to-destination 127.0.0.1:9`);
  sh(`iptables -t nat -A OUTPUT -m comment --comment "leftovers test" -j ${n.chainPrefix}-SERVICES`);
}

const natChains = () => sh('iptables-save -t nat');
const linkExists = (name: string) => spawnSync('ip', ['link', 'show', name]).status === 0;

afterAll(async () => {
  for (const n of [dead, live]) await cleanupNode({ bridgeName: n.bridge, stateDir: join(base, 'none'), chainPrefix: n.chainPrefix }).catch(() => {});
  rmSync(base, { recursive: true, force: true });
});

describe('leftovers of killed test runs', () => {
  it('removes a dead owner\'s bridge, chains, jumps and data dir; keeps a live owner\'s', async () => {
    const deadDir = join(base, `${NODE_DIR_PREFIX}dead`);
    const liveDir = join(base, `${NODE_DIR_PREFIX}live`);
    mkdirSync(join(deadDir, 'network'), { recursive: true });
    mkdirSync(liveDir);
    // The dead owner: a process that has exited (its pid may be reused: the start time tells).
    const child = spawnSync('true');
    expect(child.status).toBe(0);
    writeFileSync(join(deadDir, '.tskube-test-owner.json'), JSON.stringify({ pid: child.pid, started: '1', ...dead }));
    recordNodeOwner(liveDir, live);
    // A dir without a record (another kind of test's) is not touched either.
    const otherDir = join(base, `${NODE_DIR_PREFIX}other`);
    mkdirSync(otherDir);
    makeNodeState(dead);
    makeNodeState(live);
    expect(natChains()).toContain(`-j ${dead.chainPrefix}-SERVICES`);

    expect(await sweepNodeLeftovers(base)).toEqual([deadDir]);

    const nat = natChains();
    expect(nat).not.toContain(dead.chainPrefix);
    expect(linkExists(dead.bridge)).toBe(false);
    expect(existsSync(deadDir)).toBe(false);
    expect(nat).toContain(`-j ${live.chainPrefix}-SERVICES`);
    expect(linkExists(live.bridge)).toBe(true);
    expect(existsSync(liveDir)).toBe(true);
    expect(existsSync(otherDir)).toBe(true);
  });

  it('takes down a lab whose test process is gone (its bridge and dir), and not a live one', async () => {
    const child = spawnSync('true');
    const deadLab = join(base, `${LAB_DIR_PREFIX}${child.pid}`);
    const liveLab = join(base, `${LAB_DIR_PREFIX}${process.pid}`);
    const bridge = `tsklfb${suffix}`;
    mkdirSync(deadLab);
    mkdirSync(liveLab);
    writeFileSync(join(deadLab, 'lab.json'), JSON.stringify({ bridge, hostIP: '172.31.250.1', nodes: [], etcdEndpoints: [], server: '' }));
    sh(`ip link add ${bridge} type bridge`);
    try {
      expect(await sweepLabLeftovers(base)).toEqual([deadLab]);
      expect(linkExists(bridge)).toBe(false);
      expect(existsSync(deadLab)).toBe(false);
      expect(existsSync(liveLab)).toBe(true);
    } finally {
      spawnSync('ip', ['link', 'del', bridge]);
    }
  });

  it('deletes a network test namespace whose test process is gone, killing what runs in it; keeps a live one', async () => {
    const child = spawnSync('true');
    const hex = randomBytes(3).toString('hex');
    const deadNs = `tsknt-${child.pid}-${hex}-node`;
    const liveNs = `tsknt-${process.pid}-${hex}-node`;
    sh(`ip netns add ${deadNs}`);
    sh(`ip netns add ${liveNs}`);
    // What a killed network test leaves running: an echo server, here a sleep.
    const orphan = spawn('ip', ['netns', 'exec', deadNs, 'sleep', '300'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((r) => orphan.once('exit', (_c, sig) => r(sig)));
    try {
      await expect.poll(() => sh(`ip netns pids ${deadNs}`).trim()).toBe(String(orphan.pid));
      const removed = await sweepNetworkTestLeftovers();
      expect(removed).toContain(deadNs);
      expect(removed).not.toContain(liveNs);
      expect(await exited).toBe('SIGKILL');
      const names = sh('ip netns list');
      expect(names).not.toContain(deadNs);
      expect(names).toContain(liveNs);
    } finally {
      orphan.kill('SIGKILL');
      spawnSync('ip', ['netns', 'del', deadNs]);
      spawnSync('ip', ['netns', 'del', liveNs]);
    }
  });

  it('tells a live process by its start time, not its pid alone', () => {
    expect(processStart(process.pid)).toMatch(/^\d+$/);
    expect(processStart(process.pid)).toBe(processStart(process.pid));
    expect(processStart(2 ** 22 + 1)).toBeUndefined();
  });
});
