// The core/v1 `bindings` resource: POST /api/v1/namespaces/{namespace}/bindings with a Binding
// named after the pod binds it, as pods/{name}/binding does. Older schedulers (and the Python
// client's create_namespaced_binding) use it; create is its only verb.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../../api/types.js';
import type { Authorizer } from '../authorizer.js';
import * as errors from '../errors.js';
import { ApiError } from '../errors.js';
import { bindPod } from '../registry/operations.js';
import type { Store, UserInfo } from '../registry/store.js';
import { readBody, sendJson, successStatus } from './http-util.js';
import { decodeRequestBody } from './protobuf-body.js';

/** The namespace of /api/v1/namespaces/{namespace}/bindings. */
export function matchBindingsPath(path: string): { namespace: string } | undefined {
  const m = /^\/api\/v1\/namespaces\/([^/]+)\/bindings\/?$/.exec(path);
  if (!m) return undefined;
  try {
    return { namespace: decodeURIComponent(m[1]!) };
  } catch {
    throw errors.badRequest(`malformed namespace in ${path}`);
  }
}

export async function serveBinding(req: IncomingMessage, res: ServerResponse, user: UserInfo, namespace: string, query: URLSearchParams, deps: { authorizer: Authorizer; pods: Store }): Promise<void> {
  if (req.method !== 'POST') throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  const d = await deps.authorizer.authorize(user, { verb: 'create', group: '', resource: 'bindings', namespace });
  if (!d.allowed) throw errors.forbidden(user.name, 'create', '', 'bindings', namespace, undefined, d.reason);
  const body = decodeRequestBody(await readBody(req), req.headers['content-type'] ?? 'application/json') as KubeObject | undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('the request body must be a Binding object');
  if (body.kind && body.kind !== 'Binding') throw errors.badRequest(`the body is a ${String(body.kind)}, not a Binding`);
  const name = body.metadata?.name;
  if (!name) throw errors.invalid('Binding', '', '', [{ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' }]);
  if (body.metadata?.namespace && body.metadata.namespace !== namespace) throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  const ctx = { user, dryRun: query.getAll('dryRun').includes('All'), fieldValidation: 'Strict' as const, warnings: [] };
  // (not as pods/binding: 1.32 admits this as the bindings resource, which tskube does not yet)
  await bindPod(deps.pods, namespace, name, body, ctx, false);
  sendJson(res, 201, successStatus(201));
}
