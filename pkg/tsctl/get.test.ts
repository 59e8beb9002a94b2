import { describe, expect, it } from 'vitest';
import { RestClient } from '../client/rest-client.js';
import { get, type GetOptions } from './commands.js';
import type { Table } from './output.js';
import type { ApiResource, Discovery } from './resources.js';

const pods: ApiResource = { group: '', version: 'v1', resource: 'pods', namespaced: true, kind: 'Pod', singularName: 'pod', shortNames: ['po'], apiVersion: 'v1', categories: ['all'] };
const disco = { resolve: async () => pods, expand: async () => [pods] } as unknown as Discovery;

const columns = ['Name', 'Ready', 'Status', 'Restarts', 'Age'].map((name) => ({ name, priority: 0 }));
const row = (name: string, status: string, labels?: Record<string, string>) => ({ cells: [name, '1/1', status, 0, '5s'], object: { metadata: { name, namespace: 'ns', labels } } });
const pod = (name: string) => ({ metadata: { name, namespace: 'ns', resourceVersion: '7', labels: { b: '2', a: '1' }, managedFields: [{ manager: 'kubectl' }] }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] }, status: { phase: 'Running' } });

/**
 * A client whose list answers with `list` (a Table when asked for one, else a PodList) and whose
 * watch delivers `events`, recording the watch's query.
 */
function fakeClient(list: { table: Table; items: unknown[] }, events: { type: string; object: unknown }[]) {
  const watched: Record<string, unknown>[] = [];
  const client = {
    path: () => '/api/v1/namespaces/ns/pods',
    request: async (_path: string, o: { accept?: string } = {}) => (o.accept?.includes('as=Table') ? { ...list.table, metadata: { resourceVersion: '10' } } : { items: list.items, metadata: { resourceVersion: '10' } }),
    watch: async (_r: unknown, _ns: unknown, q: Record<string, unknown>, onEvent: (e: unknown) => void) => {
      watched.push(q);
      for (const e of events) onEvent(e);
      return { done: Promise.resolve(), stop: () => {} };
    },
  } as unknown as RestClient;
  return { client, watched };
}

