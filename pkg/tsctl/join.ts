// tsctl join: a machine joins as kubeadm join does with a bootstrap token
// (`tsctl join HOST:PORT --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:...`,
// the command `tsctl token create --print-join-command` prints): the flags checked as kubeadm's
// ValidateDiscoveryBootstrapToken checks them, the cluster found and trusted by token discovery
// (token-discovery.ts), bootstrap-kubelet.conf written with the token, a Node of the same name that
// is Ready refused (kubeadm's kubelet-start check, through kubeadm:get-nodes), then the node's client
// certificate asked for by TLS bootstrapping (a CSR the csrapproving controller approves through
// kubeadm's bindings) and its kubeconfig written, for the node agent's --kubeconfig (with
// --rotate-certificates) or, with --bootstrap-kubeconfig bootstrap-kubelet.conf, to bootstrap
// again when it expires. A K10 join token takes tskube's own path (pkg/client/join.ts).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { parseBootstrapToken } from '../api/bootstrap-token.js';
import { joinCluster } from '../client/join.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { core, isNotFound, Nodes, RestClient, StatusError } from '../client/rest-client.js';
import { bootstrapKubeconfig, discoveryFileScheme, DISCOVERY_TIMEOUT_MS, fetchDiscoveryFile, retrieveFileConfigInfo, retrieveValidatedConfigInfo } from '../client/token-discovery.js';
import { loadClientCert } from '../nodeagent/kubelet-bootstrap.js';
import type { JoinedAgentOptions } from './cluster.js';
import { TokenValidationError } from './token.js';
import { CLUSTER_CONFIGURATION_KEY, KUBEADM_CONFIG_MAP, KUBELET_CONFIG_KEY, KUBELET_CONFIG_MAP, podSubnetOf } from './upload-config.js';

export interface JoinOptions {
  /** HOST:PORT (kubeadm's positional argument), or https://HOST:PORT from --server. */
  endpoint: string;
  /** A kubeconfig whose cluster is trusted as it is (--discovery-file: a path, or an https URL to download it from), instead of token discovery. */
  discoveryFile?: string;
  /** The token of discovery (--discovery-token, else --token). */
  token: string;
  /** The token of the TLS bootstrap (--tls-bootstrap-token, else --token). */
  tlsBootstrapToken: string;
  caCertHashes: string[];
  unsafeSkipCAVerification: boolean;
  nodeName: string;
  dataDir: string;
  /** Where the node's kubeconfig goes (default DATA_DIR/node.kubeconfig). */
  kubeconfigPath: string;
  /** Where its certificate and key go (default DATA_DIR/pki, the agent's --cert-dir). */
  certDir: string;
  discoveryTimeoutMs?: number;
  /** Preflight checks made non-fatal (--ignore-preflight-errors: a check's name or all). */
  ignorePreflightErrors?: string[];
  /** How long to wait for the certificate (kubeadm's TLS bootstrap timeout, 5m). */
  tlsBootstrapTimeoutMs?: number;
  /** Start the node agent once joined (kubeadm join starts the kubelet), else print how to. */
  startAgent?: (o: JoinedAgentOptions) => Promise<void>;
  out: (line: string) => void;
}

/** net.SplitHostPort's complaint about an endpoint, if any. */
function hostPortProblem(endpoint: string): string | undefined {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):([^:]*)$/.exec(endpoint);
  if (m) return undefined;
  if (!endpoint.includes(':')) return `address ${endpoint}: missing port in address`;
  if (/^[^[].*:.*:/.test(endpoint)) return `address ${endpoint}: too many colons in address`;
  return `address ${endpoint}: missing port in address`;
}

