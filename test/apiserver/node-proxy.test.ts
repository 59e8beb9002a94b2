// pods/log and pods/exec through the apiserver to the pod's node agent, with the stock kubectl
// and tsctl as clients. The agent here is a stand-in HTTPS/websocket server speaking the agent's
// endpoints (the real agent is exercised in test/nodeagent); what is under test is the
// apiserver's authorization, node lookup, credentials and byte-for-byte proxying.
import { createServer, type Server } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { ensureNodeToken, ensurePki } from '../../pkg/apiserver/pki.js';
import { Nodes, Pods } from '../../pkg/client/rest-client.js';
import { run } from '../../pkg/tsctl/cli.js';
import { callWithWarnings, node, pod, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt } from '../helpers/kubectl.js';

let cp: TestControlPlane;
let agent: Server;
let dir: string;
const requests: { path: string; auth: string }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-proxy-'));
  cp = await startControlPlane();
  const nodeToken = ensureNodeToken(join(cp.dataDir, 'tokens.csv'), 'agent-node');
  const pki = await ensurePki(dir, ['127.0.0.1']);
  agent = createServer({ cert: pki.cert, key: pki.key }, (req, res) => {
    requests.push({ path: req.url ?? '', auth: req.headers.authorization ?? '' });
    if (req.headers.authorization !== `Bearer ${nodeToken}`) {
      res.writeHead(401).end('unauthorized');
      return;
    }
    const url = new URL(req.url ?? '/', 'https://x');
    if (url.pathname === '/containerLogs/default/web/main') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      const lines = ['line 1', 'line 2', 'line 3'];
      const tail = url.searchParams.get('tailLines');
      res.end((tail ? lines.slice(-Number(tail)) : lines).map((l) => `${l}\n`).join(''));
      return;
    }
    res.writeHead(404).end('not found');
  });
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (protos) => (protos.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : false) });
  agent.on('upgrade', (req, socket, head) => {
    requests.push({ path: req.url ?? '', auth: req.headers.authorization ?? '' });
    if (req.headers.authorization !== `Bearer ${nodeToken}`) return void socket.destroy();
    // (a pod whose container is not running: the kubelet's refusal, before any upgrade)
    if (req.url?.includes('/default/stopped/')) return void socket.end('HTTP/1.1 404 Not Found\r\n\r\ncontainer not found ("main")\n');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const url = new URL(req.url ?? '/', 'https://x');
      const command = url.searchParams.getAll('command');
      let stdin = '';
      const finish = () => {
        const out = command[0] === 'cat' ? stdin : `ran: ${command.join(' ')}\n`;
        ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(out)]));
        ws.send(Buffer.concat([Buffer.from([2]), Buffer.from('to stderr\n')]));
        const cannotStart = 'error executing command in container: failed to exec in container: exec: "nosuchcmd": executable file not found in $PATH: unknown';
        const status = command.includes('fail')
          ? { metadata: {}, status: 'Failure', message: 'command terminated with non-zero exit code', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } }
          : command[0] === 'nosuchcmd'
            ? { metadata: {}, status: 'Failure', message: `Internal error occurred: ${cannotStart}`, reason: 'InternalError', details: { causes: [{ message: cannotStart }] }, code: 500 }
            : { metadata: {}, status: 'Success' };
        ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(status))]));
        // (a node whose connection breaks once it has said everything: a reset, not a close)
        // (the TLS socket's TCP one: only a TCP handle can send a reset)
        if (command[0] === 'reset') return void setTimeout(() => (ws as unknown as { _socket: { _parent: { resetAndDestroy(): void } } })._socket._parent.resetAndDestroy(), 200);
        ws.close(1000);
      };
      if (url.searchParams.get('stdin') === 'true') {
        ws.on('message', (data: Buffer) => {
          if (data[0] === 0) stdin += data.subarray(1).toString();
          if (data[0] === 255) finish();
        });
      } else finish();
    });
  });
  await new Promise<void>((r) => agent.listen(0, '127.0.0.1', () => r()));
  const port = (agent.address() as { port: number }).port;
  const n = node('agent-node') as { status: Record<string, unknown> };
  n.status.addresses = [{ type: 'InternalIP', address: '127.0.0.1' }];
  n.status.daemonEndpoints = { kubeletEndpoint: { Port: port } };
  await cp.admin.create(Nodes, undefined, n);
  await cp.admin.create(Pods, 'default', pod('web', { spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '1d'] }] } }));
  await cp.admin.bind('default', 'web', 'agent-node');
  await cp.admin.create(Pods, 'default', pod('two', { spec: { initContainers: [{ name: 'setup', image: 'busybox' }], containers: [{ name: 'a', image: 'busybox' }, { name: 'b', image: 'busybox' }] } }));
  await cp.admin.bind('default', 'two', 'agent-node');
});

