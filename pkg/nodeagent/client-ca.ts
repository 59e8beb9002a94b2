// The agent's client CA bundle from a file, reloaded when the file changes, as the 1.32 kubelet's
// (cmd/kubelet/app/auth.go BuildAuthn: dynamiccertificates.NewDynamicCAContentFromFile
// "client-ca-bundle", run for the kubelet's lifetime): the file is read again when it is written,
// replaced or removed (fsnotify there, fs.watch here) and at least every minute
// (FileRefreshDuration); new content that loads replaces the bundle and its listeners are told,
// content that does not load is an error logged and the last good bundle stays.
import { X509Certificate } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { logger } from '../util/log.js';
import { pemBlocks } from '../util/pem.js';
import { issuedBy } from '../util/x509.js';

const log = logger('client-ca');

/** How often the file is read even without a change event (dynamiccertificates.FileRefreshDuration). */
export const FILE_REFRESH_MS = 60_000;

/** Go's os.ReadFile error in its words. */
function readError(file: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  const why = err.code === 'ENOENT' ? 'no such file or directory' : err.code === 'EACCES' ? 'permission denied' : err.code === 'EISDIR' ? 'is a directory' : err.message;
  return new Error(`open ${file}: ${why}`, { cause: e });
}

export class DynamicClientCA {
  /** The bundle's name in the kubelet's messages: purpose::file. */
  readonly name: string;
  private pem: string;
  private certs: X509Certificate[] = [];
  /** Bumped at each new bundle: a connection verified under an older one is checked again. */
  generation = 0;
  private readonly listeners: ((pem: string) => void)[] = [];
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;

  /** Loads the file now: an error here stops the agent, as NewDynamicCAContentFromFile's stops the kubelet. */
  constructor(readonly file: string, private readonly read: (path: string) => string = (p) => readFileSync(p, 'utf8')) {
    this.name = `client-ca-bundle::${file}`;
    this.pem = '';
    this.reload();
  }

  /** The current bundle (PEM). */
  current(): string {
    return this.pem;
  }

  /** Called with each new bundle. */
  onChange(fn: (pem: string) => void): void {
    this.listeners.push(fn);
  }

  /**
   * loadCABundle: reads the file; the same content is no change (false), new content that holds
   * certificates becomes the bundle (true); an unreadable, empty or certificate-less file throws.
   */
  reload(): boolean {
    let pem: string;
    try {
      pem = this.read(this.file);
    } catch (e) {
      throw readError(this.file, e);
    }
    if (!pem.length) throw new Error(`missing content for CA bundle ${JSON.stringify(this.name)}`);
    if (pem === this.pem) return false;
    const blocks = pemBlocks(pem, 'CERTIFICATE');
    if (!blocks.length) throw new Error(`error loading CA bundle for ${JSON.stringify(this.name)}: data does not contain any valid RSA or ECDSA certificates`);
    const certs: X509Certificate[] = [];
    for (const b of blocks) {
      try {
        certs.push(new X509Certificate(b));
      } catch {
        // (cert.NewPoolFromBytes skips blocks that do not parse)
      }
    }
    this.pem = pem;
    this.certs = certs;
    this.generation++;
    if (this.generation > 1) log.info('Loaded a new CA Bundle and Verifier', { name: this.name });
    for (const fn of this.listeners) fn(pem);
    return true;
  }

  /** Whether the current bundle signed a client certificate (DER): one of its certificates is a CA that issued it (issuedBy, as Go's chain building takes a parent). */
  verifies(der: Buffer): boolean {
    let leaf: X509Certificate;
    try {
      leaf = new X509Certificate(der);
    } catch {
      return false;
    }
    return this.certs.some((ca) => issuedBy(leaf, ca));
  }

  /** One reload, its error logged as the controller's work queue logs it; the last good bundle stays. */
  private sync(): void {
    try {
      this.reload();
    } catch (e) {
      log.error(`key failed with : ${(e as Error).message}`, { name: this.name });
    }
  }

  /** Watches the file (again after it is replaced) and reads it every FILE_REFRESH_MS until stop(). */
  run(refreshMs = FILE_REFRESH_MS): void {
    log.info('Starting controller', { name: this.name });
    this.timer = setInterval(() => {
      this.sync();
      // (wait.Until's retry of a watch that failed)
      if (!this.watcher) this.watchFile();
    }, refreshMs);
    this.timer.unref();
    this.watchFile();
  }

  private watchFile(): void {
    try {
      this.watcher = watch(this.file, { persistent: false }, (event) => {
        // (a replaced or removed file is watched again under its name: handleWatchEvent)
        if (event === 'rename') {
          this.watcher?.close();
          this.watcher = undefined;
          this.watchFile();
        }
        this.sync();
      });
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (e) {
      log.error('Failed to watch CA file, will retry later', { err: `error adding watch for file ${this.file}: ${(e as Error).message}` });
      this.watcher = undefined;
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
    log.info('Shutting down controller', { name: this.name });
  }
}
