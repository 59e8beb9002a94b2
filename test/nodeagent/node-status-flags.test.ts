// The node agent binary reads its lease and status pacing from --config and
// --node-status-update-frequency and refuses bad values before it does anything else, as the
// 1.32 kubelet does (needs `npx tsc -p tsconfig.json` first: dist/).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const bin = join(__dirname, '../../dist/cmd/nodeagent/main.js');
const dir = mkdtempSync(join(tmpdir(), 'tsk-node-status-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function agent(args: string[]): Promise<{ code: number; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 20_000 }, (e, _out, err) => resolve({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, err }));
  });
}

function config(name: string, fields: string): string {
  const file = join(dir, name);
  writeFileSync(file, `apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n${fields}`);
  return file;
}

describe('node agent lease and status settings', () => {
  it('refuses a --node-status-update-frequency Go cannot parse, as pflag does (exit 2)', async () => {
    const r = await agent(['--node-status-update-frequency=soon']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('error: invalid argument "soon" for "--node-status-update-frequency" flag: time: invalid duration "soon"');
  });

  it('refuses a nodeLeaseDurationSeconds below 0 with ValidateKubeletConfiguration\'s words, before the enforcement errors (exit 1)', async () => {
    const r = await agent([`--config=${config('negative.yaml', 'nodeLeaseDurationSeconds: -1\n')}`]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('"command failed" err="failed to validate kubelet configuration, error: invalid configuration: nodeLeaseDurationSeconds must be greater than 0"');
    const both = await agent([`--config=${config('both.yaml', 'nodeLeaseDurationSeconds: -1\nenforceNodeAllocatable: [pods, kube-reserved]\n')}`]);
    expect(both.err).toContain('error: [invalid configuration: nodeLeaseDurationSeconds must be greater than 0, invalid configuration: kubeReservedCgroup (--kube-reserved-cgroup) must be specified when \\"kube-reserved\\" or \\"kube-reserved-compressible\\" included in enforceNodeAllocatable (--enforce-node-allocatable)]');
  });

  it('refuses a config file whose durations do not decode (exit 1)', async () => {
    const file = config('soon.yaml', 'nodeStatusReportFrequency: soon\n');
    const r = await agent([`--config=${file}`]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`failed to load Kubelet config file ${file}, error failed to decode: time: invalid duration \\"soon\\"`);
  });
});
