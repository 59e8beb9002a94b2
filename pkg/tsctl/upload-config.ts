// kubeadm init's upload-config phase (cmd/kubeadm/app/phases/uploadconfig/uploadconfig.go
// UploadConfiguration, phases/kubelet/config.go CreateConfigMap): the cluster's configuration kept
// in kube-system for the machines that join it. kubeadm-config holds the ClusterConfiguration,
// readable by bootstrap tokens and nodes through the Role and RoleBinding kubeadm:nodes-kubeadm-config;
// kubelet-config holds the KubeletConfiguration every node agent runs with (what /configz shows of
// it, less what is the node's own: its address, ports, pod range, static pod path, taints),
// readable through kubeadm:kubelet-config. `tsctl join` reads kubelet-config and writes it as the
// agent's --config, as kubeadm join writes /var/lib/kubelet/config.yaml from it.
import yaml from 'js-yaml';
import type { KubeObject } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { core, RoleBindings, Roles, StatusError } from '../client/rest-client.js';
import { DEFAULT_SERVICE_CIDR } from '../apiserver/apiserver.js';
import { clusterDNSIP } from '../dns/kube-dns-service.js';
import { GIT_VERSION } from '../util/version.js';
import { kubeletConfigz } from '../nodeagent/configz.js';
import { defaultAgentConfig, type AgentConfig } from '../nodeagent/agent-config.js';
import { createOrUpdate, NODE_BOOTSTRAP_TOKEN_GROUP } from './bootstrap-token-setup.js';

/** constants.KubeletBaseConfigurationConfigMap and its key. */
export const KUBELET_CONFIG_MAP = 'kubelet-config';
export const KUBELET_CONFIG_KEY = 'kubelet';
/** constants.KubeletBaseConfigMapRole. */
export const KUBELET_CONFIG_ROLE = 'kubeadm:kubelet-config';
/** constants.KubeadmConfigConfigMap, ClusterConfigurationConfigMapKey. */
export const KUBEADM_CONFIG_MAP = 'kubeadm-config';
export const CLUSTER_CONFIGURATION_KEY = 'ClusterConfiguration';
/** uploadconfig.NodesKubeadmConfigClusterRoleName. */
export const NODES_KUBEADM_CONFIG_ROLE = 'kubeadm:nodes-kubeadm-config';

const RBAC = 'rbac.authorization.k8s.io';

/** What sigs.k8s.io/yaml writes: keys sorted, a list not indented under its key. */
const goYaml = (v: unknown) => yaml.dump(v, { lineWidth: -1, quotingType: '"', sortKeys: true, noArrayIndent: true });

/** The node's own settings, which a node joining must not take from another's configuration. */
const NODE_OWN = ['address', 'port', 'healthzPort', 'healthzBindAddress', 'podCIDR', 'staticPodPath', 'registerWithTaints'];

/**
 * The cluster's KubeletConfiguration: the agent's (defaults unless given) as /configz tells it,
 * without the node's own settings. clusterDNS and clusterDomain as kubeadm's kubelet Default
 * writes them (componentconfigs/kubelet.go): kube-dns's address in the service subnet (GetDNSIP,
 * 10.96.0.10; DefaultClusterDNSIP when the subnet has none) and networking.dnsDomain. Each agent
 * answers that address with the cluster DNS it serves (its service proxy sends kube-dns there), so
 * a node that joins with it resolves as the first node does. Certificates are rotated, as kubeadm's
 * nodes rotate theirs.
 */
