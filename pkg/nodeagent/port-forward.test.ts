// The port-forward session frame by frame, as a SPDY client sees it: a real TCP "pod" on
// loopback and a fake target; what kubectl cannot show (it quits after an error) is checked here.
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, FLAG_FIN, FrameReader, HeaderCompressor, HeaderDecompressor, RstStatus, type Frame } from '../util/spdy.js';
import { dialSandbox, portForwardStats, servePortForward } from './port-forward.js';

let pod: Server;
let podPort = 0;
let closedPort = 0;
let agent: Server;
/** An agent whose target dials as the node agent does: dialSandbox, here in the node's own namespace ("host"). */
let sandboxAgent: Server;

const listen = (s: Server) => new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));

beforeAll(async () => {
  // the "pod": echoes what it gets, then closes its side after the client's FIN
  pod = createServer({ allowHalfOpen: true }, (s) => {
    s.on('data', (b) => s.write(b));
    s.on('end', () => s.end());
  });
  podPort = await listen(pod);
  const tmp = createServer();
  closedPort = await listen(tmp);
  await new Promise((r) => tmp.close(r));
  agent = createServer((conn) => void servePortForward(conn, { pod: 'default/web', uid: 'u-1', dial: (port) => connect({ host: '127.0.0.1', port, allowHalfOpen: true }) }));
  await listen(agent);
  sandboxAgent = createServer((conn) => void servePortForward(conn, { pod: 'default/web', uid: 'u-1', dial: (port) => dialSandbox({ id: 'sb-1', netnsPath: '' }, port) }));
  await listen(sandboxAgent);
});
afterAll(() => {
  pod.close();
  agent.close();
  sandboxAgent.close();
});

/** A bare SPDY client: sends frames, and waits for the frames it expects, in order. */
async function client(server = agent) {
  const sock: Socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  const reader = new FrameReader();
  const deflate = new HeaderCompressor();
  const inflate = new HeaderDecompressor();
  const got: Frame[] = [];
  let wake = () => {};
  sock.on('data', (b: Buffer) => {
    got.push(...reader.push(b));
    wake();
  });
  const ended = new Promise<void>((r) => sock.once('end', r));
  return {
    send: (f: Frame) => sock.write(encodeFrame(f)),
    async open(id: number, kind: 'error' | 'data', port: number, requestId: string) {
      const headerBlock = await deflate.compress({ streamtype: [kind], port: [String(port)], requestid: [requestId] });
      sock.write(encodeFrame({ type: 'syn_stream', streamId: id, associatedTo: 0, priority: 0, slot: 0, flags: 0, headerBlock }));
    },
    /** The next frame (SYN_REPLY header blocks are decompressed, as the zlib stream requires). */
    async next(): Promise<Frame> {
      while (!got.length) await Promise.race([new Promise<void>((r) => (wake = r)), new Promise((_, rej) => setTimeout(() => rej(new Error('no frame within 5 s')), 5000))]);
      const f = got.shift()!;
      if (f.type === 'syn_reply') expect(await inflate.decompress(f.headerBlock)).toEqual({});
      return f;
    },
    ended,
    close() {
      deflate.close();
      inflate.close();
      sock.destroy();
    },
  };
}

const text = (f: Frame) => (f.type === 'data' ? { id: f.streamId, fin: (f.flags & FLAG_FIN) !== 0, data: f.data.toString() } : f);

