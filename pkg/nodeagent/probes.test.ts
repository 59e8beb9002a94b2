import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Container, Pod } from '../api/types.js';
import type { ExecSyncResult, RuntimeService } from '../runtime/types.js';
import { Prober, runHook, runProbe, type ProbeResult } from './probes.js';

/** A runtime whose only use here is execSync, answering with `result`. */
const runtime = (result: ExecSyncResult) => ({ execSync: async () => result }) as unknown as RuntimeService;
const idle = runtime({ stdout: '', stderr: '', exitCode: 0 });
const container: Container = { name: 'app', image: 'x' };
const pod: Pod = { metadata: { name: 'web', namespace: 'default', uid: 'u-1' } };
/** Nothing listens on port 1 of loopback. */
const CLOSED = 1;

let server: Server;
let port = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 3000);
    const to = { '/moved': '/healthz', '/moved-down': 'down', '/loop': '/loop', '/away': `http://localhost:${port}/down` }[req.url ?? ''];
    if (to) return void res.writeHead(302, { Location: to }).end(req.url === '/away' ? 'see the other host' : undefined);
    res.writeHead(req.url === '/healthz' ? 200 : 503).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('probe results, worded as the kubelet words them', () => {
  it('exec: the output alone, or that the command timed out', async () => {
    const failed = runtime({ stdout: '', stderr: "cat: can't open '/tmp/healthy': No such file or directory\n", exitCode: 1 });
    expect(await runProbe(failed, 'c1', container, { exec: { command: ['cat', '/tmp/healthy'] } }, '127.0.0.1', 1)).toEqual({ ok: false, message: "cat: can't open '/tmp/healthy': No such file or directory\n" });
    const slow = runtime({ stdout: 'partial', stderr: '', exitCode: 137, timedOut: true });
    expect(await runProbe(slow, 'c1', container, { exec: { command: ['sh', '-c', 'sleep 10'] } }, '127.0.0.1', 1)).toEqual({ ok: false, message: 'command "sh -c sleep 10" timed out' });
    expect(await runProbe(idle, 'c1', container, { exec: { command: ['true'] } }, '127.0.0.1', 1)).toEqual({ ok: true });
  });

  it('httpGet: the status code, or Go\'s transport error with the URL', async () => {
    expect(await runProbe(idle, 'c1', container, { httpGet: { path: '/healthz', port } }, '127.0.0.1', 1)).toEqual({ ok: true });
    expect(await runProbe(idle, 'c1', container, { httpGet: { path: '/down', port } }, '127.0.0.1', 1)).toEqual({ ok: false, message: 'HTTP probe failed with statuscode: 503' });
    expect(await runProbe(idle, 'c1', container, { httpGet: { path: '/x', port: CLOSED } }, '127.0.0.1', 1)).toEqual({ ok: false, message: 'Get "http://127.0.0.1:1/x": dial tcp 127.0.0.1:1: connect: connection refused' });
    expect(await runProbe(idle, 'c1', container, { httpGet: { path: '/x', port: CLOSED, scheme: 'HTTPS' } }, '127.0.0.1', 1)).toEqual({ ok: false, message: 'Get "https://127.0.0.1:1/x": dial tcp 127.0.0.1:1: connect: connection refused' });
    expect(await runProbe(idle, 'c1', container, { httpGet: { path: '/slow', port }, timeoutSeconds: 1 }, '127.0.0.1', 1)).toEqual({ ok: false, message: `Get "http://127.0.0.1:${port}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
  });

  it('httpGet follows redirects to the same host, at most 10; one to another host ends the probe as a success', async () => {
    const probe = (path: string) => runProbe(idle, 'c1', container, { httpGet: { path, port } }, '127.0.0.1', 2);
    expect(await probe('/moved')).toEqual({ ok: true });
    expect(await probe('/moved-down')).toEqual({ ok: false, message: 'HTTP probe failed with statuscode: 503' });
    expect(await probe('/loop')).toEqual({ ok: false, message: 'Get "/loop": stopped after 10 redirects' });
    // (passed, with the kubelet's warning, which becomes a ProbeWarning event)
    expect(await probe('/away')).toEqual({ ok: true, warning: 'Probe terminated redirects, Response body: see the other host' });
  });

  it('a probe that cannot be run at all (an unknown named port, the container gone) errored: neither passed nor failed', async () => {
    expect(await runProbe(idle, 'c1', container, { httpGet: { path: '/', port: 'web' } }, '127.0.0.1', 1)).toEqual({ ok: false, errored: true, message: 'port "web" is not a port of the container' });
    const gone = { execSync: async () => { throw new Error('container "app" is not running'); } } as unknown as RuntimeService;
    expect(await runProbe(gone, 'c1', container, { exec: { command: ['true'] } }, '127.0.0.1', 1)).toEqual({ ok: false, errored: true, message: 'container "app" is not running' });
  });

  it('httpGet over HTTPS to a plain HTTP server: Go\'s error', async () => {
    expect(await runProbe(idle, 'c1', container, { httpGet: { path: '/healthz', port, scheme: 'HTTPS' } }, '127.0.0.1', 1)).toEqual({ ok: false, message: `Get "https://127.0.0.1:${port}/healthz": http: server gave HTTP response to HTTPS client` });
  });

  it('tcpSocket: Go\'s dial error', async () => {
    expect(await runProbe(idle, 'c1', container, { tcpSocket: { port } }, '127.0.0.1', 1)).toEqual({ ok: true });
    expect(await runProbe(idle, 'c1', container, { tcpSocket: { port: CLOSED } }, '127.0.0.1', 1)).toEqual({ ok: false, message: 'dial tcp 127.0.0.1:1: connect: connection refused' });
  });
});

describe('lifecycle hook results, worded as the kubelet\'s handler runner words them', () => {
  it('exec: the command, the container, the pod, the exit and the output', async () => {
    const failed = runtime({ stdout: 'starting\n', stderr: 'no config\n', exitCode: 2 });
    expect(await runHook(failed, 'c1', container, { exec: { command: ['sh', '-c', 'setup'] } }, '127.0.0.1', pod)).toEqual({
      ok: false,
      message: 'Exec lifecycle hook ([sh -c setup]) for Container "app" in Pod "web_default(u-1)" failed - error: command \'sh -c setup\' exited with 2: no config\n, message: "starting\\nno config\\n"',
    });
  });

  it('an exec hook that cannot be run, and a tcpSocket hook (which the kubelet does not run), fail', async () => {
    const gone = { execSync: async () => { throw new Error('container "app" is not running'); } } as unknown as RuntimeService;
    expect(await runHook(gone, 'c1', container, { exec: { command: ['sh', '-c', 'setup'] } }, '127.0.0.1', pod)).toEqual({
      ok: false,
      message: 'Exec lifecycle hook ([sh -c setup]) for Container "app" in Pod "web_default(u-1)" failed - error: container "app" is not running, message: ""',
    });
    expect(await runHook(idle, 'c1', container, { tcpSocket: { port } }, '127.0.0.1', pod)).toEqual({ ok: false, message: 'Cannot run handler: invalid handler: tcpSocket is not supported in lifecycle hooks' });
  });

  it('httpGet over HTTPS answered in plain HTTP: tried again over HTTP, a success with the kubelet\'s fallback warning', async () => {
    expect(await runHook(idle, 'c1', container, { httpGet: { path: '/down', port, scheme: 'HTTPS' } }, '127.0.0.1', pod)).toEqual({ ok: true, warning: `request to HTTPS lifecycle hook 127.0.0.1:${port} got HTTP response, retry with HTTP succeeded` });
  });

  it('httpGet: only a request that gets no answer fails; the status code is not looked at', async () => {
    expect(await runHook(idle, 'c1', container, { httpGet: { path: '/down', port } }, '127.0.0.1', pod)).toEqual({ ok: true });
    expect(await runHook(idle, 'c1', container, { httpGet: { path: '/stop', port: CLOSED } }, '127.0.0.1', pod)).toEqual({
      ok: false,
      message: 'HTTP lifecycle hook (/stop) for Container "app" in Pod "web_default(u-1)" failed - error: Get "http://127.0.0.1:1/stop": dial tcp 127.0.0.1:1: connect: connection refused',
    });
  });
});

describe('Prober', () => {
  it('does not count an errored attempt: it neither fails a live container nor passes a readiness probe', async () => {
    vi.useFakeTimers();
    try {
      const results: ProbeResult[] = [
        { ok: false, message: 'port "web" is not a port of the container', errored: true },
        { ok: false, message: 'port "web" is not a port of the container', errored: true },
        { ok: false, message: 'refused' },
        { ok: false, message: 'refused' },
      ];
      const changes: [boolean, string][] = [];
      const p = new Prober('liveness', { periodSeconds: 1, failureThreshold: 2 }, async () => results.shift() ?? { ok: true }, (ok, m) => void changes.push([ok, m]));
      p.start();
      // two errored attempts: still live
      await vi.advanceTimersByTimeAsync(1100);
      expect(changes).toEqual([]);
      // two real failures: the threshold is met
      await vi.advanceTimersByTimeAsync(2000);
      expect(changes).toEqual([[false, 'refused']]);
      p.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
