// The checks before a read-only, cluster-scoped resource that is built rather than stored
// (componentstatuses, apiservices) answers: only GET; the verb authorized is get for a name, watch
// for a list with ?watch, list otherwise; and a watch, once authorized, is ListResource's 405,
// since such storage serves none.
import type { Authorizer } from '../authorizer.js';
import * as errors from '../errors.js';
import type { UserInfo } from '../registry/store.js';

export async function authorizeReadOnly(authorizer: Authorizer, user: UserInfo, method: string, group: string, resource: string, name: string | undefined, query: URLSearchParams): Promise<void> {
  const qualified = group ? `${resource}.${group}` : resource;
  const watch = !name && ['1', 'true'].includes(query.get('watch') ?? '');
  const verb = name ? 'get' : watch ? 'watch' : 'list';
  if (method !== 'GET') throw errors.methodNotSupported(qualified, method.toLowerCase());
  const d = await authorizer.authorize(user, { verb, group, resource, name });
  if (!d.allowed) throw errors.forbidden(user.name, verb, group, resource, undefined, name, d.reason);
  if (watch) throw errors.methodNotSupported(qualified, 'watch');
}
