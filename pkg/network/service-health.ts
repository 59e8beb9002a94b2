// The service health check server (kube-proxy's healthcheck.ServiceHealthServer): for each
// LoadBalancer Service with externalTrafficPolicy Local, an HTTP listener on its
// healthCheckNodePort that tells a load balancer whether this node has endpoints of it: 200 with
// localEndpoints > 0, 503 otherwise, kube-proxy's JSON body on every path. Listeners follow the
// service ports after each sync of the rules; a port that cannot be bound (taken) is logged and
// tried again at the next sync.
import { createServer, type Server } from 'node:http';
import { errorMessage } from './errors.js';
import type { ProxiedServicePort } from './service-types.js';
import { logger } from '../util/log.js';

const log = logger('service-health');

export interface HealthCheckedService {
  namespace: string;
  name: string;
  port: number;
  localEndpoints: number;
}

/** One entry per health check node port: the Service's local endpoints (the most of any of its ports). */
export function healthCheckedServices(ports: readonly ProxiedServicePort[]): HealthCheckedService[] {
  const byPort = new Map<number, HealthCheckedService>();
  for (const p of ports) {
    if (!p.healthCheckNodePort) continue;
    const cur = byPort.get(p.healthCheckNodePort);
    const n = p.localEndpoints.length;
    if (!cur) byPort.set(p.healthCheckNodePort, { ...p.service, port: p.healthCheckNodePort, localEndpoints: n });
    else cur.localEndpoints = Math.max(cur.localEndpoints, n);
  }
  return [...byPort.values()];
}

/**
 * kube-proxy's response to a health check (service_health.go's hcHandler): status code, headers
 * and its JSON body, tab-indented as its dedented template prints it. 200 only with local
 * endpoints and a healthy proxy (its own /livez health): a node whose rules are stale is no
 * place to send the service's traffic.
 */
export function healthResponse(s: HealthCheckedService, proxyHealthy = true): { code: number; headers: Record<string, string>; body: string } {
  const body = `{\n\t"service": {\n\t\t"namespace": ${JSON.stringify(s.namespace)},\n\t\t"name": ${JSON.stringify(s.name)}\n\t},\n\t"localEndpoints": ${s.localEndpoints},\n\t"serviceProxyHealthy": ${proxyHealthy}\n}`;
  return {
    code: s.localEndpoints > 0 && proxyHealthy ? 200 : 503,
    headers: { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff', 'X-Load-Balancing-Endpoint-Weight': String(s.localEndpoints) },
    body,
  };
}

export class ServiceHealthServer {
  private readonly listeners = new Map<number, { server: Server; svc: HealthCheckedService }>();
  private stopped = false;

  /**
   * host: the address the listeners bind (default all of the node's); proxyHealthy: the service
   * proxy's own health (ProxierHealth.healthy), always healthy without one.
   */
  constructor(
    private readonly host = '0.0.0.0',
    private readonly proxyHealthy: () => boolean = () => true,
  ) {}

  /** The ports listened on now. */
  ports(): number[] {
    return [...this.listeners.keys()].sort((a, b) => a - b);
  }

  async sync(services: readonly HealthCheckedService[]): Promise<void> {
    if (this.stopped) return;
    const want = new Map(services.map((s) => [s.port, s]));
    for (const [port, l] of this.listeners) {
      if (!want.has(port)) {
        this.listeners.delete(port);
        await close(l.server);
      }
    }
    for (const s of want.values()) {
      const l = this.listeners.get(s.port);
      if (l) {
        l.svc = s;
        continue;
      }
      try {
        this.listeners.set(s.port, await this.listen(s));
      } catch (e) {
        log.warn('cannot serve health check node port; retrying at the next sync', { service: `${s.namespace}/${s.name}`, port: s.port, error: errorMessage(e) });
      }
    }
  }

  private listen(s: HealthCheckedService): Promise<{ server: Server; svc: HealthCheckedService }> {
    const entry = { server: undefined as unknown as Server, svc: s };
    entry.server = createServer((req, res) => {
      const r = healthResponse(entry.svc, this.proxyHealthy());
      res.writeHead(r.code, r.headers);
      res.end(r.body);
      req.resume();
    });
    return new Promise((resolve, reject) => {
      entry.server.once('error', reject);
      entry.server.listen(s.port, this.host, () => {
        entry.server.off('error', reject);
        resolve(entry);
      });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const all = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(all.map((l) => close(l.server)));
  }
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
