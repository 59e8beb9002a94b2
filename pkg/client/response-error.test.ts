// The Status made of an error answer without one, in NewGenericServerResponse's words.
import { describe, expect, it } from 'vitest';
import { genericServerResponse, resourceOfPath, statusOfBody } from './response-error.js';

const text = { 'content-type': 'text/plain; charset=utf-8' };
const json = { 'content-type': 'application/json' };

describe('genericServerResponse (client-go newUnstructuredResponseError)', () => {
  it.each([
    [409, 'POST', 'AlreadyExists', 'the server reported a conflict'],
    [409, 'PUT', 'Conflict', 'the server reported a conflict'],
    [404, 'GET', 'NotFound', 'the server could not find the requested resource'],
    [400, 'GET', 'BadRequest', 'the server rejected our request for an unknown reason'],
    [401, 'GET', 'Unauthorized', 'the server has asked for the client to provide credentials'],
    [403, 'GET', 'Forbidden', 'nope'],
    [406, 'GET', 'NotAcceptable', 'nope'],
    [415, 'GET', 'UnsupportedMediaType', 'nope'],
    [405, 'GET', 'MethodNotAllowed', 'the server does not allow this method on the requested resource'],
    [422, 'GET', 'Invalid', 'the server rejected our request due to an error in our request'],
    [503, 'GET', 'ServiceUnavailable', 'the server is currently unable to handle the request'],
    [504, 'GET', 'Timeout', 'the server was unable to return a response in the time allotted, but may still be processing the request'],
    [429, 'GET', 'TooManyRequests', 'the server has received too many requests and has asked us to try again later'],
    [500, 'GET', 'InternalError', 'an error on the server ("nope") has prevented the request from succeeding'],
    [418, 'GET', undefined, 'the server responded with the status code 418 but did not return more information'],
  ])('%i to a %s: reason %s', (code, method, reason, message) => {
    const s = genericServerResponse(code, method, '/healthz', text, ' nope\n');
    expect(s.reason).toBe(reason);
    expect(s.message).toBe(message);
    expect(s.code).toBe(code);
    expect(s.details).toEqual({ causes: [{ reason: 'UnexpectedServerResponse', message: 'nope' }] });
  });

  it('names the verb, resource (with its group) and name of an API path, and keeps Retry-After', () => {
    const s = genericServerResponse(429, 'PATCH', '/apis/apps/v1/namespaces/ns/deployments/web/scale', { ...text, 'retry-after': '3' }, 'slow down');
    expect(s.message).toBe('the server has received too many requests and has asked us to try again later (patch deployments.apps web)');
    expect(s.details).toEqual({ group: 'apps', kind: 'deployments', name: 'web', causes: [{ reason: 'UnexpectedServerResponse', message: 'slow down' }], retryAfterSeconds: 3 });
  });

  it('takes a body that is not text as "unknown", and a 406 without words its own message', () => {
    expect(genericServerResponse(502, 'GET', '/api/v1/nodes', json, '{"a":1}').message).toBe('an error on the server ("unknown") has prevented the request from succeeding (get nodes)');
    expect(genericServerResponse(406, 'GET', '/api/v1/nodes', json, '').message).toBe('the server was unable to respond with a content type that the client supports (get nodes)');
    // (no Content-Type is text)
    expect(genericServerResponse(500, 'GET', '/version', {}, 'boom').message).toBe('an error on the server ("boom") has prevented the request from succeeding');
  });

  it('keeps 2048 bytes of the text', () => {
    expect(genericServerResponse(500, 'GET', '/x', text, 'a'.repeat(3000)).details.causes[0]!.message).toHaveLength(2048);
  });
});

describe('resourceOfPath', () => {
  it.each([
    ['/api/v1/namespaces/default/pods/p/log', { group: '', resource: 'pods', name: 'p' }],
    ['/api/v1/namespaces/default/pods', { group: '', resource: 'pods', name: '' }],
    ['/api/v1/namespaces/default', { group: '', resource: 'namespaces', name: 'default' }],
    ['/api/v1/nodes/n1/proxy/metrics', { group: '', resource: 'nodes', name: 'n1' }],
    ['/apis/batch/v1/jobs', { group: 'batch', resource: 'jobs', name: '' }],
    ['/api/v1', undefined],
    ['/metrics', undefined],
  ])('%s', (path, want) => expect(resourceOfPath(path)).toEqual(want));
});

describe('statusOfBody (Result.Error)', () => {
  const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'm', code: 500 };
  it('takes a JSON Status that failed, with a JSON Content-Type or none', () => {
    expect(statusOfBody(json, JSON.stringify(status))).toEqual(status);
    expect(statusOfBody({}, JSON.stringify(status))).toEqual(status);
  });
  it('takes a YAML Status', () => {
    expect(statusOfBody({ 'content-type': 'application/yaml' }, 'kind: Status\napiVersion: v1\nmetadata: {}\nstatus: Failure\nmessage: m\ncode: 500\n')).toEqual(status);
  });
  it('takes nothing else', () => {
    expect(statusOfBody(text, JSON.stringify(status))).toBeUndefined();
    expect(statusOfBody(json, JSON.stringify({ ...status, status: 'Success' }))).toBeUndefined();
    expect(statusOfBody(json, JSON.stringify({ message: 'm' }))).toBeUndefined();
    expect(statusOfBody(json, 'not json')).toBeUndefined();
  });
});
