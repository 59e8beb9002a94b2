import { describe, expect, it } from 'vitest';
import { ClusterRecords, type EndpointSliceLike, type ServiceLike } from './cluster-records.js';
import { Rcode, RecordType } from './wire.js';

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
    expect(a.answers).toEqual([{ name: 'Web.default.svc.cluster.local', ttl: 5, type: RecordType.A, address: '10.96.0.20' }]);
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
  });

  it('answers an ExternalName service with a CNAME, and pods by dashed address', () => {
    const r = records();
    expect(r.answer('ext.other.svc.cluster.local', RecordType.A)!.answers).toMatchObject([{ type: RecordType.CNAME, target: 'example.org' }]);
    expect(r.answer('10-244-1-9.default.pod.cluster.local', RecordType.A)!.answers).toMatchObject([{ address: '10.244.1.9' }]);
    expect(r.answer('10-244-1.default.pod.cluster.local', RecordType.A)!.rcode).toBe(Rcode.NXDomain);
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
    expect(r.answer('db.default.svc.cluster.local', RecordType.A)!.answers).toEqual([]);
    r.deleteSlice(slice('db-abcde', 'other', []));
  });
});
