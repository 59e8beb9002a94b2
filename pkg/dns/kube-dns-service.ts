// The cluster DNS as a Service, kube-system/kube-dns, as kubeadm's CoreDNS addon makes it
// (cmd/kubeadm/app/phases/addons/dns/manifests.go CoreDNSService; dns.go GetDNSIP: the tenth
// address of the service subnet, 10.96.0.10 for kubeadm's default 10.96.0.0/12 and tskube's
// 10.96.0.0/16). tskube has no CoreDNS pods: each node agent serves the cluster DNS on its own
// bridge gateway (with CoreDNS's metrics beside it on :9153) and records that address on its Node
// (NODE_DNS_ADDRESS), from which the Endpoints and EndpointSlice controllers list one endpoint per
// such node for kube-dns, as they list a kubeadm cluster's CoreDNS pods (controllers/node-dns.ts).
// Each node's service proxy still sends the Service's ports to its own DNS, through an
// EndpointSlice of its own that only that node's proxy knows, in place of the stored ones (so every
// node answers kube-dns locally, whatever the state of the others).
import type { KubeObject, Service } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { Services, StatusError } from '../client/rest-client.js';
import { cidrSize, formatIPv4, isIPv4, parseCidr } from '../network/cidr.js';
import { SERVICE_NAME_LABEL, type EndpointSliceLike } from '../network/service-types.js';

export const KUBE_DNS_NAMESPACE = 'kube-system';
export const KUBE_DNS_SERVICE = 'kube-dns';
/** The DNS port the Service's dns (UDP) and dns-tcp (TCP) ports go to. */
const DNS_PORT = 53;

/**
 * The Node annotation on which a node agent records the address its cluster DNS answers on (its
 * pod bridge's gateway; absent when it serves none). An annotation, as the ingress controller's
 * addresses are recorded (ingress.tskube.io/addresses) and as network add-ons record per-node
 * addresses (flannel's public-ip, Calico's IPv4Address): status.addresses has only the Node's
 * own address types, and a gateway listed there would show as the node's INTERNAL-IP and be
 * taken for one by everything that reads them (routes, the apiserver's kubelet dialing).
 */
export const NODE_DNS_ADDRESS = 'dns.tskube.io/address';

/**
 * What a node's cluster DNS serves, as the CoreDNS Deployment's container ports name them
 * (kubeadm manifests.go CoreDNSDeployment): a kube-dns targetPort naming one resolves to it.
 */
export const NODE_DNS_PORTS = [
  { name: 'dns', containerPort: DNS_PORT, protocol: 'UDP' },
  { name: 'dns-tcp', containerPort: DNS_PORT, protocol: 'TCP' },
  { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
] as const;

/** Whether an EndpointSlice is one of kube-system/kube-dns's. */
export function isKubeDnsSlice(s: EndpointSliceLike): boolean {
  return s.metadata?.namespace === KUBE_DNS_NAMESPACE && s.metadata.labels?.[SERVICE_NAME_LABEL] === KUBE_DNS_SERVICE;
}

/** kubeadm's GetDNSIP: the address at index 10 of the service subnet (an error when it has none). */
export function clusterDNSIP(serviceCIDR: string): string {
  const c = parseCidr(serviceCIDR, false);
  if (cidrSize(c) <= 10) throw new Error(`unable to get the DNS IP (the tenth address) from service subnet CIDR ${serviceCIDR}`);
  return formatIPv4(c.network + 10);
}

/** The Service as kubeadm's CoreDNSService manifest writes it, with its cluster IP. */
export function kubeDnsService(serviceCIDR: string): Service & KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: KUBE_DNS_SERVICE,
      namespace: KUBE_DNS_NAMESPACE,
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
      annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
    },
    spec: {
      clusterIP: clusterDNSIP(serviceCIDR),
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
      ],
      selector: { 'k8s-app': 'kube-dns' },
    },
  } as Service & KubeObject;
}

/** The cluster IP of a kube-dns Service pods can be given as their nameserver (none when headless or not IPv4). */
export function kubeDnsClusterIP(svc: Service | undefined): string | undefined {
  const ip = svc?.spec?.clusterIP;
  return ip && isIPv4(ip) ? ip : undefined;
}

/**
 * Creates kube-system/kube-dns unless it exists (one that does is left as it is, so a user's
 * change survives a restart). Returns whether it was created.
 */
export async function ensureKubeDnsService(client: Pick<ApiClient, 'create'>, serviceCIDR: string): Promise<boolean> {
  try {
    await client.create(Services, KUBE_DNS_NAMESPACE, kubeDnsService(serviceCIDR));
    return true;
  } catch (e) {
    if (e instanceof StatusError && e.code === 409) return false;
    throw e;
  }
}

/**
 * The EndpointSlice a node's service proxy adds for kube-dns: the node's own DNS server at
 * `address`, port 53, for the dns and dns-tcp ports, and its metrics, port 9153, for the metrics
 * port when `metricsPort` is served there (dns/metrics-server.ts). Never stored in the API: only
 * this node's proxy sees it.
 */
export function localDNSEndpointSlice(address: string, nodeName: string, metricsPort?: number): EndpointSliceLike {
  return {
    metadata: { name: `${KUBE_DNS_SERVICE}-node-local`, namespace: KUBE_DNS_NAMESPACE, labels: { [SERVICE_NAME_LABEL]: KUBE_DNS_SERVICE } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [address], conditions: { ready: true, serving: true, terminating: false }, nodeName }],
    ports: [
      { name: 'dns', port: DNS_PORT, protocol: 'UDP' },
      { name: 'dns-tcp', port: DNS_PORT, protocol: 'TCP' },
      ...(metricsPort ? [{ name: 'metrics', port: metricsPort, protocol: 'TCP' }] : []),
    ],
  };
}
