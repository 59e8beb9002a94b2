// What kubeadm init's bootstrap-token phase makes for nodes to join by a bootstrap token
// (cmd/kubeadm/app/cmd/phases/init/bootstraptoken.go runBootstrapToken, with
// phases/bootstraptoken/node/tlsbootstrap.go and phases/bootstraptoken/clusterinfo): the
// kubeadm:get-nodes ClusterRole and the bindings of system:bootstrappers:kubeadm:default-node-token
// (get nodes, system:node-bootstrapper, auto-approval of node client CSRs) and of system:nodes
// (auto-approval of their renewals); the kube-public/cluster-info ConfigMap with a kubeconfig of the
// admin kubeconfig's cluster (its server and CA), which the bootstrapsigner controller signs for
// every signing token; and the Role and RoleBinding kubeadm:bootstrap-signer-clusterinfo that let
// system:anonymous get it. Every `tsctl up` runs it again: what exists and is right is left alone,
// what differs is put back as kubeadm's CreateOrUpdate does.
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import type { KubeObject } from '../api/types.js';
import type { ApiClient, ResourceRef } from '../client/api-client.js';
import { ClusterRoleBindings, ClusterRoles, core, RoleBindings, Roles, StatusError } from '../client/rest-client.js';
import { CLUSTER_INFO, KUBECONFIG_KEY } from '../controllers/bootstrap-signer.js';
import { goYamlSchema } from '../util/yaml11.js';

/** constants.NodeBootstrapTokenAuthGroup: the group kubeadm's tokens authenticate in. */
export const NODE_BOOTSTRAP_TOKEN_GROUP = 'system:bootstrappers:kubeadm:default-node-token';
/** clusterinfo.BootstrapSignerClusterRoleName: the Role and RoleBinding letting anonymous users read cluster-info. */
export const CLUSTER_INFO_ROLE = 'kubeadm:bootstrap-signer-clusterinfo';
/** constants.GetNodesClusterRoleName: the ClusterRole (and binding) letting bootstrap tokens get Nodes. */
export const GET_NODES_ROLE = 'kubeadm:get-nodes';

const RBAC = 'rbac.authorization.k8s.io';
const group = (name: string) => ({ kind: 'Group', apiGroup: RBAC, name });

const clusterRoleBinding = (name: string, role: string, subject: string) => ({
  apiVersion: `${RBAC}/v1`,
  kind: 'ClusterRoleBinding',
  metadata: { name },
  roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role },
  subjects: [group(subject)],
});

/** The objects of the phase but the ConfigMap, in the order kubeadm makes them, with the line it prints for each group of them. */
export function bootstrapTokenRbac(): { ref: ResourceRef; namespace?: string; obj: KubeObject & Record<string, unknown>; note?: string }[] {
  return [
    {
      ref: ClusterRoles,
      obj: { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: GET_NODES_ROLE }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['nodes'] }] },
      note: '[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens to get nodes',
    },
    { ref: ClusterRoleBindings, obj: clusterRoleBinding(GET_NODES_ROLE, GET_NODES_ROLE, NODE_BOOTSTRAP_TOKEN_GROUP) },
    {
      ref: ClusterRoleBindings,
      obj: clusterRoleBinding('kubeadm:kubelet-bootstrap', 'system:node-bootstrapper', NODE_BOOTSTRAP_TOKEN_GROUP),
      note: '[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens to post CSRs in order for nodes to get long term certificate credentials',
    },
    {
      ref: ClusterRoleBindings,
      obj: clusterRoleBinding('kubeadm:node-autoapprove-bootstrap', 'system:certificates.k8s.io:certificatesigningrequests:nodeclient', NODE_BOOTSTRAP_TOKEN_GROUP),
      note: '[bootstrap-token] Configured RBAC rules to allow the csrapprover controller automatically approve CSRs from a Node Bootstrap Token',
    },
    {
      ref: ClusterRoleBindings,
      obj: clusterRoleBinding('kubeadm:node-autoapprove-certificate-rotation', 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', 'system:nodes'),
      note: '[bootstrap-token] Configured RBAC rules to allow certificate rotation for all node client certificates in the cluster',
    },
  ];
}

/** CreateClusterInfoRBACRules: get on cluster-info for system:anonymous. */
export function clusterInfoRbac(): { ref: ResourceRef; namespace: string; obj: KubeObject & Record<string, unknown> }[] {
  return [
    {
      ref: Roles,
      namespace: 'kube-public',
      obj: { apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name: CLUSTER_INFO_ROLE, namespace: 'kube-public' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: [CLUSTER_INFO] }] },
    },
    {
      ref: RoleBindings,
      namespace: 'kube-public',
      obj: { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name: CLUSTER_INFO_ROLE, namespace: 'kube-public' }, roleRef: { apiGroup: RBAC, kind: 'Role', name: CLUSTER_INFO_ROLE }, subjects: [{ kind: 'User', apiGroup: RBAC, name: 'system:anonymous' }] },
    },
  ];
}

