import { describe, expect, it } from 'vitest';
import type { KubeObject, Namespace, NetworkPolicy, Pod } from '../api/types.js';
import { buildNetpolRules } from '../network/netpol-rules.js';
import { resolveNetworkPolicies, type PolicyInputs } from './netpol-resolve.js';

type P = Pod & KubeObject;
const pod = (ns: string, name: string, ip: string, labels: Record<string, string>, extra: { node?: string; ports?: { name: string; containerPort: number; protocol?: string }[]; phase?: string; hostNetwork?: boolean } = {}): P => ({
  metadata: { namespace: ns, name, uid: `uid-${ns}-${name}`, labels },
  spec: { nodeName: extra.node ?? 'n1', hostNetwork: extra.hostNetwork, containers: [{ name: 'c', ports: extra.ports }] },
  status: { podIP: ip, phase: extra.phase ?? 'Running' },
});
const ns = (name: string, labels: Record<string, string> = {}): Namespace & KubeObject => ({ metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } });
const np = (namespace: string, name: string, spec: NetworkPolicy['spec']): NetworkPolicy & KubeObject => ({ metadata: { namespace, name }, spec: { policyTypes: spec?.egress?.length ? ['Ingress', 'Egress'] : ['Ingress'], ...spec } });

const server = pod('default', 'server', '10.1.0.2', { app: 'server' }, { ports: [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 5353, protocol: 'UDP' }] });
const client = pod('default', 'client', '10.1.1.3', { role: 'client' }, { node: 'n2' });
const other = pod('default', 'other', '10.1.0.4', { role: 'other' });
const prodWeb = pod('prod', 'web', '10.1.1.5', { role: 'client' }, { node: 'n2', ports: [{ name: 'http', containerPort: 80 }] });
const base: Omit<PolicyInputs, 'policies'> = { nodeName: 'n1', pods: [server, client, other, prodWeb], namespaces: [ns('default'), ns('prod', { team: 'prod' })] };
const resolve = (...policies: (NetworkPolicy & KubeObject)[]) => resolveNetworkPolicies({ ...base, policies });

