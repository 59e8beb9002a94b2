// A throwaway network lab for the network tests: namespaces named tsknt-<pid>-<random>-<role>,
// every process started in them tracked, everything removed by destroy() even when a test failed
// (and by the next run's global setup when the test process was killed: the name says whose).
// Nothing here touches the host's own namespace beyond creating and deleting netns files.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { run, type RunResult } from '../../pkg/util/exec.js';

export const echoScript = fileURLToPath(new URL('./fixtures/echo.mjs', import.meta.url));

export class Lab {
  readonly id = `${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly namespaces: string[] = [];
  private readonly procs = new Set<ChildProcess>();

  name(role: string): string {
    return `tsknt-${this.id}-${role}`;
  }

  /** Creates a network namespace with lo up; returns its path. */
  async netns(role: string): Promise<string> {
    const name = this.name(role);
    await run('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    await this.ip(name, 'link set lo up');
    return `/run/netns/${name}`;
  }

  /** Creates many bare namespaces (pods) with one `ip -batch`. */
  async netnsMany(roles: string[]): Promise<string[]> {
    const names = roles.map((r) => this.name(r));
    this.namespaces.push(...names);
    await run('ip', ['-batch', '-'], { input: names.map((n) => `netns add ${n}`).join('\n') + '\n' });
    return names.map((n) => `/run/netns/${n}`);
  }

  async deleteNetns(path: string): Promise<void> {
    const name = path.split('/').pop()!;
    await run('ip', ['netns', 'del', name], { allowFailure: true });
    const i = this.namespaces.indexOf(name);
    if (i >= 0) this.namespaces.splice(i, 1);
  }

  /** `ip -n NAME <line>` for each line. */
  async ip(name: string, ...lines: string[]): Promise<void> {
    await run('ip', ['-n', name, '-batch', '-'], { input: lines.join('\n') + '\n' });
  }

  /** Runs a command inside a namespace (by path) and returns its result without throwing. */
  exec(netnsPath: string, file: string, args: string[], timeoutMs = 10_000): Promise<RunResult> {
    return run('nsenter', [`--net=${netnsPath}`, '--', file, ...args], { allowFailure: true, timeoutMs });
  }

  /**
   * A "wire": one namespace with a bridge that node namespaces plug into, like hosts on a LAN.
   * Returns a function attaching a namespace with an address.
   */
  async wire(): Promise<(nsName: string, cidrAddr: string) => Promise<void>> {
    await this.netns('wire');
    const wireName = this.name('wire');
    await this.ip(wireName, 'link add br0 type bridge', 'link set br0 up');
    let n = 0;
    return async (nsName: string, cidrAddr: string) => {
      const port = `p${n++}`;
      await this.ip(wireName, `link add ${port} master br0 up type veth peer name eth0 netns /run/netns/${nsName}`);
      await this.ip(nsName, `addr add ${cidrAddr} dev eth0`, 'link set eth0 up');
    };
  }

  /** A new namespace plugged into a wire (from wire()) with an address; returns its path. */
  async onWire(attach: (nsName: string, cidrAddr: string) => Promise<void>, role: string, cidrAddr: string): Promise<string> {
    const path = await this.netns(role);
    await attach(this.name(role), cidrAddr);
    return path;
  }

  /** Starts the echo server in a namespace and waits until it listens. */
  async echoServer(netnsPath: string, proto: 'tcp' | 'udp', port: number, host?: string, tag?: string): Promise<ChildProcess> {
    const child = spawn('nsenter', [`--net=${netnsPath}`, '--', process.execPath, echoScript, 'server', proto, String(port), host ?? '0.0.0.0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: tag ? { ...process.env, ECHO_TAG: tag } : process.env,
    });
    this.procs.add(child);
    child.on('exit', () => this.procs.delete(child));
    await new Promise<void>((resolve, reject) => {
      let err = '';
      child.stderr!.on('data', (d) => (err += d));
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('listening')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`echo server in ${netnsPath} exited ${code}: ${err}`)));
    });
    return child;
  }

  /** Asks an echo server; returns the address it saw us as, or throws with the client's error. */
  async echo(netnsPath: string, proto: 'tcp' | 'udp', host: string, port: number, srcPort?: number): Promise<string> {
    const res = await this.exec(netnsPath, process.execPath, [echoScript, 'client', proto, host, String(port), ...(srcPort ? [String(srcPort)] : [])]);
    if (res.code !== 0) throw new Error(`echo ${proto} ${host}:${port} from ${netnsPath}: ${res.stderr.trim() || `exit ${res.code}`}`);
    return res.stdout.trim();
  }

  track(child: ChildProcess): void {
    this.procs.add(child);
    child.on('exit', () => this.procs.delete(child));
  }

  async destroy(): Promise<void> {
    for (const p of this.procs) p.kill('SIGKILL');
    this.procs.clear();
    for (const name of this.namespaces.splice(0).reverse()) {
      if (existsSync(`/run/netns/${name}`)) await run('ip', ['netns', 'del', name], { allowFailure: true });
    }
  }
}

/** Names of network namespaces on this machine belonging to a lab. */
export async function labNamespaces(id: string): Promise<string[]> {
  const res = await run('ip', ['netns', 'list']);
  return res.stdout
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(`tsknt-${id}-`));
}
