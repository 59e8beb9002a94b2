// The certificates the HTTPS listener offers, by SNI name: from the kubernetes.io/tls Secrets that
// the served Ingresses name in spec.tls (fetched one by one, as the node authorizer lets a node get
// exactly these), refreshed on every change of the Ingresses and every `refreshMs`. A host takes the
// certificate of the oldest Ingress that lists it; an entry without hosts gives the certificate for
// names no entry lists (and for clients that send no SNI).
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Ingress, Secret } from '../api/types.js';
import { logger } from '../util/log.js';
import { byAge, hostMatches } from './routes.js';

const log = logger('ingress');

export interface SecretRef {
  namespace: string;
  name: string;
}

export interface TlsPlan {
  /** Host (or `*.suffix`) → the Secret of its certificate. */
  byHost: Map<string, SecretRef>;
  /** The Secret of the oldest entry without hosts. */
  fallback?: SecretRef;
}

const refKey = (r: SecretRef) => `${r.namespace}/${r.name}`;

export function tlsPlan(ingresses: readonly Ingress[]): TlsPlan {
  const plan: TlsPlan = { byHost: new Map() };
  for (const ing of [...ingresses].sort(byAge)) {
    const namespace = ing.metadata?.namespace ?? 'default';
    for (const t of ing.spec?.tls ?? []) {
      if (!t.secretName) continue;
      const ref = { namespace, name: t.secretName };
      if (!t.hosts?.length) plan.fallback ??= ref;
      for (const h of t.hosts ?? []) if (!plan.byHost.has(h.toLowerCase())) plan.byHost.set(h.toLowerCase(), ref);
    }
  }
  return plan;
}

/** Fetches a Secret; undefined when it does not exist (or may not be read). */
export type SecretGetter = (namespace: string, name: string) => Promise<Secret | undefined>;

export class CertStore {
  private plan: TlsPlan = { byHost: new Map() };
  /** Secret key → its context, for Secrets that held a usable certificate and key at the last fetch. */
  private contexts = new Map<string, SecureContext>();
  /** Secret key → the data last turned into a context (so an unchanged Secret is not parsed again). */
  private loaded = new Map<string, { sig: string; cert: Buffer; key: Buffer }>();
  /** Called after each refresh (the HTTPS server takes the fallback certificate as its default then). */
  onRefresh: (() => void) | undefined;
  /** Secret key → what was last wrong with it, so that a problem is logged when it starts, not every refresh. */
  private readonly problems = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private again = false;

  constructor(private readonly get: SecretGetter, private readonly refreshMs = 60_000) {}

  start(): void {
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** A new set of served Ingresses: their Secrets are fetched (resolves once they are). */
  update(ingresses: readonly Ingress[]): Promise<void> {
    this.plan = tlsPlan(ingresses);
    return this.refresh();
  }

  /** Fetches every Secret the plan names; one refresh at a time, the latest request coalesced. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = this.fetchAll().finally(() => {
      this.refreshing = undefined;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.refreshing;
  }

  private async fetchAll(): Promise<void> {
    const refs = new Map<string, SecretRef>();
    for (const r of [...this.plan.byHost.values(), ...(this.plan.fallback ? [this.plan.fallback] : [])]) refs.set(refKey(r), r);
    const next = new Map<string, SecureContext>();
    await Promise.all(
      [...refs].map(async ([key, ref]) => {
        let secret: Secret | undefined;
        try {
          secret = await this.get(ref.namespace, ref.name);
        } catch (e) {
          this.problem(key, `cannot be read: ${(e as Error).message}`);
          // Keep the last good certificate through a transient error.
          if (this.contexts.has(key)) next.set(key, this.contexts.get(key)!);
          return;
        }
        const ctx = secret ? this.contextOf(key, secret) : this.problem(key, 'not found');
        if (ctx) next.set(key, ctx);
      }),
    );
    this.contexts = next;
    for (const k of this.loaded.keys()) if (!next.has(k)) this.loaded.delete(k);
    for (const k of this.problems.keys()) if (!refs.has(k)) this.problems.delete(k);
    this.onRefresh?.();
  }

  /** The certificate and key of the entry without hosts, once loaded: what clients that send no SNI name get. */
  fallbackCredentials(): { cert: Buffer; key: Buffer } | undefined {
    const ref = this.plan.fallback;
    const key = ref && refKey(ref);
    return key && this.contexts.has(key) ? this.loaded.get(key) : undefined;
  }

  /** Logs what is wrong with a Secret when that changes; the Secret gives no certificate. */
  private problem(key: string, what: string): undefined {
    if (this.problems.get(key) !== what) log.warn('TLS secret gives no certificate', { secret: key, problem: what });
    this.problems.set(key, what);
    return undefined;
  }

  private contextOf(key: string, secret: Secret): SecureContext | undefined {
    const crt = secret.data?.['tls.crt'];
    const pem = secret.data?.['tls.key'];
    if (secret.type !== 'kubernetes.io/tls' || !crt || !pem) return this.problem(key, 'not a kubernetes.io/tls secret with tls.crt and tls.key');
    const sig = `${crt}\0${pem}`;
    const have = this.contexts.get(key);
    if (have && this.loaded.get(key)?.sig === sig) return have;
    try {
      const creds = { cert: Buffer.from(crt, 'base64'), key: Buffer.from(pem, 'base64') };
      const ctx = createSecureContext(creds);
      this.loaded.set(key, { sig, ...creds });
      this.problems.delete(key);
      return ctx;
    } catch (e) {
      return this.problem(key, `no usable certificate and key: ${(e as Error).message}`);
    }
  }

  /** The context for an SNI name: its host's, a wildcard's, else the fallback's. */
  context(servername: string | undefined): SecureContext | undefined {
    const name = (servername ?? '').toLowerCase();
    const ref = name ? (this.plan.byHost.get(name) ?? this.wildcardRef(name)) : undefined;
    const chosen = ref ?? this.plan.fallback;
    return chosen ? this.contexts.get(refKey(chosen)) : undefined;
  }

  private wildcardRef(name: string): SecretRef | undefined {
    for (const [h, ref] of this.plan.byHost) if (h.startsWith('*.') && hostMatches([h], name)) return ref;
    return undefined;
  }

  /** Whether plain-HTTP requests for `host` go to HTTPS: a TLS entry lists it and its certificate is loaded. */
  redirects(host: string): boolean {
    const ref = this.plan.byHost.get(host) ?? this.wildcardRef(host);
    return ref !== undefined && this.contexts.has(refKey(ref));
  }
}
