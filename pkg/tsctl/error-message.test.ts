import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensurePki } from '../apiserver/pki.js';
import { run } from './cli.js';
import { StatusError } from '../client/rest-client.js';
import { genericServerResponse } from '../client/response-error.js';
import { standardErrorMessage } from './error-message.js';

const of = (code: number, status: Record<string, unknown>) => new StatusError(code, status, String(status.message));

describe('standardErrorMessage (kubectl StandardErrorMessage)', () => {
  it('words a reason, a 401 and a Status with no reason as kubectl does', () => {
    expect(standardErrorMessage(of(404, { reason: 'NotFound', message: 'pods "p" not found' }))).toBe('Error from server (NotFound): pods "p" not found');
    expect(standardErrorMessage(of(401, { reason: 'Unauthorized', message: 'Unauthorized' }))).toBe('error: You must be logged in to the server (Unauthorized)');
    const teapot = genericServerResponse(418, 'GET', '/api/v1/namespaces/default/pods/p', { 'content-type': 'text/plain' }, 'short and stout');
    expect(standardErrorMessage(of(418, teapot))).toBe('Error from server: the server responded with the status code 418 but did not return more information (get pods p)');
  });
});

describe('tsctl prints an API error as kubectl does', () => {
  it('for a 401, and for a code with no reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsctl-error-message-'));
    const pki = await ensurePki(dir, ['127.0.0.1']);
    let answer = { code: 401, type: 'application/json', body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 }) };
    const server = createServer({ cert: pki.cert, key: pki.key }, (req, res) => {
      req.resume();
      res.writeHead(answer.code, { 'Content-Type': answer.type }).end(answer.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const kubeconfig = join(dir, 'kubeconfig');
      const server64 = Buffer.from(pki.caCert).toString('base64');
      writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:${(server.address() as AddressInfo).port}\n    certificate-authority-data: ${server64}\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\n`);
      let err = '';
      expect(await run(['--kubeconfig', kubeconfig, 'get', 'pod', 'p'], { out: () => {}, err: (s) => (err += s) })).toBe(1);
      expect(err).toBe('error: You must be logged in to the server (Unauthorized)\n');
      answer = { code: 418, type: 'text/plain', body: "I'm a teapot" };
      err = '';
      expect(await run(['--kubeconfig', kubeconfig, 'get', 'pod', 'p'], { out: () => {}, err: (s) => (err += s) })).toBe(1);
      expect(err).toMatch(/^Error from server: the server responded with the status code 418 but did not return more information( \(get [a-z.]+( \S+)?\))?\n$/);
    } finally {
      server.close();
      server.closeAllConnections();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
