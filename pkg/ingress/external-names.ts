// The addresses of an ExternalName Service's name, for the ingress proxy: asked of the cluster
// DNS, as a controller running in a pod (Traefik, ingress-nginx) resolves it through its pod's
// nameserver (which forwards names outside the cluster to the node's resolvers), else of the
// node's own resolver (/etc/hosts, its nameservers). An address given as the name is used as it
// is. Answers are kept for their TTL (at most a minute), so a request does not wait on the DNS
// each time; a failed lookup is not kept.
import { lookup, Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';

/** The addresses of a name; rejects when it has none. */
export type NameLookup = (name: string) => Promise<string[]>;

const MAX_TTL_MS = 60_000;
/** How long the node resolver's answers (which carry no TTL) are kept. */
const LOOKUP_TTL_MS = 5_000;

interface Kept {
  addresses: string[];
  expires: number;
}

/** A lookup through `servers()` (the cluster DNS; none: the node's resolver alone). */
export function externalNameLookup(servers: () => string[], now: () => number = Date.now): NameLookup {
  const kept = new Map<string, Kept>();
  let resolver: Resolver | undefined;
  let resolverFor = '';
  const viaServers = async (name: string): Promise<Kept | undefined> => {
    const list = servers();
    if (!list.length) return undefined;
    const key = list.join(',');
    if (!resolver || resolverFor !== key) {
      resolver = new Resolver({ timeout: 2_000, tries: 2 });
      resolver.setServers(list);
      resolverFor = key;
    }
    for (const family of ['resolve4', 'resolve6'] as const) {
      const records = await resolver[family](name, { ttl: true }).catch(() => []);
      if (records.length) return { addresses: records.map((r) => r.address), expires: now() + Math.min(MAX_TTL_MS, Math.min(...records.map((r) => r.ttl)) * 1000) };
    }
    return undefined;
  };
  return async (raw) => {
    const name = raw.replace(/\.$/, '');
    if (isIP(name)) return [name];
    const k = kept.get(name);
    if (k && k.expires > now()) return k.addresses;
    const found =
      (await viaServers(name)) ??
      (await lookup(name, { all: true, verbatim: true }).then(
        (as) => ({ addresses: as.map((a) => a.address), expires: now() + LOOKUP_TTL_MS }),
        () => undefined,
      ));
    if (!found?.addresses.length) {
      kept.delete(name);
      throw new Error(`no such host "${name}"`);
    }
    kept.set(name, found);
    return found.addresses;
  };
}
