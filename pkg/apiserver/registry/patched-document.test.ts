// The patched document of a merge or JSON patch's 422 as 1.32 writes it: the current object in
// Go's struct order, and sorted keys only where json-patch v4 opened an object.
import { describe, expect, it } from 'vitest';
import { goOrdered, jsonPatchedDocument, mergePatchedDocument } from './patched-document.js';

// (stored in a client's order, not Go's)
const pod = {
  status: { qosClass: 'BestEffort', phase: 'Pending' },
  spec: { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', containers: [{ imagePullPolicy: 'Always', image: 'busybox', name: 'main' }] },
  metadata: { labels: { b: '1', a: '2' }, creationTimestamp: '2026-12-03T04:00:00Z', resourceVersion: '5', uid: 'u-1', namespace: 'default', name: 'p1' },
  kind: 'Pod',
  apiVersion: 'v1',
};
const META = '{"name":"p1","namespace":"default","uid":"u-1","resourceVersion":"5","creationTimestamp":"2026-12-03T04:00:00Z","labels":{"a":"2","b":"1"}}';
const STATUS = '{"phase":"Pending","qosClass":"BestEffort"}';

describe('goOrdered', () => {
  it('writes a built-in object as encoding/json writes its struct: kind before apiVersion, fields in struct order, maps by key', () => {
    expect(JSON.stringify(goOrdered(pod, 'Pod'))).toBe(
      `{"kind":"Pod","apiVersion":"v1","metadata":${META},"spec":{"containers":[{"name":"main","image":"busybox","imagePullPolicy":"Always"}],"restartPolicy":"Always","dnsPolicy":"ClusterFirst"},"status":${STATUS}}`,
    );
  });
});

describe('mergePatchedDocument', () => {
  it('sorts the top level and the objects the patch walks into; the rest keeps the struct order', () => {
    expect(mergePatchedDocument(pod, 'Pod', { spec: { containers: 'x' } })).toBe(`{"apiVersion":"v1","kind":"Pod","metadata":${META},"spec":{"containers":"x","dnsPolicy":"ClusterFirst","restartPolicy":"Always"},"status":${STATUS}}`);
  });

  it('sorts a value new to the document and a list that replaces one (pruneNulls opens them, nulls dropped)', () => {
    const doc = mergePatchedDocument(pod, 'Pod', { spec: { nodeSelector: { z: '1', a: null, b: '2' }, containers: [{ name: 'main', image: 7 }] } });
    expect(doc).toContain('"spec":{"containers":[{"image":7,"name":"main"}],"dnsPolicy":"ClusterFirst","nodeSelector":{"b":"2","z":"1"},"restartPolicy":"Always"}');
    // (metadata opened by a label change: its own keys sorted)
    expect(mergePatchedDocument(pod, 'Pod', { metadata: { labels: { c: '<3' } } })).toContain(
      '"metadata":{"creationTimestamp":"2026-12-03T04:00:00Z","labels":{"a":"2","b":"1","c":"\\u003c3"},"name":"p1","namespace":"default","resourceVersion":"5","uid":"u-1"}',
    );
  });
});

describe('jsonPatchedDocument', () => {
  it('sorts the containers on each path; a value the patch adds keeps its own order', () => {
    expect(jsonPatchedDocument(pod, 'Pod', [{ op: 'add', path: '/spec/activeDeadlineSeconds', value: 'x' }])).toBe(
      `{"apiVersion":"v1","kind":"Pod","metadata":${META},"spec":{"activeDeadlineSeconds":"x","containers":[{"name":"main","image":"busybox","imagePullPolicy":"Always"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always"},"status":${STATUS}}`,
    );
    const added = jsonPatchedDocument(pod, 'Pod', [{ op: 'replace', path: '/spec/containers/0/image', value: { z: 1, a: 2 } }]);
    expect(added).toContain('"containers":[{"image":{"z":1,"a":2},"imagePullPolicy":"Always","name":"main"}]');
  });
});

describe('a custom resource', () => {
  it('is an unstructured map: every key of the current object sorted, a value the patch sets as written', () => {
    const cr = { spec: { b: { y: 1, x: 2 }, a: 1 }, metadata: { name: 'w', namespace: 'default' }, kind: 'Widget', apiVersion: 'ex.com/v1' };
    expect(jsonPatchedDocument(cr, undefined, [{ op: 'add', path: '/spec/c', value: { q: 1, p: 2 } }])).toBe(
      '{"apiVersion":"ex.com/v1","kind":"Widget","metadata":{"name":"w","namespace":"default"},"spec":{"a":1,"b":{"x":2,"y":1},"c":{"q":1,"p":2}}}',
    );
  });
});
