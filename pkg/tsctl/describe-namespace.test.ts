import { describe, expect, it } from 'vitest';
import { describeNamespace } from './describe-namespace.js';
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
    const limits = { metadata: { name: 'lr' }, spec: { limits: [{ type: 'Container', max: { cpu: '2', memory: '1Gi' }, min: { cpu: '10m' }, default: { cpu: '500m', memory: '1Gi' }, defaultRequest: { cpu: '100m', memory: '1Gi' } }, { type: 'Pod', max: { cpu: '4' } }] } };
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
