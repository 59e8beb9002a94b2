// The node agent's /healthz, as the 1.32 kubelet installs it (healthz.InstallHandler with
// PingHealthz, LogHealthz and the "syncloop" check): "ok", each check's line with ?verbose, each
// check alone at /healthz/<name>, and ?exclude=<name> skipping one. The agent's checks always
// pass: it has no sync loop that could stall apart from the process itself. Beside it, as the
// kubelet's healthzPort (10248 on 127.0.0.1 by default), a plain HTTP /healthz with the ping
// check alone, for local checks that have no credentials (startHealthzServer).
import { createServer, type Server } from 'node:http';
import { logger } from '../util/log.js';

/** The checks in the kubelet's order (InstallDefaultHandlers). */
const CHECKS = ['ping', 'log', 'syncloop'];

/** The answer to a GET of `path` (/healthz or /healthz/<check>) with its query; undefined for a path that is no check. */
export function healthzResponse(path: string, query: URLSearchParams, checks: string[] = CHECKS): { code: number; body: string } | undefined {
  if (path === '/healthz') {
    // (the healthz handler: "ok" alone unless ?verbose; excluded checks said so, and one that
    // names no check warned about)
    const excluded = new Set(query.getAll('exclude').flatMap((e) => e.split(',')).map((e) => e.trim()).filter(Boolean));
    if (!query.has('verbose')) return { code: 200, body: 'ok' };
    let out = '';
    for (const c of checks) {
      if (excluded.delete(c)) out += `[+]${c} excluded: ok\n`;
      else out += `[+]${c} ok\n`;
    }
    if (excluded.size) out += `warn: some health checks cannot be excluded: no matches for ${[...excluded].sort().map((e) => `"${e}"`).join(',')}\n`;
    return { code: 200, body: `${out}healthz check passed\n` };
  }
  const m = /^\/healthz\/([^/]+)$/.exec(path);
  if (m && checks.includes(m[1]!)) return { code: 200, body: 'ok' };
  return undefined;
}

/**
 * The kubelet's healthz server (healthz.InstallHandler(mux) with the default ping check, on
 * --healthz-bind-address:--healthz-port, no TLS and no authentication). A port it cannot bind
 * does not stop the agent: it is tried again every 5 s, as wait.Until retries ListenAndServe.
 */
export function startHealthzServer(host: string, port: number): Server {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://agent');
    const health = healthzResponse(url.pathname, url.searchParams, ['ping']);
    if (!health) return void res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }).end('404 page not found\n');
    res.writeHead(health.code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }).end(health.body);
  });
  let warned = false;
  server.on('error', (e: Error) => {
    if (!warned) logger('nodeagent').warn('Failed to start healthz server', { err: e.message, address: `${host}:${port}` });
    warned = true;
    setTimeout(() => server.listen(port, host), 5000).unref();
  });
  server.listen(port, host);
  server.unref();
  return server;
}