afterAll(async () => {
  agent?.closeAllConnections();
  agent?.close();
  await cp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function tsctl(args: string[], stdinStream?: NodeJS.ReadableStream) {
  let out = '';
  let err = '';
  const code = await run(['--kubeconfig', cp.kubeconfig, ...args], { out: (s) => (out += s), err: (s) => (err += s) }, { stdinStream });
  return { code, out, err };
}

describe('pods/log', () => {
  it('tsctl logs and kubectl logs reach the agent with the node\'s credentials', async () => {
    expect(await tsctl(['logs', 'web'])).toMatchObject({ code: 0, out: 'line 1\nline 2\nline 3\n' });
    expect((await tsctl(['logs', 'web', '--tail', '1'])).out).toBe('line 3\n');
    expect(requests.at(-1)!.path).toBe('/containerLogs/default/web/main?tailLines=1');
    if (hasKubectl) {
      const k = await kubectlAt(cp.kubeconfig, join(dir, 'cache'), ['logs', 'web', '--tail=2']);
      expect(k.out).toBe('line 2\nline 3\n');
    }
  });

  it('refuses bad options as 1.32 does: the query conversion\'s 400, then ValidatePodLogOptions\' 422', async () => {
    const get = async (q: string) => (await callWithWarnings(cp, 'GET', `/api/v1/namespaces/default/pods/web/log?${q}`)).body;
    expect(await get('sinceTime=bad')).toMatchObject({ code: 400, reason: 'BadRequest', message: 'parsing time "bad" as "2006-01-02T15:04:05Z07:00": cannot parse "bad" as "2006"' });
    expect(await get('tailLines=many')).toMatchObject({ code: 400, message: 'strconv.ParseInt: parsing "many": invalid syntax' });
    // (the conversion runs before the pod is looked at)
    expect((await callWithWarnings(cp, 'GET', '/api/v1/namespaces/default/pods/no-such/log?limitBytes=x')).body).toMatchObject({ code: 400, message: 'strconv.ParseInt: parsing "x": invalid syntax' });
    expect(await get('tailLines=-1&limitBytes=0')).toMatchObject({ code: 422, reason: 'Invalid', message: 'PodLogOptions "web" is invalid: [tailLines: Invalid value: -1: must be greater than or equal to 0, limitBytes: Invalid value: 0: must be greater than 0]' });
    // (a boolean is true unless "0" or "false", as Convert_Slice_string_To_bool reads it: timestamps=yes is no error)
    expect(await cp.admin.request<string>('/api/v1/namespaces/default/pods/web/log?timestamps=yes&tailLines=1')).toBe('line 3\n');
    expect(requests.at(-1)!.path).toBe('/containerLogs/default/web/main?timestamps=yes&tailLines=1');
  });

  it('asks for a container when the pod has several, and rejects unknown ones', async () => {
    const r = await tsctl(['logs', 'two']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('a container name must be specified for pod two, choose one of: [setup a b]');
    expect((await tsctl(['logs', 'web', '-c', 'nope'])).err).toContain('container nope is not valid for pod web');
  });

  it('an ephemeral container (kubectl debug) is a valid container to read and attach to', async () => {
    await cp.admin.patch(Pods, 'default', 'web', { spec: { ephemeralContainers: [{ name: 'dbg', image: 'busybox', targetContainerName: 'main' }] } }, 'strategic', 'ephemeralcontainers');
    await tsctl(['logs', 'web', '-c', 'dbg']);
    expect(requests.at(-1)!.path).toBe('/containerLogs/default/web/dbg');
  });

  it('a pod not scheduled yet has no logs: 204 with nothing, which kubectl prints as nothing', async () => {
    // (LogLocation gives no location for a pod with no node, and the streamer answers 204)
    await cp.admin.create(Pods, 'default', pod('pending'));
    const r = await callWithWarnings(cp, 'GET', '/api/v1/namespaces/default/pods/pending/log');
    expect(r).toMatchObject({ code: 204, body: {} });
    expect(await tsctl(['logs', 'pending'])).toMatchObject({ code: 0, out: '' });
    // the container is still checked first, as validateContainer runs before the node is looked at
    expect((await callWithWarnings(cp, 'GET', '/api/v1/namespaces/default/pods/pending/log?container=nope')).body).toMatchObject({ code: 400, message: 'container nope is not valid for pod pending' });
    if (hasKubectl) {
      expect(await kubectlAt(cp.kubeconfig, join(dir, 'cache'), ['logs', 'pending'])).toMatchObject({ code: 0, out: '' });
    }
    // exec has nowhere to run: streamLocation's BadRequest
    expect((await tsctl(['exec', 'pending', '--', 'true'])).err).toContain('pod pending does not have a host assigned');
  });

  it('pods/log is read with GET alone', async () => {
    const r = await callWithWarnings(cp, 'POST', '/api/v1/namespaces/default/pods/web/log');
    expect(r).toMatchObject({ code: 405, body: { reason: 'MethodNotAllowed', message: 'the server does not allow this method on the requested resource' } });
  });

  it('exec, attach and portforward without an upgrade: the location is checked, then UpgradeRequired refuses', async () => {
    const get = (path: string, method = 'GET') => callWithWarnings(cp, method, `/api/v1/namespaces/default/pods/${path}`).then((r) => r.body);
    expect(await get('web/exec?command=true&stdout=true')).toMatchObject({ code: 400, reason: 'BadRequest', message: 'Upgrade request required' });
    expect(await get('web/attach?stdout=true', 'POST')).toMatchObject({ code: 400, message: 'Upgrade request required' });
    expect(await get('web/portforward?ports=80')).toMatchObject({ code: 400, message: 'Upgrade request required' });
    expect(await get('web/exec?command=true&container=nope')).toMatchObject({ code: 400, message: 'container nope is not valid for pod web' });
    await cp.admin.create(Pods, 'default', pod('unbound'));
    expect(await get('unbound/exec?command=true&stdout=true')).toMatchObject({ code: 400, message: 'pod unbound does not have a host assigned' });
    expect(await get('web/exec?command=true', 'PUT')).toMatchObject({ code: 405, reason: 'MethodNotAllowed' });
  });

  it('a node may not read another pod\'s logs', async () => {
    const other = cp.nodeClient('other-node');
    const e = await other.request(other.path(Pods, 'default', 'web', 'log')).catch((x: { code: number }) => x);
    expect((e as { code: number }).code).toBe(403);
  });
});

describe('pods/exec', () => {
  it('tsctl exec runs a command and returns its exit code', async () => {
    const ok = await tsctl(['exec', 'web', '--', 'echo', 'hi']);
    expect(ok).toMatchObject({ code: 0, out: 'ran: echo hi\n', err: 'to stderr\n' });
    const failed = await tsctl(['exec', 'web', '--', 'sh', '-c', 'fail']);
    expect(failed.code).toBe(3);
    expect(requests.at(-1)!.path).toBe('/exec/default/web/main?command=sh&command=-c&command=fail&stdout=true&stderr=true');
  });

  it('a container the node will not exec into is an InternalError status in the session, as the stream translator reports it', async () => {
    await cp.admin.create(Pods, 'default', pod('stopped'));
    await cp.admin.bind('default', 'stopped', 'agent-node');
    const t = await tsctl(['exec', 'stopped', '--', 'true']);
    expect(t.code).toBe(1);
    expect(t.err).toContain('Internal error occurred: unable to upgrade connection: container not found ("main")');
    if (!hasKubectl) return;
    const k = await kubectlAt(cp.kubeconfig, join(dir, 'cache'), ['exec', 'stopped', '--', 'true']);
    expect(k).toMatchObject({ code: 1, err: 'error: Internal error occurred: unable to upgrade connection: container not found ("main")\n' });
    const a = await kubectlAt(cp.kubeconfig, join(dir, 'cache'), ['attach', 'stopped', '-q']);
    expect(a).toMatchObject({ code: 1, err: 'error: Internal error occurred: unable to upgrade connection: container not found ("main")\n' });
  });

  it('kubectl exec works through the proxy, with stdin', async () => {
    if (!hasKubectl) return;
    const k = await kubectlAt(cp.kubeconfig, join(dir, 'cache'), ['exec', 'web', '--', 'echo', 'from', 'kubectl']);
    expect(k.out).toBe('ran: echo from kubectl\n');
    expect(k.code).toBe(0);
    const withStdin = await kubectlAt(cp.kubeconfig, join(dir, 'cache'), ['exec', '-i', 'web', '--', 'cat'], 'piped input\n');
    expect(withStdin.out).toBe('piped input\n');
    const failing = await kubectlAt(cp.kubeconfig, join(dir, 'cache'), ['exec', 'web', '--', 'fail']);
    expect(failing.code).toBe(3);
  });

  it('a node connection that breaks after the status ends the session as it stands, with no HTTP answer written into it', async () => {
    if (!hasKubectl) return;
    const k = await kubectlAt(cp.kubeconfig, join(dir, 'cache'), ['exec', 'web', '-c', 'main', '--', 'reset', 'fail']);
    // (not 'websocket: RSV1 set, FIN not set on control' from an HTTP 502 inside the session, nor
    // 'close 1006 (abnormal closure)' over the status kubectl had)
    expect(k).toEqual({ out: 'ran: reset fail\n', code: 3, err: 'to stderr\ncommand terminated with exit code 3\n' });
  });

  it('a command the node cannot start is its InternalError wrapped once more, as 1.32\'s stream translator words it', async () => {
    if (!hasKubectl) return;
    const k = await kubectlAt(cp.kubeconfig, join(dir, 'cache'), ['exec', 'web', '--', 'nosuchcmd']);
    expect(k.code).toBe(1);
    expect(k.err).toMatch(/\nerror: Internal error occurred: Internal error occurred: error executing command in container: failed to exec in container: exec: "nosuchcmd": executable file not found in \$PATH: unknown\n$/);
  });
});
