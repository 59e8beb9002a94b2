// Starts a real apiserver with its embedded etcd (Debian etcd-server) in a temp dir, for
// integration tests, and tears it down (processes and files) afterwards.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer, defaultConfig, type ApiServerConfig } from '../../pkg/apiserver/apiserver.js';
import { ensureNodeToken } from '../../pkg/apiserver/pki.js';
import { loadKubeconfig, type ClusterConfig } from '../../pkg/client/kubeconfig.js';
import { RestClient, ServiceAccounts, StatusError } from '../../pkg/client/rest-client.js';
import { controllerManagerUserAgent, kubeletUserAgent } from '../../pkg/client/user-agent.js';
import { runServiceAccountControllers } from '../../pkg/controllers/serviceaccount-controllers.js';
import { inject } from 'vitest';
import { seedPki } from './pki-template.js';
import { freePort } from './ports.js';

export interface TestControlPlane {
  server: ApiServer;
  dataDir: string;
  kubeconfig: string;
  admin: RestClient;
  config: ClusterConfig;
  /** A client authenticated as system:node:NAME. */
  nodeClient(name: string): RestClient;
  /** A client with the given bearer token (or none). */
  clientWithToken(token: string | undefined): RestClient;
  /** Stops the apiserver (and etcd); keeps the data dir unless `remove`. */
  stop(remove?: boolean): Promise<void>;
  /** Starts a new apiserver on the same data dir and ports. */
  restart(): Promise<void>;
  /** Stops only the apiserver (and its etcd): clients stay usable; restart() brings it back. */
  stopServer(): Promise<void>;
}

export interface ControlPlaneOptions {
  /**
   * Run the service account controllers (the default ServiceAccount of every namespace, the
   * kube-root-ca.crt ConfigMaps, legacy token secrets) in the test process, as a cluster's
   * controller manager would: pods cannot be created without the default ServiceAccount. Default true.
   */
  serviceAccountControllers?: boolean;
}

export async function startControlPlane(overrides: Partial<ApiServerConfig> = {}, opts: ControlPlaneOptions = {}): Promise<TestControlPlane> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tskube-test-'));
  const cfg: ApiServerConfig = {
    ...defaultConfig(dataDir),
    securePort: await freePort(),
    etcdClientPort: await freePort(),
    etcdPeerPort: await freePort(),
    compactionIntervalMs: 0,
    grpcPort: 0,
    ...overrides,
  };
  // (the run's CA, certificates and service account key: the apiserver need not make its own)
  seedPki(runPki(), cfg.dataDir);
  let server = new ApiServer(cfg);
  let serverStopped = false;
  try {
    await server.start();
  } catch (e) {
    await server.stop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  const kubeconfig = join(dataDir, 'kubeconfig');
  const clients: RestClient[] = [];
  const track = (c: RestClient) => {
    clients.push(c);
    return c;
  };
  const config = loadKubeconfig(kubeconfig);
  const admin = track(new RestClient(config));
  let accounts: { stop(): void } | undefined;
  if (opts.serviceAccountControllers ?? true) {
    try {
      // (as the controller manager's, writing as kube-controller-manager)
      accounts = await runServiceAccountControllers(track(new RestClient(config, { userAgent: controllerManagerUserAgent() })), { rootCA: server.caCert, serviceAccountPrivateKeyFile: join(dataDir, 'pki', 'sa.key') });
      await eventually(() => admin.get(ServiceAccounts, 'default', 'default'), { what: 'the default ServiceAccount' });
    } catch (e) {
      accounts?.stop();
      admin.close();
      await server.stop().catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
      throw e;
    }
  }
  const tp: TestControlPlane = {
    get server() {
      return server;
    },
    dataDir,
    kubeconfig,
    admin,
    config,
    nodeClient(name) {
      const token = ensureNodeToken(join(dataDir, 'tokens.csv'), name);
      return track(new RestClient({ ...config, token }, { userAgent: kubeletUserAgent() }));
    },
    clientWithToken(token) {
      return track(new RestClient({ ...config, token }));
    },
    async stop(remove = true) {
      accounts?.stop();
      for (const c of clients) c.close();
      await server.stop();
      if (remove) rmSync(dataDir, { recursive: true, force: true });
    },
    async stopServer() {
      await server.stop();
      serverStopped = true;
    },
    async restart() {
      if (!serverStopped) await server.stop();
      serverStopped = false;
      server = new ApiServer(cfg);
      await server.start();
    },
  };
  return tp;
}

