// The PodSecurity admission plugin against the real apiserver and etcd: namespaces labelled
// `pod-security.kubernetes.io/enforce|warn` refuse or warn about pods with Kubernetes' exact
// messages, workloads get warnings only, invalid labels are refused, version labels pick the
// checks of that version, and a namespace whose enforce level gets stricter warns about the pods
// already in it (dry-run too). Warning headers are read from raw HTTP responses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Namespaces, Pods, ServiceAccounts, type RestClient } from '../../pkg/client/rest-client.js';
import { callWithWarnings, eventually, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
let admin: RestClient;

beforeAll(async () => {
  cp = await startControlPlane();
  admin = cp.admin;
});
afterAll(async () => {
  await cp?.stop(true);
});

/** One request as the admin, with the response's Warning headers decoded. */
const call = (method: string, path: string, body?: unknown, contentType = 'application/json') => callWithWarnings(cp, method, path, body, contentType);

const PSA = 'pod-security.kubernetes.io/';

async function namespace(name: string, labels: Record<string, string>): Promise<void> {
  const r = await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  expect(r.code, JSON.stringify(r.body)).toBe(201);
  await eventually(() => admin.get(ServiceAccounts, name, 'default'), { what: `the default ServiceAccount of ${name}` });
}

const container = (extra: Record<string, unknown> = {}) => ({ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'], ...extra });
const podBody = (name: string, spec: Record<string, unknown> = {}, c: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [container(c)], ...spec } });
const createPod = (ns: string, body: unknown, query = '') => call('POST', `/api/v1/namespaces/${ns}/pods${query}`, body);
const privilegedPod = (name: string) => podBody(name, {}, { securityContext: { privileged: true } });
const compliant = (name: string) =>
  podBody(name, { securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } } }, { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } });

const RESTRICTED_PLAIN =
  'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ' +
  'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ' +
  'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ' +
  'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")';

