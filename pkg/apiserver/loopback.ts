// Who the apiserver is when it writes on its own account: kube-apiserver's loopback client
// (genericapiserver's LoopbackClientConfig), user system:apiserver in system:masters, with the
// binary's default User-Agent. The field manager of those writes is that agent's prefix,
// kube-apiserver, as 1.32 records for the default/kubernetes Service and its Endpoints, the
// bootstrap RBAC policy, the system priority classes and namespaces, and eviction's budget updates.
import { defaultKubernetesUserAgent } from '../client/user-agent.js';
import { managerFromUserAgent } from './registry/field-manager.js';
import type { RequestContext, UserInfo } from './registry/store.js';

/** The loopback client's User-Agent (rest.DefaultKubernetesUserAgent in the kube-apiserver binary). */
export const LOOPBACK_USER_AGENT = defaultKubernetesUserAgent('kube-apiserver');

/** kube-apiserver: the manager its own writes are recorded under. */
export const APISERVER_FIELD_MANAGER = managerFromUserAgent(LOOPBACK_USER_AGENT);

/** The loopback client's user (user.APIServerUser, in the system:masters group). */
export const loopbackUser = (): UserInfo => ({ name: 'system:apiserver', groups: ['system:masters'] });

/** A fresh request context for one of the apiserver's own writes. */
export function loopbackContext(): RequestContext {
  return { user: loopbackUser(), dryRun: false, fieldValidation: 'Strict', warnings: [], userAgent: LOOPBACK_USER_AGENT, fieldManager: APISERVER_FIELD_MANAGER };
}
