import { describe, expect, it } from 'vitest';
import { answeredError, ruleMatches } from './admission-webhook.js';
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

describe('answeredError', () => {
  it("is a webhook's error answer as client-go's StatusError has it: a Failure Status's own code and message, else the HTTP status in NewGenericServerResponse's words", () => {
    expect(answeredError(500, 'text/plain; charset=utf-8', 'boom\n')).toEqual({ code: 500, message: 'an error on the server ("boom") has prevented the request from succeeding' });
    expect(answeredError(502, 'application/json', '{"message":"not a Status"}')).toEqual({ code: 502, message: 'an error on the server ("unknown") has prevented the request from succeeding' });
    expect(answeredError(403, 'application/json', JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'slow down', code: 429 }))).toEqual({ code: 429, message: 'slow down' });
    expect(answeredError(404, 'application/json', JSON.stringify({ status: 'Success', code: 200 }))).toEqual({ code: 404, message: 'the server could not find the requested resource' });
    expect(answeredError(403, 'text/plain', 'not you')).toEqual({ code: 403, message: 'not you' });
    expect(answeredError(503, 'text/plain', 'later')).toEqual({ code: 503, message: 'the server is currently unable to handle the request' });
    expect(answeredError(418, 'text/plain', 'teapot')).toEqual({ code: 418, message: 'the server responded with the status code 418 but did not return more information' });
  });
});
