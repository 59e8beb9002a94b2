// GrpcApiClient against a small gRPC server of the Api service behind a TCP relay that can reset
// the connection a call came on: a read (get, list, a watch's start) whose connection is reset
// before its answer is made again a second later, as client-go's request() retries a GET on
// net.IsConnectionReset or net.IsProbableEOF; a write is never made again. Retries, those of a
// 429 with retry-after too, stay within the client's timeout, as client-go's within the request's
// context deadline.
import * as grpc from '@grpc/grpc-js';
import { createServer as createTcpServer, connect, type Server as TcpServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiService } from '../api/generated/tskube/api/v1/api.js';
import { ensurePki } from '../apiserver/pki.js';
import { GrpcApiClient } from './grpc-client.js';
import { Pods, StatusError } from './rest-client.js';

let server: grpc.Server;
let relay: TcpServer;
let client: GrpcApiClient;
/** A client whose calls may take 2.5 s in all. */
let timed: GrpcApiClient;
/** Calls the server received, by method name, with when. */
let seen: { method: string; at: number }[] = [];
/** How many of the next calls have their connection reset instead of an answer. */
let resets = 0;
/** How: an RST (read ECONNRESET) or a close (grpc-js's 'Connection dropped'). */
let how: 'reset' | 'close' = 'reset';
/** What the next calls get after the resets, in order, before answers: a 429 with retry-after 1, or no answer at all. */
let script: ('refuse' | 'hang')[] = [];

