// What the node agent's client certificate rotation starts from, as the 1.32 kubelet's
// buildKubeletClientConfig with rotateCertificates (cmd/kubelet/app/server.go) and
// bootstrap.LoadClientConfig decide it: with a bootstrap kubeconfig, the bootstrapped kubeconfig,
// which names kubelet-client-current.pem; without one, the kubeconfig as it is ("No bootstrapping
// requested, will use kubeconfig"): its client certificate seeds the manager (the file store's
// certFile and keyFile, BootstrapCertificatePEM), and once the cert dir holds a rotated pair the
// agent's clients use that pair instead of the kubeconfig's, as the rotating transport takes the
// manager's current certificate and no credentials of the kubeconfig's (AnonymousClientConfig).
import type { ClusterConfig } from '../client/kubeconfig.js';
import { loadCurrentPair } from './cert-rotation.js';

export interface RotationStart {
  /** The configuration the agent's clients connect with. */
  config: ClusterConfig;
  /** The pair the manager starts from while the cert dir has none. */
  initialPair?: { certPem: string; keyPem: string };
  /** Why there is nothing to rotate, when there is not. */
  skip?: string;
}

export function rotationStart(kc: ClusterConfig, certDir: string, bootstrapped: boolean): RotationStart {
  if (bootstrapped) return { config: kc };
  const initialPair = kc.clientCert && kc.clientKey ? { certPem: kc.clientCert, keyPem: kc.clientKey } : undefined;
  let stored: { certPem: string; keyPem: string } | undefined;
  try {
    stored = loadCurrentPair(certDir);
  } catch {
    // (none rotated yet: the kubeconfig's own pair)
  }
  const pair = stored ?? initialPair;
  // (a kubeconfig with a token alone has no certificate to renew: it is left as it is)
  if (!pair) return { config: kc, skip: `${kc.source} has no client certificate to rotate` };
  return { config: { ...kc, token: undefined, clientCert: pair.certPem, clientKey: pair.keyPem }, initialPair };
}
