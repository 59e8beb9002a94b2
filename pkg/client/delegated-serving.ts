// The secure serving flags kube-scheduler and kube-controller-manager 1.32 share
// (SecureServingOptions, DelegatingAuthenticationOptions, DelegatingAuthorizationOptions), and
// their start: the serving pair, the review clients of the authentication and authorization
// kubeconfigs (both optional, as RemoteKubeConfigFileOptional: without them a warning, and no
// token reviewed or nothing authorized past the always-allowed paths), the client CA
// (--client-ca-file, else kube-system/extension-apiserver-authentication's client-ca-file, read at
// start and then followed as 1.32's DynamicCAFromConfigMapController follows it: a watch of that
// ConfigMap alone, which the bootstrap Role extension-apiserver-authentication-reader allows the
// scheduler and the controller manager), then the HTTPS listener. --secure-port 0 serves
// nothing, as 1.32's.
import { FlagError } from '../util/flags.js';
import { readFileSync } from 'node:fs';
import { DEFAULT_ALWAYS_ALLOW_PATHS, DelegatingAuth } from '../util/delegating-auth.js';
import { logger } from '../util/log.js';
import type { ReviewPoster } from '../util/review-cache.js';
import { startSecureServing } from '../util/secure-serving.js';
import { servingCert } from '../util/serving-cert.js';
import { loadKubeconfig } from './kubeconfig.js';
import type { HealthChecks } from '../apiserver/rest/health-checks.js';
import { Informer } from './informer.js';
import { isNotFound, RestClient, type ResourceRef } from './rest-client.js';
import type { KubeObject } from '../api/types.js';

const log = logger('secure-serving');

export function secureServingFlags(port: number) {
  return {
    'secure-port': { type: 'number', default: port, help: 'the port on which to serve HTTPS with authentication and authorization (/metrics, /healthz, /livez, /readyz, /configz); 0: no HTTPS at all' },
    'bind-address': { type: 'string', default: '0.0.0.0', help: 'the IP address on which to listen for the --secure-port port' },
    'cert-dir': { type: 'string', default: '', help: 'the directory where the TLS certs are located; ignored with --tls-cert-file and --tls-private-key-file (empty: a self-signed certificate made in memory)' },
    'tls-cert-file': { type: 'string', default: '', help: 'file containing the default x509 Certificate for HTTPS (CA cert, if any, concatenated after server cert)' },
    'tls-private-key-file': { type: 'string', default: '', help: 'file containing the default x509 private key matching --tls-cert-file' },
    'authentication-kubeconfig': { type: 'string', default: '', help: "kubeconfig file pointing at the 'core' kubernetes server with enough rights to create tokenreviews.authentication.k8s.io. This is optional. If empty, all token requests are considered to be anonymous and no client CA is looked up in the cluster." },
    'authorization-kubeconfig': { type: 'string', default: '', help: "kubeconfig file pointing at the 'core' kubernetes server with enough rights to create subjectaccessreviews.authorization.k8s.io. This is optional. If empty, all requests not skipped by authorization are forbidden." },
    'authorization-always-allow-paths': { type: 'list', default: DEFAULT_ALWAYS_ALLOW_PATHS, help: "a list of HTTP paths to skip during authorization, i.e. these are authorized without contacting the 'core' kubernetes server" },
    'client-ca-file': { type: 'string', default: '', help: 'if set, any request presenting a client certificate signed by one of the authorities in the client-ca-file is authenticated with an identity corresponding to the CommonName of the client certificate' },
  } as const;
}

export interface SecureServingFlagValues {
  'secure-port': number;
  'bind-address': string;
  'cert-dir': string;
  'tls-cert-file': string;
  'tls-private-key-file': string;
  'authentication-kubeconfig': string;
  'authorization-kubeconfig': string;
  'authorization-always-allow-paths': string[];
  'client-ca-file': string;
}

