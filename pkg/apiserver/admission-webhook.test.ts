import { describe, expect, it } from 'vitest';
import { answeredCode, ruleMatches } from './admission-webhook.js';
import { deployments, nodes, pods } from './registry/resources.js';

const req = (resource: typeof pods, operation: 'CREATE' | 'UPDATE' | 'DELETE' = 'CREATE', subresource?: string) => ({ resource, operation, subresource });

describe('ruleMatches', () => {
  const rule = (o: Record<string, unknown>) => ({ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], ...o });
  it('matches operations, groups, versions and resources, with wildcards', () => {
    expect(ruleMatches(rule({}), req(pods))).toBe(true);
    expect(ruleMatches(rule({}), req(pods, 'UPDATE'))).toBe(false);
    expect(ruleMatches(rule({ operations: ['*'] }), req(pods, 'DELETE'))).toBe(true);
    expect(ruleMatches(rule({}), req(deployments))).toBe(false);
    expect(ruleMatches(rule({ apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }), req(deployments))).toBe(true);
    expect(ruleMatches(rule({ apiGroups: ['apps'], resources: ['deployments'] }), req(deployments))).toBe(true);
  });
  it('tells subresources apart: pods does not match pods/status; */status and */* do', () => {
    expect(ruleMatches(rule({ operations: ['UPDATE'] }), req(pods, 'UPDATE', 'status'))).toBe(false);
    expect(ruleMatches(rule({ operations: ['UPDATE'], resources: ['pods/status'] }), req(pods, 'UPDATE', 'status'))).toBe(true);
    expect(ruleMatches(rule({ operations: ['UPDATE'], resources: ['*/status'] }), req(pods, 'UPDATE', 'status'))).toBe(true);
    expect(ruleMatches(rule({ operations: ['UPDATE'], resources: ['*'] }), req(pods, 'UPDATE', 'status'))).toBe(false);
    expect(ruleMatches(rule({ operations: ['UPDATE'], resources: ['*/*'] }), req(pods, 'UPDATE', 'status'))).toBe(true);
  });
  it('honours the scope', () => {
    expect(ruleMatches(rule({ resources: ['*'], scope: 'Namespaced' }), req(nodes))).toBe(false);
    expect(ruleMatches(rule({ resources: ['*'], scope: 'Cluster' }), req(nodes))).toBe(true);
    expect(ruleMatches(rule({ resources: ['*'], scope: 'Cluster' }), req(pods))).toBe(false);
    expect(ruleMatches(rule({ resources: ['*'], scope: '*' }), req(pods))).toBe(true);
  });
});

describe('answeredCode', () => {
  it("is a webhook's error answer's code as client-go's StatusError has it: a Failure Status's own, else the HTTP status", () => {
    expect(answeredCode(500, 'boom')).toBe(500);
    expect(answeredCode(502, '{"message":"not a Status"}')).toBe(502);
    expect(answeredCode(403, JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'slow down', code: 429 }))).toBe(429);
    expect(answeredCode(404, JSON.stringify({ status: 'Success', code: 200 }))).toBe(404);
  });
});