export function clusterKubeletConfiguration(cfg: AgentConfig = defaultAgentConfig(''), net: Pick<ClusterConfigurationOptions, 'serviceSubnet' | 'dnsDomain'> = {}): Record<string, unknown> {
  const clusterDNS = Array.isArray(cfg.clusterDNS) ? cfg.clusterDNS : [kubeadmDNSIP(net.serviceSubnet ?? DEFAULT_SERVICE_CIDR)];
  const { kubeletconfig } = kubeletConfigz({ ...cfg, clusterDomain: net.dnsDomain ?? cfg.clusterDomain }, { address: '0.0.0.0', port: cfg.port, clusterDNS });
  const shared = Object.fromEntries(Object.entries(kubeletconfig).filter(([k]) => !NODE_OWN.includes(k)));
  return { apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', ...shared, rotateCertificates: true };
}

/** kubeadmapiv1.DefaultClusterDNSIP, what kubeadm names when the service subnet has no tenth address. */
const DEFAULT_CLUSTER_DNS_IP = '10.96.0.10';

function kubeadmDNSIP(serviceSubnet: string): string {
  try {
    return clusterDNSIP(serviceSubnet);
  } catch {
    return DEFAULT_CLUSTER_DNS_IP;
  }
}

export interface ClusterConfigurationOptions {
  dataDir: string;
  podSubnet?: string;
  serviceSubnet?: string;
  dnsDomain?: string;
}

/** The ClusterConfiguration (kubeadm.k8s.io/v1beta4) of a tsctl up cluster, as MarshalKubeadmConfigObject writes it. */
export function clusterConfiguration(o: ClusterConfigurationOptions): Record<string, unknown> {
  return {
    apiServer: {},
    apiVersion: 'kubeadm.k8s.io/v1beta4',
    caCertificateValidityPeriod: '87600h0m0s',
    certificateValidityPeriod: '87600h0m0s',
    certificatesDir: `${o.dataDir}/pki`,
    clusterName: 'kubernetes',
    controllerManager: {},
    dns: {},
    // (tskube's CA and serving keys are P-256: pki.ts)
    encryptionAlgorithm: 'ECDSA-P256',
    etcd: { local: { dataDir: `${o.dataDir}/etcd` } },
    imageRepository: 'registry.k8s.io',
    kind: 'ClusterConfiguration',
    kubernetesVersion: GIT_VERSION,
    networking: { dnsDomain: o.dnsDomain ?? 'cluster.local', podSubnet: o.podSubnet ?? '10.244.0.0/16', serviceSubnet: o.serviceSubnet ?? DEFAULT_SERVICE_CIDR },
    proxy: {},
    scheduler: {},
  };
}

const configMap = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'kube-system' }, data });
const getRole = (name: string, configMapName: string) => ({
  apiVersion: `${RBAC}/v1`,
  kind: 'Role',
  metadata: { name, namespace: 'kube-system' },
  rules: [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: [configMapName] }],
});
const groupBinding = (name: string, groups: string[]) => ({
  apiVersion: `${RBAC}/v1`,
  kind: 'RoleBinding',
  metadata: { name, namespace: 'kube-system' },
  roleRef: { apiGroup: RBAC, kind: 'Role', name },
  subjects: groups.map((g) => ({ kind: 'Group', apiGroup: RBAC, name: g })),
});

/** The objects of the phase, in kubeadm's order (its subjects in each function's order). */
export function uploadConfigObjects(o: ClusterConfigurationOptions, kubelet: Record<string, unknown> = clusterKubeletConfiguration(undefined, o)): { ref: typeof Roles; obj: KubeObject & Record<string, unknown> }[] {
  const ConfigMaps = core('configmaps');
  return [
    { ref: ConfigMaps, obj: configMap(KUBEADM_CONFIG_MAP, { [CLUSTER_CONFIGURATION_KEY]: goYaml(clusterConfiguration(o)) }) },
    { ref: Roles, obj: getRole(NODES_KUBEADM_CONFIG_ROLE, KUBEADM_CONFIG_MAP) },
    { ref: RoleBindings, obj: groupBinding(NODES_KUBEADM_CONFIG_ROLE, [NODE_BOOTSTRAP_TOKEN_GROUP, 'system:nodes']) },
    { ref: ConfigMaps, obj: configMap(KUBELET_CONFIG_MAP, { [KUBELET_CONFIG_KEY]: goYaml(kubelet) }) },
    { ref: Roles, obj: getRole(KUBELET_CONFIG_ROLE, KUBELET_CONFIG_MAP) },
    { ref: RoleBindings, obj: groupBinding(KUBELET_CONFIG_ROLE, ['system:nodes', NODE_BOOTSTRAP_TOKEN_GROUP]) },
  ];
}

/**
 * Runs the phase and says so as kubeadm prints it: CreateOrUpdate of each object, except that
 * kubelet-config is created only where there is none. kubeadm writes it at init, and only an
 * upgrade (or `kubeadm init phase upload-config kubelet` run by hand) writes it again; tsctl up runs
 * this at every start, so a kubelet-config the cluster's admin edited (for the machines that join
 * after) is left as it is.
 */
export async function ensureUploadConfig(client: Pick<ApiClient, 'create' | 'get' | 'update'>, o: ClusterConfigurationOptions, log: (line: string) => void = () => {}): Promise<void> {
  const objs = uploadConfigObjects(o);
  log(`[upload-config] Storing the configuration used in ConfigMap "${KUBEADM_CONFIG_MAP}" in the "kube-system" Namespace`);
  for (const x of objs.slice(0, 3)) await createOrUpdate(client, x.ref, 'kube-system', x.obj);
  log(`[kubelet] Creating a ConfigMap "${KUBELET_CONFIG_MAP}" in namespace kube-system with the configuration for the kubelets in the cluster`);
  const [kubeletConfig, ...rbac] = objs.slice(3);
  await client.create(kubeletConfig!.ref, 'kube-system', kubeletConfig!.obj).catch((e: unknown) => {
    if (!(e instanceof StatusError && e.code === 409)) throw e;
  });
  for (const x of rbac) await createOrUpdate(client, x.ref, 'kube-system', x.obj);
}

/** networking.podSubnet of a ClusterConfiguration's YAML, if it parses and names one. */
export function podSubnetOf(text: string | undefined): string | undefined {
  if (!text) return undefined;
  try {
    const subnet = (yaml.load(text) as { networking?: { podSubnet?: unknown } } | undefined)?.networking?.podSubnet;
    return typeof subnet === 'string' && subnet ? subnet : undefined;
  } catch {
    return undefined;
  }
}