/** Starts the component's secure port as its flags say; the clients it made are closed with `close`. */
export async function startDelegatedServing(flags: SecureServingFlagValues, o: { pairName: string; userAgent: string; configz?: () => unknown; health?: HealthChecks }): Promise<{ port: number; close(): void } | undefined> {
  const port = flags['secure-port'];
  if (port === 0) return undefined;
  if (port < 0 || port > 65535 || !Number.isInteger(port)) throw new FlagError(`--secure-port ${port} must be between 0 and 65535, inclusive. 0 for turning off secure port`);
  const clients: RestClient[] = [];
  const poster = (file: string): ReviewPoster => {
    const c = new RestClient(loadKubeconfig(file), { maxSockets: 2, userAgent: o.userAgent });
    clients.push(c);
    return (path, body) => c.request(path, { method: 'POST', body, timeoutMs: 10_000 });
  };
  const authn = flags['authentication-kubeconfig'];
  const authz = flags['authorization-kubeconfig'];
  if (!authn) log.warn('No authentication-kubeconfig provided in order to lookup client-ca-file in configmap/extension-apiserver-authentication in kube-system, so client certificate authentication won\'t work.');
  if (!authz) log.warn("No authorization-kubeconfig provided, so SubjectAccessReview of authorization tokens won't work.");
  const tokenReviews = authn ? poster(authn) : undefined;
  const accessReviews = authz ? poster(authz) : undefined;
  const fileCA = flags['client-ca-file'] ? readFileSync(flags['client-ca-file'], 'utf8') : undefined;
  // (the ConfigMap is looked up only without --client-ca-file, and with a kubeconfig to read it)
  const inCluster = !fileCA && authn ? clients[0]! : undefined;
  const [clientCA, certKey] = await Promise.all([
    inCluster ? lookupClientCA(inCluster) : fileCA,
    servingCert({ certFile: flags['tls-cert-file'] || undefined, keyFile: flags['tls-private-key-file'] || undefined, certDir: flags['cert-dir'] || undefined, pairName: o.pairName, bindAddress: flags['bind-address'] }),
  ]);
  const auth = new DelegatingAuth({ tokenReviews, accessReviews, alwaysAllowPaths: flags['authorization-always-allow-paths'] });
  const { server, port: bound, setClientCA } = await startSecureServing({ host: flags['bind-address'], port, certKey, auth, clientCA, dynamicClientCA: !!inCluster, configz: o.configz, health: o.health });
  const followed = inCluster ? followClientCA(inCluster, setClientCA) : undefined;
  log.info('Serving securely', { address: `${flags['bind-address']}:${bound}` });
  return {
    port: bound,
    close() {
      followed?.stop();
      server.close();
      server.closeAllConnections();
      for (const c of clients) c.close();
    },
  };
}

const ConfigMaps: ResourceRef = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
const AUTH_CONFIGMAP = 'extension-apiserver-authentication';

/** Watches the ConfigMap alone (a fieldSelector on its name) and hands each client-ca-file it holds to `set` (none once it is gone). */
function followClientCA(client: RestClient, set: (pem: string | undefined) => void): { stop(): void } {
  const informer = new Informer<KubeObject & { data?: Record<string, string> }>(client, ConfigMaps, { namespace: 'kube-system', fieldSelector: `metadata.name=${AUTH_CONFIGMAP}` });
  const apply = (cm: { data?: Record<string, string> } | undefined) => set(cm?.data?.['client-ca-file'] || undefined);
  informer.on({ add: apply, update: apply, delete: () => apply(undefined) }).start();
  return informer;
}

/** kube-system/extension-apiserver-authentication's client-ca-file, if the apiserver publishes one. */
async function lookupClientCA(client: RestClient): Promise<string | undefined> {
  try {
    const cm = await client.request<{ data?: Record<string, string> }>(`/api/v1/namespaces/kube-system/configmaps/${AUTH_CONFIGMAP}`, { timeoutMs: 10_000 });
    return cm.data?.['client-ca-file'] || undefined;
  } catch (e) {
    if (!isNotFound(e)) log.warn('Error looking up in-cluster authentication configuration', { err: e });
    return undefined;
  }
}
