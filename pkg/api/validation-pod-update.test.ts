import { describe, expect, it } from 'vitest';
import { defaultPod } from './defaults.js';
import type { Pod } from './types.js';
import { validatePodStatusUpdate, validatePodUpdate } from './validation.js';

const base = (): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 80, name: 'http' }] }] },
});

function created(): Pod {
  const p = base();
  p.metadata!.namespace = 'default';
  p.metadata!.uid = 'u1';
  defaultPod(p);
  return p;
}

describe('validatePodUpdate', () => {
  it('allows image changes, deadline decreases and added tolerations', () => {
    const old = created();
    const next = structuredClone(old);
    next.spec!.containers![0].image = 'nginx:1.28';
    next.spec!.activeDeadlineSeconds = 100;
    next.spec!.tolerations!.push({ key: 'x', operator: 'Exists' });
    next.metadata!.labels = { app: 'web', tier: 'front' };
    expect(validatePodUpdate(next, old)).toEqual([]);
  });

  it('forbids other spec changes with the Kubernetes message', () => {
    const old = created();
    const next = structuredClone(old);
    next.spec!.containers![0].ports![0].containerPort = 81;
    const errs = validatePodUpdate(next, old);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ type: 'FieldValueForbidden', field: 'spec' });
    expect(errs[0].detail).toContain('pod updates may not change fields other than `spec.containers[*].image`');
    expect(errs[0].detail).toContain('spec.containers[0].ports[0].containerPort');
  });

  it('forbids adding a container, removing tolerations, raising the deadline and renaming', () => {
    const old = created();
    old.spec!.activeDeadlineSeconds = 50;
    const add = structuredClone(old);
    add.spec!.containers!.push({ name: 'b', image: 'busybox', imagePullPolicy: 'Always', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
    expect(validatePodUpdate(add, old).map((e) => e.field)).toEqual(['spec']);
    const tol = structuredClone(old);
    tol.spec!.tolerations = [];
    expect(validatePodUpdate(tol, old)[0]).toMatchObject({ field: 'spec.tolerations', detail: 'existing toleration can not be modified except its tolerationSeconds' });
    const dl = structuredClone(old);
    dl.spec!.activeDeadlineSeconds = 60;
    expect(validatePodUpdate(dl, old)[0]).toMatchObject({ field: 'spec.activeDeadlineSeconds', detail: 'must be less than or equal to previous value' });
    const rn = structuredClone(old);
    rn.metadata!.name = 'other';
    expect(validatePodUpdate(rn, old)[0]).toMatchObject({ field: 'metadata.name', detail: 'field is immutable' });
  });

  it('forbids changing terminationGracePeriodSeconds, but from a negative value to 1', () => {
    const old = created();
    const next = structuredClone(old);
    next.spec!.terminationGracePeriodSeconds = 7;
    expect(validatePodUpdate(next, old).map((e) => `${e.field} ${e.type}`)).toEqual(['spec FieldValueForbidden']);
    old.spec!.terminationGracePeriodSeconds = -1;
    next.spec!.terminationGracePeriodSeconds = 1;
    expect(validatePodUpdate(next, old).filter((e) => e.field === 'spec')).toEqual([]);
  });

  it('allows changing tolerationSeconds of an existing toleration', () => {
    const old = created();
    const next = structuredClone(old);
    next.spec!.tolerations![0].tolerationSeconds = 10;
    expect(validatePodUpdate(next, old)).toEqual([]);
  });
});

describe('validatePodStatusUpdate', () => {
  it('accepts a running status and rejects bad phases and IPs', () => {
    const old = created();
    const next = structuredClone(old);
    next.status = { phase: 'Running', podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }], hostIP: '192.168.1.2', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: { running: { startedAt: '2024-01-01T00:00:00Z' } } }] };
    expect(validatePodStatusUpdate(next, old)).toEqual([]);
    next.status.phase = 'Sleeping';
    next.status.podIPs = [{ ip: 'nope' }];
    expect(validatePodStatusUpdate(next, old).map((e) => e.field)).toEqual(['status.phase', 'status.podIPs[0].ip', 'status.podIPs[0].ip']);
  });

  it('refuses to leave a terminal phase or restart a terminated container of a Never pod', () => {
    const old = created();
    old.spec!.restartPolicy = 'Never';
    old.status = { phase: 'Failed', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 1 } } }] };
    const next = structuredClone(old);
    next.status = { phase: 'Running', containerStatuses: [{ name: 'app', state: { running: {} } }] };
    const fields = validatePodStatusUpdate(next, old).map((e) => e.field);
    expect(fields).toContain('status.phase');
    expect(fields).toContain('status.containerStatuses[0].state');
  });

  it('refuses an AppArmor annotation added or changed through the status, as an update (ValidatePodSpecificAnnotationUpdates)', () => {
    const old = created();
    const next = structuredClone(old);
    next.metadata!.annotations = { ...next.metadata!.annotations, 'container.apparmor.security.beta.kubernetes.io/app': 'runtime/default' };
    expect(validatePodStatusUpdate(next, old).map((e) => [e.field, e.detail])).toEqual([['metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]', 'may not add AppArmor annotations']]);
  });
});

describe('validatePodUpdate of a gated pod (mutable scheduling directives)', () => {
  const gated = () => {
    const p = created();
    p.spec!.schedulingGates = [{ name: 'example.com/wait' }];
    p.spec!.nodeSelector = { zone: 'a' };
    p.spec!.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }] } } };
    return p;
  };
  it('takes nodeSelector additions and narrower required node affinity, not mutations or deletions', () => {
    const old = gated();
    const next = structuredClone(old);
    next.spec!.nodeSelector = { zone: 'a', rack: '7' };
    next.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms![0]!.matchExpressions!.push({ key: 'gpu', operator: 'Exists' });
    expect(validatePodUpdate(next, old)).toEqual([]);
    const changed = structuredClone(old);
    changed.spec!.nodeSelector = { zone: 'b' };
    expect(validatePodUpdate(changed, old).map((e) => e.detail)).toContain('only additions to spec.nodeSelector are allowed (no mutations or deletions)');
    const dropped = structuredClone(old);
    dropped.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms = [];
    expect(validatePodUpdate(dropped, old).map((e) => e.detail)).toContain('no additions/deletions to non-empty NodeSelectorTerms list are allowed');
    // Once ungated, nothing of them may change.
    const open = structuredClone(old);
    open.spec!.schedulingGates = [];
    const later = structuredClone(open);
    later.spec!.nodeSelector = { zone: 'a', rack: '7' };
    expect(validatePodUpdate(later, open).map((e) => e.field)).toEqual(['spec']);
  });
});
