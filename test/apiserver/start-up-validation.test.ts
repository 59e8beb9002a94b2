// The apiserver binary refuses to start on a Service range and an advertised address of different
// IP families, as kube-apiserver 1.32 does (validatePublicIPServiceClusterIPRangeIPFamilies): the
// "command failed" line and exit 1, before it makes anything (no data dir). (An etcd that is not
// there is named, so that a binary which does start spawns no embedded etcd.)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'tskube-start-up-validation-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the binary; a start that is not refused within 10 s is killed and reported as such. */
function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [resolve(__dirname, '../../dist/cmd/apiserver/main.js'), '--data-dir', join(dir, 'data'), '--secure-port', '0', '--grpc-port', '-1', '--etcd-servers', 'http://127.0.0.1:1', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  return new Promise((r) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      r({ code, stderr });
    }),
  );
}

describe('apiserver start-up validation (kube-apiserver 1.32 CompletedOptions.Validate)', () => {
  it('refuses an IPv6 --advertise-address with the IPv4 --service-cluster-ip-range', async () => {
    const r = await run(['--advertise-address', 'fd00::1']);
    expect(r.stderr).toBe('"command failed" err="service IP family \\"10.96.0.0/16\\" must match public address family \\"fd00::1\\""\n');
    expect(r.code).toBe(1);
    expect(existsSync(join(dir, 'data'))).toBe(false);
  }, 15_000);

  it('gives every error Validate finds, aggregated', async () => {
    const r = await run(['--advertise-address', '::1', '--service-cluster-ip-range', '10.0.0.0/8']);
    expect(r.stderr).toBe('"command failed" err="[specified --service-cluster-ip-range is too large; for 32-bit addresses, the mask must be >= 12, service IP family \\"10.0.0.0/8\\" must match public address family \\"::1\\"]"\n');
    expect(r.code).toBe(1);
  }, 15_000);
});
