import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { posixSpawn, posixSpawnAvailable } from './posix-spawn.js';

function readAll(s: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    s.on('data', (b: Buffer) => (out += b.toString()));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

describe.skipIf(!posixSpawnAvailable())('posixSpawn', () => {
  it('gives the child its env, cwd, stderr and an extra pipe on fd 3, default signals, its own session; reports the exit code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsk-spawn-'));
    try {
      const script = 'echo "$GREETING" >&3; pwd >&2; grep -E "^Sig(Ign|Blk)" /proc/self/status >&2; read -r _ _ _ _ _ sid _ < /proc/self/stat; echo "pid=$$ sid=$sid" >&3; exit 7';
      const c = posixSpawn('/bin/sh', ['-c', script], { env: { GREETING: 'hello', PATH: process.env.PATH }, cwd: dir, detached: true, extraPipes: 1 });
      const [fd3, err, code] = await Promise.all([readAll(c.extra[0]!), readAll(c.stderr), c.exited]);
      expect(code).toBe(7);
      expect(fd3).toBe(`hello\npid=${c.pid} sid=${c.pid}\n`);
      expect(err).toBe(`${dir}\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a signal as 128 + its number, and a missing program as ENOENT', async () => {
    const c = posixSpawn('/bin/sh', ['-c', 'kill -TERM $$'], { env: {} });
    expect(await c.exited).toBe(128 + 15);
    c.stderr.destroy();
    expect(() => posixSpawn('/nonexistent/prog', [], { env: {} })).toThrow(/ENOENT/);
  });
});
