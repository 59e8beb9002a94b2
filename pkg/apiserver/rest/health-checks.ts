// /healthz, /livez and /readyz as kube-apiserver serves them (k8s.io/apiserver/pkg/server/healthz):
// each endpoint runs its named checks; `?verbose` lists them ("[+]etcd ok" ... "readyz check
// passed"), `?exclude=NAME` skips one, a failure answers 500 with every check's line and the
// reason withheld, and /readyz/NAME runs that one check alone ("ok", or 500 "internal server
// error: ...").
import type { ServerResponse } from 'node:http';

export interface HealthCheck {
  name: string;
  /** Resolves when healthy; throws (or rejects) with the reason otherwise. */
  check(): Promise<void> | void;
}

export type HealthEndpoint = 'healthz' | 'livez' | 'readyz';
export type HealthChecks = Record<HealthEndpoint, HealthCheck[]>;

export interface ApiserverHealth {
  /** A quick read of etcd (kube-apiserver's etcd check). */
  etcd(): Promise<void>;
  /** Set once the watch caches are filled and the apiserver serves. */
  started(): boolean;
  /** Set once the apiserver began to stop: /readyz fails so that load balancers move away. */
  shuttingDown(): boolean;
}

/** How long the etcd check waits (kube-apiserver's --etcd-healthcheck-timeout default). */
const ETCD_TIMEOUT_MS = 2000;

function withTimeout(p: Promise<void>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000}s`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The checks of kube-apiserver's three endpoints that this apiserver has. */
export function apiserverHealthChecks(h: ApiserverHealth): HealthChecks {
  const ping: HealthCheck = { name: 'ping', check: () => {} };
  const log: HealthCheck = { name: 'log', check: () => {} };
  const etcd: HealthCheck = { name: 'etcd', check: () => withTimeout(h.etcd(), ETCD_TIMEOUT_MS, 'etcd') };
  const etcdReadiness: HealthCheck = { name: 'etcd-readiness', check: () => withTimeout(h.etcd(), ETCD_TIMEOUT_MS, 'etcd') };
  const informerSync: HealthCheck = {
    name: 'informer-sync',
    check: () => {
      if (!h.started() && !h.shuttingDown()) throw new Error('the watch caches are not filled yet');
    },
  };
  const shutdown: HealthCheck = {
    name: 'shutdown',
    check: () => {
      if (h.shuttingDown()) throw new Error('process is shutting down');
    },
  };
  return { healthz: [ping, log, etcd], livez: [ping, log, etcd], readyz: [ping, log, etcd, etcdReadiness, informerSync, shutdown] };
}

/** Which endpoint (and single check) a path names: /readyz, /livez/etcd; undefined for other paths. */
export function matchHealthPath(path: string): { endpoint: HealthEndpoint; check?: string } | undefined {
  const m = /^\/(healthz|livez|readyz)(?:\/(.+))?$/.exec(path);
  return m ? { endpoint: m[1] as HealthEndpoint, check: m[2] } : undefined;
}

const reasonOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

function send(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/** Answers a health request; false when the path names no check (the caller answers 404). */
export async function serveHealth(checks: HealthChecks, path: { endpoint: HealthEndpoint; check?: string }, query: URLSearchParams, res: ServerResponse): Promise<boolean> {
  const list = checks[path.endpoint];
  if (path.check !== undefined) {
    const one = list.find((c) => c.name === path.check);
    if (!one) return false;
    try {
      await one.check();
      send(res, 200, 'ok');
    } catch (e) {
      send(res, 500, `internal server error: ${reasonOf(e)}\n`);
    }
    return true;
  }
  const excluded = new Set(query.getAll('exclude'));
  const results = await Promise.all(
    list.map(async (c) => {
      if (excluded.delete(c.name)) return `[+]${c.name} excluded: ok\n`;
      try {
        await c.check();
        return `[+]${c.name} ok\n`;
      } catch {
        // the reason stays in the log of whoever may read the single check: this endpoint is public
        return `[-]${c.name} failed: reason withheld\n`;
      }
    }),
  );
  let lines = results.join('');
  if (excluded.size) lines += `warn: some health checks cannot be excluded: no matches for ${[...excluded].map((n) => JSON.stringify(n)).join(',')}\n`;
  if (results.some((r) => r.startsWith('[-]'))) {
    send(res, 500, `${lines}${path.endpoint} check failed\n`);
  } else if (!query.has('verbose')) {
    send(res, 200, 'ok');
  } else {
    send(res, 200, `${lines}${path.endpoint} check passed\n`);
  }
  return true;
}
