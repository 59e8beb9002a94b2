// serverTLSBootstrap: the agent's HTTPS port serves a certificate of the
// kubernetes.io/kubelet-serving signer, as the 1.32 kubelet's NewKubeletServerCertificateManager
// (pkg/kubelet/certificate/kubelet.go) gets one: a CSR for system:node:NAME with the node's
// addresses as SANs (its name and --node-ip, the Node's Hostname and InternalIP), renewed as the
// client certificate is (the store's kubelet-server pair in --cert-dir). csrapproving does not
// approve such a request: until an admin approves it (kubectl certificate approve) and it is
// signed, the port is not opened, where the 1.32 kubelet's handshakes fail ('no serving
// certificate available for the kubelet').
import type { ApiClient } from '../client/api-client.js';
import { KUBELET_SERVING_SIGNER } from '../controllers/csr-signing.js';
import { logger } from '../util/log.js';
import { ClientCertificateManager, loadCurrentPair } from './cert-rotation.js';
import { requestNodeCertificate } from './kubelet-bootstrap.js';
import type { ServingPair } from './server.js';

const log = logger('nodeagent');

export interface ServingCertificateDeps {
  /** The node's own client: the request is the node's. */
  client: Pick<ApiClient, 'create' | 'get'>;
  certDir: string;
  nodeName: string;
  nodeIP: string;
  /** Opens the port with the pair (once, when there is one). */
  listen(serving: ServingPair): Promise<unknown>;
  /** The port could not be opened. */
  failed(e: unknown): void;
  /** How often a pending request is looked at (default 1 s) and how long it may wait (15 min, certificateWaitTimeout). */
  pollMs?: number;
  timeoutMs?: number;
}

/** Starts the serving certificate's manager; the port opens with the stored pair at once, else once the first is signed. */
export function startServingCertificate(d: ServingCertificateDeps): { stop(): Promise<void> } {
  let pair: { cert: string; key: string } | undefined;
  try {
    const p = loadCurrentPair(d.certDir, 'kubelet-server');
    pair = { cert: p.certPem, key: p.keyPem };
  } catch {
    log.info('no serving certificate yet: the HTTPS port opens once the kubelet-serving certificate request is approved and signed');
  }
  const listeners: (() => void)[] = [];
  let listening = false;
  const open = () => {
    listening = true;
    d.listen({ current: () => pair!, onChange: (fn) => listeners.push(fn) }).catch((e: unknown) => d.failed(e));
  };
  const manager = new ClientCertificateManager({
    certDir: d.certDir,
    pair: 'kubelet-server',
    name: KUBELET_SERVING_SIGNER,
    nodeName: d.nodeName,
    request: (key) => requestNodeCertificate(d.client, key, d.nodeName, { dir: d.certDir, generateName: true, pollMs: d.pollMs, timeoutMs: d.timeoutMs ?? 15 * 60_000, signerName: KUBELET_SERVING_SIGNER, usages: ['digital signature', 'server auth'], sans: [d.nodeName, d.nodeIP] }),
    rotated: (cert, key) => {
      pair = { cert: `${cert.trimEnd()}\n`, key };
      if (!listening) open();
      else for (const fn of listeners) fn();
    },
  });
  manager.registerMetrics(undefined, 'server');
  manager.start();
  if (pair) open();
  return { stop: () => manager.stop() };
}
