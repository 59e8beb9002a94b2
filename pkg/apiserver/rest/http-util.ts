// Small HTTP helpers for the REST frontend: bodies with a size limit, JSON/YAML decoding with
// line-aware errors, and Status responses.
import type { IncomingMessage, ServerResponse } from 'node:http';
import yaml from 'js-yaml';
import { goYaml } from '../../util/yaml-emit.js';
import { goYamlSchema } from '../../util/yaml11.js';
import * as errors from '../errors.js';
import { ApiError } from '../errors.js';

/** kube-apiserver's limit on a request body. */
export const maxBodyBytes = 3 * 1024 * 1024;

/** The whole body: 413 past `limit` (the rest of an oversize body is drained, up to 8 times the limit, then the connection dropped). */
export function readBody(req: IncomingMessage, limit = maxBodyBytes): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed: Error | undefined;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (failed) {
        if (size > 8 * limit) req.destroy();
        return;
      }
      if (size > limit) {
        failed = errors.tooLarge(`the request body is too large: limit is ${limit} bytes`);
        chunks.length = 0;
        return reject(failed);
      }
      chunks.push(chunk);
    };
    const done = (err?: Error) => {
      req.off('data', onData).off('end', done).off('error', done).off('close', onClose);
      if (failed) return;
      if (err) return reject(err);
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    };
    const onClose = () => {
      if (!req.complete) done(new Error('the client closed the connection before the request body was read'));
    };
    req.on('data', onData).on('end', done).on('error', done).on('close', onClose);
  });
}

/** Decodes a JSON or YAML body into one object; errors name the line. */
export function decodeBody(body: Buffer, contentType: string): unknown {
  const text = body.toString('utf8');
  if (!text.trim()) throw errors.badRequest('the request body is empty');
  const isYaml = /yaml/.test(contentType);
  if (!isYaml) {
    try {
      return JSON.parse(text);
    } catch (e) {
      // apply-patch+yaml bodies are usually JSON; anything else is reported as JSON.
      throw errors.badRequest(`error decoding request body as JSON: ${(e as Error).message}`);
    }
  }
  try {
    // (as 1.32's yaml serializer reads it, sigs.k8s.io/yaml's YAMLToJSON over go-yaml v2: YAML 1.1,
    // so an unquoted yes or on is a bool and 0644 the octal 420; see pkg/util/yaml11.ts)
    const docs = yaml.loadAll(text, undefined, { schema: goYamlSchema });
    if (docs.length !== 1) throw errors.badRequest(`expected one YAML document in the request body, got ${docs.length}`);
    return docs[0];
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw errors.badRequest(`error decoding request body as YAML: ${(e as Error).message}`);
  }
}

export function sendJson(res: ServerResponse, code: number, body: unknown, warnings: string[] = []): void {
  sendJsonText(res, code, JSON.stringify(body), warnings);
}

/** Sends JSON already serialised. */
export function sendJsonText(res: ServerResponse, code: number, data: string, warnings: string[] = []): void {
  res.writeHead(code, { ...jsonHeaders(warnings), 'Content-Length': String(Buffer.byteLength(data)) });
  res.end(data);
}

/**
 * Headers of a JSON answer, with the warnings kubectl prints: each once, as Kubernetes' warning
 * recorder keeps them (a write retried after a conflict runs admission again and warns again).
 */
export function jsonHeaders(warnings: string[]): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' };
  if (warnings.length) headers['Warning'] = [...new Set(warnings)].map((w) => `299 - ${JSON.stringify(w)}`);
  return headers;
}

/** A list whose items come to more than this is streamed (chunked) instead of joined into one string. */
const STREAMED_LIST_CHARS = 1 << 20;
/** How much of a streamed list goes out per write. */
const LIST_PIECE_BYTES = 256 << 10;

/**
 * Sends a list of items already serialised: `head`, the items joined by commas, `tail`. A large
 * list (10k pods: 25 MB) goes out in pieces as it is assembled, waiting for the socket to drain
 * between them: no 25 MB string is built, the client receives while the rest is encoded, and
 * other requests are served meanwhile. Its items are on lines of their own (`head` and `tail`
 * too). The pieces are buffers the items are encoded into: a piece built as a string by
 * concatenation had to be flattened and scanned for its length on the way out, which took
 * 20 times as long (190 ms of CPU per 10k pods).
 */
