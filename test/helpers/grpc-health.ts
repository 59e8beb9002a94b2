// A gRPC health server in a child process (test/fixtures/grpc-health-server.mjs), on the host or
// inside a network namespace (a pod's, with nsenter), whose answers the test sets per service.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../fixtures/grpc-health-server.mjs', import.meta.url));

export interface GrpcHealthServer {
  /** Sets what Check answers for a service ("" the server as a whole); resolves once the server has it. */
  set(service: string, status: 'SERVING' | 'NOT_SERVING'): Promise<void>;
  /** The checks it answered so far: "SERVICE ua=USER-AGENT" lines ("-" for ""). */
  readonly checks: string[];
  stop(): Promise<void>;
}

export async function startGrpcHealthServer(port: number, opts: { netns?: string } = {}): Promise<GrpcHealthServer> {
  const argv = [process.execPath, SCRIPT, String(port)];
  const child = opts.netns ? spawn('nsenter', [`--net=${opts.netns}`, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] }) : spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  const checks: string[] = [];
  const acks = new Map<string, () => void>();
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const l of lines) {
        if (l === 'listening') resolve();
        else if (l.startsWith('check ')) checks.push(l.slice(6));
        else if (l.startsWith('set ')) acks.get(l.slice(4))?.();
      }
    });
    void exited.then(() => reject(new Error(`the gRPC health server exited: ${err.trim()}`)));
  });
  return {
    set: (service, status) =>
      new Promise<void>((resolve) => {
        const line = `${service || '-'} ${status}`;
        acks.set(line, resolve);
        child.stdin.write(`${line}\n`);
      }),
    checks,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
