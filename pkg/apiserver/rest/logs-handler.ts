// kube-apiserver's /logs (pkg/routes/logs.go, installed unless --enable-logs-handler=false): GET
// /logs/ lists the log directory (/var/log) and GET /logs/<path> serves a file or lists a
// directory under it, as Go's http.ServeFile does: an HTML listing sorted by name (dirList), a
// directory without its trailing slash redirected to it, a file as it is with its Content-Type
// sniffed and Last-Modified, and http.Error's plain-text answers (404 page not found, 403
// Forbidden, invalid URL path). Who may read it is the authorizer's nonResourceURL rule for
// /logs/* (cluster-admin's * in the default roles). Not done: Range requests, index.html.
import { createReadStream, type Dirent } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { posix } from 'node:path';

/** Whether a request path is the logs handler's (GET /logs, /logs/...). */
export const isLogsPath = (path: string): boolean => path === '/logs' || path.startsWith('/logs/');

/** http.Error: the message as plain text, nosniff, and a newline. */
function httpError(res: ServerResponse, code: number, message: string): void {
  const body = `${message}\n`;
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/** localRedirect: 301 to a relative location, the query kept. */
function localRedirect(res: ServerResponse, location: string, query: string): void {
  res.writeHead(301, { Location: query ? `${location}?${query}` : location, 'Content-Length': '0' });
  res.end();
}

/** url.URL{Path: name}.String(): path-escaped, and ./ before a first segment with a colon (not to read as a scheme). */
export function goPathURL(name: string): string {
  const escaped = Buffer.from(name, 'utf8')
    .reduce((s, b) => s + (/[A-Za-z0-9\-_.~$&+,/:;=@]/.test(String.fromCharCode(b)) && b < 0x80 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`), '');
  return escaped.split('/')[0]!.includes(':') ? `./${escaped}` : escaped;
}

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' };
const htmlEscape = (s: string) => s.replace(/[&<>"']/g, (c) => HTML[c]!);

/** dirList: the entries sorted by name, a directory's with a slash, each a link. */
export function dirListing(entries: Pick<Dirent, 'name' | 'isDirectory'>[]): string {
  const names = entries.map((e) => (e.isDirectory() ? `${e.name}/` : e.name)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let out = '<!doctype html>\n<meta name="viewport" content="width=device-width">\n<pre>\n';
  for (const n of names) out += `<a href="${goPathURL(n)}">${htmlEscape(n)}</a>\n`;
  return `${out}</pre>\n`;
}

/** http.DetectContentType, for what log directories hold: gzip, other binary data, else UTF-8 text. */
export function sniffContentType(head: Buffer): string {
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08) return 'application/x-gzip';
  for (const b of head) if (b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f)) return 'application/octet-stream';
  return 'text/plain; charset=utf-8';
}

/** toHTTPError: a missing file 404, a refused one 403, else 500. */
function fsError(res: ServerResponse, e: unknown): void {
  const code = (e as NodeJS.ErrnoException).code;
  // (logFileNameIsTooLong: a name past 255 bytes is "file not found", not ServeFile's 500)
  if (code === 'ENAMETOOLONG') return httpError(res, 404, 'file not found');
  if (code === 'ENOENT' || code === 'ENOTDIR') return httpError(res, 404, '404 page not found');
  if (code === 'EACCES' || code === 'EPERM') return httpError(res, 403, '403 Forbidden');
  httpError(res, 500, '500 Internal Server Error');
}

/** Answers GET /logs and /logs/... from `dir` (the request path `path` still percent-encoded). */
export async function serveLogs(dir: string, path: string, query: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if ((req.method ?? 'GET') !== 'GET') return httpError(res, 405, '405: Method Not Allowed');
  let rel: string;
  try {
    rel = decodeURIComponent(path.slice('/logs'.length));
  } catch {
    return httpError(res, 400, 'invalid URL path');
  }
  // (ServeFile's containsDotDot: no .. segment, whatever the cleaning would make of it)
  if (rel.split('/').includes('..')) return httpError(res, 400, 'invalid URL path');
  // (path.Join cleans: a trailing slash goes)
  const actual = posix.join(dir, rel).replace(/(.)\/+$/, '$1');
  let st;
  try {
    st = await stat(actual);
  } catch (e) {
    return fsError(res, e);
  }
  const base = posix.basename(path.replace(/\/$/, '')) || 'logs';
  if (st.isDirectory()) {
    if (!path.endsWith('/')) return localRedirect(res, `${base}/`, query);
    let entries: Dirent[];
    try {
      entries = await readdir(actual, { withFileTypes: true });
    } catch {
      return httpError(res, 500, 'Error reading directory');
    }
    const body = dirListing(entries);
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Last-Modified': st.mtime.toUTCString(), 'Content-Length': String(Buffer.byteLength(body)) });
    res.end(body);
    return;
  }
  const since = Date.parse(req.headers['if-modified-since'] ?? '');
  // (checkIfModifiedSince: to the second, as the header carries it)
  if (!Number.isNaN(since) && Math.floor(st.mtimeMs / 1000) * 1000 <= since) {
    res.writeHead(304, { 'Last-Modified': st.mtime.toUTCString() });
    res.end();
    return;
  }
  let head: Buffer;
  try {
    const fh = await open(actual, 'r');
    try {
      const buf = Buffer.alloc(512);
      const { bytesRead } = await fh.read(buf, 0, 512, 0);
      head = buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (e) {
    return fsError(res, e);
  }
  res.writeHead(200, { 'Content-Type': sniffContentType(head), 'Last-Modified': st.mtime.toUTCString(), 'Accept-Ranges': 'bytes', 'Content-Length': String(st.size) });
  const stream = createReadStream(actual, { end: Math.max(st.size - 1, 0) });
  stream.on('error', () => res.destroy());
  if (st.size === 0) {
    stream.destroy();
    res.end();
    return;
  }
  stream.pipe(res);
}
