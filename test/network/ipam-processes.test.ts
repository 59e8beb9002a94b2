// The IPAM store's file lock across processes: agents (here three child processes plus this
// one) allocating at the same time from one store never get the same address.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { HostLocalIpam } from '../../pkg/network/ipam.js';

const dir = mkdtempSync(join(tmpdir(), 'tsknt-ipam-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const child = fileURLToPath(new URL('./fixtures/ipam-child.ts', import.meta.url));
const viteNode = fileURLToPath(new URL('../../node_modules/vite-node/vite-node.mjs', import.meta.url));

function allocateIn(prefix: string, n: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [viteNode, child, dir, '10.244.9.0/24', prefix, String(n)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as string[]) : reject(new Error(`ipam child ${prefix}: exit ${code}: ${err}`))));
  });
}

it('never hands out one address twice to allocators in different processes', async () => {
  const local = new HostLocalIpam(dir, '10.244.9.0/24');
  const [a, b, c, d] = await Promise.all([
    allocateIn('a', 50),
    allocateIn('b', 50),
    allocateIn('c', 50),
    Promise.all(Array.from({ length: 50 }, (_, i) => local.allocate(`d-${i}`).then((r) => r.allocation.ip))),
  ]);
  const all = [...a!, ...b!, ...c!, ...d!];
  expect(all).toHaveLength(200);
  expect(new Set(all).size).toBe(200);
  expect((await local.list()).length).toBe(200);
});
