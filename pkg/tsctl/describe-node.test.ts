import { describe, expect, it } from 'vitest';
import type { Node, Pod } from '../api/types.js';
import { nodeNonTerminatedPods, nodeResourceLines } from './describe-node.js';

const now = Date.parse('2026-12-03T04:00:00Z');
const node = { metadata: { name: 'vm' }, status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' }, allocatable: { cpu: '2', memory: '4Gi', 'ephemeral-storage': '100Gi', pods: '110' } } } as Node;
const pod = (ns: string, name: string, resources: Record<string, Record<string, string>>, init?: Record<string, Record<string, string>>) =>
  ({ metadata: { namespace: ns, name, creationTimestamp: '2026-12-03T03:57:27Z' }, spec: { containers: [{ name: 'c', image: 'i', resources }], initContainers: init ? [{ name: 'i', image: 'i', resources: init }] : undefined } }) as Pod;

describe('tsctl describe node: pods and allocated resources as kubectl describeNodeResource', () => {
  it('lists each pod with its requests and limits against allocatable, then the totals', () => {
    const lines = nodeResourceLines(
      node,
      [
        pod('default', 'web', { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } }),
        // (an init container asking more than the app containers sets the pod's request)
        pod('kube-system', 'dns', { requests: { cpu: '100m', memory: '70Mi' } }, { requests: { cpu: '500m' } }),
        pod('ns', 'best-effort', {}),
      ],
      now,
    );
    expect(lines).toEqual([
      'Non-terminated Pods:  (3 in total)',
      '  Namespace    Name           CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age',
      '  ---------    ----           ------------  ----------  ---------------  -------------  ---',
      '  default      web            250m (12%)    1 (50%)     64Mi (1%)        128Mi (3%)     2m33s',
      '  kube-system  dns            500m (25%)    0 (0%)      70Mi (1%)        0 (0%)         2m33s',
      '  ns           best-effort    0 (0%)        0 (0%)      0 (0%)           0 (0%)         2m33s',
      'Allocated resources:',
      '  (Total limits may be over 100 percent, i.e., overcommitted.)',
      '  Resource           Requests    Limits',
      '  --------           --------    ------',
      '  cpu                750m (37%)  1 (50%)',
      '  memory             134Mi (3%)  128Mi (3%)',
      '  ephemeral-storage  0 (0%)      0 (0%)',
    ]);
    expect(nodeNonTerminatedPods('vm')).toBe('spec.nodeName=vm,status.phase!=Succeeded,status.phase!=Failed');
  });
});
