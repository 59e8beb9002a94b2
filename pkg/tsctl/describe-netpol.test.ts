import { describe, expect, it } from 'vitest';
import { describeNetworkPolicy, describeNetworkPolicyObject, goTimeString } from './describe-netpol.js';
import { tabwrite } from './tabwriter.js';

describe('describeNetworkPolicy', () => {
  it('lays out rules as kubectl does', () => {
    const lines = describeNetworkPolicy({
      spec: {
        podSelector: { matchLabels: { role: 'db' } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'a' } }, podSelector: { matchLabels: { role: 'web' } } }], ports: [{ port: 'http', protocol: 'TCP' }] }, {}],
        egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16', '10.2.0.0/16'] } }], ports: [{ port: 8000, endPort: 8100, protocol: 'UDP' }] }],
      },
    });
    expect(lines).toEqual([
      'Spec:',
      '  PodSelector:     role=db',
      '  Allowing ingress traffic:',
      '    To Port: http/TCP',
      '    From:',
      '      NamespaceSelector: team=a',
      '      PodSelector: role=web',
      '    ----------',
      '    To Port: <any> (traffic allowed to all ports)',
      '    From: <any> (traffic not restricted by source)',
      '  Allowing egress traffic:',
      // (printNetworkPolicySpecEgressTo: a port with an endPort is a 'To Port Range')
      '    To Port Range: 8000-8100/UDP',
      '    To:',
      '      IPBlock:',
      '        CIDR: 10.0.0.0/8',
      '        Except: 10.1.0.0/16, 10.2.0.0/16',
      '  Policy Types: Ingress, Egress',
    ]);
  });

  it('says when a direction is isolated or untouched', () => {
    expect(describeNetworkPolicy({ spec: { podSelector: {}, policyTypes: ['Egress'] } })).toEqual([
      'Spec:',
      '  PodSelector:     <none> (Allowing the specific traffic to all pods in this namespace)',
      '  Not affecting ingress traffic',
      '  Allowing egress traffic:',
      '    <none> (Selected pods are isolated for egress connectivity)',
      '  Policy Types: Egress',
    ]);
  });
});

describe('describeNetworkPolicyObject', () => {
  it('heads the spec with Name, Namespace, Created on (Go time String()), Labels and Annotations, as kubectl 1.32 describeNetworkPolicy', () => {
    const np = { metadata: { name: 'np2', namespace: 'ns', creationTimestamp: '2026-12-03T11:17:21Z', annotations: { k: 'v' } }, spec: { podSelector: {} } };
    expect(tabwrite(describeNetworkPolicyObject(np).join('\n')).split('\n').slice(0, 6)).toEqual([
      'Name:         np2',
      'Namespace:    ns',
      `Created on:   ${goTimeString('2026-12-03T11:17:21Z')}`,
      'Labels:       <none>',
      'Annotations:  k: v',
      'Spec:',
    ]);
  });

  it('writes a timestamp as Go time String() does in UTC', () => {
    if (new Date('2026-12-03T11:17:21Z').getTimezoneOffset() !== 0) return;
    expect(goTimeString('2026-12-03T11:17:21Z')).toBe('2026-12-03 11:17:21 +0000 UTC');
  });
});
