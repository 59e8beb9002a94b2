// The node agent's ingress controller (the role Traefik plays in k3s): it serves the Ingresses
// whose class is tskube.io/ingress's on this node's HTTP and HTTPS ports, from the agent's Service
// and EndpointSlice informers and its own Ingress and IngressClass ones. A port it cannot have
// (taken, or not permitted) is logged and left out: the node then serves what it could bind, and
// the agent's `ingress.tskube.io/addresses` annotation on its Node lists only the addresses it
// really listens on. The controller manager's ingress status controller publishes those addresses
// (of Ready nodes) in the Ingresses' status.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { INGRESS_CLASS_ANNOTATION, servedBy, TSKUBE_INGRESS_CONTROLLER } from '../api/ingress-class.js';
import type { EndpointSlice, Ingress, IngressClass, KubeObject, Secret, Service } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { Informer } from '../client/informer.js';
import { core, IngressClasses, Ingresses, isNotFound } from '../client/rest-client.js';
import { Backends } from '../ingress/backends.js';
import { externalNameLookup } from '../ingress/external-names.js';
import { defaultProxyConfig, IngressProxy } from '../ingress/proxy.js';
import { RouteTable } from '../ingress/routes.js';
import { CertStore } from '../ingress/tls-certs.js';
import { SERVICE_NAME_LABEL } from '../network/service-types.js';
import { logger } from '../util/log.js';

const log = logger('ingress');

export interface ListenAddress {
  /** '' listens on every address of the node. */
  host: string;
  port: number;
}

export interface IngressListen {
  http?: ListenAddress;
  https?: ListenAddress;
}

/** The agent's --ingress flag: `HTTP,HTTPS` listen addresses (`:80,:443`, `10.0.0.5:8080,off`), or `off`. */
export function parseIngressFlag(value: string): IngressListen | undefined {
  if (value.trim() === 'off') return undefined;
  const parts = value.split(',').map((s) => s.trim());
  if (parts.length !== 2) throw new Error(`invalid --ingress "${value}": want HTTP,HTTPS listen addresses (e.g. :80,:443) or off`);
  const one = (s: string): ListenAddress | undefined => {
    if (s === 'off') return undefined;
    const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(s);
    const port = m ? Number(m[3]) : NaN;
    if (!m || port < 1 || port > 65535) throw new Error(`invalid --ingress address "${s}": want [HOST]:PORT or off`);
    return { host: m[1] ?? m[2] ?? '', port };
  };
  const [http, https] = parts.map(one);
  return http || https ? { http, https } : undefined;
}

/** What of an Ingress the routes and certificates depend on. */
const routingOf = (i: Ingress) => JSON.stringify([i.spec, i.metadata?.annotations?.[INGRESS_CLASS_ANNOTATION], i.metadata?.creationTimestamp]);

const anyAddress = (host: string) => host === '' || host === '0.0.0.0' || host === '::';

