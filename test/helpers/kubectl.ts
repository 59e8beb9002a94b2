// Runs the stock kubectl asynchronously (the apiserver under test lives in the same process,
// so a synchronous spawn would block it).
import { spawn, spawnSync } from 'node:child_process';

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
