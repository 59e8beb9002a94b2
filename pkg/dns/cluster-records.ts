// The cluster's DNS records, as Kubernetes' DNS specification defines them
// (github.com/kubernetes/dns, docs/specification.md) and CoreDNS's kubernetes plugin answers them,
// computed from Services and EndpointSlices:
//   <svc>.<ns>.svc.<zone>          A      the ClusterIP; for a headless service its ready endpoints
//                                         (NXDOMAIN while it has none); CNAME for an ExternalName service
//   _<port>._<proto>.<svc>.<ns>.svc.<zone>  SRV  per named port (per endpoint when headless)
//   <svc>.<ns>.svc.<zone>          SRV    every port (CoreDNS's answer)
//   <host>.<svc>.<ns>.svc.<zone>   A      an endpoint, by its hostname or dashed address
//   <a-b-c-d>.<ns>.pod.<zone>      A      a.b.c.d (CoreDNS's "pods insecure")
//   reverse names                  PTR    ClusterIPs, and every service's ready endpoints
// `answer` says whether a name is ours at all: names outside the zone (and reverse names of
// addresses we do not know) go to the upstream servers.
import { isIP, isIPv4 } from 'node:net';
import { RecordType, Rcode, type ResourceRecord, type Response } from './wire.js';

/** What the records need of a core/v1 Service. */
export interface ServiceLike {
  metadata?: { name?: string; namespace?: string };
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    externalName?: string;
    publishNotReadyAddresses?: boolean;
    ports?: { name?: string; port?: number; protocol?: string }[];
  };
}

/** What the records need of a discovery.k8s.io/v1 EndpointSlice. */
export interface EndpointSliceLike {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  addressType?: string;
  endpoints?: { addresses?: string[]; hostname?: string; conditions?: { ready?: boolean } }[];
  ports?: { name?: string; port?: number; protocol?: string }[];
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** When the change an EndpointSlice controller's slice reflects was triggered (the endpoints' annotation). */
const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';
// The TTL of every answer: 30 s, as the `ttl 30` of the Corefile kubeadm installs (the kubernetes
// plugin's own default is 5; a 1.32 cluster's CoreDNS is configured with 30).
const TTL = 30;
/** dns-version.<zone>: the specification's schema version, with CoreDNS's TTL for it. */
const SCHEMA_VERSION = '1.1.0';
const SCHEMA_VERSION_TTL = 28800;
/** The types CoreDNS follows an ExternalName's CNAME for (plugin/backend_lookup.go's A, AAAA and TXT). */
const CHASED_TYPES: ReadonlySet<number> = new Set([RecordType.A, RecordType.AAAA, RecordType.TXT]);
/** How many CNAMEs a chase may pass (backend_lookup.go stops past 7 earlier records). */
const MAX_CHASE = 7;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

interface Endpoint {
  address: string;
  hostname: string;
  ports: { name: string; port: number; protocol: string }[];
}

export class ClusterRecords {
  private services = new Map<string, ServiceLike>();
  /** ns/service → slice name → slice. */
  private slices = new Map<string, Map<string, EndpointSliceLike>>();
  private reverse: Map<string, string[]> | undefined;
  /**
   * The Namespaces that exist, once a Namespace informer feeds them (trackNamespaces); until
   * then a namespace exists when it holds a service, the best the services alone can say.
   */
  private namespaces: Set<string> | undefined;
  /**
   * The address the cluster DNS answers on: ns.dns.<zone>'s A record, the zone's name server (the
   * SOA's mname), as CoreDNS's nsAddrs answers its own Service's cluster IP (or, without one,
   * the address it runs on, which is what the node agent's server is here).
   */
  nameserver: string | undefined;

  /**
   * Called with how long ago a headless Service's endpoints changed, each time a slice of it with
   * a last-change-trigger-time reaches the records (the DNS programming latency CoreDNS's
   * EndpointLatencyRecorder observes; see metrics.ts).
   */
  onProgrammed: ((seconds: number) => void) | undefined;

  constructor(readonly zone = 'cluster.local') {}

