// tsctl delete and apply as kubectl 1.32 says and does them: kind.group in their messages,
// "force deleted", the grace period kubectl settles on (--grace-period=0 is 1 without --force),
// -l and --all, and a wait that ends when the object of that uid is gone.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { core, Jobs, Nodes, Pods } from '../../pkg/client/rest-client.js';
import { runTsctl } from '../helpers/tsctl.js';
import { node, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

const ConfigMaps = core('configmaps');
let cp: TestControlPlane;
let dir: string;

const tsctl = (...args: string[]) => runTsctl(cp.kubeconfig, args);

const cm = (name: string, labels: Record<string, string> = {}, finalizers: string[] = []) => ({ metadata: { name, labels, finalizers } });
const pod = (name: string) => ({ metadata: { name }, spec: { containers: [{ name: 'c', image: '127.0.0.1:5000/no-such-image:1' }] } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-tsctl-delete-'));
  cp = await startControlPlane();
  await cp.admin.create(Nodes, undefined, node('worker-1'));
});
afterAll(async () => {
  await cp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('tsctl delete and apply', () => {
  it('names a kind of a group as kind.group, as kubectl does', async () => {
    const file = join(dir, 'deploy.yaml');
    writeFileSync(file, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: 127.0.0.1:5000/no-such-image:1}]
`);
    expect(await tsctl('apply', '-f', file)).toMatchObject({ code: 0, out: 'deployment.apps/web created\n' });
    expect(await tsctl('apply', '-f', file)).toMatchObject({ code: 0, out: 'deployment.apps/web unchanged\n' });
    expect(await tsctl('delete', 'deploy', 'web')).toMatchObject({ code: 0, out: 'deployment.apps "web" deleted\n' });
  });

  it('takes --grace-period=0 as 1 unless --force, which warns and says "force deleted"', async () => {
    for (const n of ['p0', 'pf']) {
      await cp.admin.create(Pods, 'default', pod(n));
      await cp.admin.bind('default', n, 'worker-1');
    }
    // (a bound pod waits for its node for the grace period; there is no node agent here)
    expect(await tsctl('delete', 'pod', 'p0', '--grace-period=0', '--wait=false')).toMatchObject({ code: 0, out: 'pod "p0" deleted\n', err: '' });
    expect((await cp.admin.get(Pods, 'default', 'p0')).metadata?.deletionGracePeriodSeconds).toBe(1);
    const forced = await tsctl('delete', 'pod', 'pf', '--force');
    expect(forced).toMatchObject({ code: 0, out: 'pod "pf" force deleted\n' });
    expect(forced.err).toBe('Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n');
    await expect(cp.admin.get(Pods, 'default', 'pf')).rejects.toMatchObject({ code: 404 });
    expect(await tsctl('delete', 'pod', 'p0', '--force', '--grace-period=5')).toMatchObject({ code: 1, err: 'error: --force and --grace-period greater than 0 cannot be specified together\n' });
  });

  it('deletes by -l and --all, says when nothing matched, and wants a name, a selector or --all', async () => {
    for (const [n, l] of [['l1', { t: 'x' }], ['l2', { t: 'x' }], ['l3', {}]] as const) await cp.admin.create(ConfigMaps, 'default', cm(n, l));
    expect(await tsctl('delete', 'cm', '-l', 't=x')).toMatchObject({ code: 0, out: 'configmap "l1" deleted\nconfigmap "l2" deleted\n' });
    expect(await tsctl('delete', 'cm', '-l', 't=x')).toMatchObject({ code: 0, out: 'No resources found\n' });
    expect(await tsctl('delete', 'cm')).toMatchObject({ code: 1, err: 'error: resource(s) were provided, but no name was specified\n' });
    expect(await tsctl('delete', 'cm', 'l3', '-l', 't=x')).toMatchObject({ code: 1, err: 'error: name cannot be provided when a selector is specified\n' });
    const all = await tsctl('delete', 'cm', '--all');
    expect(all.code).toBe(0);
    expect(all.out).toContain('configmap "l3" deleted\n');
    expect((await cp.admin.list(ConfigMaps, 'default')).items.map((i) => i.metadata?.name)).not.toContain('l3');
  });

  it('deletes a Job or a ReplicationController with propagationPolicy Background, as kubectl\'s default --cascade=background', async () => {
    // (their kinds' own default is Orphan: with none named the Job would keep an orphan
    // finalizer, its pods left running, and with no garbage collector here the wait would not end)
    await cp.admin.create(core('replicationcontrollers'), 'default', { metadata: { name: 'rc' }, spec: { replicas: 0, template: { metadata: { labels: { app: 'rc' } }, spec: { containers: [{ name: 'c', image: '127.0.0.1:5000/no-such-image:1' }] } } } });
    await cp.admin.create(Jobs, 'default', { metadata: { name: 'jb' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: '127.0.0.1:5000/no-such-image:1' }] } } } });
    expect(await tsctl('delete', 'job', 'jb', '--timeout', '5')).toMatchObject({ code: 0, out: 'job.batch "jb" deleted\n', err: '' });
    expect(await tsctl('delete', 'rc', 'rc', '--timeout', '5')).toMatchObject({ code: 0, out: 'replicationcontroller "rc" deleted\n', err: '' });
  });

  it('waits for the object it deleted, not for one made again under its name', async () => {
    await cp.admin.create(ConfigMaps, 'default', cm('again', {}, ['tskube.test/hold']));
    const deleting = tsctl('delete', 'cm', 'again', '--timeout', '5');
    await new Promise((r) => setTimeout(r, 500));
    // The held one goes and another takes its name at once, as a controller would make it again.
    await cp.admin.request(`/api/v1/namespaces/default/configmaps/again`, { method: 'PATCH', body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json' });
    await cp.admin.create(ConfigMaps, 'default', cm('again'));
    expect(await deleting).toMatchObject({ code: 0, out: 'configmap "again" deleted\n', err: '' });
  });
});