describe('port-forward session', () => {
  it('answers pings, reports a refused port on the error stream, serves on, and ends on GOAWAY', async () => {
    const c = await client();
    c.send({ type: 'settings', flags: 0, entries: [{ flags: 0, id: 7, value: 1 << 16 }] });
    c.send({ type: 'ping', id: 2 }); // even: the server's own id space, ignored
    c.send({ type: 'ping', id: 1 });
    expect(await c.next()).toEqual({ type: 'ping', id: 1 });

    // a refused port: both streams answered, the error on the error stream, both FIN'd
    await c.open(1, 'error', closedPort, '0');
    c.send({ type: 'data', streamId: 1, flags: FLAG_FIN, data: Buffer.alloc(0) });
    await c.open(3, 'data', closedPort, '0');
    const refused = [await c.next(), await c.next(), await c.next(), await c.next(), await c.next()].map(text);
    expect(refused.slice(0, 2)).toEqual([expect.objectContaining({ type: 'syn_reply', streamId: 1 }), expect.objectContaining({ type: 'syn_reply', streamId: 3 })]);
    expect(refused[2]).toEqual({ id: 1, fin: false, data: `error forwarding port ${closedPort} to pod default/web, uid u-1: dial tcp 127.0.0.1:${closedPort}: connect: connection refused` });
    expect(refused.slice(3)).toEqual([{ id: 3, fin: true, data: '' }, { id: 1, fin: true, data: '' }]);

    // the same session forwards the next connection: data both ways, half-closes both ways
    await c.open(5, 'error', podPort, '1');
    await c.open(7, 'data', podPort, '1');
    c.send({ type: 'data', streamId: 7, flags: 0, data: Buffer.from('hello ') });
    c.send({ type: 'data', streamId: 7, flags: FLAG_FIN, data: Buffer.from('pod') });
    const frames: ReturnType<typeof text>[] = [];
    while (!frames.some((f) => 'fin' in f && f.id === 5 && f.fin)) frames.push(text(await c.next()));
    const echoed = frames.filter((f) => 'fin' in f && f.id === 7).map((f) => ('data' in f ? f.data : '')).join('');
    expect(echoed).toBe('hello pod');
    expect(frames.filter((f) => 'fin' in f && f.fin).map((f) => ('id' in f ? f.id : 0))).toEqual([7, 5]);
    expect(frames.some((f) => 'fin' in f && f.id === 5 && f.data)).toBe(false);

    // a client that resets the data stream: the pod connection is closed, the error stream FIN'd
    await c.open(9, 'error', podPort, '2');
    await c.open(11, 'data', podPort, '2');
    c.send({ type: 'data', streamId: 11, flags: 0, data: Buffer.from('x') });
    let f: ReturnType<typeof text>;
    do f = text(await c.next());
    while (!('fin' in f && f.id === 11 && f.data === 'x'));
    expect(portForwardStats()).toMatchObject({ sessions: 1, streams: 2, sockets: 1 });
    c.send({ type: 'rst_stream', streamId: 11, status: RstStatus.Cancel });
    expect(text(await c.next())).toEqual({ id: 9, fin: true, data: '' });
    expect(portForwardStats()).toMatchObject({ sessions: 1, streams: 0, sockets: 0 });

    // GOAWAY: the server answers with its own (last stream 11) and closes
    c.send({ type: 'goaway', lastGoodStreamId: 0, status: 0 });
    expect(await c.next()).toEqual({ type: 'goaway', lastGoodStreamId: 11, status: 0 });
    await c.ended;
    expect(portForwardStats()).toMatchObject({ sessions: 0, streams: 0, sockets: 0 });
    c.close();
  });

  it('a protocol error (stream ids going backwards) ends the session with GOAWAY PROTOCOL_ERROR', async () => {
    const c = await client();
    await c.open(5, 'error', podPort, '0');
    expect(await c.next()).toMatchObject({ type: 'syn_reply', streamId: 5 });
    await c.open(3, 'data', podPort, '0');
    expect(await c.next()).toEqual({ type: 'goaway', lastGoodStreamId: 5, status: 1 });
    await c.ended;
    c.close();
  });
});

describe('port-forward dials as containerd does (localhost in the sandbox, IPv4 then IPv6)', () => {
  it('a refused port: the error names the sandbox, its namespace and both refusals in containerd\'s words', async () => {
    const c = await client(sandboxAgent);
    await c.open(1, 'error', closedPort, '0');
    await c.open(3, 'data', closedPort, '0');
    const frames = [await c.next(), await c.next(), await c.next()].map(text);
    expect(frames[2]).toEqual({
      id: 1,
      fin: false,
      data: `error forwarding port ${closedPort} to pod sb-1, uid : failed to execute portforward in network namespace "host": failed to connect to localhost:${closedPort} inside namespace "sb-1", IPv4: dial tcp4 127.0.0.1:${closedPort}: connect: connection refused IPv6 dial tcp6 [::1]:${closedPort}: connect: connection refused `,
    });
    c.close();
  });

  it('reaches a server on 127.0.0.1, and one on [::1] only after IPv4 is refused', async () => {
    const v6 = createServer((s) => s.end('from-v6'));
    const v6Port = await new Promise<number>((r) => v6.listen(0, '::1', () => r((v6.address() as AddressInfo).port)));
    try {
      const c = await client(sandboxAgent);
      const fetch = async (port: number, ids: [number, number], requestId: string) => {
        await c.open(ids[0], 'error', port, requestId);
        await c.open(ids[1], 'data', port, requestId);
        c.send({ type: 'data', streamId: ids[1], flags: FLAG_FIN, data: Buffer.from('ping') });
        const got: ReturnType<typeof text>[] = [];
        while (!got.some((f) => 'fin' in f && f.id === ids[0] && f.fin)) got.push(text(await c.next()));
        return got.filter((f) => 'fin' in f && f.id === ids[1]).map((f) => ('data' in f ? f.data : '')).join('');
      };
      expect(await fetch(podPort, [1, 3], '0')).toBe('ping');
      expect(await fetch(v6Port, [5, 7], '1')).toBe('from-v6');
      c.close();
    } finally {
      v6.close();
    }
  });
});