describe('resolveNetworkPolicies', () => {
  it('isolates only local pods a policy selects; default deny allows nothing', () => {
    expect(resolve()).toEqual([]);
    const r = resolve(np('default', 'deny', { podSelector: {} }));
    expect(r.map((p) => p.key).sort()).toEqual(['default/other', 'default/server']); // client is on n2
    expect(r.every((p) => p.ingress?.length === 0 && p.egress === undefined)).toBe(true);
    expect(resolve(np('prod', 'deny', { podSelector: {} }))).toEqual([]); // another namespace's policy
  });

  it('resolves podSelector peers to pod IPs in the policy namespace, on every node', () => {
    const [s] = resolve(np('default', 'allow', { podSelector: { matchLabels: { app: 'server' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }] }));
    expect(s).toMatchObject({ key: 'default/server', ip: '10.1.0.2', ingress: [{ cidr: '10.1.1.3/32', port: undefined, policy: 'default/allow' }] });
  });

  it('namespaceSelector alone takes all pods of the namespaces; with a podSelector, only the matching ones', () => {
    const sel = (peer: object) => resolve(np('default', 'p', { podSelector: { matchLabels: { app: 'server' } }, ingress: [{ from: [peer] }] }))[0]!.ingress!.map((a) => a.cidr);
    expect(sel({ namespaceSelector: { matchLabels: { team: 'prod' } } })).toEqual(['10.1.1.5/32']);
    expect(sel({ namespaceSelector: {} }).sort()).toEqual(['10.1.0.2/32', '10.1.0.4/32', '10.1.1.3/32', '10.1.1.5/32']);
    expect(sel({ namespaceSelector: {}, podSelector: { matchLabels: { role: 'client' } } }).sort()).toEqual(['10.1.1.3/32', '10.1.1.5/32']);
  });

  it('cuts except entries out of an ipBlock', () => {
    const [s] = resolve(np('default', 'p', { podSelector: { matchLabels: { app: 'server' } }, ingress: [{ from: [{ ipBlock: { cidr: '10.1.0.0/16', except: ['10.1.1.0/24'] } }] }] }));
    expect(s!.ingress!.map((a) => a.cidr)).toEqual(['10.1.0.0/24', '10.1.2.0/23', '10.1.4.0/22', '10.1.8.0/21', '10.1.16.0/20', '10.1.32.0/19', '10.1.64.0/18', '10.1.128.0/17']);
  });

  it('resolves named ingress ports on the target pod; a name it lacks allows nothing', () => {
    const [s] = resolve(np('default', 'p', { podSelector: { matchLabels: { app: 'server' } }, ingress: [{ ports: [{ port: 'http', protocol: 'TCP' }, { port: 'dns', protocol: 'UDP' }, { port: 'dns', protocol: 'TCP' }, { port: 9000, endPort: 9010, protocol: 'TCP' }] }, { ports: [{ port: 'nope', protocol: 'TCP' }] }] }));
    expect(s!.ingress!.map((a) => a.port)).toEqual([{ protocol: 'TCP', port: 8080 }, { protocol: 'UDP', port: 5353 }, { protocol: 'TCP', port: 9000, endPort: 9010 }]);
  });

  it('egress: numeric ports to any destination, named ports per destination pod, ipBlocks', () => {
    const [s] = resolve(
      np('default', 'eg', {
        podSelector: { matchLabels: { app: 'server' } },
        policyTypes: ['Egress'],
        egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }, { to: [{ namespaceSelector: { matchLabels: { team: 'prod' } } }], ports: [{ port: 'http', protocol: 'TCP' }] }, { ports: [{ port: 'http', protocol: 'TCP' }] }, { to: [{ ipBlock: { cidr: '192.168.0.0/16' } }] }],
      }),
    );
    expect(s!.ingress).toBeUndefined();
    expect(s!.egress!.map((a) => [a.cidr, a.port])).toEqual([
      [undefined, { protocol: 'UDP', port: 53 }],
      ['10.1.1.5/32', { protocol: 'TCP', port: 80 }],
      ['10.1.0.2/32', { protocol: 'TCP', port: 8080 }],
      ['10.1.1.5/32', { protocol: 'TCP', port: 80 }],
      ['192.168.0.0/16', undefined],
    ]);
  });

  it('leaves out finished and hostNetwork pods, as peers and as targets', () => {
    const done = pod('default', 'done', '10.1.0.9', { role: 'client' }, { phase: 'Succeeded' });
    const host = pod('default', 'host', '192.168.1.1', { role: 'client' }, { hostNetwork: true });
    const r = resolveNetworkPolicies({ ...base, pods: [...base.pods, done, host], policies: [np('default', 'p', { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }] })] });
    expect(r.map((p) => p.key).sort()).toEqual(['default/other', 'default/server']);
    expect(r[0]!.ingress!.map((a) => a.cidr)).toEqual(['10.1.1.3/32']);
  });
});

describe('buildNetpolRules from resolved policies', () => {
  it('writes default deny, allow-from-label with ports, and egress chains', () => {
    const pods = resolve(
      np('default', 'allow', { podSelector: { matchLabels: { app: 'server' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 'http', protocol: 'TCP' }] }] }),
      np('default', 'deny-egress', { podSelector: { matchLabels: { role: 'other' } }, policyTypes: ['Egress'] }),
    );
    const { chains, rules } = buildNetpolRules('TSK', pods);
    expect(chains[0]).toBe('TSK-NWPLCY');
    const [e, i] = [chains[1]!, chains[2]!];
    expect(e).toMatch(/^TSK-NWPLCY-E-[0-9A-F]{15}$/);
    expect(i).toMatch(/^TSK-NWPLCY-I-[0-9A-F]{15}$/);
    expect(rules).toEqual([
      '-A TSK-NWPLCY -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "replies of allowed connections" -j RETURN',
      `-A TSK-NWPLCY -s 10.1.0.4/32 -m comment --comment "default/other egress" -j ${e}`,
      `-A TSK-NWPLCY -d 10.1.0.2/32 -m comment --comment "default/server ingress" -j ${i}`,
      `-A ${e} -d 10.1.0.4/32 -m comment --comment "default/other egress: the pod itself" -j RETURN`,
      `-A ${e} -m comment --comment "default/other egress: no policy allows it" -j DROP`,
      `-A ${i} -s 10.1.0.2/32 -m comment --comment "default/server ingress: the pod itself" -j RETURN`,
      `-A ${i} -s 10.1.1.3/32 -p tcp -m tcp --dport 8080 -m comment --comment "default/server ingress allowed by default/allow" -j RETURN`,
      `-A ${i} -m comment --comment "default/server ingress: no policy allows it" -j DROP`,
    ]);
  });
});
