import { describe, expect, it } from 'vitest';
import type { Pod, Service } from '../api/types.js';
import { desiredSubsets } from './endpoints.js';
import { desiredSlices } from './endpointslice.js';
import { mirroredSlices } from './endpointslice-mirroring.js';

const service = (spec: Service['spec']): Service => ({ metadata: { name: 'web', namespace: 'd', uid: 'u1' }, spec: { selector: { app: 'web' }, ...spec } });
function pod(name: string, ip: string, opts: { ready?: boolean; app?: string; deleting?: boolean; phase?: string; port?: number } = {}): Pod {
  return {
    metadata: { name, namespace: 'd', uid: `uid-${name}`, labels: { app: opts.app ?? 'web' }, ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: 'n1', containers: [{ name: 'c', ports: opts.port ? [{ name: 'http', containerPort: opts.port }] : [] }] },
    status: { phase: opts.phase ?? 'Running', podIP: ip, conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  };
}

describe('desired endpoints', () => {
  it('Endpoints: ready and not-ready addresses, named ports resolved per pod, repacked by port set', () => {
    const svc = service({ ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] });
    const pods = [pod('a', '10.0.0.2', { port: 8080 }), pod('b', '10.0.0.1', { port: 9090, ready: false }), pod('c', '10.0.0.3', { port: 8080 }), pod('x', '10.0.0.9', { app: 'other', port: 8080 }), pod('d', '10.0.0.4'), pod('e', '10.0.0.5', { port: 8080, deleting: true }), pod('f', '10.0.0.6', { port: 8080, phase: 'Succeeded' }), pod('g', '', { port: 8080 })];
    const subsets = desiredSubsets(svc, pods);
    expect(subsets).toEqual([
      { ports: [{ name: 'http', port: 8080, protocol: 'TCP' }], addresses: [expect.objectContaining({ ip: '10.0.0.2', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'd', name: 'a', uid: 'uid-a' } }), expect.objectContaining({ ip: '10.0.0.3' })] },
      { ports: [{ name: 'http', port: 9090, protocol: 'TCP' }], notReadyAddresses: [expect.objectContaining({ ip: '10.0.0.1' })] },
    ]);
    // publishNotReadyAddresses: every pod with an IP is an address, terminating ones too.
    const pub = desiredSubsets(service({ publishNotReadyAddresses: true, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] }), pods);
    expect(pub).toHaveLength(1);
    expect(pub[0]!.addresses?.map((a) => a.ip)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5']);
    expect(pub[0]!.notReadyAddresses).toBeUndefined();
    // A headless Service without ports lists addresses alone.
    expect(desiredSubsets(service({ clusterIP: 'None' }), [pod('a', '10.0.0.2')])).toEqual([{ addresses: [expect.objectContaining({ ip: '10.0.0.2' })] }]);
  });

  it('endpoints carry the pod hostname when its subdomain is the Service (StatefulSet pods), not otherwise', () => {
    const svc = service({ clusterIP: 'None' });
    const withHost = (name: string, subdomain: string): Pod => {
      const p = pod(name, `10.0.0.${name.length}`);
      return { ...p, spec: { ...p.spec, hostname: name, subdomain } };
    };
    const slices = desiredSlices(svc, [withHost('web-0', 'web'), withHost('other-10', 'other')]);
    expect(slices[0]!.endpoints.map((e) => [e.targetRef?.name, e.hostname])).toEqual([
      ['other-10', undefined],
      ['web-0', 'web-0'],
    ]);
    const subsets = desiredSubsets(svc, [withHost('web-0', 'web')]);
    expect(subsets[0]!.addresses?.[0]?.hostname).toBe('web-0');
  });

  it('EndpointSlices: conditions, terminating pods, grouping by ports (cut into slices by the writer)', () => {
    const svc = service({ ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] });
    const slices = desiredSlices(svc, [pod('a', '10.0.0.2', { port: 8080 }), pod('b', '10.0.0.3', { port: 8080, deleting: true }), pod('c', '10.0.0.4', { port: 9090, ready: false })]);
    expect(slices).toEqual([
      {
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        endpoints: [
          { addresses: ['10.0.0.2'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'd', name: 'a', uid: 'uid-a' } },
          { addresses: ['10.0.0.3'], conditions: { ready: false, serving: true, terminating: true }, nodeName: 'n1', targetRef: expect.objectContaining({ name: 'b' }) },
        ],
      },
      { ports: [{ name: 'http', port: 9090, protocol: 'TCP' }], endpoints: [expect.objectContaining({ addresses: ['10.0.0.4'], conditions: { ready: false, serving: false, terminating: false } })] },
    ]);
    const many = Array.from({ length: 250 }, (_, i) => pod(`p${String(i).padStart(3, '0')}`, `10.1.${Math.floor(i / 200)}.${(i % 200) + 1}`, { port: 8080 }));
    expect(desiredSlices(svc, many).map((s) => s.endpoints.length)).toEqual([250]);
    expect(desiredSlices(svc, [])).toEqual([]);
  });

  it('EndpointSlices: a pod that lacks the named targetPort is an endpoint in a slice of no ports (Endpoints leave it out)', () => {
    const svc = service({ ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] });
    const pods = [pod('a', '10.0.0.2', { port: 8080 }), pod('d', '10.0.0.4')];
    expect(desiredSlices(svc, pods)).toEqual([
      { ports: [{ name: 'http', port: 8080, protocol: 'TCP' }], endpoints: [expect.objectContaining({ addresses: ['10.0.0.2'] })] },
      { ports: [], endpoints: [expect.objectContaining({ addresses: ['10.0.0.4'], conditions: { ready: true, serving: true, terminating: false } })] },
    ]);
    expect(desiredSubsets(svc, pods)).toEqual([{ ports: [{ name: 'http', port: 8080, protocol: 'TCP' }], addresses: [expect.objectContaining({ ip: '10.0.0.2' })] }]);
  });
});

describe('mirrored slices', () => {
  it('one group per subset: ready addresses ready and serving, not-ready ones neither; IPv6 left out', () => {
    const slices = mirroredSlices({
      metadata: { name: 'x', namespace: 'd' },
      subsets: [
        { addresses: [{ ip: '192.0.2.1', hostname: 'a', nodeName: 'n1' }, { ip: '2001:db8::1' }], notReadyAddresses: [{ ip: '192.0.2.2' }], ports: [{ name: 'p', port: 80, protocol: 'UDP' }] },
        { addresses: [{ ip: '192.0.2.3' }], ports: [{ port: 81 }] },
      ],
    });
    expect(slices).toEqual([
      {
        ports: [{ name: 'p', port: 80, protocol: 'UDP' }],
        endpoints: [
          { addresses: ['192.0.2.1'], conditions: { ready: true }, hostname: 'a', nodeName: 'n1' },
          { addresses: ['192.0.2.2'], conditions: { ready: false } },
        ],
      },
      { ports: [{ name: '', port: 81, protocol: 'TCP' }], endpoints: [{ addresses: ['192.0.2.3'], conditions: { ready: true } }] },
    ]);
    expect(mirroredSlices({ metadata: { name: 'x' } })).toEqual([]);
  });
});