export async function sendJsonList(res: ServerResponse, head: string, items: readonly string[], tail: string, warnings: string[] = []): Promise<void> {
  let chars = 0;
  for (const s of items) chars += s.length;
  if (chars < STREAMED_LIST_CHARS) return sendJsonText(res, 200, head + items.join(',') + tail, warnings);
  if (res.destroyed) return; // the client left while the list was read
  streamedLists++;
  res.writeHead(200, jsonHeaders(warnings));
  let piece = takePiece(0);
  let at = piece.write(`${head}\n`);
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    // (what this apiserver serialised has no raw newline; anything else is made compact)
    const compact = item.includes('\n') ? JSON.stringify(JSON.parse(item)) : item;
    const line = i ? `,\n${compact}` : compact;
    // A UTF-16 unit is at most 3 bytes of UTF-8: write only what surely fits.
    if (at + line.length * 3 > piece.length) {
      const full = piece;
      // (the piece is taken again once it has left: until then the socket may hold it)
      if (at > 0 && !res.write(full.subarray(0, at), () => givePiece(full))) await drained(res);
      if (res.destroyed) return; // the client went away
      piece = takePiece(line.length * 3);
      at = 0;
    }
    at += piece.write(line, at);
  }
  const last = Buffer.concat([piece.subarray(0, at), Buffer.from(`\n${tail}`)]);
  givePiece(piece);
  res.end(last);
}

let streamedLists = 0;

/**
 * Large lists streamed so far. Streaming one takes little CPU but allocates its size again: the
 * memory reducer counts them as activity (a collection between two LISTs of 10k pods is undone
 * by the next one).
 */
export function streamedListCount(): number {
  return streamedLists;
}

/**
 * Written pieces of streamed lists, kept to be written into again: a fresh 256 KB buffer per
 * piece (100 per LIST of 10k pods) left the allocator's heap fragmented, and the apiserver's
 * RSS stayed about 25 MB higher after large LISTs.
 */
const freePieces: Buffer[] = [];
const MAX_FREE_PIECES = 8;

function takePiece(bytes: number): Buffer {
  return (bytes <= LIST_PIECE_BYTES ? freePieces.pop() : undefined) ?? Buffer.allocUnsafeSlow(Math.max(LIST_PIECE_BYTES, bytes));
}

function givePiece(b: Buffer): void {
  if (b.length === LIST_PIECE_BYTES && freePieces.length < MAX_FREE_PIECES) freePieces.push(b);
}

