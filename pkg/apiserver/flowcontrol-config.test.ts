import { describe, expect, it } from 'vitest';
import { MANDATORY_FLOW_SCHEMAS, SUGGESTED_FLOW_SCHEMAS } from '../api/flowcontrol-bootstrap.js';
import type { FlowSchema } from '../api/types.js';
import { danglingCondition, matchesFlowSchema, type FlowRequest } from './flowcontrol-config.js';

const schema = (name: string) => [...MANDATORY_FLOW_SCHEMAS, ...SUGGESTED_FLOW_SCHEMAS].find((f) => f.metadata!.name === name)!;
/** The first bootstrap schema that takes the request, by precedence then name (as the classifier orders them). */
const classify = (r: FlowRequest) =>
  [...MANDATORY_FLOW_SCHEMAS, ...SUGGESTED_FLOW_SCHEMAS]
    .sort((a, b) => a.spec!.matchingPrecedence! - b.spec!.matchingPrecedence! || a.metadata!.name!.localeCompare(b.metadata!.name!))
    .find((f) => matchesFlowSchema(f, r))?.metadata?.name;

const node = { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
const kcm = { name: 'system:kube-controller-manager', groups: ['system:authenticated'] };
const sa = (ns: string, name: string) => ({ name: `system:serviceaccount:${ns}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'] });

describe('APF classification of the bootstrap configuration', () => {
  it('sends each request to the schema 1.32 picks', () => {
    expect(classify({ user: { name: 'admin', groups: ['system:masters', 'system:authenticated'] }, verb: 'delete', resource: { group: 'apps', resource: 'deployments', namespace: 'a' } })).toBe('exempt');
    expect(classify({ user: node, verb: 'patch', resource: { group: '', resource: 'nodes', subresource: 'status' } })).toBe('system-node-high');
    expect(classify({ user: node, verb: 'update', resource: { group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-node-lease' } })).toBe('system-node-high');
    // (nodes/proxy is not nodes or nodes/status)
    expect(classify({ user: node, verb: 'get', resource: { group: '', resource: 'nodes', subresource: 'proxy' } })).toBe('system-nodes');
    expect(classify({ user: kcm, verb: 'update', resource: { group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-system' } })).toBe('system-leader-election');
    expect(classify({ user: kcm, verb: 'update', resource: { group: '', resource: 'endpoints', namespace: 'default' } })).toBe('endpoint-controller');
    // (system-leader-election covers leases alone)
    expect(classify({ user: kcm, verb: 'update', resource: { group: '', resource: 'configmaps', namespace: 'kube-system' } })).toBe('kube-controller-manager');
    expect(classify({ user: kcm, verb: 'list', resource: { group: '', resource: 'pods' } })).toBe('kube-controller-manager');
    expect(classify({ user: sa('kube-system', 'coredns'), verb: 'get', resource: { group: 'coordination.k8s.io', resource: 'leases', namespace: 'apps' } })).toBe('system-leader-election');
    expect(classify({ user: sa('kube-system', 'coredns'), verb: 'update', resource: { group: '', resource: 'configmaps', namespace: 'apps' } })).toBe('workload-leader-election');
    expect(classify({ user: sa('kube-system', 'coredns'), verb: 'watch', resource: { group: '', resource: 'services' } })).toBe('kube-system-service-accounts');
    expect(classify({ user: sa('default', 'app'), verb: 'get', path: '/version' })).toBe('service-accounts');
    expect(classify({ user: { name: 'system:anonymous', groups: ['system:unauthenticated'] }, verb: 'get', path: '/readyz' })).toBe('probes');
    expect(classify({ user: { name: 'system:anonymous', groups: ['system:unauthenticated'] }, verb: 'get', path: '/readyz/etcd' })).toBe('global-default');
    expect(classify({ user: { name: 'bob', groups: ['system:authenticated'] }, verb: 'create', resource: { group: '', resource: 'pods', namespace: 'x' } })).toBe('global-default');
  });

  it('matches namespaces, cluster scope, service accounts by name and non-resource URL prefixes as match.go does', () => {
    const fs: FlowSchema = {
      metadata: { name: 'x' },
      spec: {
        priorityLevelConfiguration: { name: 'p' },
        matchingPrecedence: 10,
        rules: [
          { subjects: [{ kind: 'ServiceAccount', serviceAccount: { namespace: 'ci', name: 'runner' } }], resourceRules: [{ verbs: ['list'], apiGroups: [''], resources: ['pods'], namespaces: ['ci'] }] },
          { subjects: [{ kind: 'User', user: { name: '*' } }], nonResourceURLs: undefined, nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/metrics/*'] }] } as never,
        ],
      },
    };
    const runner = sa('ci', 'runner');
    expect(matchesFlowSchema(fs, { user: runner, verb: 'list', resource: { group: '', resource: 'pods', namespace: 'ci' } })).toBe(true);
    expect(matchesFlowSchema(fs, { user: runner, verb: 'list', resource: { group: '', resource: 'pods' } })).toBe(false); // not clusterScope
    expect(matchesFlowSchema(fs, { user: sa('ci', 'other'), verb: 'list', resource: { group: '', resource: 'pods', namespace: 'ci' } })).toBe(false);
    expect(matchesFlowSchema(fs, { user: runner, verb: 'list', resource: { group: '', resource: 'pods', subresource: 'log', namespace: 'ci' } })).toBe(false);
    expect(matchesFlowSchema(fs, { user: { name: 'u', groups: [] }, verb: 'get', path: '/metrics/slis' })).toBe(true);
    expect(matchesFlowSchema(fs, { user: { name: 'u', groups: [] }, verb: 'get', path: '/metricsx' })).toBe(false);
    expect(matchesFlowSchema(fs, { user: { name: 'u', groups: [] }, verb: 'post', path: '/metrics/slis' })).toBe(false);
  });

  it('words the Dangling condition as the config consumer does', () => {
    expect(danglingCondition(schema('probes'), new Set(['exempt']))).toEqual({ type: 'Dangling', status: 'False', reason: 'Found', message: 'This FlowSchema references an existing PriorityLevelConfiguration object' });
    expect(danglingCondition(schema('probes'), new Set())).toMatchObject({ status: 'True', reason: 'NotFound', message: 'This FlowSchema references the PriorityLevelConfiguration object named "exempt" but there is no such object' });
  });
});
