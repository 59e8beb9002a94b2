// Runs the stock kubectl asynchronously (the apiserver under test lives in the same process,
// so a synchronous spawn would block it).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startControlPlane, type TestControlPlane } from './control-plane.js';

export const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

export function kubectlAt(kubeconfig: string, cacheDir: string, args: string[], input?: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: cacheDir } });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out, err });
    });
    child.stdin.end(input ?? '');
  });
}

/** kubectlAt that must succeed: its stdout, or an error with the command, exit code and output. */
export async function kubectlOk(kubeconfig: string, cacheDir: string, args: string[], input?: string): Promise<string> {
  const r = await kubectlAt(kubeconfig, cacheDir, args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.err}${r.out}`);
  return r.out;
}

/**
 * A control plane (real apiserver and etcd) for a file of kubectl tests, started in beforeAll and
 * stopped in afterAll with its kubectl cache: `kubectl(...)` must succeed, `run(args, input)`
 * returns the exit code and both streams.
 */
export function kubectlControlPlane(): {
  readonly cp: TestControlPlane;
  kubectl(...args: string[]): Promise<string>;
  kubectlIn(input: string, ...args: string[]): Promise<string>;
  run(args: string[], input?: string): Promise<{ code: number; out: string; err: string }>;
} {
  let cp: TestControlPlane | undefined;
  const cacheDir = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));
  beforeAll(async () => {
    if (hasKubectl) cp = await startControlPlane();
  }, 60_000);
  afterAll(async () => {
    await cp?.stop();
    rmSync(cacheDir, { recursive: true, force: true });
  });
  return {
    get cp() {
      return cp!;
    },
    kubectl: (...args) => kubectlOk(cp!.kubeconfig, cacheDir, args),
    kubectlIn: (input, ...args) => kubectlOk(cp!.kubeconfig, cacheDir, args, input),
    run: (args, input) => kubectlAt(cp!.kubeconfig, cacheDir, args, input),
  };
}
