// kubectl patch (merge, JSON, strategic) that would rename or move an object: Kubernetes refuses
// it with 400 (the apiserver's checkName); the change used to be dropped while kubectl printed
// "patched".
import { describe, expect, it } from 'vitest';
import { hasKubectl, kubectlControlPlane } from '../helpers/kubectl.js';

const k = kubectlControlPlane();
const kubectl = k.kubectl;

describe.skipIf(!hasKubectl)('kubectl patch of metadata.name and metadata.namespace', () => {
  it.each([
    ['merge', '{"metadata":{"name":"other"}}'],
    ['json', '[{"op":"replace","path":"/metadata/name","value":"other"}]'],
    ['strategic', '{"metadata":{"name":"other"}}'],
  ])('a %s patch renaming the object is a 400 and changes nothing', async (type, patch) => {
    await kubectl('create', 'configmap', `ren-${type}`, '--from-literal=a=b');
    const rv = await kubectl('get', 'cm', `ren-${type}`, '-o', 'jsonpath={.metadata.resourceVersion}');
    const r = await k.run(['patch', 'cm', `ren-${type}`, `--type=${type}`, '-p', patch]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`Error from server (BadRequest): the name of the object (other) does not match the name on the URL (ren-${type})\n`);
    expect(await kubectl('get', 'cm', `ren-${type}`, '-o', 'jsonpath={.metadata.resourceVersion}')).toBe(rv);
    expect((await k.run(['get', 'cm', 'other'])).code).toBe(1);
  });

  it('a patch moving the object to another namespace is a 400', async () => {
    await kubectl('create', 'configmap', 'mover', '--from-literal=a=b');
    const r = await k.run(['patch', 'cm', 'mover', '--type=merge', '-p', '{"metadata":{"namespace":"kube-system"}}']);
    expect(r.err).toBe('Error from server (BadRequest): the namespace of the object (kube-system) does not match the namespace on the URL (default)\n');
    // naming the object's own name and namespace is fine
    expect(await kubectl('patch', 'cm', 'mover', '--type=merge', '-p', '{"metadata":{"name":"mover","namespace":"default","labels":{"x":"y"}}}')).toBe('configmap/mover patched\n');
  });
});
