// The route table of the ingress controller: from the Ingresses it serves to "which backend
// answers this host and path", with Kubernetes' matching rules.
//
// Hosts: an exact host's rules first, then a wildcard's (`*.foo.com` matches `bar.foo.com`, one
// label only, not `foo.com`), then the rules without a host; the first of these whose paths match
// wins (as Traefik's routers do: a request for foo.com/b is served by a host-less /b rule when
// foo.com's own rules have no /b). Paths: an Exact path, else the longest Prefix path, matched
// element by element (`/foo` matches `/foo`, `/foo/` and `/foo/bar`, not `/foobar`; a trailing
// slash is ignored); ImplementationSpecific is Prefix, with an empty path meaning `/`. Then the
// default backend (of the oldest Ingress that has one). When two Ingresses give the same host,
// path and type, the older Ingress wins (creation time, then namespace/name), as ingress-nginx does.
// A resource backend (spec.*.backend.resource) is not something to proxy to: its path, or default
// backend, is left out, as ingress-nginx skips it ("does not contain a service backend, using
// default backend") and Traefik ("resource backends are not supported"), so its requests go to
// what else matches, else the default backend, else 404.
import type { Ingress, IngressBackend } from '../api/types.js';

/** Where a matched request goes: a Service port (by name or number) in the Ingress's namespace. */
export interface Backend {
  namespace: string;
  ingress: string;
  service: string;
  port?: { name?: string; number?: number };
}

interface PathRoute {
  /** The path as given (Exact) or its elements (Prefix). */
  path: string;
  elements: string[];
  exact: boolean;
  backend: Backend;
}

/** The routes of one host bucket: Exact paths by path, Prefix paths longest first. */
class HostRoutes {
  readonly exact = new Map<string, Backend>();
  readonly prefixes: PathRoute[] = [];

  add(r: PathRoute): void {
    if (r.exact) {
      if (!this.exact.has(r.path)) this.exact.set(r.path, r.backend);
      return;
    }
    if (this.prefixes.some((p) => sameElements(p.elements, r.elements))) return;
    this.prefixes.push(r);
  }

  /** Sorts prefixes longest first (by elements, then by length of the path text). */
  seal(): void {
    this.prefixes.sort((a, b) => b.elements.length - a.elements.length || b.path.length - a.path.length);
  }

  match(path: string, elements: string[]): Backend | undefined {
    const exact = this.exact.get(path);
    if (exact) return exact;
    return this.prefixes.find((p) => isElementPrefix(p.elements, elements))?.backend;
  }
}

const sameElements = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const isElementPrefix = (prefix: string[], of: string[]) => prefix.length <= of.length && prefix.every((x, i) => x === of[i]);

/** A path's elements: `/foo//bar/` → [foo, bar]. */
export function pathElements(path: string): string[] {
  return path.split('/').filter((e) => e !== '');
}

/** The host of a Host header, lower case, without its port (IPv6 literals keep their brackets). */
export function normalizeHost(host: string | undefined): string {
  const h = (host ?? '').trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return (colon >= 0 ? h.slice(0, colon) : h).replace(/\.$/, '');
}

/** `*.foo.com` is stored under `foo.com`; a request host `bar.foo.com` looks there. */
const wildcardSuffix = (host: string) => (host.startsWith('*.') ? host.slice(2) : undefined);
const parentOf = (host: string) => {
  const dot = host.indexOf('.');
  return dot > 0 ? host.slice(dot + 1) : undefined;
};

export interface Match {
  backend: Backend;
  /** The matched host rule (`foo.com`, `*.foo.com`, or '' for a host-less rule or the default backend). */
  host: string;
}

/** Ingresses ordered as conflicts are decided: oldest first, then namespace/name. */
export function byAge(a: Ingress, b: Ingress): number {
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata?.namespace}/${a.metadata?.name}`;
  const kb = `${b.metadata?.namespace}/${b.metadata?.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** A Service backend; undefined for a resource backend (or none), which is left out. */
function backendOf(ing: Ingress, b: IngressBackend | undefined): Backend | undefined {
  if (!b?.service?.name) return undefined;
  return { namespace: ing.metadata?.namespace ?? 'default', ingress: ing.metadata?.name ?? '', service: b.service.name, port: b.service.port ?? {} };
}

export class RouteTable {
  private readonly hosts = new Map<string, HostRoutes>();
  private readonly wildcards = new Map<string, HostRoutes>();
  private readonly anyHost = new HostRoutes();
  private defaultBackend: Backend | undefined;

  /** Builds the table from the Ingresses this controller serves. */
  constructor(ingresses: readonly Ingress[]) {
    for (const ing of [...ingresses].sort(byAge)) {
      const spec = ing.spec ?? {};
      if (!this.defaultBackend) this.defaultBackend = backendOf(ing, spec.defaultBackend);
      for (const rule of spec.rules ?? []) {
        const host = (rule.host ?? '').toLowerCase();
        const bucket = this.bucket(host);
        for (const p of rule.http?.paths ?? []) {
          const backend = backendOf(ing, p.backend);
          if (!backend) continue;
          const type = p.pathType === 'Exact' ? 'Exact' : 'Prefix';
          const path = p.path || '/';
          bucket.add({ path, elements: pathElements(path), exact: type === 'Exact', backend });
        }
      }
    }
    for (const b of [...this.hosts.values(), ...this.wildcards.values(), this.anyHost]) b.seal();
  }

  private bucket(host: string): HostRoutes {
    if (!host) return this.anyHost;
    const suffix = wildcardSuffix(host);
    const map = suffix !== undefined ? this.wildcards : this.hosts;
    const key = suffix ?? host;
    let b = map.get(key);
    if (!b) map.set(key, (b = new HostRoutes()));
    return b;
  }

  /** The backend of a request for `host` (a Host header) and `path` (without the query), if any. */
  match(host: string | undefined, path: string): Match | undefined {
    const h = normalizeHost(host);
    const elements = pathElements(path);
    const exact = this.hosts.get(h)?.match(path, elements);
    if (exact) return { backend: exact, host: h };
    const parent = parentOf(h);
    const wild = parent !== undefined ? this.wildcards.get(parent)?.match(path, elements) : undefined;
    if (wild) return { backend: wild, host: `*.${parent}` };
    const any = this.anyHost.match(path, elements);
    if (any) return { backend: any, host: '' };
    return this.defaultBackend ? { backend: this.defaultBackend, host: '' } : undefined;
  }
}

/** Whether `host` (a request host or SNI name) is one of `hosts`, exactly or under a wildcard. */
export function hostMatches(hosts: Iterable<string>, host: string): boolean {
  const parent = parentOf(host);
  for (const h of hosts) if (h === host || (parent !== undefined && wildcardSuffix(h) === parent)) return true;
  return false;
}
