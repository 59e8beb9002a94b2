// Reading a component's secure port as Prometheus does with kube-prometheus' ServiceMonitors for
// kube-scheduler and kube-controller-manager: HTTPS without verifying the self-signed serving
// certificate (tlsConfig insecureSkipVerify) and the service account's bearer token.
import { request } from 'node:https';

export function scrape(url: string, token?: string): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { rejectUnauthorized: false, headers: token ? { Authorization: `Bearer ${token}` } : {}, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`${url}: timed out`)));
    req.end();
  });
}