/** ValidateDiscovery (ValidateDiscoveryBootstrapToken, then the TLS bootstrap token): kubeadm's field errors, aggregated. */
export function validateJoin(o: Pick<JoinOptions, 'endpoint' | 'token' | 'tlsBootstrapToken' | 'caCertHashes' | 'unsafeSkipCAVerification' | 'discoveryFile'>): void {
  const errs: string[] = [];
  if (o.discoveryFile !== undefined) {
    // (ValidateDiscoveryFile: a file on disk or an https URL; the TLS bootstrap token when one is given)
    const scheme = discoveryFileScheme(o.discoveryFile);
    if (!scheme && !existsSync(o.discoveryFile)) errs.push(`discovery.file.kubeConfigPath: Invalid value: ${JSON.stringify(o.discoveryFile)}: not a valid HTTPS URL or a file on disk`);
    else if (scheme && scheme !== 'https') errs.push(`discovery.file.kubeConfigPath: Invalid value: ${JSON.stringify(o.discoveryFile)}: if a URL is used, the scheme must be https`);
    // (kubeadm would go on with the file's own credentials; tskube's file discovery needs a token)
    if (!o.tlsBootstrapToken) errs.push('discovery.tlsBootstrapToken: Required value: --discovery-file needs --tls-bootstrap-token (or --token) to TLS bootstrap with');
    else if (!parseBootstrapToken(o.tlsBootstrapToken)) errs.push(`discovery.tlsBootstrapToken: Invalid value: ${JSON.stringify(o.tlsBootstrapToken)}: the bootstrap token is invalid`);
    if (errs.length) throw new TokenValidationError(errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`);
    return;
  }
  const path = 'discovery.bootstrapToken';
  if (!o.endpoint) errs.push(`${path}: Required value: APIServerEndpoint is not set`);
  if (!o.caCertHashes.length && !o.unsafeSkipCAVerification) errs.push(`${path}.caCertHashes: Invalid value: "": using token-based discovery without caCertHashes can be unsafe. Set unsafeSkipCAVerification as true in your kubeadm config file or pass --discovery-token-unsafe-skip-ca-verification flag to continue`);
  if (!parseBootstrapToken(o.token)) errs.push(`${path}.token: Invalid value: ${JSON.stringify(o.token)}: the bootstrap token is invalid`);
  const hp = o.endpoint ? hostPortProblem(o.endpoint) : undefined;
  if (hp) errs.push(`${path}.apiServerEndpoint: Invalid value: ${JSON.stringify(o.endpoint)}: ${hp}`);
  else if (o.endpoint) {
    const host = o.endpoint.replace(/:[^:]*$/, '').replace(/^\[|\]$/g, '');
    const port = Number(o.endpoint.slice(o.endpoint.lastIndexOf(':') + 1));
    if (!isIP(host) && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/i.test(host)) errs.push(`${path}.apiServerEndpoint: Invalid value: ${JSON.stringify(o.endpoint)}: ${JSON.stringify(host)} is not a valid IP address or DNS name`);
    if (!(Number.isInteger(port) && port > 0 && port < 65536)) errs.push(`${path}.apiServerEndpoint: Invalid value: ${JSON.stringify(o.endpoint)}: port must be a valid number between 1 and 65535, inclusive`);
  }
  if (!parseBootstrapToken(o.tlsBootstrapToken)) errs.push(`discovery.tlsBootstrapToken: Invalid value: ${JSON.stringify(o.tlsBootstrapToken)}: the bootstrap token is invalid`);
  if (errs.length) throw new TokenValidationError(errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`);
}

/** kubeadm join with token discovery and TLS bootstrapping, as described above. */
export async function joinWithBootstrapToken(o: JoinOptions): Promise<void> {
  validateJoin(o);
  o.out('[preflight] Running pre-flight checks\n');
  // (kubeadm's FileAvailable check of kubelet.conf: a machine that has joined is not joined over)
  const check = `FileAvailable-${o.kubeconfigPath.replaceAll('/', '-')}`;
  if (existsSync(o.kubeconfigPath) && !o.ignorePreflightErrors?.some((e) => e.toLowerCase() === 'all' || e.toLowerCase() === check.toLowerCase())) {
    throw new Error(`error execution phase preflight: [preflight] Some fatal errors occurred:\n\t[ERROR ${check}]: ${o.kubeconfigPath} already exists\n[preflight] If you know what you are doing, you can make a check non-fatal with \`--ignore-preflight-errors=...\``);
  }
  let found;
  try {
    const timeoutMs = o.discoveryTimeoutMs ?? DISCOVERY_TIMEOUT_MS;
    // (an https URL is downloaded, then checked as a file is: DiscoverValidatedKubeConfig)
    found = o.discoveryFile !== undefined
      ? await retrieveFileConfigInfo(discoveryFileScheme(o.discoveryFile) ? await fetchDiscoveryFile(o.discoveryFile, { timeoutMs }) : readFileSync(o.discoveryFile, 'utf8'), { timeoutMs })
      : await retrieveValidatedConfigInfo({ endpoint: o.endpoint, token: o.token, caCertHashes: o.caCertHashes, unsafeSkipCAVerification: o.unsafeSkipCAVerification, timeoutMs: o.discoveryTimeoutMs ?? DISCOVERY_TIMEOUT_MS });
  } catch (e) {
    // (kubeadm's phase runner names the phase that failed: discovery runs in preflight)
    throw new Error(`error execution phase preflight: couldn't validate the identity of the API Server: ${(e as Error).message}`, { cause: e });
  }
  const bootstrapPath = join(o.dataDir, 'bootstrap-kubelet.conf');
  const configPath = join(o.dataDir, 'config.yaml');
  let clusterCIDR: string | undefined;
  mkdirSync(dirname(bootstrapPath), { recursive: true });
  writeFileSync(bootstrapPath, bootstrapKubeconfig(found, o.tlsBootstrapToken), { mode: 0o600 });
  o.out(`[kubelet-start] Writing the bootstrap kubeconfig to file "${bootstrapPath}"\n`);
  // A Ready Node of this name is another machine's: joining over it would take its place.
  const client = new RestClient(loadKubeconfig(bootstrapPath), { maxSockets: 1 });
  try {
    const node = await client.get<{ status?: { conditions?: { type?: string; status?: string }[] } }>(Nodes, undefined, o.nodeName).catch((e: unknown) => {
      if (isNotFound(e)) return undefined;
      throw new Error(`error execution phase kubelet-start: cannot get Node ${JSON.stringify(o.nodeName)}: ${(e as Error).message}`, { cause: e });
    });
    if (node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) {
      throw new Error(`error execution phase kubelet-start: a Node with name ${JSON.stringify(o.nodeName)} and status "Ready" already exists in the cluster. You must delete the existing Node or change the name of this new joining Node`);
    }
    // (the cluster's kubelet configuration, as kubeadm join writes /var/lib/kubelet/config.yaml from
    // kubelet-config; a cluster whose control plane did not upload one, nor its Role for bootstrap
    // tokens (a control plane started by hand, a lab), leaves the agent its defaults)
    const kubeletConfig = await client.get<{ data?: Record<string, string> }>(core('configmaps'), 'kube-system', KUBELET_CONFIG_MAP).catch((e: unknown) => {
      if (e instanceof StatusError && (e.code === 404 || e.code === 403)) return undefined;
      throw new Error(`error execution phase kubelet-start: cannot get ConfigMap kube-system/${KUBELET_CONFIG_MAP}: ${(e as Error).message}`, { cause: e });
    });
    // (and the pod network of its ClusterConfiguration, as kubeadm gives kube-proxy networking.podSubnet)
    const kubeadmConfig = await client.get<{ data?: Record<string, string> }>(core('configmaps'), 'kube-system', KUBEADM_CONFIG_MAP).catch((e: unknown) => {
      if (e instanceof StatusError && (e.code === 404 || e.code === 403)) return undefined;
      throw new Error(`error execution phase preflight: unable to fetch the kubeadm-config ConfigMap: ${(e as Error).message}`, { cause: e });
    });
    clusterCIDR = podSubnetOf(kubeadmConfig?.data?.[CLUSTER_CONFIGURATION_KEY]);
    const text = kubeletConfig?.data?.[KUBELET_CONFIG_KEY];
    if (text) {
      writeFileSync(configPath, text, { mode: 0o644 });
      o.out(`[kubelet-start] Writing kubelet configuration to file "${configPath}"\n`);
    }
  } finally {
    client.close();
  }
  o.out('[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap\n');
  await loadClientCert({ kubeconfigPath: o.kubeconfigPath, bootstrapPath, certDir: o.certDir, nodeName: o.nodeName, timeoutMs: o.tlsBootstrapTimeoutMs ?? 5 * 60_000 }).catch((e: Error) => {
    throw new Error(`error execution phase kubelet-start: ${e.message}`, { cause: e });
  });
  if (o.startAgent) {
    const nodeIP = await localAddressTowards(found.server);
    await o.startAgent({ dataDir: o.dataDir, nodeName: o.nodeName, nodeIP, kubeconfigPath: o.kubeconfigPath, bootstrapKubeconfigPath: bootstrapPath, certDir: o.certDir, configPath: existsSync(configPath) ? configPath : undefined, clusterCIDR });
    o.out(
      [
        '',
        'This node has joined the cluster:',
        '* Certificate signing request was sent to apiserver and a response was received.',
        '* The Kubelet was informed of the new secure connection details.',
        '',
        "Run 'kubectl get nodes' on the control-plane to see this node join the cluster.",
        '',
        '',
      ].join('\n'),
    );
    return;
  }
  o.out(
    [
      '',
      'This node has joined the cluster:',
      '* Certificate signing request was sent to apiserver and a response was received.',
      `* The node's kubeconfig was written to ${o.kubeconfigPath} (its certificate in ${o.certDir}).`,
      '',
      `Start the node agent with --kubeconfig ${o.kubeconfigPath} --rotate-certificates --node-name ${o.nodeName}${existsSync(configPath) ? ` --config ${configPath}` : ''}`,
      "Run 'kubectl get nodes' on the control-plane to see this node join the cluster.",
      '',
      '',
    ].join('\n'),
  );
}

/**
 * The node's address: this machine's source address towards the apiserver (the route the kernel
 * picks), which the other nodes and the apiserver reach it by, as the kubelet's --node-ip defaults
 * to the address of the interface it reaches the cluster through.
 */
export async function localAddressTowards(server: string): Promise<string> {
  const url = new URL(server);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const sock = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((res, rej) => {
      sock.once('error', rej);
      sock.connect(Number(url.port || 443), host, () => res());
    });
    return sock.address().address;
  } finally {
    sock.close();
  }
}

/** The K10 path: exchange the join token for the node's kubeconfig. */
export async function joinWithK10Token(o: { server: string; token: string; nodeName: string; kubeconfigPath: string; out: (line: string) => void }): Promise<void> {
  const kc = await joinCluster({ server: o.server, token: o.token, nodeName: o.nodeName });
  mkdirSync(dirname(o.kubeconfigPath), { recursive: true });
  writeFileSync(o.kubeconfigPath, kc, { mode: 0o600 });
  o.out(`joined as node "${o.nodeName}"; kubeconfig written to ${o.kubeconfigPath}\n`);
}
