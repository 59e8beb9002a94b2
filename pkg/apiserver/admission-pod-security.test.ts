// The PodSecurity admission plugin against fake namespace and pod lookups: defaults and
// exemptions of its configuration, and the configuration file that sets them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/types.js';
import type { AdmissionRequest } from './admission.js';
import { loadAdmissionConfig, parsePodSecurityConfiguration } from './admission-config.js';
import { podSecurityAdmission, type PodSecurityConfig } from './admission-pod-security.js';
import { deployments, namespaces, pods } from './registry/resources.js';
import { ApiError } from './errors.js';

const nsObjects: Record<string, KubeObject> = {
  plain: { metadata: { name: 'plain' } },
  strict: { metadata: { name: 'strict', labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } },
};
const podsIn: Record<string, KubeObject[]> = {
  plain: [{ metadata: { name: 'host' }, spec: { hostNetwork: true, containers: [{ name: 'c' }] } }],
};
const plugin = (config?: PodSecurityConfig) => podSecurityAdmission({ namespace: async (n) => nsObjects[n], pods: (ns) => podsIn[ns] ?? [] }, config);

const privileged = { containers: [{ name: 'c', image: 'busybox', securityContext: { privileged: true } }] };
function request(namespace: string, spec: Record<string, unknown> = privileged, user = 'alice', resource = pods): AdmissionRequest {
  const obj = resource === pods ? { metadata: { name: 'p', namespace }, spec } : { metadata: { name: 'p', namespace }, spec: { template: { spec } } };
  return { operation: 'CREATE', resource, name: 'p', namespace, obj: obj as KubeObject, ctx: { user: { name: user, groups: [] }, dryRun: false, fieldValidation: 'Strict', warnings: [] } };
}
async function outcome(p: ReturnType<typeof plugin>, req: AdmissionRequest): Promise<string> {
  try {
    await p.validate!(req);
  } catch (e) {
    if (e instanceof ApiError) return `${e.code} ${e.message}`;
    throw e;
  }
  return req.ctx.warnings.length ? `warned: ${req.ctx.warnings.join(' | ')}` : 'admitted';
}

const REFUSED = '403 pods "p" is forbidden: violates PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)';

describe('PodSecurity admission plugin', () => {
  it('checks a pod update again when it changes a seccomp annotation, as well as an image', async () => {
    const old = request('strict').obj!;
    const update = (annotations: Record<string, string>): AdmissionRequest => ({ ...request('strict'), operation: 'UPDATE', obj: { ...old, metadata: { ...old.metadata, annotations } }, old });
    expect(await outcome(plugin(), update({ team: 'a' }))).toBe('admitted');
    expect(await outcome(plugin(), update({ 'container.seccomp.security.alpha.kubernetes.io/c': 'runtime/default' }))).toBe(REFUSED);
  });

  it('admits anything in unlabelled namespaces and refuses by the labels', async () => {
    expect(await outcome(plugin(), request('plain'))).toBe('admitted');
    expect(await outcome(plugin(), request('strict'))).toBe(REFUSED);
    expect(await outcome(plugin(), request('strict', privileged, 'alice', deployments))).toBe('warned: would violate PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)');
  });

  it('applies configured defaults to unlabelled namespaces', async () => {
    const config = parsePodSecurityConfiguration({ apiVersion: 'pod-security.admission.config.k8s.io/v1', kind: 'PodSecurityConfiguration', defaults: { enforce: 'baseline', warn: 'restricted', 'warn-version': 'v1.30' } });
    expect(await outcome(plugin(config), request('plain'))).toBe(REFUSED);
    const plain = await outcome(plugin(config), request('plain', { containers: [{ name: 'c', image: 'busybox' }] }));
    expect(plain).toMatch(/^warned: would violate PodSecurity "restricted:v1.30": allowPrivilegeEscalation != false/);
  });

  it('exempts usernames, namespaces and runtime classes', async () => {
    const p = plugin({ exemptions: { usernames: ['ci-bot'], namespaces: ['strict'], runtimeClasses: ['kata'] } });
    expect(await outcome(p, request('strict'))).toBe('admitted');
    const q = plugin({ exemptions: { usernames: ['ci-bot'], runtimeClasses: ['kata'] } });
    expect(await outcome(q, request('strict', privileged, 'ci-bot'))).toBe('admitted');
    expect(await outcome(q, request('strict', { ...privileged, runtimeClassName: 'kata' }))).toBe('admitted');
    expect(await outcome(q, request('strict', { ...privileged, runtimeClassName: 'runc' }))).toBe(REFUSED);
  });

  it('warns that an exempt namespace\'s labels are ignored, and checks existing pods of others', async () => {
    const labelled = { metadata: { name: 'plain', labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/audit': 'baseline' } } };
    const update = (p: ReturnType<typeof plugin>) => {
      const req: AdmissionRequest = { operation: 'UPDATE', resource: namespaces, name: 'plain', obj: labelled as KubeObject, old: nsObjects.plain, ctx: { user: { name: 'a', groups: [] }, dryRun: true, fieldValidation: 'Strict', warnings: [] } };
      return outcome(p, req);
    };
    expect(await update(plugin({ exemptions: { namespaces: ['plain'] } }))).toBe('warned: namespace "plain" is exempt from Pod Security, and the policy (enforce=restricted:latest, audit=baseline:latest) will be ignored');
    expect(await update(plugin())).toBe(
      'warned: existing pods in namespace "plain" violate the new PodSecurity enforce level "restricted:latest" | host: host namespaces, allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile',
    );
  });

  it('reads the PodSecurity entry of an AdmissionConfiguration file, inline or by path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tskube-psa-'));
    try {
      const file = join(dir, 'admission.yaml');
      writeFileSync(
        file,
        `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults:
      enforce: baseline
      enforce-version: v1.29
    exemptions:
      usernames: [ci-bot]
      namespaces: [kube-system]
`,
      );
      const conf = loadAdmissionConfig(file).podSecurity!;
      expect(conf.defaults!.enforce).toEqual({ level: 'baseline', version: { latest: false, minor: 29 } });
      expect(conf.defaults!.warn).toEqual({ level: 'privileged', version: { latest: true } });
      expect(conf.exemptions).toEqual({ usernames: ['ci-bot'], runtimeClasses: [], namespaces: ['kube-system'] });
      writeFileSync(join(dir, 'psa.yaml'), 'apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults:\n  audit: strict\n');
      writeFileSync(file, 'apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  path: psa.yaml\n');
      expect(() => loadAdmissionConfig(file)).toThrow('defaults.audit: Invalid value: "strict": must be one of privileged, baseline, restricted');
      writeFileSync(file, 'apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins: []\n');
      expect(loadAdmissionConfig(file)).toEqual({});
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
