// tsctl describe of the kinds whose kubectl describers lay out their own header (ConfigMap,
// Secret, Namespace: Name, Namespace, Labels, Annotations aligned by Go's tabwriter, no
// CreationTimestamp) and of a Deployment with its ReplicaSet, against a real control plane.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { core, Namespaces, Roles, ServiceAccounts } from '../../pkg/client/rest-client.js';
import { runTsctl } from '../helpers/tsctl.js';
import { startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;

const tsctl = (...args: string[]) => runTsctl(cp.kubeconfig, args);

beforeAll(async () => {
  cp = await startControlPlane();
  await cp.admin.create(Namespaces, undefined, { metadata: { name: 'tsc-d' } });
});
afterAll(async () => {
  await cp?.stop();
});

describe('tsctl describe', () => {
  it('lays out a ConfigMap as kubectl describe configmap', async () => {
    await cp.admin.create(core('configmaps'), 'tsc-d', { metadata: { name: 'cm', labels: { x: 'z' }, annotations: { note: 'a\nb' } }, data: { a: 'hello' } });
    const r = await tsctl('describe', 'cm', 'cm', '-n', 'tsc-d');
    expect(r.code).toBe(0);
    expect(r.out).toBe(['Name:         cm', 'Namespace:    tsc-d', 'Labels:       x=z', 'Annotations:  note:', '                a', '                b', '', 'Data', '====', 'a:', '----', 'hello', '', '', 'BinaryData', '====', '', 'Events:  <none>', ''].join('\n'));
  });

  it('lays out a Namespace as kubectl describe namespace, without events', async () => {
    const r = await tsctl('describe', 'ns', 'tsc-d');
    expect(r.out).toBe(['Name:         tsc-d', 'Labels:       kubernetes.io/metadata.name=tsc-d', 'Annotations:  <none>', 'Status:       Active', '', 'No resource quota.', '', 'No LimitRange resource.', ''].join('\n'));
  });

  it('lists a Secret\'s keys by size and no events, as kubectl describe secret', async () => {
    await cp.admin.create(core('secrets'), 'tsc-d', { metadata: { name: 's' }, stringData: { user: 'admin' } });
    expect((await tsctl('describe', 'secret', 's', '-n', 'tsc-d')).out).toBe(['Name:         s', 'Namespace:    tsc-d', 'Labels:       <none>', 'Annotations:  <none>', '', 'Type:  Opaque', '', 'Data', '====', 'user:  5 bytes', ''].join('\n'));
  });

  it('describes every object of a type two empty lines apart, or those a name begins, each followed by an empty line, as kubectl describe', async () => {
    for (const n of ['p1', 'p2']) await cp.admin.create(core('serviceaccounts'), 'tsc-d', { metadata: { name: n } });
    const sa = (n: string) => [`Name:                ${n}`, 'Namespace:           tsc-d', 'Labels:              <none>', 'Annotations:         <none>', 'Image pull secrets:  <none>', 'Mountable secrets:   <none>', 'Tokens:              <none>', 'Events:              <none>', ''].join('\n');
    expect((await tsctl('describe', 'sa', 'p', '-n', 'tsc-d')).out).toBe(`${sa('p1')}\n${sa('p2')}\n`);
    expect((await tsctl('describe', 'sa', 'p1', 'p2', '-n', 'tsc-d')).out).toBe(`${sa('p1')}\n\n${sa('p2')}`);
    const all = await tsctl('describe', 'sa', '-n', 'tsc-d');
    expect(all.out.split('\n\n\n').map((d) => d.split('\n')[0])).toEqual(['Name:                default', 'Name:                p1', 'Name:                p2']);
    expect(await tsctl('describe', 'sa', 'zz', '-n', 'tsc-d')).toMatchObject({ code: 1, err: 'Error from server (NotFound): serviceaccounts "zz" not found\n' });
    expect(await tsctl('describe', 'deploy', '-n', 'tsc-d')).toMatchObject({ code: 0, out: '', err: 'No resources found in tsc-d namespace.\n' });
  });

  it('lays out a Role as kubectl describe role (its rules in a table, no events) and a ServiceAccount with its events', async () => {
    await cp.admin.create(Roles, 'tsc-d', { metadata: { name: 'r' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] });
    expect((await tsctl('describe', 'role', 'r', '-n', 'tsc-d')).out).toBe(
      ['Name:         r', 'Labels:       <none>', 'Annotations:  <none>', 'PolicyRule:', '  Resources  Non-Resource URLs  Resource Names  Verbs', '  ---------  -----------------  --------------  -----', '  pods       []                 []              [get]', ''].join('\n'),
    );
    await cp.admin.create(ServiceAccounts, 'tsc-d', { metadata: { name: 'sa' }, imagePullSecrets: [{ name: 'missing' }] });
    expect((await tsctl('describe', 'sa', 'sa', '-n', 'tsc-d')).out).toBe(
      ['Name:                sa', 'Namespace:           tsc-d', 'Labels:              <none>', 'Annotations:         <none>', 'Image pull secrets:  missing (not found)', 'Mountable secrets:   <none>', 'Tokens:              <none>', 'Events:              <none>', ''].join('\n'),
    );
  });
});