async function run(client: RestClient, o: Partial<GetOptions>, args = ['pods']) {
  let out = '';
  let err = '';
  const code = await get(client, disco, args, { namespace: 'ns', allNamespaces: false, output: '', watch: false, ...o }, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('tsctl get -w', () => {
  it('lines up the rows of later events under the first table, as kubectl\'s tabwriter remembers its widths', async () => {
    const { client } = fakeClient({ table: { columnDefinitions: columns, rows: [row('web-7fd9b456d6-rvsdx', 'Running')] }, items: [] }, [
      { type: 'ADDED', object: { columnDefinitions: [], rows: [row('x', 'Pending')] } },
      { type: 'MODIFIED', object: { columnDefinitions: [], rows: [row('x', 'ContainerCreating')] } },
      { type: 'MODIFIED', object: { columnDefinitions: [], rows: [row('x', 'Running')] } },
    ]);
    const r = await run(client, { watch: true });
    expect(r.out).toBe(
      [
        'NAME                   READY   STATUS    RESTARTS   AGE',
        'web-7fd9b456d6-rvsdx   1/1     Running   0          5s',
        'x                      1/1     Pending   0          5s',
        'x                      1/1     ContainerCreating   0          5s',
        'x                      1/1     Running             0          5s',
        '',
      ].join('\n'),
    );
  });

  it('prints headers with the first rows of a watch that began with none', async () => {
    const { client } = fakeClient({ table: { columnDefinitions: columns, rows: [] }, items: [] }, [{ type: 'ADDED', object: { columnDefinitions: columns, rows: [row('x', 'Pending')] } }]);
    expect((await run(client, { watch: true })).out).toBe('NAME   READY   STATUS    RESTARTS   AGE\nx      1/1     Pending   0          5s\n');
  });

  it('prints an ERROR event\'s Status in the status columns, as kubectl\'s status print handler, and ends', async () => {
    const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old resource version: 5 (10)', reason: 'Expired', code: 410 };
    const { client } = fakeClient({ table: { columnDefinitions: columns, rows: [row('web', 'Running')] }, items: [] }, [{ type: 'ERROR', object: status }]);
    const r = await run(client, { watch: true });
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      ['NAME   READY   STATUS    RESTARTS   AGE', 'web    1/1     Running   0          5s', 'STATUS    REASON    MESSAGE', 'Failure   Expired   too old resource version: 5 (10)', ''].join('\n'),
    );
  });

  it('prints a list\'s items one by one with -o yaml, then the changes from the list\'s resourceVersion', async () => {
    const { client, watched } = fakeClient({ table: { columnDefinitions: columns, rows: [] }, items: [pod('a'), pod('b')] }, [{ type: 'MODIFIED', object: { apiVersion: 'v1', kind: 'Pod', ...pod('b') } }]);
    const r = await run(client, { watch: true, output: 'yaml' });
    expect(watched[0]).toMatchObject({ resourceVersion: '10' });
    expect(r.out.split('\n').filter((l) => l === '---' || l.startsWith('kind:') || l.startsWith('  name:'))).toEqual(['kind: Pod', '  name: a', '---', 'kind: Pod', '  name: b', '---', 'kind: Pod', '  name: b']);
  });

  it('does not print the synthetic ADDED event that a watch of a named object begins with', async () => {
    const { client } = fakeClient({ table: { columnDefinitions: columns, rows: [row('web', 'Running')] }, items: [] }, [
      { type: 'ADDED', object: { columnDefinitions: [], rows: [row('web', 'Running')] } },
      { type: 'MODIFIED', object: { columnDefinitions: [], rows: [row('web', 'Completed')] } },
    ]);
    expect((await run(client, { watch: true }, ['pods', 'web'])).out.trimEnd().split('\n').map((l) => l.split(/\s+/)[2])).toEqual(['STATUS', 'Running', 'Completed']);
  });
});

describe('tsctl get -o', () => {
  it('names objects as kind.group/name with -o name', async () => {
    const { client } = fakeClient({ table: { columnDefinitions: columns, rows: [] }, items: [pod('a'), pod('b')] }, []);
    expect((await run(client, { output: 'name' })).out).toBe('pod/a\npod/b\n');
  });

  it('writes YAML and JSON as kubectl does: keys sorted, lists at their key\'s indentation, double quotes, no managedFields', async () => {
    const { client } = fakeClient({ table: { columnDefinitions: columns, rows: [] }, items: [pod('a')] }, []);
    const y = (await run(client, { output: 'yaml' })).out;
    expect(y).toBe(
      [
        'apiVersion: v1',
        'items:',
        '- apiVersion: v1',
        '  kind: Pod',
        '  metadata:',
        '    labels:',
        '      a: "1"',
        '      b: "2"',
        '    name: a',
        '    namespace: ns',
        '    resourceVersion: "7"',
        '  spec:',
        '    containers:',
        '    - command:',
        '      - sleep',
        '      - "3600"',
        '      image: busybox',
        '      name: c',
        '  status:',
        '    phase: Running',
        'kind: List',
        'metadata:',
        '  resourceVersion: ""',
        '',
      ].join('\n'),
    );
    const j = JSON.parse((await run(client, { output: 'json' })).out);
    expect(Object.keys(j.items[0].metadata)).toEqual(['labels', 'name', 'namespace', 'resourceVersion']);
    expect(Object.keys(j)).toEqual(['apiVersion', 'items', 'kind', 'metadata']);
  });

  it('refuses an output format it has no printer for, and --show-labels with a structured one', async () => {
    const { client } = fakeClient({ table: { columnDefinitions: columns, rows: [] }, items: [] }, []);
    await expect(run(client, { output: 'jsonpath-as-yaml' })).rejects.toThrow('unable to match a printer suitable for the output format "jsonpath-as-yaml", allowed formats are: json,name,wide,yaml');
    await expect(run(client, { output: 'yaml', showLabels: true })).rejects.toThrow('--show-labels option cannot be used with yaml printer');
  });

  it('adds a LABELS column with --show-labels', async () => {
    const { client } = fakeClient({ table: { columnDefinitions: columns, rows: [row('a', 'Running', { b: '2', a: '1' }), row('b', 'Running')] }, items: [] }, []);
    expect((await run(client, { showLabels: true })).out).toBe('NAME   READY   STATUS    RESTARTS   AGE   LABELS\na      1/1     Running   0          5s    a=1,b=2\nb      1/1     Running   0          5s    <none>\n');
  });
});
