// The joining side of `K10<ca-hash>::<secret>` tokens: fetch the cluster CA without trusting
// it, check it against the hash in the token, then exchange the secret for this node's own
// kubeconfig (POST /tskube/join).
import { createHash } from 'node:crypto';
import { request } from 'node:https';

function fetch(url: URL, opts: { method: string; ca?: string; token?: string; body?: string; insecure?: boolean }): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port || 443,
        path: url.pathname,
        method: opts.method,
        ca: opts.ca,
        rejectUnauthorized: !opts.insecure,
        headers: { ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}), ...(opts.body ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(opts.body)) } : {}) },
        timeout: 15_000,
      },
      (res) => {
        let body = '';
        res.on('data', (b: Buffer) => (body += b));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', (e) => reject(new Error(`${opts.method} ${url.href}: ${e.message}`)));
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end(opts.body);
  });
}

export async function joinCluster(opts: { server: string; token: string; nodeName: string }): Promise<string> {
  const m = /^K10([0-9a-f]{64})::(.+)$/.exec(opts.token.trim());
  if (!m) throw new Error('the join token must look like K10<sha256 of the cluster CA>::<secret> (see DATA_DIR/join-token on the server)');
  const [, wantHash, secret] = m;
  const base = new URL(opts.server);
  const ca = await fetch(new URL('/cacerts', base), { method: 'GET', insecure: true });
  if (ca.code !== 200) throw new Error(`fetching the cluster CA from ${base.origin}: HTTP ${ca.code}`);
  const got = createHash('sha256').update(ca.body).digest('hex');
  if (got !== wantHash) throw new Error(`the cluster CA served by ${base.origin} does not match the join token (sha256 ${got}); refusing to join`);
  const res = await fetch(new URL('/tskube/join', base), { method: 'POST', ca: ca.body, token: secret, body: JSON.stringify({ nodeName: opts.nodeName }) });
  if (res.code === 401) throw new Error('the join token was refused by the server (401 Unauthorized)');
  if (res.code !== 200) throw new Error(`join failed: HTTP ${res.code}: ${res.body}`);
  return (JSON.parse(res.body) as { kubeconfig: string }).kubeconfig;
}
