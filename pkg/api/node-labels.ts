// Which Node labels a node itself may set (k8s.io/kubelet/pkg/apis IsKubeletLabel and the
// NodeRestriction admission plugin's getForbiddenLabels): the kubelet's well-known labels and
// those of kubelet.kubernetes.io and node.kubernetes.io; nothing else in kubernetes.io or k8s.io
// (node-role.kubernetes.io among them), and nothing in node-restriction.kubernetes.io, whose
// labels exist so that admins can steer workloads by what a node cannot claim about itself.

const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
]);

const labelNamespace = (key: string) => (key.includes('/') ? key.slice(0, key.indexOf('/')) : '');
const inNamespace = (key: string, of: string) => {
  const ns = labelNamespace(key);
  return ns === of || ns.endsWith(`.${of}`);
};

export const isKubeletLabel = (key: string) => KUBELET_LABELS.has(key) || inNamespace(key, 'kubelet.kubernetes.io') || inNamespace(key, 'node.kubernetes.io');

/** Whether a node may not set, change or remove this label of its own Node. */
export const isNodeForbiddenLabel = (key: string) => inNamespace(key, 'node-restriction.kubernetes.io') || ((inNamespace(key, 'kubernetes.io') || inNamespace(key, 'k8s.io')) && !isKubeletLabel(key));

/** Label keys added, removed or changed between two label sets that a node may not touch (sorted). */
export function forbiddenNodeLabels(next: Record<string, string> = {}, prev: Record<string, string> = {}): string[] {
  const modified = new Set<string>();
  for (const [k, v] of Object.entries(next)) if (prev[k] !== v) modified.add(k);
  for (const [k, v] of Object.entries(prev)) if (next[k] !== v) modified.add(k);
  return [...modified].filter(isNodeForbiddenLabel).sort();
}
