// Bootstrap token discovery, as kubeadm join finds and trusts its cluster (cmd/kubeadm/app/
// discovery/token/token.go retrieveValidatedConfigInfo, discovery.go For): the kube-public/
// cluster-info ConfigMap is read anonymously without checking the server's certificate; its
// kubeconfig must carry a detached JWS `jws-kubeconfig-<token id>` that the bootstrapsigner made
// with the token's secret (proving the server knows the token); the CA in it must have a pinned
// public key (--discovery-token-ca-cert-hash); then the ConfigMap is read again over TLS checked
// against that CA and must be the same. The result is the cluster (server, CA) to TLS bootstrap
// against, with the bootstrap token as credentials. Errors are kubeadm's.
import { request as httpsRequest } from 'node:https';
import yaml from 'js-yaml';
import { BOOTSTRAP_TOKEN_PATTERN, parseBootstrapToken } from '../api/bootstrap-token.js';
import { detachedTokenIsValid } from '../api/jws.js';
import { goYamlSchema } from '../util/yaml11.js';
import { parseCertsPem, PinSet } from './pubkey-pin.js';
import { RestClient } from './rest-client.js';

const CLUSTER_INFO = 'cluster-info';
const KUBECONFIG_KEY = 'kubeconfig';
const JWS_PREFIX = 'jws-kubeconfig-';
/** constants.DiscoveryRetryInterval. */
export const DISCOVERY_RETRY_MS = 5_000;
/** The default discovery timeout (JoinConfiguration timeouts.discovery, 5m). */
export const DISCOVERY_TIMEOUT_MS = 5 * 60_000;
/** kubeconfigutil's names for the bootstrap kubeconfig (discovery.TokenUser, DefaultClusterName). */
export const TOKEN_USER = 'tls-bootstrap-token-user';
export const DEFAULT_CLUSTER_NAME = 'kubernetes';

export interface TokenDiscovery {
  /** host:port of the apiserver (APIServerEndpoint). */
  endpoint: string;
  token: string;
  caCertHashes: string[];
  unsafeSkipCAVerification?: boolean;
  timeoutMs?: number;
  intervalMs?: number;
  /** klog V(1)'s [discovery] lines. */
  log?: (line: string) => void;
}

/** The cluster a joining node trusts: the cluster-info kubeconfig's only cluster, as it was written. */
export interface DiscoveredCluster {
  server: string;
  caCert: string;
  /** The cluster entry itself (tskube's gRPC extension included). */
  cluster: Record<string, unknown>;
}

type ConfigMapData = { data?: Record<string, string> };

const CLUSTER_INFO_PATH = `/api/v1/namespaces/kube-public/configmaps/${CLUSTER_INFO}`;

/**
 * GET of the cluster-info ConfigMap that ends by the discovery's deadline: an apiserver that
 * takes the connection and never answers (a half-up control plane, a firewall that swallows the
 * packets) fails the try when the discovery time is up rather than after the client's 60 s.
 */
const getClusterInfoBy = (client: RestClient, deadline: number) => client.request<ConfigMapData>(CLUSTER_INFO_PATH, { timeoutMs: Math.max(1, deadline - Date.now()) });

