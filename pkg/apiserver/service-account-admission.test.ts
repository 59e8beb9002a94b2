import { describe, expect, it } from 'vitest';
import type { KubeObject, Pod, ServiceAccount } from '../api/types.js';
import { defaultPod } from '../api/defaults.js';
import { validatePod } from '../api/validation.js';
import { ApiError } from './errors.js';
import { applyServiceAccount, ServiceAccountAdmission, TOKEN_MOUNT_PATH } from './service-account-admission.js';

const gen = (p: string) => `${p}abcde`;
const pod = (spec: Record<string, unknown> = {}, meta: Record<string, unknown> = { name: 'web' }): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'team', ...meta }, spec: { containers: [{ name: 'main', image: 'busybox' }], ...spec } }) as Pod;
const mount = { name: 'kube-api-access-abcde', readOnly: true, mountPath: TOKEN_MOUNT_PATH };

/** An admission over fake accounts; `appearAfter` lookups of default return nothing first. */
function admission(accounts: Record<string, ServiceAccount>, appearAfter = 0) {
  let lookups = 0;
  const slept: number[] = [];
  const a = new ServiceAccountAdmission(
    async (_ns, name) => {
      lookups++;
      return lookups > appearAfter ? (accounts[name] as KubeObject | undefined) : undefined;
    },
    async (ms) => void slept.push(ms),
  );
  return { a, slept, lookups: () => lookups };
}

