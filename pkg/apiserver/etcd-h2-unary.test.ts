// The unary HTTP/2 transport against node:http2's server (another HTTP/2 implementation, with its
// own HPACK encoder that Huffman-codes names and values): answers, gRPC errors with their text,
// flow control with small windows and frames, GOAWAY, refused and reset streams, deadlines.
import http2, { type Http2Server, type ServerHttp2Stream } from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EtcdError } from './etcd-errors.js';
import { UnaryConnection } from './etcd-h2-unary.js';
import { grpcRequestHeaders, summarizeBlock } from './etcd-h2-hpack.js';
import { Flag, frame, FrameParser, FrameType, PREFACE, settingsAck, settingsFrame } from './etcd-h2-frames.js';

const grpc = (payload: Buffer) => {
  const b = Buffer.alloc(5 + payload.length);
  b.writeUInt32BE(payload.length, 1);
  payload.copy(b, 5);
  return b;
};

type Handler = (stream: ServerHttp2Stream, body: Buffer, headers: http2.IncomingHttpHeaders) => void;

const servers: Http2Server[] = [];
const sessions: http2.ServerHttp2Session[] = [];
const conns: UnaryConnection[] = [];
afterEach(async () => {
  for (const c of conns.splice(0)) c.close();
  // (node's server keeps a session it sent GOAWAY on open after the client closed the socket)
  for (const s of sessions.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(handler: Handler, settings: http2.Settings = {}): Promise<UnaryConnection> {
  const server = http2.createServer({ settings });
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => handler(stream, Buffer.concat(chunks), headers));
    stream.on('error', () => {});
  });
  server.on('sessionError', () => {});
  server.on('session', (s) => sessions.push(s));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const c = new UnaryConnection(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 10_000);
  conns.push(c);
  return c;
}

/** Echoes the request's message back, reversed, with grpc-status 0 in trailers. */
const echo: Handler = (stream, body) => {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': '' }));
  stream.end(grpc(Buffer.from(body.subarray(5)).reverse()));
};

async function rejection(p: Promise<unknown>): Promise<EtcdError> {
  const e = await p.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  expect(e).toBeInstanceOf(EtcdError);
  return e as EtcdError;
}

