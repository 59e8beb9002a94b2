// A real 3-member etcd cluster on loopback (Debian's etcd), for tests of the apiserver's
// --etcd-servers mode and of member failures.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForPort } from '../../pkg/apiserver/etcd-process.js';
import { freePort } from './ports.js';

export interface EtcdMember {
  name: string;
  clientUrl: string;
  clientPort: number;
  peerUrl: string;
  dataDir: string;
  proc?: ChildProcess;
}

export class EtcdCluster {
  readonly members: EtcdMember[] = [];
  private dir = mkdtempSync(join(tmpdir(), 'tskube-etcd-'));

  get endpoints(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  async start(size = 3): Promise<void> {
    for (let i = 0; i < size; i++) {
      const clientPort = await freePort();
      const peerPort = await freePort();
      this.members.push({ name: `m${i}`, clientPort, clientUrl: `http://127.0.0.1:${clientPort}`, peerUrl: `http://127.0.0.1:${peerPort}`, dataDir: join(this.dir, `m${i}`) });
    }
    for (const m of this.members) this.launch(m, 'new');
    await Promise.all(this.members.map((m) => waitForPort(m.clientPort, 30_000)));
  }

  private launch(m: EtcdMember, state: 'new' | 'existing'): void {
    const cluster = this.members.map((x) => `${x.name}=${x.peerUrl}`).join(',');
    m.proc = spawn('/usr/bin/etcd', ['--name', m.name, '--data-dir', m.dataDir, '--listen-client-urls', m.clientUrl, '--advertise-client-urls', m.clientUrl, '--listen-peer-urls', m.peerUrl, '--initial-advertise-peer-urls', m.peerUrl, '--initial-cluster', cluster, '--initial-cluster-state', state, '--initial-cluster-token', 'tskube-test', '--log-level', 'error', '--logger', 'zap'], { stdio: 'ignore' });
  }

  kill(i: number): void {
    this.members[i]!.proc?.kill('SIGKILL');
    this.members[i]!.proc = undefined;
  }

  async restart(i: number): Promise<void> {
    const m = this.members[i]!;
    this.launch(m, 'existing');
    await waitForPort(m.clientPort, 30_000);
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.members.map(
        (m) =>
          new Promise<void>((resolve) => {
            if (!m.proc || m.proc.exitCode !== null) return resolve();
            m.proc.once('exit', () => resolve());
            m.proc.kill('SIGTERM');
            setTimeout(() => m.proc?.kill('SIGKILL'), 5000).unref();
          }),
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}
