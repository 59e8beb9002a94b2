// core/v1 PodTemplates against apiserver+etcd and the stock kubectl: created with the pod spec
// defaults, validated as Kubernetes validates a template (containers required, no ephemeral
// containers, any restartPolicy), a generation that follows the template only, and kubectl's
// columns (NAME CONTAINERS IMAGES POD LABELS).
import { describe, expect, it } from 'vitest';
import type { PodTemplate } from '../../pkg/api/types.js';
import { core } from '../../pkg/client/rest-client.js';
import { failure } from '../helpers/control-plane.js';
import { hasKubectl, kubectlControlPlane } from '../helpers/kubectl.js';

const PodTemplates = core('podtemplates');
const k = kubectlControlPlane();

const template = (name: string, spec: Record<string, unknown> = { containers: [{ name: 'app', image: 'busybox' }] }) => ({
  apiVersion: 'v1',
  kind: 'PodTemplate',
  metadata: { name },
  template: { metadata: { labels: { tier: 'web', app: 'shop' } }, spec },
});

describe.skipIf(!hasKubectl)('core/v1 PodTemplate', () => {
  it('is created with the pod spec defaults, and its generation follows the template only', async () => {
    const cp = k.cp;
    const created = (await cp.admin.create(PodTemplates, 'default', template('web'))) as PodTemplate;
    expect(created.metadata?.generation).toBe(1);
    expect(created.template?.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, containers: [{ name: 'app', imagePullPolicy: 'Always', terminationMessagePath: '/dev/termination-log' }] });
    const labelled = await cp.admin.patch(PodTemplates, 'default', 'web', { metadata: { labels: { owner: 'me' } } });
    expect(labelled.metadata?.generation).toBe(1);
    const changed = await cp.admin.patch(PodTemplates, 'default', 'web', { template: { spec: { containers: [{ name: 'app', image: 'busybox:2' }] } } });
    expect(changed.metadata?.generation).toBe(2);
  });

  it('is validated as a pod template, with the field paths under template', async () => {
    const cp = k.cp;
    const empty = await failure(cp.admin.create(PodTemplates, 'default', template('empty', {})));
    expect(empty.code).toBe(422);
    expect(empty.message).toContain('template.spec.containers: Required value');
    const ephemeral = await failure(cp.admin.create(PodTemplates, 'default', template('eph', { containers: [{ name: 'a', image: 'busybox' }], ephemeralContainers: [{ name: 'dbg', image: 'busybox' }] })));
    expect(ephemeral.message).toContain('template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template');
    const badLabel = await failure(cp.admin.create(PodTemplates, 'default', { ...template('lbl'), template: { metadata: { labels: { 'a b': 'x' } }, spec: { containers: [{ name: 'a', image: 'busybox' }] } } }));
    // (ValidatePodTemplateSpec reports a template's labels at template.labels, not under metadata)
    expect(badLabel.message).toContain('template.labels: Invalid value: "a b"');
    expect(badLabel.message).not.toContain('template.metadata.labels');
    const unknown = await failure(cp.admin.create(PodTemplates, 'default', { ...template('unk'), spec: {} }));
    expect(unknown.code).toBe(400);
    expect(unknown.message).toContain('unknown field "spec"');
    // a job-style template is fine here: PodTemplates take any restartPolicy
    await cp.admin.create(PodTemplates, 'default', template('once', { restartPolicy: 'Never', containers: [{ name: 'a', image: 'busybox' }] }));
  });

  it('works with kubectl: apply, get with its columns, explain, delete', async () => {
    const manifest = JSON.stringify(template('from-kubectl', { containers: [{ name: 'a', image: 'busybox' }, { name: 'b', image: 'nginx:1' }] }));
    expect((await k.kubectlIn(manifest, 'apply', '-f', '-')).trim()).toBe('podtemplate/from-kubectl created');
    const table = (await k.kubectl('get', 'podtemplates', 'from-kubectl')).trimEnd().split('\n');
    expect(table.map((l) => l.split(/\s{2,}/))).toEqual([
      ['NAME', 'CONTAINERS', 'IMAGES', 'POD LABELS'],
      ['from-kubectl', 'a,b', 'busybox,nginx:1', 'app=shop,tier=web'],
    ]);
    expect(await k.kubectl('explain', 'podtemplate.template')).toContain('PodTemplateSpec');
    expect((await k.kubectl('delete', 'podtemplate', 'from-kubectl')).trim()).toBe('podtemplate "from-kubectl" deleted');
  });
});
