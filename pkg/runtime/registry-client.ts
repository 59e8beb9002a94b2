// OCI distribution API client: pull (index → linux/amd64 manifest → config + layers, every blob
// verified), push (blob upload + manifest put), bearer-token and basic auth, plain HTTP for
// loopback registries.
import { Readable } from 'node:stream';
import type { ContentStore } from './content-store.js';
import { sha256 } from './content-store.js';
import { DigestMismatchError, InvalidArgumentError, NotFoundError, RuntimeError, UnavailableError } from './errors.js';
import type { ImageRef } from './image-ref.js';
import { isInsecureRegistry, registryHost } from './image-ref.js';
import { MANIFEST_ACCEPT, isIndex, pickPlatform, type Index, type Manifest } from './media-types.js';

export interface RegistryAuth {
  username?: string;
  password?: string;
  /** A bearer token to use as is (skips the token endpoint). */
  registryToken?: string;
}

export type PullProgress =
  | { kind: 'resolved'; ref: string; manifestDigest: string; layers: number; totalBytes: number }
  | { kind: 'blob-start'; digest: string; size: number; cached: boolean }
  | { kind: 'blob-progress'; digest: string; bytes: number; size: number }
  | { kind: 'blob-done'; digest: string; size: number };

export interface PullResult {
  manifestDigest: string;
  manifestMediaType: string;
  indexDigest?: string;
}

function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const sp = header.indexOf(' ');
  const scheme = (sp < 0 ? header : header.slice(0, sp)).toLowerCase();
  const params: Record<string, string> = {};
  const re = /(\w+)="([^"]*)"|(\w+)=([^,\s]*)/g;
  for (let m; (m = re.exec(header.slice(sp + 1))); ) params[m[1] ?? m[3]] = m[2] ?? m[4];
  return { scheme, params };
}

export class RegistryClient {
  private readonly base: string;
  private authHeader?: string;

  constructor(readonly ref: ImageRef, private readonly auth: RegistryAuth = {}) {
    const host = registryHost(ref.domain);
    this.base = `${isInsecureRegistry(ref.domain) ? 'http' : 'https'}://${host}/v2/${ref.path}`;
    if (auth.registryToken) this.authHeader = `Bearer ${auth.registryToken}`;
  }

  /** One request, answering an auth challenge once. */
  private async request(method: string, url: string, init: { headers?: Record<string, string>; body?: Buffer | Readable; scope?: string } = {}): Promise<Response> {
    const send = () =>
      fetch(url, {
        method,
        headers: { ...(init.headers ?? {}), ...(this.authHeader ? { authorization: this.authHeader } : {}) },
        body: init.body as unknown as RequestInit['body'],
        redirect: 'follow',
        ...(init.body instanceof Readable ? { duplex: 'half' } : {}),
      } as RequestInit);
    let res: Response;
    try {
      res = await send();
    } catch (e) {
      throw new UnavailableError(`registry ${this.ref.domain}: ${method} ${url}: ${(e as Error).message}`, { cause: e });
    }
    if (res.status === 401 && !(init.body instanceof Readable)) {
      const challenge = res.headers.get('www-authenticate');
      await res.body?.cancel();
      if (!challenge) throw new RuntimeError(`registry ${this.ref.domain}: 401 without a challenge`);
      await this.authenticate(challenge, init.scope ?? (method === 'GET' || method === 'HEAD' ? 'pull' : 'pull,push'));
      res = await send();
    }
    return res;
  }

  private async authenticate(header: string, actions: string): Promise<void> {
    const { scheme, params } = parseChallenge(header);
    const basic = this.auth.username !== undefined ? 'Basic ' + Buffer.from(`${this.auth.username}:${this.auth.password ?? ''}`).toString('base64') : undefined;
    if (scheme === 'basic') {
      if (!basic) throw new InvalidArgumentError(`registry ${this.ref.domain}: credentials required`);
      this.authHeader = basic;
      return;
    }
    if (scheme !== 'bearer' || !params.realm) throw new RuntimeError(`registry ${this.ref.domain}: unsupported auth challenge "${header}"`);
    const u = new URL(params.realm);
    if (params.service) u.searchParams.set('service', params.service);
    u.searchParams.set('scope', params.scope ?? `repository:${this.ref.path}:${actions}`);
    const res = await fetch(u, { headers: basic ? { authorization: basic } : {} });
    if (!res.ok) throw new RuntimeError(`registry ${this.ref.domain}: token endpoint ${u.origin}${u.pathname}: HTTP ${res.status}`);
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RuntimeError(`registry ${this.ref.domain}: token endpoint returned no token`);
    this.authHeader = `Bearer ${token}`;
  }

  private async failed(res: Response, what: string): Promise<never> {
    const text = await res.text().catch(() => '');
    const msg = `registry ${this.ref.domain}: ${what}: HTTP ${res.status} ${text.slice(0, 200)}`.trim();
    if (res.status === 404) throw new NotFoundError(msg);
    if (res.status >= 500 || res.status === 429) throw new UnavailableError(msg);
    throw new RuntimeError(msg);
  }

