// Pod Security admission with the stock kubectl against the real apiserver and etcd (no node is
// needed): `kubectl label ns` prints the existing-pod warnings (with --dry-run=server too),
// `kubectl run` prints the forbidden error of an enforced level and the `Warning:` lines of a
// warned one, `kubectl create deployment` is warned about but created, and a bad label value is
// refused with Kubernetes' message.
import { describe, expect, it } from 'vitest';
import { ServiceAccounts } from '../../pkg/client/rest-client.js';
import { eventually } from '../helpers/control-plane.js';
import { hasKubectl, kubectlControlPlane } from '../helpers/kubectl.js';

const ctl = kubectlControlPlane();
const kubectl = (...args: string[]) => ctl.run(args);
const ok = ctl.kubectl;

const RESTRICTED =
  'allowPrivilegeEscalation != false (container "web" must set securityContext.allowPrivilegeEscalation=false), ' +
  'unrestricted capabilities (container "web" must set securityContext.capabilities.drop=["ALL"]), ' +
  'runAsNonRoot != true (pod or container "web" must set securityContext.runAsNonRoot=true), ' +
  'seccompProfile (pod or container "web" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")';

describe.skipIf(!hasKubectl)('kubectl and Pod Security admission', () => {
  it('prints warnings and forbidden errors as kubectl does against Kubernetes', async () => {
    expect(await ok('create', 'namespace', 'psa')).toBe('namespace/psa created\n');
    await eventually(() => ctl.cp.admin.get(ServiceAccounts, 'psa', 'default'), { what: 'the default ServiceAccount' });
    const overrides = JSON.stringify({ spec: { containers: [{ name: 'p1', image: 'busybox', securityContext: { privileged: true } }] } });
    expect(await ok('run', 'p1', '-n', 'psa', '--image=busybox', `--overrides=${overrides}`)).toBe('pod/p1 created\n');

    const dry = await kubectl('label', '--dry-run=server', 'ns', 'psa', 'pod-security.kubernetes.io/enforce=baseline');
    expect(dry.code).toBe(0);
    expect(dry.out).toBe('namespace/psa labeled (server dry run)\n');
    expect(dry.err).toBe('Warning: existing pods in namespace "psa" violate the new PodSecurity enforce level "baseline:latest"\nWarning: p1: privileged\n');

    const label = await kubectl('label', 'ns', 'psa', 'pod-security.kubernetes.io/enforce=baseline', 'pod-security.kubernetes.io/warn=restricted');
    expect(label.code).toBe(0);
    expect(label.err).toContain('Warning: p1: privileged\n');

    const refused = await kubectl('run', 'p2', '-n', 'psa', '--image=busybox', `--overrides=${overrides.replaceAll('p1', 'p2')}`);
    expect(refused.code).toBe(1);
    expect(refused.err).toBe('Error from server (Forbidden): pods "p2" is forbidden: violates PodSecurity "baseline:latest": privileged (container "p2" must not set securityContext.privileged=true)\n');

    const warned = await kubectl('run', 'web', '-n', 'psa', '--image=busybox');
    expect(warned.code).toBe(0);
    expect(warned.out).toBe('pod/web created\n');
    expect(warned.err).toBe(`Warning: would violate PodSecurity "restricted:latest": ${RESTRICTED}\n`);

    const deploy = await kubectl('create', 'deployment', 'web', '-n', 'psa', '--image=busybox');
    expect(deploy.code).toBe(0);
    expect(deploy.out).toBe('deployment.apps/web created\n');
    expect(deploy.err).toBe(`Warning: would violate PodSecurity "restricted:latest": ${RESTRICTED.replaceAll('"web"', '"busybox"')}\n`);

    const bad = await kubectl('label', '--overwrite', 'ns', 'psa', 'pod-security.kubernetes.io/enforce=strict');
    expect(bad.code).toBe(1);
    expect(bad.err).toBe('The Namespace "psa" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted\n');
  });
});