type RawCluster = { name?: string; cluster?: Record<string, unknown> };

/**
 * The cluster-info kubeconfig: the current context's cluster of the admin kubeconfig, alone and
 * nameless, as clientcmd.Write serializes a Config holding only Clusters[""] (keys sorted, the
 * empty fields as Go writes them).
 */
export function clusterInfoKubeconfig(adminKubeconfig: string): string {
  const raw = yaml.load(adminKubeconfig, { schema: goYamlSchema }) as { clusters?: RawCluster[]; contexts?: { name: string; context: { cluster: string } }[]; 'current-context'?: string };
  const ctx = raw.contexts?.find((c) => c.name === raw['current-context'])?.context;
  const cluster = raw.clusters?.find((c) => c.name === ctx?.cluster)?.cluster;
  if (!cluster) throw new Error('failed to load admin kubeconfig: no cluster for its current context');
  // (sigs.k8s.io/yaml: keys sorted, a list not indented under its key)
  return yaml.dump({ apiVersion: 'v1', clusters: [{ cluster, name: '' }], contexts: null, 'current-context': '', kind: 'Config', preferences: {}, users: null }, { lineWidth: -1, quotingType: '"', sortKeys: true, noArrayIndent: true });
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** CreateOrUpdate: create; when it exists with other content (rules, roleRef, subjects), update it to this one. */
export async function createOrUpdate(client: Pick<ApiClient, 'create' | 'get' | 'update'>, ref: ResourceRef, namespace: string | undefined, obj: KubeObject & Record<string, unknown>): Promise<void> {
  try {
    await client.create(ref, namespace, obj);
    return;
  } catch (e) {
    if (!(e instanceof StatusError && e.code === 409)) throw e;
  }
  const name = obj.metadata!.name!;
  const existing = await client.get<KubeObject & Record<string, unknown>>(ref, namespace, name);
  const keys = Object.keys(obj).filter((k) => !['apiVersion', 'kind', 'metadata'].includes(k));
  if (keys.every((k) => sameJson(existing[k], obj[k]))) return;
  await client.update(ref, namespace, name, { ...existing, ...Object.fromEntries(keys.map((k) => [k, obj[k]])) });
}

/**
 * Runs the phase against the cluster (with the admin's client, the admin kubeconfig's text) and
 * says what it did as kubeadm prints it. The cluster-info ConfigMap keeps its signatures when its
 * kubeconfig is unchanged; a changed kubeconfig is written alone and the bootstrapsigner signs it again.
 */
export async function ensureBootstrapTokenSetup(client: Pick<ApiClient, 'create' | 'get' | 'update'>, adminKubeconfigPath: string, log: (line: string) => void = () => {}): Promise<void> {
  log('[bootstrap-token] Configuring bootstrap tokens, cluster-info ConfigMap, RBAC Roles');
  for (const o of bootstrapTokenRbac()) {
    await createOrUpdate(client, o.ref, o.namespace, o.obj);
    if (o.note) log(o.note);
  }
  log('[bootstrap-token] Creating the "cluster-info" ConfigMap in the "kube-public" namespace');
  const kubeconfig = clusterInfoKubeconfig(readFileSync(adminKubeconfigPath, 'utf8'));
  const ConfigMaps = core('configmaps');
  try {
    await client.create(ConfigMaps, 'kube-public', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: CLUSTER_INFO, namespace: 'kube-public' }, data: { [KUBECONFIG_KEY]: kubeconfig } });
  } catch (e) {
    if (!(e instanceof StatusError && e.code === 409)) throw e;
    const cm = await client.get<KubeObject & { data?: Record<string, string> }>(ConfigMaps, 'kube-public', CLUSTER_INFO);
    // (a new kubeconfig goes without the old one's signatures, as kubeadm's CreateOrUpdate writes
    // it: a joining node waits for the bootstrapsigner's new ones instead of failing on stale ones)
    if (cm.data?.[KUBECONFIG_KEY] !== kubeconfig) await client.update(ConfigMaps, 'kube-public', CLUSTER_INFO, { ...cm, data: { [KUBECONFIG_KEY]: kubeconfig } });
  }
  for (const o of clusterInfoRbac()) await createOrUpdate(client, o.ref, o.namespace, o.obj);
}