/** API Priority and Fairness' refusal, as the gRPC frontend sends it. */
function refusal(): grpc.ServiceError {
  const md = new grpc.Metadata();
  md.set('k8s-status', JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Too many requests, please try again later.', reason: 'TooManyRequests', details: { retryAfterSeconds: 1 }, code: 429 }));
  md.set('retry-after', '1');
  return Object.assign(new Error('Too many requests, please try again later.'), { code: grpc.status.RESOURCE_EXHAUSTED, details: 'Too many requests, please try again later.', metadata: md });
}
/** The relay's client side of each connection, by the local port of its server side (the peer the server sees). */
const downstream = new Map<number, Socket>();
const dir = mkdtempSync(join(tmpdir(), 'grpc-client-retry-'));

/** Answers a call, or resets the connection it came on while it waits for its answer. */
function handle<Res>(method: string, reply: () => Res) {
  return (call: grpc.ServerUnaryCall<unknown, Res> | grpc.ServerWritableStream<unknown, Res>, cb?: grpc.sendUnaryData<Res>) => {
    seen.push({ method, at: performance.now() });
    if (resets > 0) {
      resets--;
      const port = Number(call.getPeer().split(':').pop());
      const down = downstream.get(port);
      if (how === 'reset') down?.resetAndDestroy();
      else down?.destroy();
      return;
    }
    const act = script.shift();
    if (act === 'hang') return;
    if (act === 'refuse') {
      if (cb) cb(refusal());
      else (call as grpc.ServerWritableStream<unknown, Res>).emit('error', refusal());
      return;
    }
    if (cb) cb(null, reply());
    else {
      const stream = call as grpc.ServerWritableStream<unknown, Res>;
      stream.sendMetadata(new grpc.Metadata());
      stream.write(reply());
      stream.end();
    }
  };
}

beforeAll(async () => {
  const pki = await ensurePki(dir, ['127.0.0.1', 'localhost']);
  server = new grpc.Server();
  const pod = JSON.stringify({ kind: 'Pod', metadata: { name: 'p' } });
  server.addService(ApiService, {
    get: handle('get', () => ({ objectJson: pod })),
    list: handle('list', () => ({ itemsJson: [pod], resourceVersion: '7', continue: '' })),
    create: handle('create', () => ({ objectJson: pod })),
    update: handle('update', () => ({ objectJson: pod })),
    patch: handle('patch', () => ({ objectJson: pod })),
    delete: handle('delete', () => ({ objectJson: pod })),
    watch: handle('watch', () => ({ type: 'ADDED', objectJson: pod })),
  } as unknown as grpc.UntypedServiceImplementation);
  const grpcPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createSsl(Buffer.from(pki.caCert), [{ cert_chain: Buffer.from(pki.cert), private_key: Buffer.from(pki.key) }], false), (e, p) => (e ? reject(e) : resolve(p))),
  );
  relay = createTcpServer((down) => {
    const up = connect(grpcPort, '127.0.0.1', () => downstream.set(up.localPort!, down));
    down.pipe(up).pipe(down);
    const end = () => (up.destroy(), down.destroy());
    up.on('error', end).on('close', end);
    down.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  const port = (relay.address() as { port: number }).port;
  client = new GrpcApiClient(`127.0.0.1:${port}`, { caCert: pki.caCert, token: 't' });
  timed = new GrpcApiClient(`127.0.0.1:${port}`, { caCert: pki.caCert, token: 't', timeoutMs: 2500 });
});

beforeEach(() => {
  seen = [];
  resets = 0;
  how = 'reset';
  script = [];
});

afterAll(async () => {
  client?.close();
  timed?.close();
  server?.forceShutdown();
  for (const s of downstream.values()) s.destroy();
  await new Promise((r) => relay?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('GrpcApiClient retries a read whose connection was reset (client-go isErrRetryableFunc)', () => {
  it.each(['reset', 'close'] as const)('makes a get again a second after its connection is lost (%s)', async (drop) => {
    await client.get(Pods, 'default', 'p'); // (a connection to reset)
    seen = [];
    resets = 1;
    how = drop;
    expect(await client.get(Pods, 'default', 'p')).toEqual({ kind: 'Pod', metadata: { name: 'p' } });
    expect(seen.map((s) => s.method)).toEqual(['get', 'get']);
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('retries a list and a watch\'s start', async () => {
    resets = 1;
    expect((await client.list(Pods, 'default')).items).toEqual([{ kind: 'Pod', metadata: { name: 'p' } }]);
    expect(seen.map((s) => s.method)).toEqual(['list', 'list']);
    seen = [];
    resets = 1;
    const events: unknown[] = [];
    const w = await client.watch(Pods, 'default', {}, (e) => events.push(e));
    await w.done;
    expect(events).toEqual([{ type: 'ADDED', object: { kind: 'Pod', metadata: { name: 'p' } } }]);
    expect(seen.map((s) => s.method)).toEqual(['watch', 'watch']);
  });

  it('never makes a write again', async () => {
    for (const write of [() => client.create(Pods, 'default', {}), () => client.update(Pods, 'default', 'p', {}), () => client.patch(Pods, 'default', 'p', {}), () => client.delete(Pods, 'default', 'p')]) {
      await client.get(Pods, 'default', 'p');
      seen = [];
      resets = 1;
      const err = await write().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StatusError);
      expect((err as StatusError).status).toBeUndefined();
      expect(seen).toHaveLength(1);
    }
  });
});

describe('GrpcApiClient retries within the call\'s timeout (client-go: the request\'s context deadline)', () => {
  it('makes no retry whose wait would end past the timeout, and gives the last refusal', async () => {
    script = Array.from({ length: 11 }, () => 'refuse' as const);
    const started = performance.now();
    const err = await timed.get(Pods, 'default', 'p').catch((e: unknown) => e);
    expect((err as StatusError).code).toBe(429);
    expect((err as StatusError).message).toBe('Too many requests, please try again later.');
    // (tries at 0, 1 and 2 s; a third retry would come at 3 s, past 2.5 s)
    expect(seen).toHaveLength(3);
    expect(performance.now() - started).toBeLessThan(2500);
  });

  it('gives a retry the time left as its deadline', async () => {
    script = ['refuse', 'hang'];
    const started = performance.now();
    const err = await timed.list(Pods, 'default').catch((e: unknown) => e);
    expect((err as StatusError).code).toBe(503);
    expect((err as StatusError).message).toMatch(/^gRPC list: 4 DEADLINE_EXCEEDED: Deadline exceeded/);
    expect(seen).toHaveLength(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(2400);
    expect(performance.now() - started).toBeLessThan(3500);
  });

  it('bounds a watch\'s start by its timeoutSeconds', async () => {
    script = Array.from({ length: 11 }, () => 'refuse' as const);
    const err = await client.watch(Pods, 'default', { timeoutSeconds: 2 }, () => {}).catch((e: unknown) => e);
    expect((err as StatusError).code).toBe(429);
    expect(seen).toHaveLength(2);
  });
});