/** getClusterInfo: the ConfigMap once it has the token's signature, polling until the timeout; then the last error. */
async function getClusterInfo(client: RestClient, tokenId: string, o: TokenDiscovery): Promise<ConfigMapData> {
  const deadline = Date.now() + (o.timeoutMs ?? DISCOVERY_TIMEOUT_MS);
  const interval = Math.min(o.intervalMs ?? DISCOVERY_RETRY_MS, o.timeoutMs ?? DISCOVERY_TIMEOUT_MS);
  let lastError: Error;
  for (;;) {
    o.log?.(`[discovery] Waiting for the cluster-info ConfigMap to receive a JWS signature for token ID ${JSON.stringify(tokenId)}`);
    try {
      const cm = await getClusterInfoBy(client, deadline);
      if (cm.data?.[JWS_PREFIX + tokenId] !== undefined) return cm;
      lastError = new Error(`could not find a JWS signature in the cluster-info ConfigMap for token ID ${JSON.stringify(tokenId)}`);
    } catch (e) {
      lastError = new Error(`failed to request the cluster-info ConfigMap: ${(e as Error).message}`, { cause: e });
    }
    o.log?.(`[discovery] Retrying due to error: ${lastError.message}`);
    if (Date.now() + interval > deadline) throw lastError;
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** validateClusterInfoToken: the kubeconfig of the ConfigMap, when the token signed it. */
function validateClusterInfoToken(cm: ConfigMapData, id: string, secret: string): string {
  const content = cm.data?.[KUBECONFIG_KEY];
  if (!content) throw new Error(`there is no ${KUBECONFIG_KEY} key in the ${CLUSTER_INFO} ConfigMap. This API Server isn't set up for token bootstrapping, can't connect`);
  const jws = cm.data?.[JWS_PREFIX + id];
  if (!jws) throw new Error(`token id ${JSON.stringify(id)} is invalid for this cluster or it has expired. Use "kubeadm token create" on the control-plane node to create a new valid token`);
  if (!detachedTokenIsValid(jws, content, id, secret)) throw new Error("failed to verify JWS signature of received cluster info object, can't trust this API Server");
  return content;
}

/** The clusters of a kubeconfig's text (clientcmd.Load), with kubeadm's error for one that does not parse. */
function loadClusters(content: string): { name?: string; cluster?: Record<string, unknown> }[] {
  try {
    const raw = yaml.load(content, { schema: goYamlSchema }) as { clusters?: { name?: string; cluster?: Record<string, unknown> }[] | null } | null;
    return raw?.clusters ?? [];
  } catch (e) {
    throw new Error(`couldn't parse the kubeconfig file in the ${CLUSTER_INFO} ConfigMap: ${(e as Error).message}`, { cause: e });
  }
}

/** RetrieveValidatedConfigInfo: the cluster the token and the pins vouch for. */
export async function retrieveValidatedConfigInfo(o: TokenDiscovery): Promise<DiscoveredCluster> {
  const server = `https://${o.endpoint}`;
  o.log?.(`[discovery] Created cluster-info discovery client, requesting info from ${JSON.stringify(o.endpoint)}`);
  const insecure = new RestClient({ server, insecureSkipTLSVerify: true, namespace: 'default', source: 'cluster-info discovery' }, { maxSockets: 1 });
  const token = parseBootstrapToken(o.token);
  let first: ConfigMapData;
  try {
    if (!token) throw new Error(`the bootstrap token ${JSON.stringify(o.token)} was not of the form ${JSON.stringify(BOOTSTRAP_TOKEN_PATTERN)}`);
    first = await getClusterInfo(insecure, token.id, o);
  } finally {
    insecure.close();
  }
  const pins = new PinSet();
  try {
    pins.allow(...o.caCertHashes);
  } catch (e) {
    throw new Error(`invalid discovery token CA certificate hash: ${(e as Error).message}`, { cause: e });
  }
  const content = validateClusterInfoToken(first, token.id, token.secret);
  const clusters = loadClusters(content);
  if (clusters.length !== 1) throw new Error(`expected the kubeconfig file in the ${CLUSTER_INFO} ConfigMap to have a single cluster, but it had ${clusters.length}`);
  const cluster = clusters[0]!.cluster ?? {};
  const caData = typeof cluster['certificate-authority-data'] === 'string' ? Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8') : '';
  const found: DiscoveredCluster = { server: String(cluster.server ?? ''), caCert: caData, cluster };
  if (pins.empty()) {
    o.log?.(`[discovery] Cluster info signature and contents are valid and no TLS pinning was specified, will use API Server ${JSON.stringify(o.endpoint)}`);
    return found;
  }
  let cas: string[];
  try {
    cas = parseCertsPem(caData);
  } catch (e) {
    throw new Error(`failed to parse cluster CA from the ${CLUSTER_INFO} ConfigMap: ${(e as Error).message}`, { cause: e });
  }
  try {
    pins.checkAny(cas);
  } catch (e) {
    throw new Error(`cluster CA found in ${CLUSTER_INFO} ConfigMap is invalid: ${(e as Error).message}`, { cause: e });
  }
  o.log?.(`[discovery] Requesting info from ${JSON.stringify(o.endpoint)} again to validate TLS against the pinned public key`);
  const secure = new RestClient({ server, caCert: caData, namespace: 'default', source: 'cluster-info discovery' }, { maxSockets: 1 });
  let second: ConfigMapData;
  try {
    second = await getClusterInfo(secure, token.id, o);
  } finally {
    secure.close();
  }
  if (second.data?.[KUBECONFIG_KEY] !== content) throw new Error(`the second kubeconfig from the ${CLUSTER_INFO} ConfigMap (using validated TLS) was different from the first`);
  o.log?.(`[discovery] Cluster info signature and contents are valid and TLS certificate validates against pinned roots, will use API Server ${JSON.stringify(o.endpoint)}`);
  return found;
}

/** kubeconfigutil.CreateWithToken: the discovered cluster's server and CA with the bootstrap token, as kubeadm writes bootstrap-kubelet.conf. */
export function bootstrapKubeconfig(found: DiscoveredCluster, token: string): string {
  const cluster: Record<string, unknown> = { 'certificate-authority-data': Buffer.from(found.caCert).toString('base64') };
  // (tskube's own: a node whose cluster names the gRPC frontend keeps using it)
  if (Array.isArray(found.cluster.extensions)) cluster.extensions = found.cluster.extensions;
  cluster.server = found.server;
  const context = `${TOKEN_USER}@${DEFAULT_CLUSTER_NAME}`;
  return yaml.dump(
    {
      apiVersion: 'v1',
      clusters: [{ cluster, name: DEFAULT_CLUSTER_NAME }],
      contexts: [{ context: { cluster: DEFAULT_CLUSTER_NAME, user: TOKEN_USER }, name: context }],
      'current-context': context,
      kind: 'Config',
      preferences: {},
      users: [{ name: TOKEN_USER, user: { token } }],
    },
    { lineWidth: -1, quotingType: '"', sortKeys: true, noArrayIndent: true },
  );
}

/**
 * File discovery (discovery/file/file.go ValidateConfigInfo), for `--discovery-file`: the
 * kubeconfig's cluster (an unnamed one, else the current context's) is trusted as it is; its
 * cluster-info is read over TLS checked with its CA to refresh it (a 403 or a ConfigMap that does
 * not parse leaves the file's cluster; other errors are tried again until the timeout).
 */
export async function retrieveFileConfigInfo(content: string, o: Pick<TokenDiscovery, 'timeoutMs' | 'intervalMs' | 'log'> = {}): Promise<DiscoveredCluster> {
  let raw: { clusters?: { name?: string; cluster?: Record<string, unknown> }[] | null; contexts?: { name?: string; context?: { cluster?: string } }[] | null; 'current-context'?: string } | null;
  try {
    raw = yaml.load(content, { schema: goYamlSchema }) as typeof raw;
  } catch (e) {
    throw new Error(`couldn't parse the discovery file: ${(e as Error).message}`, { cause: e });
  }
  const clusters = raw?.clusters ?? [];
  if (!clusters.length) throw new Error('the provided cluster-info kubeconfig file must have at least one Cluster defined');
  const current = raw?.contexts?.find((c) => c.name === raw?.['current-context'])?.context?.cluster;
  const cluster = (clusters.find((c) => !c.name) ?? clusters.find((c) => c.name === current))?.cluster;
  if (!cluster) throw new Error('the provided cluster-info kubeconfig file must have an unnamed Cluster or a CurrentContext that specifies a non-nil Cluster');
  const caCert = typeof cluster['certificate-authority-data'] === 'string' ? Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8') : '';
  const fromFile: DiscoveredCluster = { server: String(cluster.server ?? ''), caCert, cluster };
  o.log?.(`[discovery] Created cluster-info discovery client, requesting info from ${JSON.stringify(fromFile.server)}`);
  const client = new RestClient({ server: fromFile.server, caCert, namespace: 'default', source: 'file discovery' }, { maxSockets: 1 });
  const deadline = Date.now() + (o.timeoutMs ?? DISCOVERY_TIMEOUT_MS);
  try {
    for (;;) {
      let cm: ConfigMapData;
      try {
        cm = await getClusterInfoBy(client, deadline);
      } catch (e) {
        if ((e as { code?: number }).code === 403) {
          o.log?.(`[discovery] Could not access the ${CLUSTER_INFO} ConfigMap for refreshing the cluster-info information, but the TLS cert is valid so proceeding...`);
          return fromFile;
        }
        if (Date.now() + (o.intervalMs ?? DISCOVERY_RETRY_MS) > deadline) throw new Error(`abort connecting to API servers after timeout of ${((o.timeoutMs ?? DISCOVERY_TIMEOUT_MS) / 1000).toString()}s: ${(e as Error).message}`, { cause: e });
        o.log?.(`[discovery] Failed to validate the API Server's identity, will try again: [${(e as Error).message}]`);
        await new Promise((r) => setTimeout(r, o.intervalMs ?? DISCOVERY_RETRY_MS));
        continue;
      }
      const refreshed = cm.data?.[KUBECONFIG_KEY];
      const found = refreshed ? loadClusters(refreshed)[0]?.cluster : undefined;
      if (!found) {
        o.log?.(`[discovery] The ${CLUSTER_INFO} ConfigMap isn't set up properly (no ${KUBECONFIG_KEY} key in ConfigMap), but the TLS cert is valid so proceeding...`);
        return fromFile;
      }
      o.log?.('[discovery] Synced cluster-info information from the API Server so we have got the latest information');
      const ca = typeof found['certificate-authority-data'] === 'string' ? Buffer.from(found['certificate-authority-data'], 'base64').toString('utf8') : caCert;
      return { server: String(found.server ?? fromFile.server), caCert: ca, cluster: found };
    }
  } finally {
    client.close();
  }
}

/** The scheme of a --discovery-file value as Go's url.Parse reads it ('' for a path). */
export function discoveryFileScheme(path: string): string {
  return /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(path)?.[1]?.toLowerCase() ?? '';
}

/**
 * HTTPS discovery's download (discovery/https/https.go RetrieveValidatedConfigInfo): the discovery
 * kubeconfig at an https URL, its server checked against the machine's trusted roots (the
 * system's, with NODE_EXTRA_CA_CERTS), not against a CA of the cluster's: what it holds is
 * trusted once file discovery has checked it (retrieveFileConfigInfo). Bounded by the discovery
 * timeout. Errors as Go's client.Get says them ('Get "URL": ...'), and a status other than 200 as
 * kubeadm says it.
 */
export function fetchDiscoveryFile(url: string, o: Pick<TokenDiscovery, 'timeoutMs'> & { ca?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const fail = (e: Error) => reject(new Error(`Get ${JSON.stringify(url)}: ${e.message}`, { cause: e }));
    const req = httpsRequest(url, { method: 'GET', timeout: o.timeoutMs ?? DISCOVERY_TIMEOUT_MS, ...(o.ca ? { ca: o.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', fail);
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`error trying to fetch discovery kubeconfig over HTTPS from ${url}, received status ${res.statusCode ?? 0}`));
        else resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });
    req.on('error', fail);
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.end();
  });
}
