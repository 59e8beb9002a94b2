import { describe, expect, it } from 'vitest';
import type { Node, Pod } from '../api/types.js';
import { describeNode, nodeNonTerminatedPods, nodeResourceLines, nodeRoles } from './describe-node.js';
import { tabwrite } from './tabwriter.js';

const now = Date.parse('2026-12-03T04:00:00Z');
const node = { metadata: { name: 'vm' }, status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' }, allocatable: { cpu: '2', memory: '4Gi', 'ephemeral-storage': '100Gi', pods: '110' } } } as Node;
const pod = (ns: string, name: string, resources: Record<string, Record<string, string>>, init?: Record<string, Record<string, string>>) =>
  ({ metadata: { namespace: ns, name, creationTimestamp: '2026-12-03T03:57:27Z' }, spec: { containers: [{ name: 'c', image: 'i', resources }], initContainers: init ? [{ name: 'i', image: 'i', resources: init }] : undefined } }) as Pod;

describe('tsctl describe node: pods and allocated resources as kubectl describeNodeResource', () => {
  it('lists each pod with its requests and limits against allocatable, then the totals', () => {
    const lines = tabwrite(nodeResourceLines(
      node,
      [
        pod('default', 'web', { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } }),
        // (an init container asking more than the app containers sets the pod's request)
        pod('kube-system', 'dns', { requests: { cpu: '100m', memory: '70Mi' } }, { requests: { cpu: '500m' } }),
        pod('ns', 'best-effort', {}),
      ],
      now,
    ).join('\n')).split('\n');
    expect(lines).toEqual([
      // (the namespaces share their column with the header above them, as kubectl's tabwriter aligns them)
      'Non-terminated Pods:  (3 in total)',
      '  Namespace           Name           CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age',
      '  ---------           ----           ------------  ----------  ---------------  -------------  ---',
      '  default             web            250m (12%)    1 (50%)     64Mi (1%)        128Mi (3%)     2m33s',
      '  kube-system         dns            500m (25%)    0 (0%)      70Mi (1%)        0 (0%)         2m33s',
      '  ns                  best-effort    0 (0%)        0 (0%)      0 (0%)           0 (0%)         2m33s',
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

  it("counts an in-place resize's requests as kubectl 1.32's podRequests: the larger of spec and status per resource, the status's when Infeasible; limits the spec's", () => {
    const resized = (resize: string | undefined, status: Record<string, string>) => {
      const p = pod('default', resize ?? 'growing', { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } });
      return { ...p, status: { ...(resize ? { resize } : {}), containerStatuses: [{ name: 'c', resources: { requests: status, limits: { cpu: '2' } } }] } } as unknown as Pod;
    };
    const lines = tabwrite(nodeResourceLines(node, [resized(undefined, { cpu: '500m', memory: '32Mi' }), resized('Infeasible', { cpu: '100m' })], now).join('\n')).split('\n');
    expect(lines.slice(3, 5)).toEqual([
      '  default             growing       500m (25%)    1 (50%)     64Mi (1%)        128Mi (3%)     2m33s',
      '  default             Infeasible    100m (5%)     1 (50%)     0 (0%)           128Mi (3%)     2m33s',
    ]);
    expect(lines.slice(9, 11)).toEqual(['  cpu                600m (30%)  2 (100%)', '  memory             64Mi (1%)   256Mi (6%)']);
  });

  it('prints roles, taints by effect then key, the Lease, addresses, resources, system info and pods as describeNode', () => {
    expect(nodeRoles({ 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/': 'x', 'kubernetes.io/role': 'worker', 'node-role.kubernetes.io/a': 'ignored' })).toEqual(['a', 'worker']);
    const n = {
      metadata: { name: 'vm', creationTimestamp: '2026-12-03T03:00:00Z' },
      spec: { unschedulable: true, taints: [{ key: 'z', effect: 'NoSchedule' }, { key: 'k', value: 'v', effect: 'NoExecute' }, { key: 'a', effect: 'NoSchedule' }] },
      status: { ...node.status, addresses: [{ type: 'InternalIP', address: '10.0.0.2' }] },
    } as Node;
    const text = tabwrite(describeNode(n, { spec: { holderIdentity: 'vm', acquireTime: '2026-12-03T03:00:00Z' } }, 'forbidden', now).join('\n')).split('\n');
    expect(text.slice(1, 12).map((l) => l.replace(/\d\d:\d\d:\d\d [+-]\d{4}$/, 'T'))).toEqual([
      'Roles:              <none>',
      'Labels:             <none>',
      'Annotations:        <none>',
      'CreationTimestamp:  Thu, 03 Dec 2026 T',
      'Taints:             k=v:NoExecute',
      '                    a:NoSchedule',
      '                    z:NoSchedule',
      'Unschedulable:      true',
      'Lease:',
      '  HolderIdentity:  vm',
      '  AcquireTime:     Thu, 03 Dec 2026 T',
    ]);
    expect(text.slice(12, 19)).toEqual(['  RenewTime:       <unset>', 'Addresses:', '  InternalIP:  10.0.0.2', 'Capacity:', '  cpu:     4', '  memory:  8Gi', '  pods:    110']);
    // (pods it may not list: "not authorized", and no Allocated resources)
    expect(text.slice(-2)).toEqual(['  Kube-Proxy Version:         ', 'Pods:                         not authorized']);
    expect(describeNode(n, { error: 'leases.coordination.k8s.io "vm" not found' }, [], now)).toContain('Lease:\tFailed to get lease: leases.coordination.k8s.io "vm" not found');
  });

  it('lists hugepages with their share and extended resources without one after cpu, memory and ephemeral-storage', () => {
    const big = { status: { allocatable: { cpu: '2', memory: '4Gi', 'hugepages-2Mi': '1Gi', 'example.com/gpu': '2', pods: '110' } } } as Node;
    const lines = nodeResourceLines(big, [pod('d', 'g', { requests: { 'hugepages-2Mi': '512Mi', memory: '1Gi', 'example.com/gpu': '1' }, limits: { 'hugepages-2Mi': '512Mi', 'example.com/gpu': '1' } })], now);
    expect(lines.slice(-5)).toEqual(['  cpu\t0 (0%)\t0 (0%)', '  memory\t1Gi (25%)\t0 (0%)', '  ephemeral-storage\t0 (0%)\t0 (0%)', '  hugepages-2Mi\t512Mi (50%)\t512Mi (50%)', '  example.com/gpu\t1\t1']);
  });
});
