import { describe, expect, it } from 'vitest';
import { applyAppArmorVersionSkew, validateAppArmorAnnotationUpdate } from './apparmor-skew.js';
import type { Pod } from './types.js';
import { validatePodUpdate } from './validation-pod.js';

const KEY = 'container.apparmor.security.beta.kubernetes.io/';
const warning = (c: string) => `metadata.annotations[${KEY}${c}]: deprecated since v1.30; use the "appArmorProfile" field instead`;

describe('applyAppArmorVersionSkew', () => {
  it('turns an annotation into the container field, with the deprecation warning (PodSecurity then names the container)', () => {
    const pod: Pod = { metadata: { annotations: { [`${KEY}c`]: 'unconfined', [`${KEY}d`]: 'localhost/my-profile' } }, spec: { containers: [{ name: 'c' }, { name: 'd' }] } };
    expect(applyAppArmorVersionSkew(pod)).toEqual([warning('c'), warning('d')]);
    expect(pod.spec!.containers!.map((c) => c.securityContext?.appArmorProfile)).toEqual([{ type: 'Unconfined' }, { type: 'Localhost', localhostProfile: 'my-profile' }]);
  });

  it('gives a container with a field, its own or the pod’s, the annotation (1.32 still writes both)', () => {
    const pod: Pod = {
      spec: {
        securityContext: { appArmorProfile: { type: 'RuntimeDefault' } },
        initContainers: [{ name: 'i', securityContext: { appArmorProfile: { type: 'Localhost', localhostProfile: 'p' } } }],
        containers: [{ name: 'c' }, { name: 'u', securityContext: { appArmorProfile: { type: 'Unconfined' } } }],
      },
    };
    expect(applyAppArmorVersionSkew(pod)).toEqual([]);
    expect(pod.metadata!.annotations).toEqual({ [`${KEY}i`]: 'localhost/p', [`${KEY}c`]: 'runtime/default', [`${KEY}u`]: 'unconfined' });
    expect(pod.spec!.containers![0]!.securityContext).toBeUndefined();
  });

  it('leaves a field that is set, an annotation equal to the pod profile, and windows pods alone; warns of an annotation no field comes from', () => {
    const pod: Pod = {
      metadata: { annotations: { [`${KEY}a`]: 'runtime/default', [`${KEY}b`]: 'unconfined', [`${KEY}c`]: 'bogus', [`${KEY}d`]: 'localhost/' } },
      spec: {
        securityContext: { appArmorProfile: { type: 'RuntimeDefault' } },
        containers: [{ name: 'a' }, { name: 'b', securityContext: { appArmorProfile: { type: 'RuntimeDefault' } } }, { name: 'c' }, { name: 'd' }],
      },
    };
    expect(applyAppArmorVersionSkew(pod)).toEqual([warning('c'), warning('d')]);
    expect(pod.spec!.containers!.map((c) => c.securityContext?.appArmorProfile)).toEqual([undefined, { type: 'RuntimeDefault' }, undefined, undefined]);
    const windows: Pod = { metadata: { annotations: { [`${KEY}c`]: 'unconfined' } }, spec: { os: { name: 'windows' }, containers: [{ name: 'c' }] } };
    expect(applyAppArmorVersionSkew(windows)).toEqual([]);
    expect(windows.spec!.containers![0]!.securityContext).toBeUndefined();
  });
});

describe('validateAppArmorAnnotationUpdate', () => {
  it('refuses adding, changing or removing an AppArmor annotation, and lets other annotations change', () => {
    const pod = (annotations: Record<string, string>): Pod => ({ metadata: { annotations }, spec: { containers: [{ name: 'c' }, { name: 'd' }] } });
    const old = pod({ [`${KEY}c`]: 'runtime/default', team: 'a' });
    expect(validateAppArmorAnnotationUpdate(pod({ [`${KEY}c`]: 'runtime/default', team: 'b' }), old)).toEqual([]);
    expect(validateAppArmorAnnotationUpdate(pod({ [`${KEY}c`]: 'unconfined', [`${KEY}d`]: 'unconfined' }), old).map((e) => [e.field, e.detail])).toEqual([
      [`metadata.annotations[${KEY}c]`, 'may not remove or update AppArmor annotations'],
      [`metadata.annotations[${KEY}d]`, 'may not add AppArmor annotations'],
    ]);
    expect(validateAppArmorAnnotationUpdate(pod({}), old).map((e) => e.type)).toEqual(['FieldValueForbidden']);
    // (a pod update is refused for it, as ValidatePodUpdate does)
    const stored: Pod = { metadata: { name: 'p', namespace: 'ns', resourceVersion: '1', annotations: { [`${KEY}c`]: 'runtime/default' } }, spec: { containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'Always', terminationMessagePolicy: 'File' }] } };
    const replaced: Pod = { ...stored, metadata: { ...stored.metadata, annotations: {} } };
    expect(validatePodUpdate(replaced, stored).map((e) => `${e.field}: ${e.detail}`)).toContain(`metadata.annotations[${KEY}c]: may not remove or update AppArmor annotations`);
  });
});
