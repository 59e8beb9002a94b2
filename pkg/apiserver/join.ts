// Joining nodes, in the manner of k3s' tokens: the cluster's join token is
// `K10<sha256 of the CA certificate>::<secret>`. A joining node fetches /cacerts without
// trusting it, checks its hash against the token, then presents the secret to
// POST /tskube/join and receives a kubeconfig with credentials for its own Node only.
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { isDNS1123Subdomain } from '../api/names.js';
import { logger } from '../util/log.js';
import * as errors from './errors.js';
import { ensureNodeToken, kubeconfigYaml, newToken } from './pki.js';
import { readBody, sendJson } from './rest/http-util.js';

const log = logger('join');

export const caHash = (caPem: string) => createHash('sha256').update(caPem).digest('hex');

export function formatJoinToken(caPem: string, secret: string): string {
  return `K10${caHash(caPem)}::${secret}`;
}

export function parseJoinToken(token: string): { caHash?: string; secret: string } {
  const m = /^K10([0-9a-f]{64})::(.+)$/.exec(token.trim());
  return m ? { caHash: m[1], secret: m[2]! } : { secret: token.trim() };
}

/** DATA_DIR/join-token: created once; its secret admits nodes. */
export function ensureJoinToken(dataDir: string, caPem: string): string {
  const path = join(dataDir, 'join-token');
  if (!existsSync(path)) writeFileSync(path, formatJoinToken(caPem, newToken()) + '\n', { mode: 0o600 });
  return readFileSync(path, 'utf8').trim();
}

export interface JoinDeps {
  dataDir: string;
  caPem: string;
  joinToken: string;
  server: string;
  /** host:port of the gRPC frontend, written into the node's kubeconfig. */
  grpcServer?: string;
  tokenFile: string;
  /** Called after a node token is added, so the apiserver accepts it. */
  reloadTokens(): void;
}

/** Whether handleJoin serves `path`. */
export const isJoinPath = (path: string) => path === '/cacerts' || path === '/tskube/join';

/** Unauthenticated endpoints: GET /cacerts and POST /tskube/join. Returns true when handled. */
export async function handleJoin(deps: JoinDeps, req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
  if (path === '/cacerts' && req.method === 'GET') {
    res.writeHead(200, { 'Content-Type': 'application/x-pem-file' });
    res.end(deps.caPem);
    return true;
  }
  if (path !== '/tskube/join') return false;
  if (req.method !== 'POST') throw errors.methodNotSupported('join', req.method ?? '');
  const presented = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
  const want = parseJoinToken(deps.joinToken).secret;
  const got = parseJoinToken(presented).secret;
  const ok = got.length === want.length && timingSafeEqual(Buffer.from(got), Buffer.from(want));
  if (!ok) {
    log.warn('join refused: wrong token', { remote: req.socket.remoteAddress });
    throw errors.unauthorized();
  }
  let body: { nodeName?: unknown };
  try {
    body = JSON.parse((await readBody(req, 64 * 1024)).toString() || '{}') as { nodeName?: unknown };
  } catch {
    throw errors.badRequest('the join request body must be JSON: {"nodeName": "..."}');
  }
  const nodeName = body.nodeName;
  const problems = typeof nodeName === 'string' ? isDNS1123Subdomain(nodeName) : ['must be a string'];
  if (typeof nodeName !== 'string' || problems.length) {
    throw errors.badRequest(`nodeName: Invalid value: ${JSON.stringify(nodeName)}: ${problems.join('; ')}`);
  }
  const token = ensureNodeToken(deps.tokenFile, nodeName);
  deps.reloadTokens();
  log.info('node joined', { node: nodeName, remote: req.socket.remoteAddress });
  sendJson(res, 200, { kubeconfig: kubeconfigYaml({ server: deps.server, caCert: deps.caPem, token, user: `node-${nodeName}`, grpcServer: deps.grpcServer }) });
  return true;
}
