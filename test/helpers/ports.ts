// Free TCP ports on loopback for test servers.
//
// They are taken below the kernel's ephemeral range (ip_local_port_range), in a window of their
// own per vitest worker: a port the kernel handed out with listen(0) is free only until some
// client connection picks it as its source port, and under a full suite's load one did before
// the etcd it was meant for could bind it (the etcd exited, restarting, for 30 s). Ports outside
// the ephemeral range are never source ports, and each worker probes only its own window.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const WINDOW = 2000;
const LOW = 10_000;

function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

const windows = Math.floor((ephemeralLow() - LOW) / WINDOW);
const pool = Number(process.env.VITEST_POOL_ID ?? process.pid);
const windowStart = windows > 0 ? LOW + (pool % windows) * WINDOW : 0;
/** The next port this process tries, moving through its window from a random point. */
let next = Math.floor(Math.random() * WINDOW);

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function freePort(): Promise<number> {
  // (an ephemeral range that starts too low for windows: the kernel's choice)
  if (!windowStart) return kernelPort();
  for (let i = 0; i < WINDOW; i++) {
    const port = windowStart + (next++ % WINDOW);
    if (await portFree(port)) return port;
  }
  return kernelPort();
}

/** A free port whose successor is free too (for servers that take port+1 as well: tsctl up's gRPC and etcd peer ports). */
export async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const p = await freePort();
    if (p < 65535 && (await portFree(p + 1))) {
      // (the successor is taken too: the next freePort does not hand it out)
      if (windowStart && p + 1 === windowStart + (next % WINDOW)) next++;
      return p;
    }
  }
  throw new Error('no two adjacent free ports found');
}
