// The discovery wait ends at the discovery timeout (JoinConfiguration timeouts.discovery, 5m by
// default; tsctl join --config), even against an apiserver that takes the connection
// and never answers: each try is bounded by the time left, not by the client's own 60 s.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retrieveFileConfigInfo, retrieveValidatedConfigInfo } from './token-discovery.js';

let silent: Server;
const sockets: Socket[] = [];
let endpoint = '';
beforeAll(async () => {
  // (accepts, then says nothing: not even the TLS handshake's answer)
  silent = createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  endpoint = `127.0.0.1:${(silent.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
});

describe('the discovery wait', () => {
  it('token discovery gives up at its timeout against a silent apiserver, with the last error', async () => {
    const t0 = Date.now();
    const err = await retrieveValidatedConfigInfo({ endpoint, token: 'abcdef.0123456789abcdef', caCertHashes: [], unsafeSkipCAVerification: true, timeoutMs: 600, intervalMs: 200 }).catch((e: Error) => e);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect((err as Error).message).toMatch(/^failed to request the cluster-info ConfigMap: GET https:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/kube-public\/configmaps\/cluster-info: request timed out$/);
  });

  it('file discovery too', async () => {
    const kubeconfig = `apiVersion: v1\nkind: Config\nclusters:\n- name: ""\n  cluster:\n    server: https://${endpoint}\n`;
    const t0 = Date.now();
    const err = await retrieveFileConfigInfo(kubeconfig, { timeoutMs: 600, intervalMs: 200 }).catch((e: Error) => e);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect((err as Error).message).toMatch(/^abort connecting to API servers after timeout of 0\.6s: GET https:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/kube-public\/configmaps\/cluster-info: request timed out$/);
  });
});
