// The continue token of a paged LIST: the etcd revision of the first page and the key to
// resume after (relative to the listed prefix), base64url JSON as Kubernetes encodes it.
import * as errors from '../errors.js';

export function encodeContinue(rv: number, start: string, scope: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: start.slice(scope.length) })).toString('base64url');
}

export function decodeContinue(token: string, scope: string): { rv: number; start: string } {
  try {
    const c = JSON.parse(Buffer.from(token, 'base64url').toString()) as { rv: number; start: string };
    if (typeof c.rv !== 'number' || typeof c.start !== 'string') throw new Error('bad');
    return { rv: c.rv, start: scope + c.start };
  } catch {
    throw errors.badRequest('continue key is not valid: invalid continue token');
  }
}