describe('PodSecurity admission', () => {
  it('leaves unlabelled namespaces privileged', async () => {
    await namespace('psa-open', {});
    const r = await createPod('psa-open', { ...privilegedPod('p'), spec: { ...privilegedPod('p').spec, hostNetwork: true } });
    expect(r.code).toBe(201);
    expect(r.warnings).toEqual([]);
  });

  it('enforce=baseline refuses a privileged pod with Kubernetes\' message', async () => {
    await namespace('psa-baseline', { [`${PSA}enforce`]: 'baseline' });
    const r = await createPod('psa-baseline', privilegedPod('priv'));
    expect(r.code).toBe(403);
    expect(r.body).toMatchObject({ reason: 'Forbidden', details: { name: 'priv', kind: 'pods' } });
    expect(r.body.message).toBe('pods "priv" is forbidden: violates PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)');
    // (a dry run is refused alike; a plain pod is fine at baseline)
    expect((await createPod('psa-baseline', privilegedPod('priv'), '?dryRun=All')).code).toBe(403);
    const ok = await createPod('psa-baseline', podBody('plain'));
    expect(ok.code).toBe(201);
    expect(ok.warnings).toEqual([]);
  });

  it('enforce=restricted refuses a plain busybox pod and admits a compliant one', async () => {
    await namespace('psa-restricted', { [`${PSA}enforce`]: 'restricted' });
    const r = await createPod('psa-restricted', podBody('plain'));
    expect(r.code).toBe(403);
    expect(r.body.message).toBe(`pods "plain" is forbidden: violates PodSecurity "restricted:latest": ${RESTRICTED_PLAIN}`);
    const ok = await createPod('psa-restricted', compliant('good'));
    expect(ok.code, JSON.stringify(ok.body)).toBe(201);
    expect(ok.warnings).toEqual([]);
  });

  it('checks significant pod updates and ephemeral containers, not status or label changes', async () => {
    await namespace('psa-updates', {});
    expect((await createPod('psa-updates', privilegedPod('old'))).code).toBe(201);
    const relabel = await call('PATCH', `/api/v1/namespaces/psa-updates`, { metadata: { labels: { [`${PSA}enforce`]: 'baseline' } } }, 'application/merge-patch+json');
    expect(relabel.code).toBe(200);
    // a label change of the existing privileged pod is not significant; an image change is
    const label = await call('PATCH', '/api/v1/namespaces/psa-updates/pods/old', { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json');
    expect(label.code, JSON.stringify(label.body)).toBe(200);
    const image = await call('PATCH', '/api/v1/namespaces/psa-updates/pods/old', { spec: { containers: [{ name: 'c', image: 'busybox:1.37' }] } }, 'application/strategic-merge-patch+json');
    expect(image.code).toBe(403);
    expect(image.body.message).toBe('pods "old" is forbidden: violates PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)');
    const status = await call('PATCH', '/api/v1/namespaces/psa-updates/pods/old/status', { status: { message: 'hi' } }, 'application/merge-patch+json');
    expect(status.code, JSON.stringify(status.body)).toBe(200);
    // a privileged ephemeral container in a fine pod is refused through pods/ephemeralcontainers
    expect((await createPod('psa-updates', podBody('fine'))).code).toBe(201);
    const eph = await call(
      'PATCH',
      '/api/v1/namespaces/psa-updates/pods/fine/ephemeralcontainers',
      { spec: { ephemeralContainers: [{ name: 'debug', image: 'busybox:1.36', securityContext: { privileged: true } }] } },
      'application/strategic-merge-patch+json',
    );
    expect(eph.code, JSON.stringify(eph.body)).toBe(403);
    expect(eph.body.message).toBe('pods "fine" is forbidden: violates PodSecurity "baseline:latest": privileged (container "debug" must not set securityContext.privileged=true)');
  });

  it('warn gives Warning headers and creates the pod', async () => {
    await namespace('psa-warn', { [`${PSA}warn`]: 'restricted', [`${PSA}enforce`]: 'baseline' });
    const r = await createPod('psa-warn', podBody('plain'));
    expect(r.code).toBe(201);
    expect(r.warnings).toEqual([`would violate PodSecurity "restricted:latest": ${RESTRICTED_PLAIN}`]);
  });

  it('sees a deprecated AppArmor annotation as the container field the pod strategy makes of it, and stores both', async () => {
    await namespace('psa-apparmor', { [`${PSA}enforce`]: 'baseline' });
    const KEY = 'container.apparmor.security.beta.kubernetes.io/c';
    const annotated = { ...podBody('annotated'), metadata: { name: 'annotated', annotations: { [KEY]: 'unconfined' } } };
    const r = await createPod('psa-apparmor', annotated);
    expect(r.code).toBe(403);
    expect(r.warnings).toEqual([`metadata.annotations[${KEY}]: deprecated since v1.30; use the "appArmorProfile" field instead`]);
    expect(r.body.message).toBe(
      `pods "annotated" is forbidden: violates PodSecurity "baseline:latest": forbidden AppArmor profiles (container "c" and annotation must not set AppArmor profile type to "Unconfined", "${KEY}="unconfined"")`,
    );
    const ok = await createPod('psa-apparmor', { ...podBody('fielded'), metadata: { name: 'fielded' } , spec: { containers: [container({ securityContext: { appArmorProfile: { type: 'RuntimeDefault' } } })] } });
    expect(ok.code, JSON.stringify(ok.body)).toBe(201);
    expect(ok.warnings).toEqual([]);
    expect(ok.body.metadata?.annotations).toEqual({ [KEY]: 'runtime/default' });
  });

  it('warns about, but never refuses, workloads with pod templates', async () => {
    const template = { metadata: { labels: { app: 'w' } }, spec: { containers: [container()] } };
    const deploy = await call('POST', '/apis/apps/v1/namespaces/psa-restricted/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { selector: { matchLabels: { app: 'w' } }, template },
    });
    expect(deploy.code, JSON.stringify(deploy.body)).toBe(201);
    expect(deploy.warnings).toEqual([`would violate PodSecurity "restricted:latest": ${RESTRICTED_PLAIN}`]);
    const cron = await call('POST', '/apis/batch/v1/namespaces/psa-restricted/cronjobs', {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'cj' },
      spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [container({ securityContext: { privileged: true } })] } } } } },
    });
    expect(cron.code, JSON.stringify(cron.body)).toBe(201);
    expect(cron.warnings).toHaveLength(1);
    expect(cron.warnings[0]).toContain('would violate PodSecurity "restricted:latest": privileged (container "c" must not set securityContext.privileged=true), allowPrivilegeEscalation != false');
    // (no warnings where only enforce is privileged)
    const open = await call('POST', '/apis/apps/v1/namespaces/psa-open/deployments', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'w' } }, template } });
    expect(open.code).toBe(201);
    expect(open.warnings).toEqual([]);
  });

  it('warns about existing pods when the enforce level gets stricter, in dry runs too', async () => {
    await namespace('psa-existing', {});
    for (const n of ['p3', 'p1', 'p2']) expect((await createPod('psa-existing', privilegedPod(n))).code).toBe(201);
    expect((await createPod('psa-existing', { ...podBody('host'), spec: { ...podBody('host').spec, hostPID: true } })).code).toBe(201);
    const label = { metadata: { labels: { [`${PSA}enforce`]: 'baseline' } } };
    const expected = [
      'existing pods in namespace "psa-existing" violate the new PodSecurity enforce level "baseline:latest"',
      'host: host namespaces',
      'p1 (and 2 other pods): privileged',
    ];
    const dry = await call('PATCH', '/api/v1/namespaces/psa-existing?dryRun=All', label, 'application/merge-patch+json');
    expect(dry.code).toBe(200);
    expect(dry.warnings).toEqual(expected);
    expect((await admin.get<{ metadata: { labels?: Record<string, string> } }>(Namespaces, undefined, 'psa-existing')).metadata.labels?.[`${PSA}enforce`]).toBeUndefined();
    const real = await call('PATCH', '/api/v1/namespaces/psa-existing', label, 'application/merge-patch+json');
    expect(real.code).toBe(200);
    expect(real.warnings).toEqual(expected);
    // the same level again, or a looser one, is not checked
    const again = await call('PATCH', '/api/v1/namespaces/psa-existing', { metadata: { labels: { other: 'x' } } }, 'application/merge-patch+json');
    expect(again.warnings).toEqual([]);
    const restricted = await call('PATCH', '/api/v1/namespaces/psa-existing', { metadata: { labels: { [`${PSA}enforce`]: 'restricted' } } }, 'application/merge-patch+json');
    expect(restricted.warnings).toEqual([
      'existing pods in namespace "psa-existing" violate the new PodSecurity enforce level "restricted:latest"',
      'host: host namespaces, allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile',
      'p1 (and 2 other pods): privileged, allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile',
    ]);
  });

  it('refuses invalid label values with Kubernetes\' 422s', async () => {
    const bad = await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'psa-bad', labels: { [`${PSA}enforce`]: 'strict' } } });
    expect(bad.code).toBe(422);
    expect(bad.body.message).toBe('Namespace "psa-bad" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted');
    const badVersion = await call('PATCH', '/api/v1/namespaces/psa-open', { metadata: { labels: { [`${PSA}enforce`]: 'baseline', [`${PSA}enforce-version`]: 'v1' } } }, 'application/merge-patch+json');
    expect(badVersion.code).toBe(422);
    expect(badVersion.body.message).toBe('Namespace "psa-open" is invalid: metadata.labels[pod-security.kubernetes.io/enforce-version]: Invalid value: "v1": must be "latest" or "v1.x"');
    const two = await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'psa-bad', labels: { [`${PSA}audit`]: 'x', [`${PSA}warn-version`]: '1.25' } } });
    expect(two.code).toBe(422);
    expect(two.body.message).toBe(
      'Namespace "psa-bad" is invalid: [metadata.labels[pod-security.kubernetes.io/audit]: Invalid value: "x": must be one of privileged, baseline, restricted, metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "1.25": must be "latest" or "v1.x"]',
    );
  });

  it('picks the checks of the version label', async () => {
    // runAsUser=0 is refused by restricted from v1.23 on
    const root = podBody('root', { securityContext: { runAsNonRoot: true, runAsUser: 0, seccompProfile: { type: 'RuntimeDefault' } } }, { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } });
    await namespace('psa-v122', { [`${PSA}enforce`]: 'restricted', [`${PSA}enforce-version`]: 'v1.22' });
    expect((await createPod('psa-v122', root)).code).toBe(201);
    await namespace('psa-v124', { [`${PSA}enforce`]: 'restricted', [`${PSA}enforce-version`]: 'v1.24' });
    const r = await createPod('psa-v124', root);
    expect(r.code).toBe(403);
    expect(r.body.message).toBe('pods "root" is forbidden: violates PodSecurity "restricted:v1.24": runAsUser=0 (pod must not set runAsUser=0)');
    await namespace('psa-latest', { [`${PSA}enforce`]: 'restricted', [`${PSA}enforce-version`]: 'latest' });
    expect((await createPod('psa-latest', root)).body.message).toBe('pods "root" is forbidden: violates PodSecurity "restricted:latest": runAsUser=0 (pod must not set runAsUser=0)');
  });
});

describe('PodSecurity configuration (--admission-control-config-file)', () => {
  it('applies its defaults to unlabelled namespaces and skips exempt ones', async () => {
    const other = await startControlPlane({
      podSecurity: {
        defaults: { enforce: { level: 'baseline', version: { latest: true } }, audit: { level: 'privileged', version: { latest: true } }, warn: { level: 'privileged', version: { latest: true } } },
        exemptions: { namespaces: ['kube-system'] },
      },
    });
    try {
      const priv = privilegedPod('priv');
      await expect(other.admin.create(Pods, 'default', priv)).rejects.toThrow('pods "priv" is forbidden: violates PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)');
      await eventually(() => other.admin.get(ServiceAccounts, 'kube-system', 'default'), { what: 'the default ServiceAccount of kube-system' });
      await expect(other.admin.create(Pods, 'kube-system', priv)).resolves.toMatchObject({ metadata: { name: 'priv' } });
    } finally {
      await other.stop(true);
    }
  });
});
