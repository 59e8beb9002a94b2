import { describe, expect, it } from 'vitest';
import { describeRole, describeRoleBinding } from './describe-rbac.js';
import { describeEndpoints, describeServiceAccount } from './describe-serviceaccount.js';
import { tabwrite } from './tabwriter.js';

const lines = (text: string[]) => tabwrite(text.join('\n')).split('\n');

describe('tsctl describe of roles, bindings, service accounts and endpoints', () => {
  it('breaks a role\'s rules down, compacts them by verb and sorts them as kubectl 1.32 describe role does', () => {
    const role = {
      metadata: { name: 'r', namespace: 'tsd-a' },
      rules: [
        { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] },
        { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['x'], verbs: ['get'] },
        { apiGroups: [''], resources: ['pods'], verbs: ['watch'] },
        { nonResourceURLs: ['/healthz', '/metrics'], verbs: ['get'] },
      ],
    };
    expect(lines(describeRole(role))).toEqual([
      'Name:         r',
      'Labels:       <none>',
      'Annotations:  <none>',
      'PolicyRule:',
      '  Resources         Non-Resource URLs  Resource Names  Verbs',
      '  ---------         -----------------  --------------  -----',
      // (by PolicyRule.String(), verbs first: "[get list watch]" before "[get list]" before "[get]")
      '  pods              []                 []              [get list watch]',
      '  pods/log          []                 []              [get list]',
      '                    [/healthz]         []              [get]',
      '                    [/metrics]         []              [get]',
      '  deployments.apps  []                 [x]             [get]',
    ]);
  });

  it('lists a binding\'s role and subjects as kubectl 1.32 describe rolebinding does', () => {
    const rb = { metadata: { name: 'rb' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'sa', namespace: 'tsd-a' }, { kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }] };
    expect(lines(describeRoleBinding(rb))).toEqual([
      'Name:         rb',
      'Labels:       <none>',
      'Annotations:  <none>',
      'Role:',
      '  Kind:  Role',
      '  Name:  r',
      'Subjects:',
      '  Kind            Name   Namespace',
      '  ----            ----   ---------',
      '  ServiceAccount  sa     tsd-a',
      '  User            alice  ',
    ]);
  });

  it('lists a service account\'s secrets, marking those not found, as kubectl 1.32 describe serviceaccount does', () => {
    const sa = { metadata: { name: 'sa2', namespace: 'tsd-a', uid: 'u' }, secrets: [{ name: 'gone' }, { name: 'tok' }], imagePullSecrets: [{ name: 'pull1' }, { name: 'gone2' }] };
    const token = { metadata: { name: 'tok', annotations: { 'kubernetes.io/service-account.name': 'sa2', 'kubernetes.io/service-account.uid': 'u' } }, type: 'kubernetes.io/service-account-token' };
    expect(lines(describeServiceAccount(sa, [{ metadata: { name: 'pull1' }, type: 'Opaque' }, token]))).toEqual([
      'Name:                sa2',
      'Namespace:           tsd-a',
      'Labels:              <none>',
      'Annotations:         <none>',
      'Image pull secrets:  pull1',
      '                     gone2 (not found)',
      'Mountable secrets:   gone (not found)',
      '                     tok',
      'Tokens:              tok',
    ]);
    expect(lines(describeServiceAccount({ metadata: { name: 'default', namespace: 'n' } }, [])).slice(4)).toEqual(['Image pull secrets:  <none>', 'Mountable secrets:   <none>', 'Tokens:              <none>']);
  });

  it('lists each subset of an Endpoints with its addresses and ports as kubectl 1.32 describe endpoints does', () => {
    const ep = {
      metadata: { name: 'manual', namespace: 'tsd-a' },
      subsets: [
        { addresses: [{ ip: '10.1.1.1' }, { ip: '10.1.1.2' }], notReadyAddresses: [{ ip: '10.1.1.3' }], ports: [{ name: 'a', port: 80, protocol: 'TCP' }, { name: 'b', port: 81, protocol: 'UDP' }] },
        { notReadyAddresses: [{ ip: '10.1.1.4' }] },
      ],
    };
    expect(lines(describeEndpoints(ep))).toEqual([
      'Name:         manual',
      'Namespace:    tsd-a',
      'Labels:       <none>',
      'Annotations:  <none>',
      'Subsets:',
      '  Addresses:          10.1.1.1,10.1.1.2',
      '  NotReadyAddresses:  10.1.1.3',
      '  Ports:',
      '    Name  Port  Protocol',
      '    ----  ----  --------',
      '    a     80    TCP',
      '    b     81    UDP',
      '',
      '  Addresses:          <none>',
      '  NotReadyAddresses:  10.1.1.4',
      '',
    ]);
  });
});
