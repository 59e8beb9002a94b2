// kube-dns's endpoints in tskube: the nodes that serve the cluster DNS. A kubeadm cluster's
// kube-system/kube-dns selects its CoreDNS pods, and the Endpoints and EndpointSlice controllers
// list them; tskube's cluster DNS is each node agent's own (dns/kube-dns-service.ts), so no pod
// matches. Each agent records on its Node where its DNS answers (NODE_DNS_ADDRESS), and both
// controllers list one endpoint per such node for kube-dns, as they would list a CoreDNS pod on
// it: the address, the node as nodeName and as targetRef (kind Node, as prometheus-operator's
// kubelet Endpoints name the nodes they list), ready (and serving) while the Node is Ready, the
// Service's ports resolved against the ports CoreDNS's container names. So `kubectl get endpoints
// -n kube-system kube-dns` lists every node's DNS and a Prometheus that finds CoreDNS through them
// (kube-prometheus's ServiceMonitor on the metrics port) scrapes each node's. Only the Service
// kube-system/kube-dns with a selector gets them; pods its selector matches are listed as well.
import type { Informer } from '../client/informer.js';
import type { KubeObject, Node, ObjectReference, Pod, Service, ServicePort } from '../api/types.js';
import { isIPv4 } from '../network/cidr.js';
import { KUBE_DNS_NAMESPACE, KUBE_DNS_SERVICE, NODE_DNS_ADDRESS, NODE_DNS_PORTS } from '../dns/kube-dns-service.js';
import { findPort, hasSelector } from './service-pods.js';
import { isNodeReady, onNodeSignatureChange } from './node-watch.js';

/** A node whose agent serves the cluster DNS, as an endpoint of kube-dns. */
export interface NodeDNS {
  ip: string;
  nodeName: string;
  ready: boolean;
  targetRef: ObjectReference;
  /** Its Ready condition's last transition (the trigger time, as a pod's Ready condition's). */
  readySince?: string;
}

/** Whether the Service is kube-system/kube-dns with a selector (its endpoints the controllers'). */
export function isNodeDNSService(svc: Service): boolean {
  return svc.metadata?.name === KUBE_DNS_SERVICE && svc.metadata.namespace === KUBE_DNS_NAMESPACE && hasSelector(svc);
}

/** The address a node records for its cluster DNS, when it is an IPv4 address. */
const dnsAddress = (n: Node | undefined) => {
  const a = n?.metadata?.annotations?.[NODE_DNS_ADDRESS];
  return a && isIPv4(a) ? a : undefined;
};

/** The nodes that serve the cluster DNS, in name order. */
export function dnsNodes(nodes: readonly Node[]): NodeDNS[] {
  const out: NodeDNS[] = [];
  for (const n of nodes) {
    const ip = dnsAddress(n);
    if (!ip) continue;
    const name = n.metadata?.name ?? '';
    const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
    out.push({ ip, nodeName: name, ready: isNodeReady(n), targetRef: { kind: 'Node', name, uid: n.metadata?.uid }, ...(ready?.lastTransitionTime ? { readySince: ready.lastTransitionTime } : {}) });
  }
  return out.sort((a, b) => (a.nodeName < b.nodeName ? -1 : a.nodeName > b.nodeName ? 1 : 0));
}

/** The CoreDNS container the node's DNS stands for, to resolve the Service's target ports against. */
const coreDNSPod: Pod = { spec: { containers: [{ name: 'coredns', ports: NODE_DNS_PORTS.map((p) => ({ ...p })) }] } } as Pod;

/** The port a Service port reaches on a node's DNS (podutil.FindPort against CoreDNS's named ports). */
export function nodeDNSPort(sp: ServicePort): number | undefined {
  return findPort(coreDNSPod, sp);
}

/**
 * Stand-ins for the trigger time tracker: a node's DNS endpoint changes with the node's Ready
 * condition, as a pod's with its own (named apart from pods: node/<name>).
 */
export function triggerStandIns(nodes: readonly NodeDNS[]): Pod[] {
  return nodes.map((n) => ({ metadata: { name: `node/${n.nodeName}` }, status: { conditions: n.readySince ? [{ type: 'Ready', status: n.ready ? 'True' : 'False', lastTransitionTime: n.readySince }] : [] } }) as Pod);
}

/** What of a node kube-dns's endpoints show: its DNS address, readiness and uid (empty when it serves no DNS). */
const signature = (n: (Node & KubeObject) | undefined) => {
  const ip = dnsAddress(n);
  return ip ? `${ip}/${isNodeReady(n!)}/${n!.metadata?.uid ?? ''}` : '';
};

/** Queues kube-system/kube-dns when a node's part in its endpoints changes. */
export function onDNSNodeChange(nodes: Informer<Node & KubeObject>, enqueue: (key: string) => void): void {
  onNodeSignatureChange(nodes, signature, () => enqueue(`${KUBE_DNS_NAMESPACE}/${KUBE_DNS_SERVICE}`));
}