function listen(server: Server, at: ListenAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host || undefined, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export interface NodeIngressConfig {
  listen: IngressListen;
  /** The node's address, published for listeners on every address. */
  nodeIP: string;
  /** How often the TLS Secrets are fetched again. */
  secretRefreshMs: number;
  /** The cluster DNS servers ExternalName backends are looked up through (none: the node's resolver). */
  dnsServers?: () => string[];
  /** How HTTPS backends are spoken to: Traefik's serversTransport, its rootCAs as PEM files. */
  serversTransport?: IngressServersTransport;
}

/** The agent's --ingress-insecure-skip-verify and --ingress-root-cas (Traefik's --serversTransport.insecureSkipVerify and .rootCAs). */
export interface IngressServersTransport {
  insecureSkipVerify?: boolean;
  /** PEM files of the CAs HTTPS backends' certificates are verified against (none: Node's bundled CAs). */
  rootCAs?: string[];
}

export class NodeIngressController {
  private readonly ingresses: Informer<Ingress & KubeObject>;
  private readonly classes: Informer<IngressClass & KubeObject>;
  /** EndpointSlices by `namespace/service`. */
  private readonly slicesByService = new Map<string, Map<string, EndpointSlice>>();
  private readonly certs: CertStore;
  private readonly proxy: IngressProxy;
  private rebuildTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    client: ApiClient,
    private readonly cfg: NodeIngressConfig,
    private readonly src: { services: Informer<Service & KubeObject>; slices: Informer<EndpointSlice & KubeObject> },
  ) {
    this.ingresses = new Informer<Ingress & KubeObject>(client, Ingresses);
    this.classes = new Informer<IngressClass & KubeObject>(client, IngressClasses);
    const rebuild = { add: () => this.scheduleRebuild(), update: () => this.scheduleRebuild(), delete: () => this.scheduleRebuild() };
    // A status write (the addresses) changes nothing the routes or certificates are made of.
    this.ingresses.on({ ...rebuild, update: (i, old) => routingOf(i) !== routingOf(old) && this.scheduleRebuild() });
    this.classes.on(rebuild);
    src.slices.on({ add: (s) => this.setSlice(s), update: (s, old) => (this.deleteSlice(old), this.setSlice(s)), delete: (s) => this.deleteSlice(s) });
    this.certs = new CertStore(async (namespace, name) => {
      try {
        return await client.get<Secret>(core('secrets'), namespace, name);
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    }, cfg.secretRefreshMs);
    const backends = new Backends({
      service: (namespace, name) => src.services.get(`${namespace}/${name}`),
      slices: (namespace, service) => [...(this.slicesByService.get(`${namespace}/${service}`)?.values() ?? [])],
    });
    const t = cfg.serversTransport;
    // (a CA file that cannot be read stops the agent's start, as Traefik's configuration error)
    const serversTransport = t && { insecureSkipVerify: t.insecureSkipVerify, rootCAs: t.rootCAs?.map((f) => readFileSync(f, 'utf8')) };
    this.proxy = new IngressProxy(backends, this.certs, { ...defaultProxyConfig, serversTransport }, externalNameLookup(cfg.dnsServers ?? (() => [])));
  }

  private sliceKey(s: EndpointSlice): string | undefined {
    const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    return svc ? `${s.metadata?.namespace}/${svc}` : undefined;
  }

  private setSlice(s: EndpointSlice): void {
    const k = this.sliceKey(s);
    if (!k) return;
    let m = this.slicesByService.get(k);
    if (!m) this.slicesByService.set(k, (m = new Map()));
    m.set(s.metadata?.name ?? '', s);
  }

  private deleteSlice(s: EndpointSlice): void {
    const k = this.sliceKey(s);
    const m = k ? this.slicesByService.get(k) : undefined;
    if (!m) return;
    m.delete(s.metadata?.name ?? '');
    if (!m.size) this.slicesByService.delete(k!);
  }

  /** Changes come in bursts (a kubectl apply of several Ingresses): one rebuild for them. */
  private scheduleRebuild(): void {
    if (this.rebuildTimer) return;
    this.rebuildTimer = setTimeout(() => {
      this.rebuildTimer = undefined;
      this.rebuild();
    }, 20);
  }

  private rebuild(): void {
    if (this.stopped) return;
    const classes = new Map(this.classes.list().map((c) => [c.metadata?.name ?? '', c]));
    const served = this.ingresses.list().filter((i) => servedBy(i, classes, TSKUBE_INGRESS_CONTROLLER));
    this.proxy.routes = new RouteTable(served);
    void this.certs.update(served).catch((e: Error) => log.warn('TLS certificates not refreshed', { err: e.message }));
    log.debug('ingress routes rebuilt', { ingresses: served.length });
  }

  /**
   * Listens on the configured ports (each may fail alone) and starts the informers; resolves with
   * the addresses the controller listens on (empty when it could bind nothing).
   */
  async start(): Promise<string[]> {
    const addresses = new Set<string>();
    const { http, https } = this.cfg.listen;
    const bound: Partial<Record<'http' | 'https', ListenAddress>> = {};
    for (const [scheme, at, server] of [
      ['https', https, https ? this.proxy.httpsServer() : undefined],
      ['http', http, http ? this.proxy.httpServer() : undefined],
    ] as const) {
      if (!at || !server) continue;
      try {
        await listen(server, at);
        bound[scheme] = at;
        addresses.add(anyAddress(at.host) ? this.cfg.nodeIP : at.host);
        log.info('ingress controller listening', { scheme, address: `${at.host}:${at.port}` });
      } catch (e) {
        server.close();
        log.warn('ingress controller cannot listen; this node serves no ingress traffic there', { scheme, address: `${at.host}:${at.port}`, err: (e as Error).message });
      }
    }
    this.proxy.cfg.httpsPort = bound.https?.port;
    this.certs.start();
    this.ingresses.start();
    this.classes.start();
    return [...addresses];
  }

  /** Resolves once the Ingresses and IngressClasses have listed and the routes are built from them. */
  async synced(): Promise<void> {
    await Promise.all([this.ingresses.hasSynced(), this.classes.hasSynced(), this.src.services.hasSynced(), this.src.slices.hasSynced()]);
    this.rebuild();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.rebuildTimer);
    this.ingresses.stop();
    this.classes.stop();
    this.certs.stop();
    this.proxy.close();
  }
}
