// The embedded etcd's restart back-off: exits in a row wait longer each time; a run of a minute
// or more ends the row, so an etcd that crashes once a day is started again after the first delay.
// The "etcd" here is a sleep behind a listener of the test's own, killed with SIGKILL.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedEtcd, ETCD_STABLE_RUN_MS } from './etcd-process.js';

let dir: string | undefined;
let listener: Server | undefined;
let etcd: EmbeddedEtcd | undefined;

afterEach(async () => {
  await etcd?.stop();
  etcd = undefined;
  await new Promise<void>((r) => (listener ? listener.close(() => r()) : r()));
  listener = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function until<T>(fn: () => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Kills the running child and waits for its successor; the delay the restart waited. */
async function crash(e: EmbeddedEtcd): Promise<number> {
  const pid = e.pid!;
  process.kill(pid, 'SIGKILL');
  await until(() => (e.pid !== undefined && e.pid !== pid ? true : undefined), 'the restarted child');
  return e.restartDelayMs;
}

describe('EmbeddedEtcd restarts', () => {
  it('waits longer for each exit in a row, and starts afresh after a run of a minute', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tskube-etcd-process-'));
    const binary = join(dir, 'fake-etcd');
    writeFileSync(binary, '#!/bin/sh\nexec sleep 600\n');
    chmodSync(binary, 0o755);
    listener = createServer();
    await new Promise<void>((r) => listener!.listen(0, '127.0.0.1', () => r()));
    const port = (listener.address() as { port: number }).port;
    let offset = 0;
    etcd = new EmbeddedEtcd({ dataDir: join(dir, 'etcd'), clientPort: port, peerPort: 1, binary, now: () => Date.now() + offset });
    await etcd.start();
    expect(await crash(etcd)).toBe(200);
    expect(await crash(etcd)).toBe(400);
    expect(await crash(etcd)).toBe(600);
    // (this child has been up a minute when it dies: a new row)
    offset += ETCD_STABLE_RUN_MS;
    expect(await crash(etcd)).toBe(200);
    expect(await crash(etcd)).toBe(400);
    expect(etcd.restartCount).toBe(5);
  });
});
