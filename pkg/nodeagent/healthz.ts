// The node agent's /healthz, as the 1.32 kubelet installs it (healthz.InstallHandler with
// PingHealthz, LogHealthz and the "syncloop" check): "ok", each check's line with ?verbose, each
// check alone at /healthz/<name>, and ?exclude=<name> skipping one. The agent's checks always
// pass: it has no sync loop that could stall apart from the process itself.

/** The checks in the kubelet's order (InstallDefaultHandlers). */
const CHECKS = ['ping', 'log', 'syncloop'];

/** The answer to a GET of `path` (/healthz or /healthz/<check>) with its query; undefined for a path that is no check. */
export function healthzResponse(path: string, query: URLSearchParams): { code: number; body: string } | undefined {
  if (path === '/healthz') {
    // (the healthz handler: "ok" alone unless ?verbose; excluded checks said so, and one that
    // names no check warned about)
    const excluded = new Set(query.getAll('exclude').flatMap((e) => e.split(',')).map((e) => e.trim()).filter(Boolean));
    if (!query.has('verbose')) return { code: 200, body: 'ok' };
    let out = '';
    for (const c of CHECKS) {
      if (excluded.delete(c)) out += `[+]${c} excluded: ok\n`;
      else out += `[+]${c} ok\n`;
    }
    if (excluded.size) out += `warn: some health checks cannot be excluded: no matches for ${[...excluded].sort().map((e) => `"${e}"`).join(',')}\n`;
    return { code: 200, body: `${out}healthz check passed\n` };
  }
  const m = /^\/healthz\/([^/]+)$/.exec(path);
  if (m && CHECKS.includes(m[1]!)) return { code: 200, body: 'ok' };
  return undefined;
}
