// Client certificate rotation, as the 1.32 kubelet's with rotateCertificates (pkg/kubelet/
// certificate/kubelet.go NewKubeletClientCertificateManager, client-go util/certificate/
// certificate_manager.go): the certificate in kubelet-client-current.pem is renewed at a random
// 70-90% of its lifetime (nextRotationDeadline, jitteryDuration) with a new ECDSA key and a CSR
// (generateName csr-) asked with the current certificate itself, so that csrapproving approves it
// as selfnodeclient; the signed pair is written to kubelet-client-<time>.pem, the current link
// moved to it (the file store's Update), and the client told to use it for new connections.
// A failed rotation is tried again after 2 s, doubling with 10% jitter up to five tries, then
// every 32 s until it works (rotateCerts under wait.ExponentialBackoff, then wait.PollInfinite).
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Counter, Gauge, register, type Registry } from 'prom-client';
import { logger } from '../util/log.js';
import { pemBlocks } from '../util/pem.js';
import { CsrRequestError, CURRENT_PEM, KUBELET_CLIENT_SIGNER, storePair, type PairName } from './kubelet-bootstrap.js';

const log = logger('certificate-manager');


/** notBefore plus a random 70-90% of the lifetime (jitteryDuration: wait.Jitter(d, 0.2) - 0.3 d). */
export function rotationDeadline(notBefore: number, notAfter: number, rand: () => number = Math.random): number {
  const total = notAfter - notBefore;
  return notBefore + total * (0.7 + 0.2 * rand());
}

/** The backoff of rotateCerts' first tries: 2 s, doubling, 10% jitter, five steps (wait.ExponentialBackoff, no cap). */
export const ROTATION_BACKOFF = { durationMs: 2000, factor: 2, jitter: 0.1, steps: 5 };
/** After the backoff, rotation is tried this often until it works (wait.PollInfinite(32*time.Second, ...)). */
export const ROTATION_POLL_MS = 32_000;
/** How long the agent goes on without a valid client certificate before it exits (the kubelet's UpdateTransport exitAfter). */
export const EXIT_AFTER_MS = 5 * 60_000;

export interface CertificateManagerDeps {
  certDir: string;
  /** Which pair of the store (default kubelet-client; kubelet-server for the serving certificate of serverTLSBootstrap). */
  pair?: PairName;
  /** The manager's name in its log lines: its signer's (default kubernetes.io/kube-apiserver-client-kubelet). */
  name?: string;
  /** The node the certificate must name (CN system:node:NAME, O system:nodes; certSatisfiesTemplate): one that does not is rotated at once. */
  nodeName?: string;
  /** Asks for a certificate for the key with the current pair's credentials; resolves to the signed PEM (a CsrRequestError when the request could not be made). */
  request(keyPem: string): Promise<string>;
  /** Told of the new pair once it is stored: new connections use it. */
  rotated(certPem: string, keyPem: string): void;
  /**
   * The pair to start from while the cert dir has no kubelet-client-current.pem: the kubeconfig's
   * own certificate when rotation runs without a bootstrap kubeconfig (the file store's certFile and
   * keyFile, and the manager's BootstrapCertificatePEM).
   */
  initialPair?: { certPem: string; keyPem: string };
  /** Called when no valid certificate has been found for EXIT_AFTER_MS while the server answers: the kubelet exits 1 here to bootstrap again. */
  exit?: () => void;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  rand?: () => number;
}

const realSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** The certificate (first block) and key of the store's current pair. */
export function loadCurrentPair(certDir: string, pair: PairName = 'kubelet-client'): { cert: X509Certificate; certPem: string; keyPem: string } {
  const file = pair === 'kubelet-client' ? CURRENT_PEM : `${pair}-current.pem`;
  const pem = readFileSync(join(certDir, file), 'utf8');
  const certPem = pemBlocks(pem, 'CERTIFICATE')[0];
  const keyPem = /-----BEGIN (?:EC |RSA )?PRIVATE KEY-----[\s\S]*?-----END (?:EC |RSA )?PRIVATE KEY-----/.exec(pem)?.[0];
  if (!certPem || !keyPem) throw new Error(`could not find a certificate and key in ${join(certDir, file)}`);
  return { cert: new X509Certificate(certPem), certPem, keyPem };
}

/**
 * The store's current pair, else the initial one (the file store's Current: the pair file first,
 * then the certificate and key files it was given); throws when neither loads.
 */
export function currentOrInitialPair(certDir: string, initial?: { certPem: string; keyPem: string }, pair: PairName = 'kubelet-client'): { cert: X509Certificate; certPem: string; keyPem: string } {
  try {
    return loadCurrentPair(certDir, pair);
  } catch (e) {
    if (!initial) throw e;
    const certPem = pemBlocks(initial.certPem, 'CERTIFICATE')[0];
    if (!certPem) throw new Error('could not find a certificate in the kubeconfig\'s client certificate', { cause: e });
    return { cert: new X509Certificate(certPem), certPem, keyPem: initial.keyPem };
  }
}

