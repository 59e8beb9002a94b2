// networking.k8s.io/v1 NetworkPolicy against the real apiserver and etcd: Kubernetes' defaults
// (policyTypes, port protocol, the empty pod selector), its validation Statuses (422 naming each
// field), storage under /registry/networkpolicies, the kubectl table, discovery and OpenAPI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdClient } from '../../pkg/apiserver/etcd-client.js';
import { NetworkPolicies } from '../../pkg/client/rest-client.js';
import type { NetworkPolicy } from '../../pkg/api/types.js';
import { failure, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
type Table = { columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
const tableOf = (path: string) => cp.admin.request<Table>(path, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
const np = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name }, spec });

beforeAll(async () => {
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
});

describe('NetworkPolicy', () => {
  it('defaults policyTypes (Ingress; Egress when egress rules exist), port protocols and the pod selector', async () => {
    const deny = await cp.admin.create<NetworkPolicy>(NetworkPolicies, 'default', np('deny', {}));
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
    const both = await cp.admin.create<NetworkPolicy>(NetworkPolicies, 'default', np('both', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ port: 80 }, { port: 'http', protocol: 'UDP' }] }], egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }] }] }));
    expect(both.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(both.spec?.ingress?.[0]?.ports).toEqual([{ port: 80, protocol: 'TCP' }, { port: 'http', protocol: 'UDP' }]);
    const egressOnly = await cp.admin.create<NetworkPolicy>(NetworkPolicies, 'default', np('egress-only', { podSelector: {}, policyTypes: ['Egress'] }));
    expect(egressOnly.spec?.policyTypes).toEqual(['Egress']);
    const etcd = new EtcdClient(cp.server.etcdEndpoints);
    try {
      const got = await etcd.range({ key: Buffer.from('/registry/networkpolicies/default/both') });
      expect(JSON.parse(Buffer.from(got.kvs![0]!.value!).toString())).toMatchObject({ kind: 'NetworkPolicy', spec: { podSelector: { matchLabels: { app: 'web' } } } });
    } finally {
      etcd.close();
    }
  });

  it('rejects bad ports, peers, ipBlocks and policy types with 422 naming each field', async () => {
    const bad = await failure(
      cp.admin.create(
        NetworkPolicies,
        'default',
        np('bad', {
          podSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] },
          ingress: [
            {
              ports: [{ protocol: 'ICMP', port: 80 }, { port: 90, endPort: 80 }, { port: 'http', endPort: 90 }, { endPort: 90 }, { port: 70000 }, { port: 'Not_A_Name' }],
              from: [{}, { ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }, { ipBlock: { cidr: '10.0.0.0/33' } }, { ipBlock: { cidr: '10.0.0.0/16', except: ['10.1.0.0/24', '10.0.0.0/16', 'x'] } }],
            },
          ],
          egress: [{ to: [{ ipBlock: {} }] }],
          policyTypes: ['Ingress', 'Sideways'],
        }),
      ),
    );
    expect(bad.code).toBe(422);
    const causes = bad.status?.details?.causes?.map((c) => `${c.field}: ${c.message}`);
    expect(causes).toEqual([
      "spec.podSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      'spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
      'spec.ingress[0].ports[1].endPort: Invalid value: 90: must be greater than or equal to `port`',
      'spec.ingress[0].ports[2].endPort: Invalid value: 90: may not be specified when `port` is non-numeric',
      'spec.ingress[0].ports[3].endPort: Invalid value: 90: may not be specified when `port` is not specified',
      'spec.ingress[0].ports[4].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.ingress[0].ports[5].port: Invalid value: "Not_A_Name": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'spec.ingress[0].from[0]: Required value: must specify a peer',
      'spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer',
      'spec.ingress[0].from[2].ipBlock.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      'spec.ingress[0].from[3].ipBlock.except[0]: Invalid value: "10.1.0.0/24": must be a strict subset of `cidr`',
      'spec.ingress[0].from[3].ipBlock.except[1]: Invalid value: "10.0.0.0/16": must be a strict subset of `cidr`',
      'spec.ingress[0].from[3].ipBlock.except[2]: Invalid value: "x": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      'spec.egress[0].to[0].ipBlock.cidr: Required value',
      'spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"',
    ]);
    expect(bad.message).toContain('NetworkPolicy.networking.k8s.io "bad" is invalid');
    const tooMany = await failure(cp.admin.create(NetworkPolicies, 'default', np('three', { podSelector: {}, policyTypes: ['Ingress', 'Egress', 'Ingress'] })));
    expect(tooMany.status?.details?.causes?.[0]).toMatchObject({ field: 'spec.policyTypes', message: expect.stringContaining('may not specify more than two policyTypes') });
    const update = await failure(cp.admin.patch(NetworkPolicies, 'default', 'deny', { spec: { ingress: [{ ports: [{ port: 0 }] }] } }, 'merge'));
    expect(update.status?.details?.causes?.[0]).toMatchObject({ field: 'spec.ingress[0].ports[0].port' });
  });

  it('accepts a namespaceSelector with a podSelector, IPv6 blocks and endPort ranges', async () => {
    const ok = await cp.admin.create<NetworkPolicy>(NetworkPolicies, 'default', np('ok', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'a' } }, podSelector: { matchLabels: { role: 'client' } } }, { ipBlock: { cidr: '2001:db8::/32', except: ['2001:db8:1::/48'] } }], ports: [{ port: 8000, endPort: 8100, protocol: 'SCTP' }] }] }));
    expect(ok.spec?.ingress?.[0]?.ports).toEqual([{ port: 8000, endPort: 8100, protocol: 'SCTP' }]);
  });

  it('prints NAME POD-SELECTOR AGE, is in discovery as netpol and in OpenAPI', async () => {
    const t = await tableOf('/apis/networking.k8s.io/v1/namespaces/default/networkpolicies');
    expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Pod-Selector', 'Age']);
    const rows = new Map(t.rows.map((r) => [r.cells[0], r.cells[1]]));
    expect(rows.get('deny')).toBe('<none>');
    expect(rows.get('both')).toBe('app=web');
    const list = await cp.admin.request<{ resources: { name: string; shortNames?: string[]; kind: string; namespaced: boolean }[] }>('/apis/networking.k8s.io/v1');
    expect(list.resources.find((r) => r.name === 'networkpolicies')).toMatchObject({ kind: 'NetworkPolicy', shortNames: ['netpol'], namespaced: true });
    const openapi = await cp.admin.request<{ paths: Record<string, unknown>; components: { schemas: Record<string, { required?: string[] }> } }>('/openapi/v3/apis/networking.k8s.io/v1');
    expect(openapi.paths['/apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies/{name}']).toBeDefined();
    expect(openapi.components.schemas['io.k8s.api.networking.v1.NetworkPolicySpec']?.required).toEqual(['podSelector']);
    expect(openapi.components.schemas['io.k8s.api.networking.v1.IPBlock']?.required).toEqual(['cidr']);
  });
});
