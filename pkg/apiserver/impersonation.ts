// Impersonation (k8s.io/apiserver's WithImpersonation filter): `Impersonate-User`,
// `Impersonate-Group` (repeatable), `Impersonate-Uid` and `Impersonate-Extra-<key>` headers make
// a request run as another user (`kubectl --as alice --as-group g`). Each part is authorized
// separately as the verb `impersonate`: users, groups and service accounts in the core group
// (a service account by namespace and name), uids and userextras/<key> in
// authentication.k8s.io. The impersonated user gets system:authenticated added, unless it is
// system:anonymous or names system:authenticated or system:unauthenticated itself, and the
// extras named (`Impersonate-Extra-Scopes: a` and `Impersonate-Extra-Scopes: b` are extra {scopes: [a, b]}).
//
// The headers must be given as received, one value per header line (IncomingMessage's
// headersDistinct): Node joins repeated lines of most headers with ", " in `headers`, which would
// turn `--as-group g1 --as-group g2` into the single group "g1, g2" where Go's http.Header keeps two.
import type { Authorizer } from './authorizer.js';
import * as errors from './errors.js';
import { SERVICE_ACCOUNT_PREFIX, serviceAccountUser } from './rbac/policy-index.js';
import type { UserInfo } from './registry/request-types.js';

export const ANONYMOUS_USER = 'system:anonymous';
export const AUTHENTICATED_GROUP = 'system:authenticated';
export const UNAUTHENTICATED_GROUP = 'system:unauthenticated';

interface ImpersonationRequest {
  kind: 'User' | 'ServiceAccount' | 'Group' | 'UID' | 'UserExtra';
  name: string;
  namespace?: string;
  extraKey?: string;
}

/** Request headers by lower-cased name, a list where the header came more than once. */
export type ImpersonationHeaders = Record<string, string | string[] | undefined>;

const values = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** `system:serviceaccount:NS:NAME` split into its namespace and name (serviceaccount.SplitUsername). */
export function splitServiceAccount(user: string): { namespace: string; name: string } | undefined {
  if (!user.startsWith(SERVICE_ACCOUNT_PREFIX)) return undefined;
  const parts = user.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { namespace: parts[0], name: parts[1] };
}

/** Extra keys travel percent-encoded in header names (Kubernetes' unescapeExtraKey). */
function unescapeKey(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}

function impersonationRequests(headers: ImpersonationHeaders): ImpersonationRequest[] {
  const out: ImpersonationRequest[] = [];
  const user = values(headers['impersonate-user'])[0] ?? '';
  if (user) {
    const sa = splitServiceAccount(user);
    out.push(sa ? { kind: 'ServiceAccount', ...sa } : { kind: 'User', name: user });
  }
  for (const g of values(headers['impersonate-group'])) out.push({ kind: 'Group', name: g });
  for (const [h, v] of Object.entries(headers)) {
    if (!h.startsWith('impersonate-extra-')) continue;
    const key = unescapeKey(h.slice('impersonate-extra-'.length));
    for (const value of values(v)) out.push({ kind: 'UserExtra', name: value, extraKey: key });
  }
  const uid = values(headers['impersonate-uid'])[0] ?? '';
  if (uid) out.push({ kind: 'UID', name: uid });
  if (!user && out.length) {
    // (Kubernetes answers this with an internal error too)
    throw errors.internal(`requested [${out.map((r) => `${r.kind} ${r.name}`).join(' ')}] without impersonating a user`);
  }
  return out;
}

/**
 * Whether a request's raw header list (IncomingMessage.rawHeaders: name, value, name...) names any
 * Impersonate-* header. Most requests have none, and this spares them building headersDistinct.
 */
export function hasImpersonationHeaders(rawHeaders: readonly string[]): boolean {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length > 12 && (name.charCodeAt(0) | 32) === 105 /* i */ && name.slice(0, 12).toLowerCase() === 'impersonate-') return true;
  }
  return false;
}

/**
 * The user the request runs as: `requestor` itself without impersonation headers, else the
 * impersonated user once every part is authorized (403 naming the first part refused).
 */
export async function impersonate(requestor: UserInfo, headers: ImpersonationHeaders, authorizer: Authorizer): Promise<UserInfo> {
  const requests = impersonationRequests(headers);
  if (!requests.length) return requestor;
  let name = '';
  let uid: string | undefined;
  let groups: string[] = [];
  const extra: Record<string, string[]> = {};
  const groupsGiven = requests.some((r) => r.kind === 'Group');
  for (const r of requests) {
    let group = '';
    let resource: string;
    let subresource: string | undefined;
    switch (r.kind) {
      case 'ServiceAccount':
        resource = 'serviceaccounts';
        name = serviceAccountUser(r.namespace!, r.name);
        // A service account's groups are known: they come with it unless groups were named.
        if (!groupsGiven) groups = ['system:serviceaccounts', `system:serviceaccounts:${r.namespace}`];
        break;
      case 'User':
        resource = 'users';
        name = r.name;
        break;
      case 'Group':
        resource = 'groups';
        groups.push(r.name);
        break;
      case 'UID':
        group = 'authentication.k8s.io';
        resource = 'uids';
        uid = r.name;
        break;
      case 'UserExtra':
        group = 'authentication.k8s.io';
        resource = 'userextras';
        subresource = r.extraKey;
        (extra[r.extraKey!] ??= []).push(r.name);
        break;
    }
    const a = { verb: 'impersonate', group, resource, subresource, namespace: r.namespace, name: r.name };
    const d = await authorizer.authorize(requestor, a);
    if (!d.allowed) throw errors.forbidden(requestor.name, 'impersonate', group, subresource ? `${resource}/${subresource}` : resource, r.namespace, r.name, d.reason);
  }
  if (name !== ANONYMOUS_USER) {
    if (!groups.includes(AUTHENTICATED_GROUP) && !groups.includes(UNAUTHENTICATED_GROUP)) groups.push(AUTHENTICATED_GROUP);
  } else if (!groups.includes(UNAUTHENTICATED_GROUP)) groups.push(UNAUTHENTICATED_GROUP);
  return { name, groups, ...(uid ? { uid } : {}), ...(Object.keys(extra).length ? { extra } : {}) };
}