/** The kubelet's client certificate manager: renews kubelet-client-current.pem before it expires. */
export class ClientCertificateManager {
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly rand: () => number;
  /** Renewals that failed (kubelet_certificate_manager_client_expiration_renew_errors). */
  renewErrors = 0;
  private renewErrorsMetric?: Counter;
  /** Pairs stored by rotation. */
  rotations = 0;
  /** Whether the apiserver seemed to answer at the last request (the manager's serverHealth, false until it is known). */
  serverHealthy = false;
  private lastCertAvailable: number;

  /** Its name in log lines (the signer's). */
  private readonly name: string;

  constructor(private readonly deps: CertificateManagerDeps) {
    this.name = deps.name ?? KUBELET_CLIENT_SIGNER;
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? realSleep;
    this.rand = deps.rand ?? Math.random;
    this.lastCertAvailable = this.now();
  }

  /**
   * The transport's check, every second (pkg/kubelet/certificate/transport.go updateTransport with
   * the kubelet's exitAfter of 5 min): while no unexpired certificate loads for that long, the
   * agent exits if the server answers, to bootstrap again on its restart, and says so if not.
   */
  checkCurrent(): 'valid' | 'waiting' | 'exit' {
    const now = this.now();
    let valid = false;
    try {
      valid = now <= Date.parse(currentOrInitialPair(this.deps.certDir, this.deps.initialPair, this.deps.pair).cert.validTo);
    } catch {
      // (deleted from disk or otherwise corrupt)
    }
    if (valid) {
      this.lastCertAvailable = now;
      return 'valid';
    }
    if (now <= this.lastCertAvailable + EXIT_AFTER_MS) return 'waiting';
    if (this.serverHealthy) {
      log.error('No valid client certificate is found and the server API is responsive, restarting the kubelet to retrieve new initial credentials');
      return 'exit';
    }
    log.error('No valid client certificate is found but the server is not responsive. A restart may be necessary to retrieve new initial credentials.', { lastCertificateAvailabilityTime: new Date(this.lastCertAvailable).toISOString(), shutdownThreshold: formatDuration(EXIT_AFTER_MS) });
    return 'waiting';
  }

  /** updateServerError: what a request that could not be made says of the server's health. */
  private updateServerError(e: CsrRequestError): void {
    const code = e.code;
    if (typeof code === 'number') this.serverHealthy = code === 401 || code === 403 || code === 404;
    else if (typeof code === 'string') this.serverHealthy = false;
  }

  /** Whole seconds until the current certificate expires, negative once it has; +Inf when there is none that loads (kubelet_certificate_manager_client_ttl_seconds). */
  ttlSeconds(): number {
    try {
      return Math.trunc((Date.parse(currentOrInitialPair(this.deps.certDir, this.deps.initialPair, this.deps.pair).cert.validTo) - this.now()) / 1000);
    } catch {
      return Infinity;
    }
  }

  /**
   * The kubelet's certificate manager metrics, registered only when rotation is on, as
   * NewKubeletClientCertificateManager and NewKubeletServerCertificateManager register them
   * (pkg/kubelet/certificate/kubelet.go, transport.go): the certificate's TTL and the renewal
   * errors, kubelet_certificate_manager_client_* for the client certificate,
   * kubelet_certificate_manager_server_ttl_seconds and kubelet_server_expiration_renew_errors for
   * serverTLSBootstrap's serving one (what kubernetes-mixin's KubeletServerCertificateExpiration
   * and KubeletServerCertificateRenewalErrors alerts read).
   */
  registerMetrics(registry: Registry = register, which: 'client' | 'server' = 'client'): void {
    const ttl = () => this.ttlSeconds();
    const names =
      which === 'client'
        ? { ttl: 'kubelet_certificate_manager_client_ttl_seconds', errors: 'kubelet_certificate_manager_client_expiration_renew_errors' }
        : { ttl: 'kubelet_certificate_manager_server_ttl_seconds', errors: 'kubelet_server_expiration_renew_errors' };
    registry.removeSingleMetric(names.ttl);
    registry.removeSingleMetric(names.errors);
    new Gauge({
      name: names.ttl,
      help:
        which === 'client'
          ? "[ALPHA] Gauge of the TTL (time-to-live) of the Kubelet's client certificate. The value is in seconds until certificate expiry (negative if already expired). If client certificate is invalid or unused, the value will be +INF."
          : "[ALPHA] Gauge of the shortest TTL (time-to-live) of the Kubelet's serving certificate. The value is in seconds until certificate expiry (negative if already expired). If serving certificate is invalid or unused, the value will be +INF.",
      registers: [registry],
      collect() {
        this.set(ttl());
      },
    });
    this.renewErrorsMetric = new Counter({ name: names.errors, help: '[ALPHA] Counter of certificate renewal errors.', registers: [registry] });
    if (this.renewErrors) this.renewErrorsMetric.inc(this.renewErrors);
  }

