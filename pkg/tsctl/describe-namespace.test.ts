import { describe, expect, it } from 'vitest';
import { describeLimitRange, describeNamespace, describeResourceQuota, type LimitRange } from './describe-namespace.js';
import { tabwrite } from './tabwriter.js';

describe('tsctl describe namespace', () => {
  it('says there is no quota and no limit range, as kubectl describe ns', () => {
    expect(tabwrite(['Name:\ttsc-a', 'Annotations:\t<none>', ...describeNamespace({ status: { phase: 'Active' } }, [], [])].join('\n')).split('\n')).toEqual([
      'Name:         tsc-a',
      'Annotations:  <none>',
      'Status:       Active',
      '',
      'No resource quota.',
      '',
      'No LimitRange resource.',
    ]);
  });

  it('lists quotas and limit ranges as kubectl describe ns printed them', () => {
    const quota = { metadata: { name: 'q1' }, status: { hard: { pods: '10', 'requests.cpu': '2' }, used: { pods: '1', 'requests.cpu': '0' } } };
    const limits: LimitRange = { metadata: { name: 'lr' }, spec: { limits: [{ type: 'Container', max: { cpu: '2', memory: '1Gi' }, min: { cpu: '10m' }, default: { cpu: '500m', memory: '1Gi' }, defaultRequest: { cpu: '100m', memory: '1Gi' } }, { type: 'Pod', max: { cpu: '4' } }] } };
    expect(tabwrite(['Name:\ttsc-b', 'Labels:\tkubernetes.io/metadata.name=tsc-b', 'Annotations:\t<none>', ...describeNamespace({ status: { phase: 'Active' } }, [quota], [limits])].join('\n'))).toBe(`Name:         tsc-b
Labels:       kubernetes.io/metadata.name=tsc-b
Annotations:  <none>
Status:       Active

Resource Quotas
  Name:         q1
  Resource      Used  Hard
  --------      ---   ---
  pods          1     10
  requests.cpu  0     2

Resource Limits
 Type       Resource  Min  Max  Default Request  Default Limit  Max Limit/Request Ratio
 ----       --------  ---  ---  ---------------  -------------  -----------------------
 Container  cpu       10m  2    100m             500m           -
 Container  memory    -    1Gi  1Gi              1Gi            -
 Pod        cpu       -    4    -                -              -`);
  });
});

describe('tsctl describe resourcequota', () => {
  it('prints what kubectl 1.32 describe quota prints: its scopes with their help, used against hard per resource', () => {
    const q = { metadata: { name: 'q2', namespace: 'tsd-a' }, spec: { scopes: ['NotTerminating', 'BestEffort'] }, status: { hard: { pods: '5', 'count/configmaps': '20' }, used: { pods: '2' } } };
    expect(tabwrite(describeResourceQuota(q).join('\n')).split('\n')).toEqual([
      'Name:       q2',
      'Namespace:  tsd-a',
      'Scopes:     BestEffort, NotTerminating',
      ' * Matches all pods that do not have resource requirements set. These pods have a best effort quality of service.',
      ' * Matches all pods that do not have an active deadline. These pods usually include long running pods whose container command is not expected to terminate.',
      'Resource          Used  Hard',
      '--------          ----  ----',
      'count/configmaps  0     20',
      'pods              2     5',
    ]);
  });
});

describe('tsctl describe limitrange', () => {
  it('prints the limits table with no labels and no events, as kubectl 1.32 describeLimitRange', () => {
    const lr: LimitRange = { metadata: { name: 'lr1', namespace: 'ns', labels: { a: 'b' } }, spec: { limits: [{ type: 'Container', max: { cpu: '2', memory: '1Gi' }, min: { cpu: '100m' }, default: { cpu: '500m' }, defaultRequest: { cpu: '200m' }, maxLimitRequestRatio: { cpu: '10' } }, { type: 'Pod', max: { memory: '2Gi' } }] } };
    expect(tabwrite(describeLimitRange(lr).join('\n'))).toBe(`Name:       lr1
Namespace:  ns
Type        Resource  Min   Max  Default Request  Default Limit  Max Limit/Request Ratio
----        --------  ---   ---  ---------------  -------------  -----------------------
Container   cpu       100m  2    200m             500m           10
Container   memory    -     1Gi  -                -              -
Pod         memory    -     2Gi  -                -              -`);
  });
});

describe('tsctl describe namespace with a scoped quota', () => {
  it("writes each scope's help text under Scopes, as kubectl 1.32's DescribeResourceQuotas", () => {
    const quota = { metadata: { name: 'q1' }, spec: { scopes: ['NotTerminating'] }, status: { hard: { pods: '10' }, used: { pods: '2' } } };
    expect(tabwrite(['Name:\tns', ...describeNamespace({ status: { phase: 'Active' } }, [quota], [])].join('\n')).split('\n').slice(3, 10)).toEqual([
      'Resource Quotas',
      '  Name:    q1',
      '  Scopes:  NotTerminating',
      '  * Matches all pods that do not have an active deadline. These pods usually include long running pods whose container command is not expected to terminate.',
      '  Resource  Used  Hard',
      '  --------  ---   ---',
      '  pods      2     10',
    ]);
  });
});
