import { describe, expect, it } from 'vitest';
import { StatusError } from '../client/rest-client.js';
import { alreadyHas, applyErrorsText, lastAppliedConfiguration, lastAppliedKey, withSource } from './apply.js';

describe('tsctl apply', () => {
  it('writes the last-applied configuration as kubectl 1.32 does: keys sorted, an empty annotations map, HTML characters escaped, a newline', () => {
    const obj = { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'cm1', namespace: 'tsd-a', labels: { zeta: '1', alpha: '2' } }, data: { b: '1', a: '2' } };
    // (what kubectl apply wrote for the same manifest on the running cluster)
    expect(lastAppliedConfiguration(obj)).toBe('{"apiVersion":"v1","data":{"a":"2","b":"1"},"kind":"ConfigMap","metadata":{"annotations":{},"labels":{"alpha":"2","zeta":"1"},"name":"cm1","namespace":"tsd-a"}}\n');
    const html = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm2', namespace: 'tsd-a', annotations: { z: '1', [lastAppliedKey]: 'old' } }, data: { x: 'a<b&c>d' } };
    expect(lastAppliedConfiguration(html)).toBe('{"apiVersion":"v1","data":{"x":"a\\u003cb\\u0026c\\u003ed"},"kind":"ConfigMap","metadata":{"annotations":{"z":"1"},"name":"cm2","namespace":"tsd-a"}}\n');
  });

  it('finds a patch empty when the object already has every value the manifest sets, as kubectl\'s unchanged', () => {
    const current = { metadata: { name: 'd', labels: { app: 'd' }, resourceVersion: '5' }, spec: { containers: [{ name: 'c', image: 'i', imagePullPolicy: 'Always', env: [{ name: 'A', value: '1' }] }] } };
    expect(alreadyHas(current, { metadata: { name: 'd', labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'i', env: [{ name: 'A', value: '1' }] }] } })).toBe(true);
    expect(alreadyHas(current, { spec: { containers: [{ name: 'c', env: [{ name: 'A', value: '2' }] }] } })).toBe(false);
    expect(alreadyHas(current, { spec: { containers: [{ name: 'c' }, { name: 'd' }] } })).toBe(false);
    // (a quantity as written, not as the server stores it: kubectl patches it every time)
    expect(alreadyHas({ spec: { hard: { cpu: '500m' } } }, { spec: { hard: { cpu: '0.5' } } })).toBe(false);
  });
});

describe('tsctl apply errors', () => {
  const invalid = (causes: { field: string; message: string }[]) =>
    new StatusError(422, { reason: 'Invalid', details: { kind: 'ConfigMap', name: 'e3', causes: causes.map((c) => ({ reason: 'FieldValueInvalid', ...c })) } }, 'ConfigMap "e3" is invalid: ...');

  it('says a lone Invalid error as kubectl\'s CheckErr does: the object, then its causes', () => {
    expect(applyErrorsText([invalid([{ field: 'metadata.labels', message: 'Invalid value: "-bad-": bad' }])])).toBe('The ConfigMap "e3" is invalid: metadata.labels: Invalid value: "-bad-": bad\n');
    expect(applyErrorsText([invalid([{ field: 'a', message: 'x' }, { field: 'b', message: 'y' }, { field: 'a', message: 'x' }])])).toBe('The ConfigMap "e3" is invalid: \n* a: x\n* b: y\n');
  });

  it('names the file as kubectl\'s AddSourceToErr does and says several errors each as the server gave it', () => {
    const created = withSource(new StatusError(404, { reason: 'NotFound' }, 'namespaces "nope-ns" not found'), 'creating', 'multi.yaml');
    const invalidCreate = withSource(invalid([{ field: 'a', message: 'x' }]), 'creating', 'multi.yaml');
    expect(applyErrorsText([invalidCreate, created])).toBe('Error from server (Invalid): error when creating "multi.yaml": ConfigMap "e3" is invalid: ...\nError from server (NotFound): error when creating "multi.yaml": namespaces "nope-ns" not found\n');
    expect(applyErrorsText([created])).toBe('Error from server (NotFound): error when creating "multi.yaml": namespaces "nope-ns" not found\n');
    expect(applyErrorsText([new Error('no matches')])).toBe('error: no matches\n');
  });
});