function drained(res: ServerResponse): Promise<void> {
  // (a client gone already emits neither drain nor close again)
  if (res.destroyed || !res.socket || res.socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * An error's Status. One that says when to retry says it in Retry-After too (ErrorNegotiated):
 * client-go waits and retries on the header alone, never on details.retryAfterSeconds.
 */
export function sendStatus(res: ServerResponse, err: ApiError, warnings: string[] = [], asYaml = false): void {
  // (written in the media type the request negotiated: YAML for Accept: application/yaml)
  const data = asYaml ? goYaml(err.toStatus()) : JSON.stringify(err.toStatus());
  res.writeHead(err.code, { ...jsonHeaders(warnings), ...retryAfter(err), ...(asYaml ? { 'Content-Type': 'application/yaml' } : {}), 'Content-Length': String(Buffer.byteLength(data)) });
  res.end(data);
}

/** Whether a request's answer is YAML (its Accept negotiates application/yaml before JSON). */
export function wantsYaml(req: IncomingMessage): boolean {
  try {
    const shape = responseShape(req);
    return shape.as === 'Object' && !!shape.yaml;
  } catch {
    return false;
  }
}

/**
 * A watch's stream serializer: YAML has none (the yaml SerializerInfo has no StreamSerializer),
 * so NegotiateOutputMediaTypeStream refuses a watch that asks for it.
 */
export function checkWatchMedia(req: IncomingMessage): void {
  if (wantsYaml(req)) throw notAcceptable(`only the following media types are accepted: ${SERVED_MEDIA.join(', ')}`);
}

/** The Retry-After header of an error whose Status asks for a retry after some seconds. */
export function retryAfter(err: ApiError): Record<string, string> {
  const after = err.details?.retryAfterSeconds;
  return after && after > 0 ? { 'Retry-After': String(after) } : {};
}

export function successStatus(code: number, details?: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', ...(details ? { details } : {}), code };
}

/** The form a response takes: the object(s) as JSON or YAML, or a meta.k8s.io Table or PartialObjectMetadata(List). */
export type ResponseShape = { as: 'Object'; yaml?: boolean } | { as: 'Table' | 'PartialObjectMetadata' | 'PartialObjectMetadataList'; version: string };

const SERVED_MEDIA = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const notAcceptable = (message: string) => new ApiError(406, 'NotAcceptable', message);

/**
 * The first form of the Accept header that can be served, as kube-apiserver's negotiation picks
 * it for resource endpoints: `as=Table`, `as=PartialObjectMetadata` or `as=PartialObjectMetadataList`
 * with g=meta.k8s.io and v=v1 or v1beta1, or plain JSON or YAML. (Protobuf answers are not
 * made: those entries are passed over, and client-go's JSON entry after them is taken.) 406 when
 * none can be.
 */
export function responseShape(req: IncomingMessage): ResponseShape {
  const accept = req.headers.accept;
  // (the usual answers first: what client-go and tsctl send, without parsing)
  if (!accept || accept === 'application/json' || accept === '*/*') return { as: 'Object' };
  for (const entry of accept.split(',')) {
    const [type = '', ...params] = entry.split(';').map((x) => x.trim());
    const p = Object.fromEntries(params.map((x) => x.split('=').map((y) => y.trim()) as [string, string]));
    const media = type.toLowerCase();
    if (p.q === '0') continue;
    if (p.as) {
      if (media !== 'application/json' || p.g !== 'meta.k8s.io' || (p.v !== 'v1' && p.v !== 'v1beta1')) continue;
      if (p.as === 'Table' || p.as === 'PartialObjectMetadata' || p.as === 'PartialObjectMetadataList') return { as: p.as, version: p.v };
      continue;
    }
    if (media === 'application/json' || media === 'application/*' || media === '*/*') return { as: 'Object' };
    if (media === 'application/yaml') return { as: 'Object', yaml: true };
  }
  throw notAcceptable(`only the following media types are accepted: ${SERVED_MEDIA.join(', ')}`);
}

export function wantsTable(req: IncomingMessage): boolean {
  return responseShape(req).as === 'Table';
}

/** The metadata-only form of an object (asPartialObjectMetadata). */
export const partialObjectMetadata = (obj: { metadata?: unknown }, version: string) => ({ kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata ?? {} });

/** asPartialObjectMetadata(List)'s 406 when one asked the other form: a list for one object, or one for a list. */
export function partialMismatch(asked: string, kind: string, isList: boolean): ApiError {
  return notAcceptable(isList ? `you requested ${asked}, but the requested object is a list (*v1.${kind})` : `you requested ${asked}, but the requested object is not a list (*v1.${kind})`);
}

/** A response as 1.32's yaml serializer writes it: its JSON through sigs.k8s.io/yaml's JSONToYAML (go-yaml v2). */
export function sendYaml(res: ServerResponse, code: number, body: unknown, warnings: string[] = []): void {
  const data = goYaml(body);
  res.writeHead(code, { ...jsonHeaders(warnings), 'Content-Type': 'application/yaml', 'Content-Length': String(Buffer.byteLength(data)) });
  res.end(data);
}

/**
 * The path and query of a request target. Plain targets (no percent-escapes, dot segments,
 * backslashes or fragments: every request our clients and kubectl make) are split directly;
 * anything else goes through WHATWG URL parsing, which normalises it. (URL parsing was a few
 * percent of the apiserver's CPU per request.)
 */
export function splitTarget(target: string): { pathname: string; searchParams: URLSearchParams } {
  const q = target.indexOf('?');
  const pathname = q < 0 ? target : target.slice(0, q);
  if (pathname.startsWith('/') && !pathname.startsWith('//') && !/[%\\#]|\/\.\.?(\/|$)/.test(target.slice(0, q < 0 ? undefined : q)) && !target.includes('#')) {
    return { pathname, searchParams: new URLSearchParams(q < 0 ? '' : target.slice(q + 1)) };
  }
  const url = new URL(target, 'https://localhost');
  return { pathname: url.pathname, searchParams: url.searchParams };
}

/**
 * The authorization verb of a request's method, as kube-apiserver's RequestInfo derives it
 * (strings.ToLower of the method, POST create, GET and HEAD get, PUT update); a resource request's
 * verbOf first makes a GET a list or watch and a DELETE of a collection deletecollection.
 */
export function methodVerb(method: string): string {
  switch (method.toUpperCase()) {
    case 'GET':
    case 'HEAD':
      return 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return method.toLowerCase();
  }
}
