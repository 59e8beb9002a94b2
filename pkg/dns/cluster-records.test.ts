import { describe, expect, it } from 'vitest';
import { ClusterRecords, type EndpointSliceLike, type ServiceLike } from './cluster-records.js';
import { Rcode, RecordType } from './wire.js';
import { kubeDnsService } from './kube-dns-service.js';

const svc = (name: string, spec: ServiceLike['spec'], namespace = 'default'): ServiceLike => ({ metadata: { name, namespace }, spec });
const slice = (name: string, service: string, endpoints: EndpointSliceLike['endpoints'], ports: EndpointSliceLike['ports'] = [], namespace = 'default'): EndpointSliceLike => ({
  metadata: { name, namespace, labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  endpoints,
  ports,
});

function records() {
  const r = new ClusterRecords();
  r.setService(svc('web', { clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { port: 9090 }] }));
  r.setService(svc('db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] }));
  r.setSlice(
    slice('db-abcde', 'db', [
      { addresses: ['10.244.0.5'], hostname: 'db-0', conditions: { ready: true } },
      { addresses: ['10.244.0.6'], conditions: { ready: true } },
      { addresses: ['10.244.0.7'], conditions: { ready: false } },
    ], [{ name: 'pg', port: 5432, protocol: 'TCP' }]),
  );
  r.setService(svc('ext', { type: 'ExternalName', externalName: 'example.org.' }, 'other'));
  return r;
}

describe('ClusterRecords', () => {
  it('answers a ClusterIP service with its address, whatever the case of the name', () => {
    const a = records().answer('Web.default.svc.cluster.local', RecordType.A)!;
    expect(a.rcode).toBe(Rcode.NoError);
    // TTL 30, as kubeadm's Corefile configures CoreDNS's kubernetes plugin (`ttl 30`)
    expect(a.answers).toEqual([{ name: 'Web.default.svc.cluster.local', ttl: 30, type: RecordType.A, address: '10.96.0.20' }]);
  });

  it('gives NODATA for AAAA of an IPv4 service and NXDOMAIN for a missing one, with the SOA', () => {
    const r = records();
    const aaaa = r.answer('web.default.svc.cluster.local', RecordType.AAAA)!;
    expect(aaaa.rcode).toBe(Rcode.NoError);
    expect(aaaa.answers).toEqual([]);
    expect(aaaa.authority[0]).toMatchObject({ type: RecordType.SOA, name: 'cluster.local' });
    expect(r.answer('nope.default.svc.cluster.local', RecordType.A)!.rcode).toBe(Rcode.NXDomain);
    // The search list's tries of an outside name end in NXDOMAIN here, fast.
    expect(r.answer('example.com.default.svc.cluster.local', RecordType.A)!.rcode).toBe(Rcode.NXDomain);
  });

  it('knows namespaces by the Namespace objects once it is given them, as namespaceExposed in CoreDNS', () => {
    const r = records();
    r.setNamespace({ metadata: { name: 'default' } });
    r.setNamespace({ metadata: { name: 'kube-system' } });
    // a pod name in a namespace that does not exist: NXDOMAIN (findPods)
    expect(r.answer('10-1-2-3.nonexistent.pod.cluster.local', RecordType.A)!.rcode).toBe(Rcode.NXDomain);
    expect(r.answer('10-1-2-3.default.pod.cluster.local', RecordType.A)!.answers).toMatchObject([{ address: '10.1.2.3' }]);
    // an existing namespace without services: NODATA (findServices with no service name)
    const ns = r.answer('kube-system.svc.cluster.local', RecordType.A)!;
    expect(ns.rcode).toBe(Rcode.NoError);
    expect(ns.answers).toEqual([]);
    expect(r.answer('kube-system.pod.cluster.local', RecordType.A)!.rcode).toBe(Rcode.NoError);
    expect(r.answer('nonexistent.svc.cluster.local', RecordType.A)!.rcode).toBe(Rcode.NXDomain);
    r.deleteNamespace({ metadata: { name: 'kube-system' } });
    expect(r.answer('kube-system.svc.cluster.local', RecordType.A)!.rcode).toBe(Rcode.NXDomain);
    expect(r.answer('10-1-2-3.kube-system.pod.cluster.local', RecordType.A)!.rcode).toBe(Rcode.NXDomain);
  });

  it('answers NS at the zone apex with ns.dns.<zone> and its address, as CoreDNS does for its own service', () => {
    const r = records();
    r.nameserver = '10.244.0.1';
    const ns = r.answer('cluster.local', RecordType.NS)!;
    expect(ns).toMatchObject({ rcode: Rcode.NoError, answers: [{ name: 'cluster.local', ttl: 30, type: RecordType.NS, target: 'ns.dns.cluster.local' }], additional: [{ name: 'ns.dns.cluster.local', type: RecordType.A, address: '10.244.0.1' }] });
    expect(r.answer('ns.dns.cluster.local', RecordType.A)!.answers).toEqual([{ name: 'ns.dns.cluster.local', ttl: 30, type: RecordType.A, address: '10.244.0.1' }]);
    const aaaa = r.answer('ns.dns.cluster.local', RecordType.AAAA)!;
    expect([aaaa.rcode, aaaa.answers]).toEqual([Rcode.NoError, []]);
  });

  it('gives ns.dns.<zone> the cluster IP of kube-system/kube-dns once that Service exists, as CoreDNS\'s nsAddrs its own Service', () => {
    const r = records();
    r.nameserver = '10.244.0.1';
    r.setService(kubeDnsService('10.96.0.0/16') as ServiceLike);
    expect(r.answer('ns.dns.cluster.local', RecordType.A)!.answers).toEqual([{ name: 'ns.dns.cluster.local', ttl: 30, type: RecordType.A, address: '10.96.0.10' }]);
    expect(r.answer('cluster.local', RecordType.NS)!.additional).toEqual([{ name: 'ns.dns.cluster.local', ttl: 30, type: RecordType.A, address: '10.96.0.10' }]);
    r.deleteService(kubeDnsService('10.96.0.0/16') as ServiceLike);
    expect(r.answer('ns.dns.cluster.local', RecordType.A)!.answers[0]).toMatchObject({ address: '10.244.0.1' });
  });

  it('leaves names outside the zone, and unknown reverse names, to the upstreams', () => {
    const r = records();
    expect(r.answer('example.com', RecordType.A)).toBeUndefined();
    expect(r.answer('8.8.8.8.in-addr.arpa', RecordType.PTR)).toBeUndefined();
  });

  it('answers a headless service with its ready endpoints, each by hostname or dashed address', () => {
    const r = records();
    expect(r.answer('db.default.svc.cluster.local', RecordType.A)!.answers.map((a) => 'address' in a && a.address)).toEqual(['10.244.0.5', '10.244.0.6']);
    expect(r.answer('db-0.db.default.svc.cluster.local', RecordType.A)!.answers).toMatchObject([{ address: '10.244.0.5' }]);
    expect(r.answer('10-244-0-6.db.default.svc.cluster.local', RecordType.A)!.answers).toMatchObject([{ address: '10.244.0.6' }]);
    expect(r.answer('10-244-0-7.db.default.svc.cluster.local', RecordType.A)!.rcode).toBe(Rcode.NXDomain);
    r.setService(svc('db', { clusterIP: 'None', publishNotReadyAddresses: true }));
    expect(r.answer('db.default.svc.cluster.local', RecordType.A)!.answers).toHaveLength(3);
  });

  it('has SRV records for named ports: the service name, or each headless endpoint', () => {
    const r = records();
    expect(r.answer('_http._tcp.web.default.svc.cluster.local', RecordType.SRV)!.answers).toMatchObject([{ type: RecordType.SRV, port: 80, target: 'web.default.svc.cluster.local' }]);
    expect(r.answer('_http._udp.web.default.svc.cluster.local', RecordType.SRV)!.rcode).toBe(Rcode.NXDomain);
    const srv = r.answer('_pg._tcp.db.default.svc.cluster.local', RecordType.SRV)!.answers;
    expect(srv.map((a) => 'target' in a && a.target)).toEqual(['db-0.db.default.svc.cluster.local', '10-244-0-6.db.default.svc.cluster.local']);
    // at the service's own name, every port (as CoreDNS answers `nslookup -type=SRV web.default.svc.cluster.local`)
    expect(r.answer('web.default.svc.cluster.local', RecordType.SRV)!.answers).toMatchObject([{ type: RecordType.SRV, port: 80, weight: 50, target: 'web.default.svc.cluster.local' }, { port: 9090, weight: 50 }]);
    expect(r.answer('db.default.svc.cluster.local', RecordType.SRV)!.answers.map((a) => 'target' in a && a.target)).toEqual(['db-0.db.default.svc.cluster.local', '10-244-0-6.db.default.svc.cluster.local']);
    expect(r.answer('web.default.svc.cluster.local', RecordType.A)!.answers.every((a) => a.type === RecordType.A)).toBe(true);
    // each target's address in the additional section, once (CoreDNS's SRV)
    expect(r.answer('web.default.svc.cluster.local', RecordType.SRV)!.additional).toEqual([{ name: 'web.default.svc.cluster.local', ttl: 30, type: RecordType.A, address: '10.96.0.20' }]);
    expect(r.answer('_pg._tcp.db.default.svc.cluster.local', RecordType.SRV)!.additional).toEqual([
      { name: 'db-0.db.default.svc.cluster.local', ttl: 30, type: RecordType.A, address: '10.244.0.5' },
      { name: '10-244-0-6.db.default.svc.cluster.local', ttl: 30, type: RecordType.A, address: '10.244.0.6' },
    ]);
  });

  it('answers an ExternalName service with a CNAME, and pods by dashed address', () => {
    const r = records();
    expect(r.answer('ext.other.svc.cluster.local', RecordType.A)!.answers).toMatchObject([{ type: RecordType.CNAME, target: 'example.org' }]);
    expect(r.answer('10-244-1-9.default.pod.cluster.local', RecordType.A)!.answers).toMatchObject([{ address: '10.244.1.9' }]);
    expect(r.answer('10-244-1.default.pod.cluster.local', RecordType.A)!.rcode).toBe(Rcode.NXDomain);
    // (addresses net.ParseIP refuses in CoreDNS's findPods)
    expect(r.answer('999-0-0-1.default.pod.cluster.local', RecordType.A)!.rcode).toBe(Rcode.NXDomain);
    expect(r.answer('010-0-0-1.default.pod.cluster.local', RecordType.A)!.rcode).toBe(Rcode.NXDomain);
    expect(r.answer('0-0-0-0.default.pod.cluster.local', RecordType.A)!.answers).toMatchObject([{ address: '0.0.0.0' }]);
  });

  it('follows an ExternalName naming another cluster name to its addresses, as CoreDNS does', () => {
    const r = records();
    r.setService(svc('alias', { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' }, 'other'));
    const a = r.answer('alias.other.svc.cluster.local', RecordType.A)!;
    expect(a.rcode).toBe(Rcode.NoError);
    expect(a.answers).toEqual([
      { name: 'alias.other.svc.cluster.local', ttl: 30, type: RecordType.CNAME, target: 'web.default.svc.cluster.local' },
      { name: 'web.default.svc.cluster.local', ttl: 30, type: RecordType.A, address: '10.96.0.20' },
    ]);
    // a CNAME query, and types CoreDNS does not follow, get the CNAME alone
    expect(r.answer('alias.other.svc.cluster.local', RecordType.CNAME)!.answers).toHaveLength(1);
    expect(r.answer('alias.other.svc.cluster.local', RecordType.SRV)!.answers).toMatchObject([{ type: RecordType.CNAME }]);
    // an IPv4 target has no AAAA: NODATA, not a dangling CNAME
    expect(r.answer('alias.other.svc.cluster.local', RecordType.AAAA)!).toMatchObject({ rcode: Rcode.NoError, answers: [] });
    // a headless target: its ready endpoints; through a second ExternalName too
    r.setService(svc('dbs', { type: 'ExternalName', externalName: 'db.default.svc.cluster.local' }, 'other'));
    r.setService(svc('dbs2', { type: 'ExternalName', externalName: 'dbs.other.svc.cluster.local' }));
    expect(r.answer('dbs2.default.svc.cluster.local', RecordType.A)!.answers.map((x) => x.type === RecordType.A ? x.address : x.type)).toEqual([RecordType.CNAME, RecordType.CNAME, '10.244.0.5', '10.244.0.6']);
    // a target the cluster does not have, and a loop: NODATA, as CoreDNS drops the CNAME
    r.setService(svc('gone', { type: 'ExternalName', externalName: 'nope.default.svc.cluster.local' }));
    expect(r.answer('gone.default.svc.cluster.local', RecordType.A)!).toMatchObject({ rcode: Rcode.NoError, answers: [] });
    r.setService(svc('l1', { type: 'ExternalName', externalName: 'l2.default.svc.cluster.local' }));
    r.setService(svc('l2', { type: 'ExternalName', externalName: 'l1.default.svc.cluster.local' }));
    expect(r.answer('l1.default.svc.cluster.local', RecordType.A)!).toMatchObject({ rcode: Rcode.NoError, answers: [] });
  });

  it('gives NXDOMAIN for an ExternalName that is an IP address, as CoreDNS skips it', () => {
    const r = records();
    r.setService(svc('byip', { type: 'ExternalName', externalName: '192.0.2.7' }));
    expect(r.answer('byip.default.svc.cluster.local', RecordType.A)!).toMatchObject({ rcode: Rcode.NXDomain, answers: [] });
  });

  it('answers dns-version.<zone> TXT with the schema version, as the DNS specification asks', () => {
    const r = records();
    expect(r.answer('dns-version.cluster.local', RecordType.TXT)!.answers).toEqual([{ name: 'dns-version.cluster.local', ttl: 28800, type: RecordType.TXT, text: '1.1.0' }]);
    expect(r.answer('dns-version.cluster.local', RecordType.A)!.rcode).toBe(Rcode.NXDomain);
  });

  it('has PTR records for ClusterIPs and named headless endpoints', () => {
    const r = records();
    expect(r.answer('20.0.96.10.in-addr.arpa', RecordType.PTR)!.answers).toMatchObject([{ target: 'web.default.svc.cluster.local' }]);
    expect(r.answer('5.0.244.10.in-addr.arpa', RecordType.PTR)!.answers).toMatchObject([{ target: 'db-0.db.default.svc.cluster.local' }]);
  });

  it('follows deletions and slices that change service', () => {
    const r = records();
    r.deleteService(svc('web', {}));
    expect(r.answer('web.default.svc.cluster.local', RecordType.A)!.rcode).toBe(Rcode.NXDomain);
    expect(r.answer('20.0.96.10.in-addr.arpa', RecordType.PTR)).toBeUndefined();
    r.setSlice(slice('db-abcde', 'other', [{ addresses: ['10.244.0.5'] }]));
    expect(r.answer('db.default.svc.cluster.local', RecordType.A)!.rcode).toBe(Rcode.NXDomain);
    r.deleteSlice(slice('db-abcde', 'other', []));
  });

  it('gives NXDOMAIN for a headless service while it has no ready endpoint, as CoreDNS does', () => {
    const r = records();
    r.setService(svc('empty', { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] }));
    for (const type of [RecordType.A, RecordType.AAAA, RecordType.SRV]) {
      const res = r.answer('empty.default.svc.cluster.local', type)!;
      expect(res.rcode).toBe(Rcode.NXDomain);
      expect(res.authority[0]).toMatchObject({ type: RecordType.SOA });
    }
    // only not-ready endpoints: still nothing to answer
    r.setSlice(slice('empty-x', 'empty', [{ addresses: ['10.244.0.9'], conditions: { ready: false } }]));
    expect(r.answer('empty.default.svc.cluster.local', RecordType.A)!.rcode).toBe(Rcode.NXDomain);
    r.setSlice(slice('empty-x', 'empty', [{ addresses: ['10.244.0.9'], conditions: { ready: true } }]));
    expect(r.answer('empty.default.svc.cluster.local', RecordType.A)!.answers).toMatchObject([{ address: '10.244.0.9' }]);
    expect(r.answer('empty.default.svc.cluster.local', RecordType.AAAA)!.rcode).toBe(Rcode.NoError);
  });

  it('answers endpoint names of a ClusterIP service too, but not of an ExternalName one', () => {
    const r = records();
    r.setSlice(slice('web-x', 'web', [{ addresses: ['10.244.0.8'], hostname: 'w0', conditions: { ready: true } }, { addresses: ['10.244.0.9'] }], [{ name: 'http', port: 8080, protocol: 'TCP' }]));
    expect(r.answer('w0.web.default.svc.cluster.local', RecordType.A)!.answers).toMatchObject([{ address: '10.244.0.8' }]);
    expect(r.answer('10-244-0-9.web.default.svc.cluster.local', RecordType.A)!.answers).toMatchObject([{ address: '10.244.0.9' }]);
    // the service's own name still is its ClusterIP, and its SRV the service's port
    expect(r.answer('web.default.svc.cluster.local', RecordType.A)!.answers).toMatchObject([{ address: '10.96.0.20' }]);
    expect(r.answer('_http._tcp.web.default.svc.cluster.local', RecordType.SRV)!.answers).toMatchObject([{ port: 80, target: 'web.default.svc.cluster.local' }]);
    r.setSlice(slice('ext-x', 'ext', [{ addresses: ['10.244.0.10'] }], [], 'other'));
    expect(r.answer('10-244-0-10.ext.other.svc.cluster.local', RecordType.A)!.rcode).toBe(Rcode.NXDomain);
  });

  it('has a PTR record for each service a ready pod address is an endpoint of, headless or not', () => {
    const r = records();
    r.setService(svc('api', { clusterIP: '10.96.0.30', clusterIPs: ['10.96.0.30'], ports: [{ port: 80 }] }));
    r.setSlice(slice('api-x', 'api', [{ addresses: ['10.244.0.5'] }, { addresses: ['10.244.0.11'], conditions: { ready: true } }, { addresses: ['10.244.0.12'], conditions: { ready: false } }]));
    expect(r.answer('11.0.244.10.in-addr.arpa', RecordType.PTR)!.answers).toEqual([{ name: '11.0.244.10.in-addr.arpa', ttl: 30, type: RecordType.PTR, target: '10-244-0-11.api.default.svc.cluster.local' }]);
    // db-0 is in db (headless, with its hostname) and in api (by its dashed address)
    expect(r.answer('5.0.244.10.in-addr.arpa', RecordType.PTR)!.answers.map((a) => 'target' in a && a.target)).toEqual(['10-244-0-5.api.default.svc.cluster.local', 'db-0.db.default.svc.cluster.local']);
    // a not-ready endpoint has none: the name goes upstream
    expect(r.answer('12.0.244.10.in-addr.arpa', RecordType.PTR)).toBeUndefined();
    // a ClusterIP names its service alone
    expect(r.answer('30.0.96.10.in-addr.arpa', RecordType.PTR)!.answers).toMatchObject([{ target: 'api.default.svc.cluster.local' }]);
  });
});
