// A plain HTTP /metrics (and /healthz) endpoint for components other than the apiserver,
// serving prom-client's default registry, with process metrics collected once per process.
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, register } from 'prom-client';
import './build-info-metric.js';
import { metricsText } from './prom-text.js';

let defaultsCollected = false;

export function startMetricsServer(opts: { host: string; port: number }): Promise<{ server: Server; port: number }> {
  if (!defaultsCollected) {
    collectDefaultMetrics();
    defaultsCollected = true;
  }
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      metricsText(register).then(
        (text) => {
          res.writeHead(200, { 'Content-Type': register.contentType });
          res.end(text);
        },
        (e: Error) => {
          res.writeHead(500).end(e.message);
        },
      );
      return;
    }
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      return;
    }
    res.writeHead(404).end('not found');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}
