import { describe, expect, it } from 'vitest';
import { defaultReplicationController } from './defaults-apps.js';
import type { ReplicationController } from './types.js';
import { validateReplicationController, validateReplicationControllerStatus, validateReplicationControllerUpdate } from './validation-replication.js';

const rc = (extra: Partial<NonNullable<ReplicationController['spec']>> = {}): ReplicationController => ({
  metadata: { name: 'web', namespace: 'default' },
  spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'File' }], restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' } }, ...extra },
});
const messages = (o: ReplicationController) => validateReplicationController(o).map((e) => `${e.field}: ${e.type}`);

describe('defaultReplicationController', () => {
  it('takes an empty selector and empty labels from the template labels, and replicas 1', () => {
    const d = defaultReplicationController(rc());
    expect(d.spec?.selector).toEqual({ app: 'web' });
    expect(d.metadata?.labels).toEqual({ app: 'web' });
    expect(d.spec?.replicas).toBe(1);
  });
  it('keeps a given selector, labels and replicas (0 included)', () => {
    const d = defaultReplicationController({ ...rc({ selector: { app: 'web' }, replicas: 0 }), metadata: { name: 'web', labels: { team: 'a' } } });
    expect(d.metadata?.labels).toEqual({ team: 'a' });
    expect(d.spec).toMatchObject({ selector: { app: 'web' }, replicas: 0 });
  });
  it('without template labels leaves the selector empty', () => {
    const o = rc();
    delete o.spec!.template!.metadata;
    expect(defaultReplicationController(o).spec?.selector).toBeUndefined();
  });
});

describe('validateReplicationController', () => {
  it('accepts a defaulted controller', () => {
    expect(messages(defaultReplicationController(rc()))).toEqual([]);
  });
  it('requires a non-empty selector and a template, and the selector to select the template labels', () => {
    expect(messages(rc())).toEqual(['spec.selector: FieldValueRequired']);
    expect(messages({ ...rc(), spec: { selector: { app: 'web' } } })).toEqual(['spec.template: FieldValueRequired']);
    expect(messages(rc({ selector: { app: 'web', tier: 'x' } }))).toEqual(['spec.template.metadata.labels: FieldValueInvalid']);
  });
  it('refuses negative counts and a template a controller cannot run', () => {
    const o = rc({ selector: { app: 'web' }, replicas: -1, minReadySeconds: -1 });
    o.spec!.template!.spec!.restartPolicy = 'OnFailure';
    o.spec!.template!.spec!.activeDeadlineSeconds = 5;
    expect(messages(o).sort()).toEqual(['spec.minReadySeconds: FieldValueInvalid', 'spec.replicas: FieldValueInvalid', 'spec.template.spec.activeDeadlineSeconds: FieldValueForbidden', 'spec.template.spec.restartPolicy: FieldValueNotSupported']);
  });
  it('lets an update change the selector', () => {
    const old = { ...rc({ selector: { app: 'web' } }), metadata: { name: 'web', namespace: 'default', resourceVersion: '1' } };
    const next = structuredClone(old);
    next.spec!.selector = { app: 'web', tier: 'x' };
    next.spec!.template!.metadata!.labels = { app: 'web', tier: 'x' };
    expect(validateReplicationControllerUpdate(next, old)).toEqual([]);
  });
});

describe('validateReplicationControllerStatus', () => {
  it('keeps every count within status.replicas and available within ready', () => {
    expect(validateReplicationControllerStatus({ status: { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 2, availableReplicas: 1 } })).toEqual([]);
    const errs = validateReplicationControllerStatus({ status: { replicas: 1, fullyLabeledReplicas: 2, readyReplicas: 1, availableReplicas: 2, observedGeneration: -1 } });
    expect(errs.map((e) => `${e.field}: ${e.detail}`)).toEqual([
      'status.observedGeneration: must be greater than or equal to 0',
      'status.fullyLabeledReplicas: cannot be greater than status.replicas',
      'status.availableReplicas: cannot be greater than status.replicas',
      'status.availableReplicas: cannot be greater than readyReplicas',
    ]);
  });
});
