import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { freePort } from '../../test/helpers/ports.js';
const dir = mkdtempSync(join(tmpdir(), 'tskube-bench-raw-'));
const cp = await freePort(), pp = await freePort();
const etcd = spawn('etcd', ['--name', 'x', '--data-dir', dir, '--listen-client-urls', `http://127.0.0.1:${cp}`, '--advertise-client-urls', `http://127.0.0.1:${cp}`, '--listen-peer-urls', `http://127.0.0.1:${pp}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${pp}`, '--initial-cluster', `x=http://127.0.0.1:${pp}`, '--snapshot-count', '10000', '--log-level', 'warn', '--logger', 'zap'], { stdio: 'ignore' });
try {
  await new Promise((r) => setTimeout(r, 1500));
  const e = new Etcd3({ hosts: `http://127.0.0.1:${cp}` });
  const run = async (size: number, n = 4400) => {
    const v = 'x'.repeat(size); let next = 0, done = 0; let t0 = performance.now();
    await Promise.all(Array.from({ length: 8 }, async () => { while (next < n) { await e.put(`/bench/raw/${size}/${next++}`).value(v).exec(); if (++done === 400) t0 = performance.now(); } }));
    return ((n - 400) / ((performance.now() - t0) / 1000)).toFixed(0);
  };
  for (let r = 0; r < 3; r++) console.log(`round ${r}: 350 B ${await run(350)}/s, 2529 B ${await run(2529)}/s, 350 B ${await run(350)}/s`);
  e.close();
} finally { etcd.kill(); rmSync(dir, { recursive: true, force: true }); }
