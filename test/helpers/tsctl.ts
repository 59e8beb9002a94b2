// tsctl run in-process against a cluster, with what it printed and its exit code, as the tests
// of its commands read them.
import { run } from '../../pkg/tsctl/cli.js';

export interface TsctlResult {
  code: number;
  out: string;
  err: string;
}

/** tsctl with ARGS as they are (a join, or a command given its own --kubeconfig). */
export async function tsctlCaptured(args: string[]): Promise<TsctlResult> {
  let out = '';
  let err = '';
  const code = await run(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

export const runTsctl = (kubeconfig: string, args: string[]): Promise<TsctlResult> => tsctlCaptured(['--kubeconfig', kubeconfig, ...args]);