  /**
   * From now on a namespace exists only when setNamespace said so, as CoreDNS's namespaceExposed
   * asks its Namespace informer (filteredNamespaceExists): a pod name in a namespace that is not
   * there is NXDOMAIN, and `<ns>.svc.<zone>` of a namespace without services is NODATA.
   */
  trackNamespaces(): void {
    this.namespaces ??= new Set();
  }
  setNamespace(ns: { metadata?: { name?: string } }): void {
    this.trackNamespaces();
    if (ns.metadata?.name) this.namespaces!.add(ns.metadata.name);
  }
  deleteNamespace(ns: { metadata?: { name?: string } }): void {
    if (ns.metadata?.name) this.namespaces?.delete(ns.metadata.name);
  }

  setService(s: ServiceLike): void {
    this.services.set(`${s.metadata?.namespace}/${s.metadata?.name}`, s);
    this.reverse = undefined;
  }
  deleteService(s: ServiceLike): void {
    this.services.delete(`${s.metadata?.namespace}/${s.metadata?.name}`);
    this.reverse = undefined;
  }
  setSlice(es: EndpointSliceLike): void {
    const owner = es.metadata?.labels?.[SERVICE_NAME_LABEL];
    // A slice may move between services only by a label edit: forget it everywhere first.
    this.forgetSlice(es);
    if (owner) {
      const key = `${es.metadata?.namespace}/${owner}`;
      const m = this.slices.get(key) ?? new Map<string, EndpointSliceLike>();
      m.set(es.metadata?.name ?? '', es);
      this.slices.set(key, m);
      this.reverse = undefined;
    }
    this.programmed(es);
  }
  deleteSlice(es: EndpointSliceLike): void {
    this.forgetSlice(es);
    this.programmed(es);
  }

