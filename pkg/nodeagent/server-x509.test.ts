// The agent's HTTPS port takes client certificates signed by its --client-ca-file, as the 1.32
// kubelet's x509 authenticator does: the apiserver's kube-apiserver-kubelet-client (O
// kubeadm:cluster-admins) is the user CN names, with its O groups and system:authenticated, and is
// authorized by a SubjectAccessReview like any other user; a certificate of another CA is not
// believed. Streams (exec, attach, port-forward) meet the same checks.
import { Agent, request } from 'node:https';
import { connect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureKubeletClientCert, ensurePki } from '../apiserver/pki.js';
import type { NodeAgent } from './agent.js';
import { startAgentServer } from './server.js';
import { DynamicClientCA } from './client-ca.js';

let server: Server;
let dir: string;
let client: { cert: string; key: string };
let stranger: { cert: string; key: string };
const reviews: { kind: string; body: unknown }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsk-agent-x509-'));
  const cluster = await ensurePki(join(dir, 'cluster'), ['127.0.0.1']);
  client = await ensureKubeletClientCert(join(dir, 'cluster'));
  // (the same subject from a CA the agent does not know)
  await ensurePki(join(dir, 'other'), ['127.0.0.1']);
  stranger = await ensureKubeletClientCert(join(dir, 'other'));
  const agent = { cfg: { nodeName: 'n1' }, runtime: {}, workers: new Map() } as unknown as NodeAgent;
  server = await startAgentServer(agent, {
    host: '127.0.0.1',
    port: 0,
    token: '',
    dataDir: join(dir, 'agent'),
    nodeIP: '127.0.0.1',
    clientCA: cluster.caCert,
    reviews: async (path, body) => {
      reviews.push({ kind: path.split('/').pop()!, body });
      if (path.endsWith('/tokenreviews')) return { status: { authenticated: false } };
      return { status: { allowed: (body as { spec: { groups: string[] } }).spec.groups.includes('kubeadm:cluster-admins') } };
    },
  });
}, 30_000);
afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const port = () => (server.address() as AddressInfo).port;

const get = (path: string, pair?: { cert: string; key: string }) =>
  new Promise<{ code: number; body: string }>((resolve, reject) => {
    request({ host: '127.0.0.1', port: port(), path, rejectUnauthorized: false, ...pair }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });

/** The first line of the agent's answer to a websocket upgrade. */
const upgrade = (path: string, pair?: { cert: string; key: string }) =>
  new Promise<string>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: port(), rejectUnauthorized: false, ...pair }, () => {
      s.write(`GET ${path} HTTP/1.1\r\nHost: agent\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n`);
    });
    let got = '';
    s.setEncoding('utf8').on('data', (d: string) => (got += d)).on('end', () => resolve(got)).on('error', reject);
  });

describe('client certificates on the agent\'s HTTPS port', () => {
  it('the apiserver\'s kubelet client certificate is its user, authorized by a SubjectAccessReview', async () => {
    reviews.length = 0;
    expect(await get('/healthz', client)).toEqual({ code: 200, body: 'ok' });
    expect(reviews).toEqual([
      {
        kind: 'subjectaccessreviews',
        body: expect.objectContaining({ spec: expect.objectContaining({ user: 'kube-apiserver-kubelet-client', groups: ['kubeadm:cluster-admins', 'system:authenticated'], resourceAttributes: { verb: 'get', resource: 'nodes', subresource: 'proxy', name: 'n1', version: 'v1' } }) }),
      },
    ]);
  });

  it('a certificate of another CA, or none, is 401', async () => {
    expect(await get('/healthz', stranger)).toEqual({ code: 401, body: 'Unauthorized' });
    expect(await get('/healthz')).toEqual({ code: 401, body: 'Unauthorized' });
  });

  it('streams take the certificate too: exec reaches the agent, which has no such container', async () => {
    expect(await upgrade('/exec/default/p/main?command=true&stdout=true', client)).toMatch(/^HTTP\/1\.1 404 Not Found\r\n\r\ncontainer not found \("main"\)/);
    expect(await upgrade('/exec/default/p/main?command=true&stdout=true', stranger)).toMatch(/^HTTP\/1\.1 401 Unauthorized/);
  });
});

describe('a --client-ca-file that changes (dynamiccertificates)', () => {
  it('the agent believes the new bundle once it is reloaded, on new connections and on ones kept alive from before', async () => {
    const caFile = join(dir, 'client-ca.crt');
    writeFileSync(caFile, readFileSync(join(dir, 'cluster', 'pki', 'ca.crt'), 'utf8'));
    const ca = new DynamicClientCA(caFile);
    const agent = { cfg: { nodeName: 'n1' }, runtime: {}, workers: new Map() } as unknown as NodeAgent;
    const reloading = await startAgentServer(agent, {
      host: '127.0.0.1',
      port: 0,
      token: '',
      dataDir: join(dir, 'agent2'),
      nodeIP: '127.0.0.1',
      clientCA: ca,
      reviews: async (path) => ({ status: path.endsWith('/tokenreviews') ? { authenticated: false } : { allowed: true } }),
    });
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const at = (pair: { cert: string; key: string }, agent?: Agent) =>
        new Promise<number>((resolve, reject) => {
          request({ host: '127.0.0.1', port: (reloading.address() as AddressInfo).port, path: '/healthz', rejectUnauthorized: false, ...pair, ...(agent ? { agent } : { agent: false }) }, (res) => {
            res.resume().on('end', () => resolve(res.statusCode ?? 0));
          })
            .on('error', reject)
            .end();
        });
      expect(await at(client, keepAlive)).toBe(200);
      expect(await at(stranger)).toBe(401);
      // (the file now holds the other CA only, as when an admin rotates the cluster CA)
      writeFileSync(caFile, readFileSync(join(dir, 'other', 'pki', 'ca.crt'), 'utf8'));
      expect(ca.reload()).toBe(true);
      expect(await at(stranger)).toBe(200);
      expect(await at(client)).toBe(401);
      // (the connection verified under the old bundle is checked again at its next request)
      expect(await at(client, keepAlive)).toBe(401);
    } finally {
      keepAlive.destroy();
      reloading.close();
    }
  });
});

describe('a serving pair that changes (serverTLSBootstrap)', () => {
  it('the port shows the pair it is given, and a new one once told', async () => {
    const first = await ensurePki(join(dir, 'serving-1'), ['127.0.0.1']);
    const second = await ensurePki(join(dir, 'serving-2'), ['127.0.0.1']);
    let pair = { cert: first.cert, key: first.key };
    const listeners: (() => void)[] = [];
    const agent = { cfg: { nodeName: 'n1' }, runtime: {}, workers: new Map() } as unknown as NodeAgent;
    const serving = await startAgentServer(agent, { host: '127.0.0.1', port: 0, token: '', dataDir: join(dir, 'agent3'), nodeIP: '127.0.0.1', serving: { current: () => pair, onChange: (fn) => listeners.push(fn) } });
    const shown = () =>
      new Promise<string>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: (serving.address() as AddressInfo).port, rejectUnauthorized: false }, () => {
          resolve(s.getPeerCertificate().fingerprint256);
          s.destroy();
        }).on('error', reject);
      });
    try {
      const fp = (pem: string) => new X509Certificate(pem).fingerprint256;
      expect(await shown()).toBe(fp(first.cert));
      pair = { cert: second.cert, key: second.key };
      for (const fn of listeners) fn();
      expect(await shown()).toBe(fp(second.cert));
    } finally {
      serving.close();
    }
  });
});
