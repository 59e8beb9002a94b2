// tsctl run in-process against a cluster, with what it printed and its exit code, as the tests
// of its commands read them.
import { run } from '../../pkg/tsctl/cli.js';

export async function runTsctl(kubeconfig: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(['--kubeconfig', kubeconfig, ...args], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}
