import { describe, expect, it } from 'vitest';
import type { PodSpec } from '../api/types.js';
import { readContainerLogsRequest } from './container-logs-request.js';

const worker = { pod: { spec: { initContainers: [{ name: 'setup' }], containers: [{ name: 'web' }], ephemeralContainers: [{ name: 'dbg' }] } as PodSpec } };
const read = (query: string, container = 'web') => readContainerLogsRequest(new URLSearchParams(query), 'two', container, worker);
/** The same request to a node that does not have the pod. */
const elsewhere = (query: string) => readContainerLogsRequest(new URLSearchParams(query), 'two', 'web', undefined);

describe('readContainerLogsRequest (the kubelet getContainerLogs checks)', () => {
  it('reads the options and hands back the pod holder', () => {
    expect(read('tailLines=2&timestamps=true')).toMatchObject({ ok: true, options: { tailLines: 2, timestamps: true }, holder: worker });
  });

  it('an unknown pod and a container not in its spec are 404s, in the kubelet words', () => {
    expect(elsewhere('')).toEqual({ ok: false, code: 404, body: 'pod "two" does not exist' });
    expect(read('', 'nope')).toEqual({ ok: false, code: 404, body: 'container "nope" not found in pod "two"' });
    // init and ephemeral containers are the pod's containers too (GetContainerSpec)
    expect(read('', 'setup').ok).toBe(true);
    expect(read('', 'dbg').ok).toBe(true);
  });

  it('a query that does not decode is a 400 and an invalid one a 422, before the pod is looked for', () => {
    expect(elsewhere('tailLines=x')).toEqual({ ok: false, code: 400, body: '{"message": "Unable to decode query."}' });
    expect(elsewhere('tailLines=-1')).toEqual({ ok: false, code: 422, body: '{"message": "Invalid request."}' });
    expect(read('sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z')).toMatchObject({ ok: false, code: 422 });
    expect(read('limitBytes=0')).toMatchObject({ ok: false, code: 422 });
  });

  it('takes the legacy tail parameter: a number for tailLines, "all" for every line', () => {
    expect(read('tail=3')).toMatchObject({ ok: true, options: { tailLines: 3 } });
    const all = read('tail=all&tailLines=4');
    expect(all.ok && all.options.tailLines).toBeUndefined();
  });
});