describe('ServiceAccount admission', () => {
  it('runs the pod as default and mounts the token volume exactly as Kubernetes writes it', async () => {
    const p = pod({ initContainers: [{ name: 'init', image: 'busybox' }] });
    const { a } = admission({ default: {} });
    await a.admit(p, 'team');
    expect(p.spec!.serviceAccountName).toBe('default');
    expect(p.spec!.serviceAccount).toBe('default');
    const vol = p.spec!.volumes![0]!;
    expect(vol.name).toMatch(/^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(vol.projected).toEqual({
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
        { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
      ],
    });
    for (const c of [...p.spec!.initContainers!, ...p.spec!.containers!]) expect(c.volumeMounts).toEqual([{ name: vol.name, readOnly: true, mountPath: TOKEN_MOUNT_PATH }]);
    // What admission made passes defaults (unchanged) and validation.
    const defaulted = defaultPod(structuredClone(p));
    expect(defaulted.spec!.volumes).toEqual(p.spec!.volumes);
    expect(validatePod(defaulted)).toEqual([]);
  });

  it('refuses a pod whose service account does not exist: 403 with Kubernetes\' message, by name or generateName', async () => {
    const { a } = admission({ default: {} });
    const err = await a.admit(pod({ serviceAccountName: 'builder' }), 'team').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(403);
    expect((err as ApiError).message).toBe('pods "web" is forbidden: error looking up service account team/builder: serviceaccount "builder" not found');
    const gen = await a.admit(pod({ serviceAccountName: 'builder' }, { generateName: 'web-7d4b9c8f6-' }), 'team').catch((e: unknown) => e as ApiError);
    expect((gen as ApiError).message).toBe('pods "web-7d4b9c8f6-" is forbidden: error looking up service account team/builder: serviceaccount "builder" not found');
  });

  it('waits a little for the default account (its controller may be about to make it), not for others', async () => {
    const late = admission({ default: {} }, 3);
    await late.a.admit(pod(), 'team');
    expect(late.lookups()).toBe(4);
    expect(late.slept).toHaveLength(3);
    const never = admission({}, 0);
    await expect(never.a.admit(pod(), 'team')).rejects.toThrow('serviceaccount "default" not found');
    expect(never.lookups()).toBe(40);
    const other = admission({}, 0);
    await expect(other.a.admit(pod({ serviceAccountName: 'builder' }), 'team')).rejects.toThrow();
    expect(other.lookups()).toBe(1);
  });

  it('the deprecated serviceAccount field names the account too', async () => {
    const p = pod({ serviceAccount: 'builder' });
    await admission({ builder: {} }).a.admit(p, 'team');
    expect(p.spec!.serviceAccountName).toBe('builder');
  });

  it('automountServiceAccountToken: the pod\'s choice wins, then the account\'s', () => {
    const none = (p: Pod) => (applyServiceAccount(p, {}, gen), p.spec!.volumes);
    expect(none(pod({ automountServiceAccountToken: false }))).toBeUndefined();
    const p = pod();
    applyServiceAccount(p, { automountServiceAccountToken: false }, gen);
    expect(p.spec!.volumes).toBeUndefined();
    const q = pod({ automountServiceAccountToken: true });
    applyServiceAccount(q, { automountServiceAccountToken: false }, gen);
    expect(q.spec!.volumes).toHaveLength(1);
  });

  it('leaves containers that mount something at the token path alone; no container in need, no volume', () => {
    const own = [{ name: 'mine', mountPath: TOKEN_MOUNT_PATH }];
    const p = pod({ containers: [{ name: 'a', image: 'x', volumeMounts: own }, { name: 'b', image: 'x' }], volumes: [{ name: 'mine', emptyDir: {} }] });
    applyServiceAccount(p, {}, gen);
    expect(p.spec!.containers!.map((c) => c.volumeMounts)).toEqual([own, [mount]]);
    expect(p.spec!.volumes!.map((v) => v.name)).toEqual(['mine', 'kube-api-access-abcde']);
    const q = pod({ containers: [{ name: 'a', image: 'x', volumeMounts: own }], volumes: [{ name: 'mine', emptyDir: {} }] });
    applyServiceAccount(q, {}, gen);
    expect(q.spec!.volumes!.map((v) => v.name)).toEqual(['mine']);
  });

  it('reuses a kube-api-access volume the pod already has (a pod made from another\'s spec)', () => {
    const p = pod({ volumes: [{ name: 'kube-api-access-zzzzz', emptyDir: {} }] });
    applyServiceAccount(p, {}, gen);
    expect(p.spec!.volumes!.map((v) => v.name)).toEqual(['kube-api-access-zzzzz']);
    expect(p.spec!.containers![0]!.volumeMounts).toEqual([{ ...mount, name: 'kube-api-access-zzzzz' }]);
  });

  it('gives a pod without imagePullSecrets the account\'s, and keeps a pod\'s own', () => {
    const p = pod();
    applyServiceAccount(p, { imagePullSecrets: [{ name: 'registry' }] }, gen);
    expect(p.spec!.imagePullSecrets).toEqual([{ name: 'registry' }]);
    const q = pod({ imagePullSecrets: [{ name: 'mine' }] });
    applyServiceAccount(q, { imagePullSecrets: [{ name: 'registry' }] }, gen);
    expect(q.spec!.imagePullSecrets).toEqual([{ name: 'mine' }]);
  });

  describe('kubernetes.io/enforce-mountable-secrets', () => {
    const enforcing = (annotation = 'true'): ServiceAccount => ({ metadata: { name: 'enf', annotations: { 'kubernetes.io/enforce-mountable-secrets': annotation } }, secrets: [{ name: 'ok' }], imagePullSecrets: [{ name: 'pull' }] });
    const refusal = async (sa: ServiceAccount, spec: Record<string, unknown>) => {
      const { a } = admission({ enf: sa });
      return a.admit(pod({ serviceAccountName: 'enf', ...spec }), 'team').then(
        () => undefined,
        (e: ApiError) => `${e.code} ${e.message}`,
      );
    };
    const env = (secret: string) => ({ containers: [{ name: 'main', image: 'busybox', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: secret, key: 'k' } } }] }] });

    it('lets an account limit its pods to the secrets it lists: volumes, env, envFrom, imagePullSecrets (limitSecretReferences\' words)', async () => {
      expect(await refusal(enforcing(), { volumes: [{ name: 'v', secret: { secretName: 'g4' } }] })).toBe(
        '403 pods "web" is forbidden: volume with secret.secretName="g4" is not allowed because service account enf does not reference that secret',
      );
      expect(await refusal(enforcing(), { initContainers: [{ name: 'i', image: 'busybox', envFrom: [{ secretRef: { name: 'g2' } }] }] })).toBe(
        '403 pods "web" is forbidden: init container i with envFrom referencing secret.secretName="g2" is not allowed because service account enf does not reference that secret',
      );
      expect(await refusal(enforcing(), env('g3'))).toBe(
        '403 pods "web" is forbidden: container main with envVar X referencing secret.secretName="g3" is not allowed because service account enf does not reference that secret',
      );
      expect(await refusal(enforcing(), { imagePullSecrets: [{ name: 'pull' }, { name: 'other' }] })).toBe(
        '403 pods "web" is forbidden: imagePullSecrets[1].name="other" is not allowed because service account enf does not reference that imagePullSecret',
      );
    });

    it('admits what the account lists, the pull secrets it gives, and anything when the annotation is not a true boolean', async () => {
      expect(await refusal(enforcing(), { ...env('ok'), volumes: [{ name: 'v', secret: { secretName: 'ok' } }] })).toBeUndefined();
      expect(await refusal(enforcing('1'), env('g3'))).toMatch(/^403 /);
      expect(await refusal(enforcing('false'), env('g3'))).toBeUndefined();
      expect(await refusal(enforcing('yes'), env('g3'))).toBeUndefined();
    });

    it('holds ephemeral containers added later to the same rule (limitEphemeralContainerSecretReferences)', async () => {
      const { a } = admission({ enf: enforcing(), default: {} });
      const p = pod({ serviceAccountName: 'enf', ephemeralContainers: [{ name: 'debugger', image: 'busybox', env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'g5', key: 'k' } } }] }] });
      await expect(a.admitEphemeral(p, 'team')).rejects.toThrow(
        'pods "web" is forbidden: ephemeral container debugger with envVar T referencing secret.secretName="g5" is not allowed because service account enf does not reference that secret',
      );
      await expect(a.admitEphemeral(pod({ serviceAccountName: 'default', ephemeralContainers: p.spec!.ephemeralContainers }), 'team')).resolves.toBeUndefined();
      await expect(a.admitEphemeral(pod({ serviceAccountName: 'gone' }), 'team')).rejects.toThrow('pods "web" is forbidden: error looking up service account team/gone: serviceaccount "gone" not found');
    });
  });
});