  start(): void {
    log.info(`${this.name}: Certificate rotation is enabled`);
    this.loop ??= this.run();
    if (this.deps.exit && !this.checker) {
      this.checker = setInterval(() => {
        if (this.checkCurrent() === 'exit') this.deps.exit!();
      }, 1000);
      this.checker.unref();
    }
  }

  private checker?: NodeJS.Timeout;

  async stop(): Promise<void> {
    this.abort.abort();
    clearInterval(this.checker);
    await this.loop;
  }

  private get stopped() {
    return this.abort.signal.aborted;
  }

  /** The deadline of the current certificate (now when it cannot be read: rotate at once). */
  nextRotationDeadline(): number {
    let cert: X509Certificate;
    try {
      cert = currentOrInitialPair(this.deps.certDir, this.deps.initialPair, this.deps.pair).cert;
    } catch (e) {
      log.warn(`${this.name}: Current certificate is missing or invalid, rotating now`, { err: (e as Error).message });
      return this.now();
    }
    const mismatch = this.templateMismatch(cert);
    if (mismatch) {
      log.info(`${this.name}: ${mismatch}`);
      return this.now();
    }
    const notBefore = Date.parse(cert.validFrom);
    const notAfter = Date.parse(cert.validTo);
    const deadline = rotationDeadline(notBefore, notAfter, this.rand);
    log.info(`${this.name}: Certificate expiration is ${new Date(notAfter).toISOString()}, rotation deadline is ${new Date(deadline).toISOString()}`);
    return deadline;
  }

  /** Why the certificate does not satisfy the request the manager would make (certSatisfiesTemplateLocked), if it does not. */
  private templateMismatch(cert: X509Certificate): string | undefined {
    if (!this.deps.nodeName) return undefined;
    const field = (k: string) => cert.subject.split('\n').filter((l) => l.startsWith(`${k}=`)).map((l) => l.slice(k.length + 1));
    const want = `system:node:${this.deps.nodeName}`;
    const cn = field('CN')[0] ?? '';
    if (cn !== want) return `Current certificate CN (${cn}) does not match requested CN (${want})`;
    if (!field('O').includes('system:nodes')) return 'Current certificate is missing requested orgs [system:nodes]';
    return undefined;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const wait = this.nextRotationDeadline() - this.now();
      if (wait > 0) {
        log.info(`${this.name}: Waiting ${formatDuration(wait)} for next certificate rotation`);
        await this.sleep(wait, this.abort.signal);
        if (this.stopped) return;
      }
      if (!(await this.rotateWithBackoff())) return;
      // (wait.Until's period between rounds)
      await this.sleep(1000, this.abort.signal);
    }
  }

  /** ExponentialBackoff over rotateCerts, then PollInfinite; false when stopped first. */
  private async rotateWithBackoff(): Promise<boolean> {
    const b = ROTATION_BACKOFF;
    let delay = b.durationMs;
    for (let step = 0; step < b.steps; step++) {
      if (this.stopped) return false;
      if (await this.rotateCerts()) return true;
      if (step === b.steps - 1) break;
      await this.sleep(delay * (1 + b.jitter * this.rand()), this.abort.signal);
      delay *= b.factor;
    }
    log.error(`${this.name}: Reached backoff limit, still unable to rotate certs: timed out waiting for the condition`);
    for (;;) {
      await this.sleep(ROTATION_POLL_MS, this.abort.signal);
      if (this.stopped) return false;
      if (await this.rotateCerts()) return true;
    }
  }

  /** One try: a new key, a CSR, the signed certificate stored and handed on (rotateCerts). */
  async rotateCerts(): Promise<boolean> {
    log.info(`${this.name}: Rotating certificates`);
    let keyPem: string;
    try {
      keyPem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    } catch (e) {
      return this.failed(`Unable to generate a certificate signing request: ${(e as Error).message}`);
    }
    let certPem: string;
    try {
      certPem = await this.deps.request(keyPem);
    } catch (e) {
      if (e instanceof CsrRequestError) {
        this.updateServerError(e);
        return this.failed(`Failed while requesting a signed certificate from the control plane: ${e.message}`);
      }
      return this.failed(`certificate request was not signed: ${(e as Error).message}`);
    }
    try {
      storePair(this.deps.certDir, certPem, keyPem, this.now(), this.deps.pair);
    } catch (e) {
      return this.failed(`Unable to store the new cert/key pair: ${(e as Error).message}`);
    }
    this.rotations++;
    this.serverHealthy = true;
    if ((this.deps.pair ?? 'kubelet-client') === 'kubelet-client') log.info('Certificate rotation detected, shutting down client connections to start using new credentials');
    this.deps.rotated(certPem, keyPem);
    return true;
  }

  private failed(msg: string): false {
    this.renewErrors++;
    this.renewErrorsMetric?.inc();
    log.error(`${this.name}: ${msg}`);
    return false;
  }
}

/** A Go time.Duration's String() of whole milliseconds, e.g. 6383h12m5.5s. */
export function formatDuration(ms: number): string {
  ms = Math.round(ms);
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3600_000);
  const m = Math.floor((ms % 3600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}
