import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import * as errors from '../errors.js';
import { ApiError } from '../errors.js';
import { checkWatchMedia, decodeBody, jsonHeaders, methodVerb, sendJsonList, sendStatus, sendYaml } from './http-util.js';
import type { IncomingMessage } from 'node:http';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** Serves one list through sendJsonList on loopback and returns the raw answer. */
async function served(items: string[]): Promise<{ body: string; headers: Record<string, unknown> }> {
  server = createServer((_req, res) => void sendJsonList(res, '{"kind":"List","apiVersion":"v1","metadata":{},"items":[', items, ']}'));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    }).on('error', reject);
  });
}

describe('sendJsonList', () => {
  it('streams a large list with each item on a line of its own, multi-byte text and oversized items intact', async () => {
    const items: string[] = [];
    for (let i = 0; i < 3000; i++) items.push(JSON.stringify({ name: `item-${i}`, note: i % 7 ? 'plain ascii text '.repeat(30) : 'grüße, 雪, 🚀 '.repeat(40) }));
    // One item larger than a piece, in three-byte characters, and one pretty-printed (raw newlines).
    items.splice(1500, 0, JSON.stringify({ name: 'huge', note: '雪'.repeat(300_000) }));
    items.splice(10, 0, JSON.stringify({ name: 'pretty', nested: { a: [1, 2] } }, null, 2));
    const { body, headers } = await served(items);
    expect(headers['transfer-encoding']).toBe('chunked');
    const parsed = JSON.parse(body) as { items: unknown[] };
    expect(parsed.items).toEqual(items.map((s) => JSON.parse(s)));
    const lines = body.split('\n');
    expect(lines).toHaveLength(items.length + 2);
    expect(lines[0]).toBe('{"kind":"List","apiVersion":"v1","metadata":{},"items":[');
    expect(lines[11]).toBe('{"name":"pretty","nested":{"a":[1,2]}},');
    expect(lines.at(-1)).toBe(']}');
  });

  it('sends a small list in one piece with its length', async () => {
    const items = ['{"a":1}', '{"b":"ü"}'];
    const { body, headers } = await served(items);
    expect(body).toBe('{"kind":"List","apiVersion":"v1","metadata":{},"items":[{"a":1},{"b":"ü"}]}');
    expect(headers['content-length']).toBe(String(Buffer.byteLength(body)));
  });

  it('returns, writing nothing, when the client left while the list was read', async () => {
    const items = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ name: `item-${i}`, pad: 'x'.repeat(1000) }));
    let finished!: (v: string) => void;
    const done = new Promise<string>((r) => (finished = r));
    server = createServer((req, res) => {
      // (the list is read after the client is gone)
      res.on('close', () => void sendJsonList(res, '{"items":[', items, ']}').then(() => finished('returned'), (e: Error) => finished(e.message)));
      req.socket.destroy();
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    get({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/' }).on('error', () => {});
    expect(await Promise.race([done, new Promise((r) => setTimeout(() => r('hung'), 3000))])).toBe('returned');
  });
});

describe('jsonHeaders', () => {
  it('sends each warning once, in the order first given (a retried write warns again)', () => {
    expect(jsonHeaders(['a "b"', 'c', 'a "b"'])['Warning']).toEqual(['299 - "a \\"b\\""', '299 - "c"']);
    expect(jsonHeaders([])['Warning']).toBeUndefined();
  });
});

describe('sendStatus', () => {
  /** The headers and Status of one error answered through sendStatus. */
  async function answered(err: ApiError): Promise<{ status: number; headers: Record<string, unknown>; body: Record<string, unknown> }> {
    server = createServer((_req, res) => sendStatus(res, err));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    return new Promise((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/' }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(text) as Record<string, unknown> }));
      }).on('error', reject);
    });
  }

  it('leaves out the details\' empty members, as StatusDetails\' and StatusCause\'s omitempty do', async () => {
    expect((await answered(errors.notFound('', 'configmaps', 'nope'))).body.details).toEqual({ name: 'nope', kind: 'configmaps' });
    const invalid = await answered(errors.invalid('PodLogOptions', '', 'web', [{ type: 'FieldValueForbidden', field: '', detail: 'at most one of `sinceTime` or `sinceSeconds` may be specified' }]));
    expect(invalid.body.details).toEqual({ name: 'web', kind: 'PodLogOptions', causes: [{ reason: 'FieldValueForbidden', message: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified' }] });
  });

  it('says when to retry in Retry-After, as client-go reads it, whenever the Status does', async () => {
    const tooLarge = await answered(errors.tooLargeResourceVersion(90, 12));
    expect(tooLarge.status).toBe(504);
    expect(tooLarge.headers['retry-after']).toBe('1');
    expect(tooLarge.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Timeout: Too large resource version: 90, current: 12',
      reason: 'Timeout',
      details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
      code: 504,
    });
    const storageDown = await answered(errors.unavailable('storage unavailable: etcd is down'));
    expect([storageDown.status, storageDown.headers['retry-after']]).toEqual([503, '1']);
    const budget = await answered(new ApiError(429, 'TooManyRequests', 'Cannot evict pod', { retryAfterSeconds: 10 }));
    expect([budget.status, budget.headers['retry-after']]).toEqual([429, '10']);
    const notFound = await answered(errors.notFound('', 'pods', 'web'));
    expect(notFound.headers['retry-after']).toBeUndefined();
    const noWait = await answered(new ApiError(429, 'TooManyRequests', 'Cannot evict pod', { retryAfterSeconds: 0 }));
    expect(noWait.headers['retry-after']).toBeUndefined();
  });
});

describe('decodeBody', () => {
  it("reads a YAML body by YAML 1.1's rules, as 1.32's yaml serializer does through sigs.k8s.io/yaml and go-yaml v2", () => {
    const body = Buffer.from('kind: Pod\nspec:\n  containers:\n  - name: c\n    stdin: on\n    tty: yes\n  volumes:\n  - secret:\n      defaultMode: 0644\nmetadata:\n  labels:\n    a: "yes"\n    b: n\n');
    expect(decodeBody(body, 'application/yaml')).toEqual({
      kind: 'Pod',
      spec: { containers: [{ name: 'c', stdin: true, tty: true }], volumes: [{ secret: { defaultMode: 420 } }] },
      // (an unquoted n is the bool false, which the object's decoding then refuses for a label)
      metadata: { labels: { a: 'yes', b: false } },
    });
  });
});

describe('YAML answers', () => {
  /** The raw answer of one handler on loopback. */
  async function raw(handler: Parameters<typeof createServer>[1]): Promise<{ status: number; type: unknown; text: string }> {
    server = createServer(handler);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    return new Promise((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/' }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'], text }));
      }).on('error', reject);
    });
  }

  it('are go-yaml v2\'s, as sigs.k8s.io/yaml writes them (keys in its order, YAML 1.1 quoting)', async () => {
    const got = await raw((_req, res) => sendYaml(res, 200, { kind: 'ConfigMap', data: { yes: 'yes', a10: '0644', a9: '*/1 * * * *' } }));
    expect([got.type, got.text]).toEqual(['application/yaml', `data:\n  a9: '*/1 * * * *'\n  a10: "0644"\n  "yes": "yes"\nkind: ConfigMap\n`]);
  });

  it('include an error\'s Status when the request asked for YAML, as ErrorNegotiated writes it', async () => {
    const got = await raw((_req, res) => sendStatus(res, errors.notFound('', 'configmaps', 'nope'), [], true));
    expect(got.status).toBe(404);
    expect(got.type).toBe('application/yaml');
    expect(got.text).toMatch(/^apiVersion: v1\ncode: 404\ndetails:\n(.*\n)*kind: Status\nmessage: configmaps "nope" not found\nmetadata: \{\}\nreason: NotFound\nstatus: Failure\n$/);
  });

  it('are refused for a watch: the yaml serializer has no stream serializer', () => {
    const req = (accept: string) => ({ headers: { accept } }) as IncomingMessage;
    expect(() => checkWatchMedia(req('application/yaml'))).toThrow('only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf');
    expect(() => checkWatchMedia(req('application/json'))).not.toThrow();
  });
});

describe('methodVerb', () => {
  it('gives the authorization verb of a method, as RequestInfo does (a proxied request\'s verb)', () => {
    expect(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].map(methodVerb)).toEqual(['get', 'get', 'create', 'update', 'patch', 'delete', 'options']);
  });
});
