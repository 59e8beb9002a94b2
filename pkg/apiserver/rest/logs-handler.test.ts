import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirListing, goPathURL, serveLogs, sniffContentType } from './logs-handler.js';

let dir: string;
let server: Server;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-logs-'));
  writeFileSync(join(dir, 'syslog'), 'Dec  4 01:00:00 host kernel: hello\n');
  mkdirSync(join(dir, 'apt'));
  writeFileSync(join(dir, 'apt', 'history.log'), 'Start-Date: 2026-12-04\n');
  writeFileSync(join(dir, 'a:b <x>.log'), '');
  writeFileSync(join(dir, 'dpkg.log.1.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0]));
  utimesSync(join(dir, 'syslog'), new Date('2026-12-04T01:00:00Z'), new Date('2026-12-04T01:00:00Z'));
  server = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    void serveLogs(dir, u.pathname, u.searchParams.toString(), req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = async (path: string, headers: Record<string, string> = {}) => {
  const r = await fetch(`${base}${path}`, { redirect: 'manual', headers });
  return { status: r.status, type: r.headers.get('content-type'), location: r.headers.get('location'), body: await r.text(), lastModified: r.headers.get('last-modified') };
};

describe('/logs, as kube-apiserver serves /var/log (routes/logs.go, http.ServeFile)', () => {
  it('lists the directory as net/http dirList does: sorted, directories with a slash, names escaped', async () => {
    const r = await get('/logs/');
    expect([r.status, r.type]).toEqual([200, 'text/html; charset=utf-8']);
    expect(r.body).toBe('<!doctype html>\n<meta name="viewport" content="width=device-width">\n<pre>\n<a href="./a:b%20%3Cx%3E.log">a:b &lt;x&gt;.log</a>\n<a href="apt/">apt/</a>\n<a href="dpkg.log.1.gz">dpkg.log.1.gz</a>\n<a href="syslog">syslog</a>\n</pre>\n');
    expect(await get('/logs')).toMatchObject({ status: 301, location: 'logs/', body: '' });
    expect((await get('/logs/apt/')).body).toContain('<a href="history.log">history.log</a>\n');
    expect(await get('/logs/apt?x=1')).toMatchObject({ status: 301, location: 'apt/?x=1' });
  });

  it('serves a file with its sniffed type and Last-Modified; a missing one is 404, a .. path 400, as ServeFile answers', async () => {
    const r = await get('/logs/syslog');
    expect(r).toMatchObject({ status: 200, type: 'text/plain; charset=utf-8', body: 'Dec  4 01:00:00 host kernel: hello\n', lastModified: 'Fri, 04 Dec 2026 01:00:00 GMT' });
    expect((await get('/logs/syslog', { 'If-Modified-Since': 'Fri, 04 Dec 2026 01:00:00 GMT' })).status).toBe(304);
    expect((await get('/logs/dpkg.log.1.gz')).type).toBe('application/x-gzip');
    expect((await get('/logs/a%3Ab%20%3Cx%3E.log')).status).toBe(200);
    expect(await get('/logs/nope.log')).toMatchObject({ status: 404, type: 'text/plain; charset=utf-8', body: '404 page not found\n' });
    expect(await get('/logs/apt%2F..%2F..%2Fetc')).toMatchObject({ status: 400, body: 'invalid URL path\n' });
    expect(await get(`/logs/${'x'.repeat(300)}`)).toMatchObject({ status: 404, body: 'file not found\n' });
    // (ServeFile redirects a directory without its slash, but serves a file named with one)
    expect(await get('/logs/syslog/')).toMatchObject({ status: 200, body: 'Dec  4 01:00:00 host kernel: hello\n' });
  });

  it('escapes names as url.URL{Path: name}.String() and sniffs as DetectContentType for logs', () => {
    expect(goPathURL('kern.log')).toBe('kern.log');
    expect(goPathURL('a b#?%.log')).toBe('a%20b%23%3F%25.log');
    expect(goPathURL('x:y/')).toBe('./x:y/');
    expect(goPathURL('journal/é')).toBe('journal/%C3%A9');
    expect(dirListing([])).toBe('<!doctype html>\n<meta name="viewport" content="width=device-width">\n<pre>\n</pre>\n');
    expect(sniffContentType(Buffer.from('plain\n'))).toBe('text/plain; charset=utf-8');
    expect(sniffContentType(Buffer.from([0x4c, 0x00, 0x01]))).toBe('application/octet-stream');
  });
});