  /** Fetch a manifest or index by tag or digest; verifies the digest when it is known. */
  async getManifest(reference: string): Promise<{ body: Buffer; mediaType: string; digest: string }> {
    const res = await this.request('GET', `${this.base}/manifests/${reference}`, { headers: { accept: MANIFEST_ACCEPT } });
    if (!res.ok) await this.failed(res, `manifest ${this.ref.path}:${reference}`);
    const body = Buffer.from(await res.arrayBuffer());
    const digest = sha256(body);
    const expected = reference.startsWith('sha256:') ? reference : res.headers.get('docker-content-digest');
    if (expected && expected !== digest) throw new DigestMismatchError(`manifest ${this.ref.path}:${reference}: content hashes to ${digest}, expected ${expected}`);
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0].trim() || (JSON.parse(body.toString()) as { mediaType?: string }).mediaType || '';
    return { body, mediaType, digest };
  }

  async fetchBlob(store: ContentStore, digest: string, size: number, onProgress?: (p: PullProgress) => void): Promise<void> {
    if (await store.has(digest)) {
      onProgress?.({ kind: 'blob-start', digest, size, cached: true });
      onProgress?.({ kind: 'blob-done', digest, size });
      return;
    }
    onProgress?.({ kind: 'blob-start', digest, size, cached: false });
    const res = await this.request('GET', `${this.base}/blobs/${digest}`);
    if (!res.ok || !res.body) await this.failed(res, `blob ${digest}`);
    let bytes = 0;
    let last = 0;
    await store.ingest(digest, Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), {
      expectedSize: size,
      onBytes: (n) => {
        bytes += n;
        if (bytes - last >= 256 * 1024 || bytes === size) {
          last = bytes;
          onProgress?.({ kind: 'blob-progress', digest, bytes, size });
        }
      },
    });
    onProgress?.({ kind: 'blob-done', digest, size });
  }

  /** Pull the image into the content store; returns what the image store records. */
  async pull(store: ContentStore, onProgress?: (p: PullProgress) => void): Promise<PullResult> {
    const reference = this.ref.digest ?? this.ref.tag ?? 'latest';
    let top = await this.getManifest(reference);
    let indexDigest: string | undefined;
    const topDoc = JSON.parse(top.body.toString()) as Index | Manifest;
    if (isIndex(top.mediaType, topDoc as { manifests?: unknown })) {
      indexDigest = top.digest;
      await store.put(top.body);
      const pick = pickPlatform(topDoc as Index);
      if (!pick) throw new NotFoundError(`image ${this.ref.path}:${reference}: no linux/amd64 manifest in the index`);
      top = await this.getManifest(pick.digest);
    }
    const manifest = JSON.parse(top.body.toString()) as Manifest;
    if (!manifest.config || !Array.isArray(manifest.layers)) throw new InvalidArgumentError(`image ${this.ref.path}:${reference}: unsupported manifest (${top.mediaType || 'no media type'})`);
    onProgress?.({ kind: 'resolved', ref: reference, manifestDigest: top.digest, layers: manifest.layers.length, totalBytes: manifest.layers.reduce((a, l) => a + l.size, 0) });
    await this.fetchBlob(store, manifest.config.digest, manifest.config.size, onProgress);
    for (const l of manifest.layers) await this.fetchBlob(store, l.digest, l.size, onProgress);
    await store.put(top.body);
    return { manifestDigest: top.digest, manifestMediaType: top.mediaType || manifest.mediaType || '', indexDigest };
  }

  private async pushBlob(store: ContentStore, digest: string): Promise<void> {
    const head = await this.request('HEAD', `${this.base}/blobs/${digest}`, { scope: 'pull,push' });
    if (head.ok) return;
    const start = await this.request('POST', `${this.base}/blobs/uploads/`, { scope: 'pull,push' });
    if (start.status !== 202) await this.failed(start, `start upload of ${digest}`);
    const loc = start.headers.get('location');
    if (!loc) throw new RuntimeError(`registry ${this.ref.domain}: upload without a Location`);
    const url = new URL(loc, this.base);
    url.searchParams.set('digest', digest);
    const data = await store.read(digest);
    const put = await this.request('PUT', url.toString(), { body: data, headers: { 'content-type': 'application/octet-stream', 'content-length': String(data.length) }, scope: 'pull,push' });
    if (put.status !== 201) await this.failed(put, `upload of ${digest}`);
  }

  /** Push a manifest and its blobs from the content store under this client's tag. */
  async push(store: ContentStore, manifestDigest: string, mediaType: string): Promise<string> {
    const manifest = await store.readJson<Manifest>(manifestDigest);
    for (const d of [manifest.config, ...manifest.layers]) await this.pushBlob(store, d.digest);
    const body = await store.read(manifestDigest);
    const tag = this.ref.tag ?? manifestDigest;
    const res = await this.request('PUT', `${this.base}/manifests/${tag}`, { body, headers: { 'content-type': mediaType }, scope: 'pull,push' });
    if (res.status !== 201) await this.failed(res, `put manifest ${tag}`);
    return manifestDigest;
  }
}