/** The run's PKI template (test/global-setup.ts), if vitest's global setup made one. */
function runPki(): string | undefined {
  try {
    return inject('pkiTemplate');
  } catch {
    return undefined;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls fn until it returns something other than undefined, null or false, and returns that (so its type is
 *  narrowed: a condition that is not met yet returns undefined); throws fn's last error, or 'condition not met',
 *  after timeoutMs. */
export async function eventually<T>(fn: () => Promise<T> | T, opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<Exclude<T, undefined | null | false>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false && v !== null) return v as Exclude<T, undefined | null | false>;
      last = new Error(`condition not met: ${opts.what ?? ''}`);
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw last;
    await sleep(opts.intervalMs ?? 100);
  }
}

export function pod(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name } },
    spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }] },
    ...extra,
  };
}

export function node(name: string, extra: { cpu?: string; memory?: string; pods?: string } = {}): Record<string, unknown> {
  const cap = { cpu: extra.cpu ?? '4', memory: extra.memory ?? '8Gi', pods: extra.pods ?? '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    spec: {},
    status: { capacity: cap, allocatable: cap, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready' }] },
  };
}

/** The StatusError a request fails with (a request that succeeds fails the test). */
export async function failure(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error('expected the request to fail');
}

/**
 * Freezes the control plane's embedded etcd (SIGSTOP: a stalled disk or a partition as the
 * apiserver sees it) and returns once every one of its threads has stopped: the signal takes a
 * moment on a busy machine, and a thread still running would answer a request meanwhile.
 * Returns the thaw (SIGCONT).
 */
export async function freezeEtcd(cp: TestControlPlane): Promise<() => void> {
  const pid = (cp.server as unknown as { etcd: { pid?: number } }).etcd.pid!;
  const thaw = () => process.kill(pid, 'SIGCONT');
  process.kill(pid, 'SIGSTOP');
  const stopped = () =>
    readdirSync(`/proc/${pid}/task`).every((t) => {
      try {
        return /^\d+ \(.*\) [tT] /.test(readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8'));
      } catch {
        return true; // (a thread that ended)
      }
    });
  try {
    await eventually(stopped, { timeoutMs: 5000, intervalMs: 10, what: `etcd (pid ${pid}) stopped` });
  } catch (e) {
    thaw();
    throw e;
  }
  return thaw;
}

/** A request's HTTP status: 200 when it succeeds, else its StatusError's code. */
export async function statusCode(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (e) {
    if (e instanceof StatusError) return e.code;
    throw e;
  }
}

/** A response with its Warning headers decoded (`299 - "text"`, each header once). */
export interface WarnedReply {
  code: number;
  body: { message?: string; metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } } & Record<string, unknown>;
  warnings: string[];
}

/** A response read raw: its status, headers and body text. */
export interface RawReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RawRequestOptions {
  method?: string;
  /** Sent as it is, with a Content-Length. */
  body?: string;
  headers?: OutgoingHttpHeaders;
  /** A bearer token other than the admin's; null sends no credentials (an anonymous request). */
  token?: string | null;
  /** false: a connection of its own, not one of the global agent's kept-alive ones. */
  agent?: false;
}

/**
 * One request to the control plane's apiserver with the admin's credentials (or OPTS' token),
 * answered in full (a watch: until the server ends it) and read raw, for what RestClient does not
 * show: status lines, headers, bodies that are not JSON.
 */
export function rawRequest(cp: TestControlPlane, path: string, opts: RawRequestOptions = {}): Promise<RawReply> {
  const c = cp.config;
  const url = new URL(c.server);
  const token = opts.token === undefined ? c.token : opts.token;
  const admin = opts.token === undefined ? { cert: c.clientCert, key: c.clientKey } : {};
  const headers: OutgoingHttpHeaders = { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...opts.headers };
  // (a Content-Length: node sends a DELETE's body unframed otherwise, which the server reads as
  // a request of no body followed by garbage)
  if (opts.body !== undefined) headers['Content-Length'] = Buffer.byteLength(opts.body);
  return new Promise((resolve, reject) => {
    const req = request({ hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port, path, method: opts.method ?? 'GET', ca: c.caCert, ...admin, headers, ...(opts.agent === false ? { agent: false } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** One request with the control plane's admin credentials, read raw so that its Warning headers can be seen. */
export async function callWithWarnings(cp: TestControlPlane, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<WarnedReply> {
  const data = body === undefined ? undefined : JSON.stringify(body);
  const res = await rawRequest(cp, path, { method, body: data, headers: { Accept: 'application/json', ...(data ? { 'Content-Type': contentType } : {}) } });
  const raw = res.headers['warning'];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  // (`299 - "text"`; node joins repeated headers with ", ")
  const warnings = list.flatMap((h) => [...h.matchAll(/299 - ("(?:[^"\\]|\\.)*")/g)].map((m) => JSON.parse(m[1]!) as string));
  return { code: res.status, body: res.body ? JSON.parse(res.body) : {}, warnings };
}