describe('UnaryConnection', () => {
  it('makes calls, many at once, with the path, content-type and te a gRPC server expects', async () => {
    const seen: http2.IncomingHttpHeaders[] = [];
    const c = await serve((s, body, h) => {
      seen.push(h);
      echo(s, body, h);
    });
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => c.call('/etcdserverpb.KV/Range', Buffer.from(`abc${i}`), 5000)));
    expect(answers.map((a) => a.toString())).toEqual(Array.from({ length: 50 }, (_, i) => `${i}`.split('').reverse().join('') + 'cba'));
    expect(seen[0]).toMatchObject({ ':method': 'POST', ':scheme': 'http', ':path': '/etcdserverpb.KV/Range', 'content-type': 'application/grpc', te: 'trailers' });
    expect(seen[0]![':authority']).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it("reports a gRPC error with the server's code and text, also as a trailers-only answer", async () => {
    const c = await serve((s, body) => {
      if (body.subarray(5).toString() === 'only') s.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '11', 'grpc-message': 'etcdserver: mvcc: required revision has been compacted' }, { endStream: true });
      else {
        s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '3', 'grpc-message': 'etcdserver: request is too large %25' }));
        s.end();
      }
    });
    const a = await rejection(c.call('/x', Buffer.from('only'), 5000));
    expect([a.code, a.message, a.transport, a.sent]).toEqual([11, 'etcdserver: mvcc: required revision has been compacted', false, true]);
    const b = await rejection(c.call('/x', Buffer.from('trailers'), 5000));
    expect([b.code, b.message]).toEqual([3, 'etcdserver: request is too large %']);
    // The connection still answers.
    expect(summarizeBlock(grpcRequestHeaders('/p', 'h:1'))).toEqual({});
  });

  it('sends a message larger than the peer windows and frame size as the windows open', async () => {
    const c = await serve(echo, { initialWindowSize: 1000, maxFrameSize: 16384 });
    const big = Buffer.alloc(300_000, 7);
    big[0] = 1;
    const answers = await Promise.all([c.call('/big', big, 10_000), c.call('/big', Buffer.from('small'), 10_000)]);
    expect(answers[0]!.length).toBe(big.length);
    expect(answers[0]![big.length - 1]).toBe(1);
    expect(answers[1]!.toString()).toBe('llams');
  });

  it('receives answers larger than the default windows', async () => {
    const c = await serve((s) => {
      s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
      s.end(grpc(Buffer.alloc(5_000_000, 9)));
    });
    const [a, b] = await Promise.all([c.call('/list', Buffer.from('x'), 10_000), c.call('/list', Buffer.from('y'), 10_000)]);
    expect(a!.length).toBe(5_000_000);
    expect(b!.length).toBe(5_000_000);
  });

  it('fails a call the server resets, as sent unless the stream was refused', async () => {
    const c = await serve((s, body) => s.close(body.subarray(5).toString() === 'refuse' ? http2.constants.NGHTTP2_REFUSED_STREAM : http2.constants.NGHTTP2_INTERNAL_ERROR));
    const refused = await rejection(c.call('/x', Buffer.from('refuse'), 5000));
    expect([refused.transport, refused.sent, refused.retryable(false)]).toEqual([true, false, true]);
    const reset = await rejection(c.call('/x', Buffer.from('reset'), 5000));
    expect([reset.transport, reset.sent, reset.retryable(false)]).toEqual([true, true, false]);
  });

  it('after GOAWAY, fails calls past its last stream as never sent, and dials again for new calls', async () => {
    const c = await serve((s, body, h) => {
      if (s.id === 1) {
        // Stream 1 is answered after the session is told to go away; stream 3 is past the last one.
        s.session!.goaway(http2.constants.NGHTTP2_NO_ERROR, 1);
        setTimeout(() => echo(s, body, h), 50);
        return;
      }
      echo(s, body, h);
    });
    const [first, second] = await Promise.allSettled([c.call('/x', Buffer.from('one'), 5000), c.call('/x', Buffer.from('two'), 5000)]);
    expect(first.status === 'fulfilled' && first.value.toString()).toBe('eno');
    const e = (second as PromiseRejectedResult).reason as EtcdError;
    expect([e.transport, e.sent, e.retryable(false)]).toEqual([true, false, true]);
    expect(e.message).toMatch(/GOAWAY/);
    expect((await c.call('/x', Buffer.from('three'), 5000)).toString()).toBe('eerht');
  });

  it('fails calls at their deadline, and calls to a closed port as never sent', async () => {
    const c = await serve(() => {});
    const t0 = Date.now();
    const late = await rejection(c.call('/slow', Buffer.from('x'), 300));
    expect(late.code).toBe(4);
    expect(late.message).toMatch(/no answer within 300 ms/);
    expect(Date.now() - t0).toBeLessThan(1500);

    const dead = new UnaryConnection('http://127.0.0.1:1', 10_000);
    conns.push(dead);
    const e = await rejection(dead.call('/x', Buffer.from('x'), 5000));
    expect([e.transport, e.sent]).toEqual([true, false]);
    dead.close();
    expect((await rejection(dead.call('/x', Buffer.from('x'), 5000))).message).toMatch(/closed/);
  });
  it('hands the endpoint to its fallback for good when the peer answers with a dynamic-table header block it was asked not to use', async () => {
    // A raw peer: SETTINGS, then every request answered with a header block naming dynamic entry 62.
    const server = net.createServer((sock) => {
      sock.on('error', () => {});
      sock.write(Buffer.concat([settingsFrame([]), settingsAck()]));
      let got = Buffer.alloc(0);
      sock.on('data', (chunk: Buffer) => {
        got = Buffer.concat([got, chunk]);
        if (got.length < PREFACE.length) return;
        const ids = new Set<number>();
        new FrameParser(1 << 24).push(got.subarray(PREFACE.length), (f) => f.type === FrameType.HEADERS && ids.add(f.stream));
        for (const id of ids) sock.write(frame(FrameType.HEADERS, Flag.END_HEADERS, id, Buffer.from([0xbe])));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const viaNode: string[] = [];
    const c = new UnaryConnection(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 10_000, async (path) => (viaNode.push(path), Buffer.from('fallback')));
    conns.push(c);
    try {
      const e = await rejection(c.call('/x', Buffer.from('one'), 5000));
      expect(e.transport).toBe(true);
      expect(e.message).toMatch(/HPACK: indexed field 62 outside the static table/);
      expect((await c.call('/y', Buffer.from('two'), 5000)).toString()).toBe('fallback');
      expect(viaNode).toEqual(['/y']);
    } finally {
      c.close();
      server.close();
    }
  });
});