  /** EndpointLatencyRecorder.record: only for a slice of one headless Service, written by the EndpointSlice controller (its trigger time). */
  private programmed(es: EndpointSliceLike): void {
    if (!this.onProgrammed) return;
    const trigger = es.metadata?.annotations?.[TRIGGER_TIME_ANNOTATION];
    const owner = es.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!trigger || !owner || this.services.get(`${es.metadata?.namespace}/${owner}`)?.spec?.clusterIP !== 'None') return;
    const at = Date.parse(trigger);
    if (!Number.isNaN(at)) this.onProgrammed((Date.now() - at) / 1000);
  }

  private forgetSlice(es: EndpointSliceLike): void {
    for (const [k, m] of this.slices) {
      if (!k.startsWith(`${es.metadata?.namespace}/`) || !m.delete(es.metadata?.name ?? '')) continue;
      if (!m.size) this.slices.delete(k);
      this.reverse = undefined;
    }
  }

  /**
   * ns.dns.<zone>'s address: the cluster IP of kube-system/kube-dns, the Service in front of this
   * server (see kube-dns-service.ts), as nsAddrs finds its own Service; the server's own address
   * without one.
   */
  private nameserverAddress(): string {
    const ip = this.services.get('kube-system/kube-dns')?.spec?.clusterIP;
    return ip && isIPv4(ip) ? ip : this.nameserver!;
  }

  /** The answer for a name and type, or undefined when the name is not the cluster's to answer. */
  answer(qname: string, qtype: number): Response | undefined {
    return this.resolve(qname, qtype, []);
  }

  /** `answer`, for a name reached through the CNAMEs in `chain` (the names before it). */
  private resolve(qname: string, qtype: number, chain: string[]): Response | undefined {
    const name = qname.toLowerCase().replace(/\.$/, '');
    if (name.endsWith('.in-addr.arpa')) return this.answerReverse(name, qtype);
    if (!this.inZone(name)) return undefined;
    if (name === `dns-version.${this.zone}` && qtype === RecordType.TXT) {
      return { rcode: Rcode.NoError, authoritative: true, answers: [{ name: qname.replace(/\.$/, ''), ttl: SCHEMA_VERSION_TTL, type: RecordType.TXT, text: SCHEMA_VERSION }], authority: [] };
    }
    const nsName = `ns.dns.${this.zone}`;
    if (this.nameserver && (name === nsName || (name === this.zone && qtype === RecordType.NS))) {
      // (CoreDNS's kubernetes plugin: NS at the zone's apex names ns.dns.<zone>, its address in
      // the additional section; ns.dns.<zone> itself has that A record and nothing else)
      const a: ResourceRecord = { name: nsName, ttl: TTL, type: RecordType.A, address: this.nameserverAddress() };
      if (name === nsName) return qtype === RecordType.A || qtype === RecordType.ANY ? { rcode: Rcode.NoError, authoritative: true, answers: [{ ...a, name: qname.replace(/\.$/, '') }], authority: [] } : this.negative(Rcode.NoError);
      return { rcode: Rcode.NoError, authoritative: true, answers: [{ name: qname.replace(/\.$/, ''), ttl: TTL, type: RecordType.NS, target: nsName }], authority: [], additional: [a] };
    }
    const labels = name === this.zone ? [] : name.slice(0, -this.zone.length - 1).split('.');
    const records = this.lookup(labels, qtype);
    if (records === undefined) return this.negative(Rcode.NXDomain);
    const answers = records.filter((r) => r.type === qtype || qtype === RecordType.ANY || r.type === RecordType.CNAME);
    if (!answers.length) return this.negative(Rcode.NoError);
    const own = answers.map((r) => ({ ...r, name: qname.replace(/\.$/, ''), ttl: TTL }) as ResourceRecord);
    const cname = own.length === 1 && own[0]!.type === RecordType.CNAME && CHASED_TYPES.has(qtype) ? own[0]!.target.toLowerCase() : undefined;
    if (cname !== undefined && this.inZone(cname)) {
      // An ExternalName that names another of the cluster's names (a service in another
      // namespace, say) is followed here, as CoreDNS's A does for a target in its zone: the CNAME
      // then the target's records, since stub resolvers (glibc, musl, busybox) do not chase a
      // CNAME themselves. A target with no records, a loop or a chain past MAX_CHASE leaves
      // nothing (NODATA), as CoreDNS drops the CNAME then too.
      const loop = cname === name || chain.includes(cname) || chain.length > MAX_CHASE;
      const next = loop ? undefined : this.resolve(cname, qtype, [...chain, name]);
      if (!next?.answers.length) return this.negative(Rcode.NoError);
      return { rcode: Rcode.NoError, authoritative: true, answers: [...own, ...next.answers], authority: [] };
    }
    if (qtype === RecordType.SRV) {
      // (CoreDNS's SRV: each target's address goes in the additional section, once, so a client
      // need not ask again for the cluster IP or the endpoint behind each record)
      const targets = unique(own.flatMap((r) => (r.type === RecordType.SRV ? [r.target] : [])));
      const additional = targets.flatMap((t) => (this.resolve(t, RecordType.A, [...chain, name])?.answers ?? []).filter((r) => r.type === RecordType.A));
      return { rcode: Rcode.NoError, authoritative: true, answers: own, authority: [], additional };
    }
    return { rcode: Rcode.NoError, authoritative: true, answers: own, authority: [] };
  }

  private inZone(name: string): boolean {
    return name === this.zone || name.endsWith(`.${this.zone}`);
  }

  /** The records at a name inside the zone (labels before the zone), or undefined if it does not exist. */
  private lookup(labels: string[], qtype: number): RecordLike[] | undefined {
    const rev = [...labels].reverse();
    if (rev.length === 0) return qtype === RecordType.SOA ? [this.soa()] : [];
    const [kind, ns, svcName, ...rest] = rev;
    if (kind === 'pod') {
      if (!ns) return [];
      if (!svcName) return this.namespaceExists(ns) ? [] : undefined;
      // (CoreDNS's findPods: a pod name in a namespace that does not exist is NXDOMAIN)
      // (and one whose dashed address Go's net.ParseIP refuses, an octet past 255 or with a
      // leading zero, as 999-0-0-1 or 010-0-0-1: NXDOMAIN too, not a made-up address)
      const address = svcName.replaceAll('-', '.');
      if (!/^\d+-\d+-\d+-\d+$/.test(svcName) || !isIPv4(address) || rest.length || !this.namespaceExists(ns)) return undefined;
      return [{ type: RecordType.A, address }];
    }
    if (kind !== 'svc') return undefined;
    if (!ns) return [];
    if (!svcName) return this.namespaceExists(ns) ? [] : undefined;
    const svc = this.services.get(`${ns}/${svcName}`);
    if (!svc) return undefined;
    const target = `${svcName}.${ns}.svc.${this.zone}`;
    const headless = svc.spec?.clusterIP === 'None';
    const externalName = svc.spec?.type === 'ExternalName';
    const endpoints = headless ? this.endpoints(svc) : [];
    if (rest.length === 0) {
      if (externalName) {
        const ext = svc.spec!.externalName?.replace(/\.$/, '');
        if (!ext) return [];
        // An externalName that is an IP address (validation lets 1.2.3.4 through as a DNS
        // subdomain) names nothing: CoreDNS's findServices skips it, so the name is NXDOMAIN.
        return isIP(ext) ? undefined : [{ type: RecordType.CNAME, target: ext }];
      }
      // A headless service without a ready endpoint is no name at all (NXDOMAIN, as CoreDNS's
      // findServices answers it: only records it finds make the name exist), not an empty one.
      if (headless && !endpoints.length) return undefined;
      // SRV at the service's own name: every port, as CoreDNS answers it (per endpoint when headless)
      if (qtype === RecordType.SRV) return this.srv(svc, target, endpoints, headless, () => true);
      if (headless) return unique(endpoints.map((e) => e.address)).map((address) => ({ type: RecordType.A, address }));
      return clusterIPs(svc).map((address) => ({ type: RecordType.A, address }));
    }
    if (rest.length === 1) {
      // <host>.<svc>: an endpoint by its hostname or its dashed address. CoreDNS answers these for
      // any service but an ExternalName one, not only headless ones (findServices' endpoint query).
      if (externalName) return undefined;
      const host = rest[0]!;
      const hits = (headless ? endpoints : this.endpoints(svc)).filter((e) => e.hostname === host);
      return hits.length ? unique(hits.map((e) => e.address)).map((address) => ({ type: RecordType.A, address })) : undefined;
    }
    if (rest.length === 2) {
      // _<port>._<proto>.<svc>
      const [proto, port] = rest as [string, string];
      if (externalName || !proto.startsWith('_') || !port.startsWith('_')) return undefined;
      const portName = port.slice(1);
      const protocol = proto.slice(1).toUpperCase();
      const records = this.srv(svc, target, endpoints, headless, (p) => p.name === portName && p.protocol === protocol);
      return records.length ? records : undefined;
    }
    return undefined;
  }

  /** SRV records of a service's ports that `wanted` picks: the service's own, or each endpoint's when headless (weights shared). */
  private srv(svc: ServiceLike, target: string, endpoints: Endpoint[], headless: boolean, wanted: (p: { name: string; protocol: string }) => boolean): RecordLike[] {
    // (CoreDNS shares a weight of 100 among the records, at least 1 each)
    const weightOf = (n: number) => Math.max(1, Math.floor(100 / n));
    if (!headless) {
      const ports = (svc.spec?.ports ?? []).filter((x) => wanted({ name: x.name ?? '', protocol: x.protocol ?? 'TCP' }));
      return ports.map((p) => ({ type: RecordType.SRV, priority: 0, weight: weightOf(ports.length), port: p.port ?? 0, target }));
    }
    const hits = endpoints.flatMap((e) => e.ports.filter(wanted).map((p) => ({ e, p })));
    return hits.map(({ e, p }) => ({ type: RecordType.SRV, priority: 0, weight: weightOf(hits.length), port: p.port, target: `${e.hostname}.${target}` }));
  }

  private answerReverse(name: string, qtype: number): Response | undefined {
    const parts = name.slice(0, -'.in-addr.arpa'.length).split('.');
    if (parts.length !== 4) return undefined;
    const ip = parts.reverse().join('.');
    const targets = this.reverseMap().get(ip);
    if (!targets) return undefined;
    if (qtype !== RecordType.PTR && qtype !== RecordType.ANY) return this.negative(Rcode.NoError);
    return { rcode: Rcode.NoError, authoritative: true, answers: targets.map((target) => ({ name, ttl: TTL, type: RecordType.PTR, target })), authority: [] };
  }

  /**
   * CoreDNS's serviceRecordForIP: a ClusterIP names its service alone; any other address names
   * every ready endpoint that has it, in every service (headless or not), so a pod behind two
   * services has two PTR records, `<hostname or dashed address>.<svc>.<ns>.svc.<zone>`.
   */
  private reverseMap(): Map<string, string[]> {
    if (this.reverse) return this.reverse;
    const byClusterIP = new Map<string, string>();
    const byEndpoint = new Map<string, string[]>();
    const services = [...this.services.values()].sort((a, b) => (serviceKey(a) < serviceKey(b) ? -1 : serviceKey(a) > serviceKey(b) ? 1 : 0));
    for (const svc of services) {
      const base = `${svc.metadata?.name}.${svc.metadata?.namespace}.svc.${this.zone}`;
      for (const ip of clusterIPs(svc)) if (!byClusterIP.has(ip)) byClusterIP.set(ip, base);
      if (svc.spec?.type === 'ExternalName') continue;
      for (const e of this.endpoints(svc)) {
        const names = byEndpoint.get(e.address) ?? [];
        const name = `${e.hostname}.${base}`;
        if (!names.includes(name)) names.push(name);
        byEndpoint.set(e.address, names);
      }
    }
    const m = new Map<string, string[]>(byEndpoint);
    for (const [ip, name] of byClusterIP) m.set(ip, [name]);
    return (this.reverse = m);
  }

  /** A headless service's endpoints to publish: ready ones, or all with publishNotReadyAddresses. */
  private endpoints(svc: ServiceLike): Endpoint[] {
    const out: Endpoint[] = [];
    const all = !!svc.spec?.publishNotReadyAddresses;
    for (const es of this.slices.get(`${svc.metadata?.namespace}/${svc.metadata?.name}`)?.values() ?? []) {
      if (es.addressType && es.addressType !== 'IPv4') continue;
      const ports = (es.ports ?? []).filter((p) => p.port !== undefined).map((p) => ({ name: p.name ?? '', port: p.port!, protocol: p.protocol ?? 'TCP' }));
      for (const e of es.endpoints ?? []) {
        // A nil ready condition means ready (the EndpointSlice API's rule).
        if (!all && e.conditions?.ready === false) continue;
        for (const address of e.addresses ?? []) if (IPV4.test(address)) out.push({ address, hostname: e.hostname || address.replaceAll('.', '-'), ports });
      }
    }
    return out;
  }

  private namespaceExists(ns: string): boolean {
    if (this.namespaces) return this.namespaces.has(ns);
    for (const s of this.services.values()) if (s.metadata?.namespace === ns) return true;
    return false;
  }

  private soa(): RecordLike {
    return { type: RecordType.SOA, mname: `ns.dns.${this.zone}`, rname: `hostmaster.${this.zone}`, serial: Math.floor(Date.now() / 1000), refresh: 7200, retry: 1800, expire: 86400, minimum: TTL };
  }

  /** NXDOMAIN or NODATA, with the zone's SOA so resolvers cache the miss briefly. */
  private negative(rcode: number): Response {
    return { rcode, authoritative: true, answers: [], authority: [{ ...this.soa(), name: this.zone, ttl: TTL } as ResourceRecord] };
  }
}

type RecordLike = ResourceRecord extends infer R ? (R extends ResourceRecord ? Omit<R, 'name' | 'ttl'> : never) : never;

function clusterIPs(svc: ServiceLike): string[] {
  const ips = svc.spec?.clusterIPs?.length ? svc.spec.clusterIPs : svc.spec?.clusterIP ? [svc.spec.clusterIP] : [];
  return ips.filter((ip) => IPV4.test(ip));
}

const unique = (xs: string[]) => [...new Set(xs)];
const serviceKey = (s: ServiceLike) => `${s.metadata?.namespace}/${s.metadata?.name}`;

export { TTL as DNS_TTL };
