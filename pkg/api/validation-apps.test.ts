import { describe, expect, it } from 'vitest';
import { defaultDeployment, defaultReplicaSet } from './defaults-apps.js';
import { formatFieldError } from './field-error.js';
import { scaledValue, validateIntOrPercent } from './int-or-percent.js';
import type { Deployment, ReplicaSet } from './types.js';
import { defaultPod } from './defaults.js';
import { validateDeployment, validateDeploymentUpdate, validatePodCreate, validateReplicaSet } from './validation.js';

const messages = (errs: Parameters<typeof formatFieldError>[0][]) => errs.map(formatFieldError);

function dep(spec: Record<string, unknown> = {}): Deployment {
  return defaultDeployment({
    metadata: { name: 'web', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }, ...spec },
  } as Deployment);
}

describe('apps defaults', () => {
  it('fill replicas, strategy, history and deadline, and the template as a pod spec without admission tolerations', () => {
    const d = dep();
    expect(d.spec).toMatchObject({ replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } });
    expect(d.spec!.template!.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler' });
    expect(d.spec!.template!.spec!.containers![0]).toMatchObject({ imagePullPolicy: 'Always', terminationMessagePolicy: 'File' });
    expect(d.spec!.template!.spec!.tolerations).toBeUndefined();
    expect(dep({ strategy: { type: 'Recreate' } }).spec!.strategy).toEqual({ type: 'Recreate' });
    expect(dep({ replicas: 0 }).spec!.replicas).toBe(0);
    const rs = defaultReplicaSet({ metadata: { name: 'r', namespace: 'default' }, spec: {} } as ReplicaSet);
    expect(rs.spec!.replicas).toBe(1);
  });
});

describe('validateDeployment', () => {
  it('accepts a defaulted Deployment', () => {
    expect(validateDeployment(dep())).toEqual([]);
  });

  it('reports selector, template, strategy and deadline errors with Kubernetes paths and messages', () => {
    expect(messages(validateDeployment(dep({ selector: undefined })))).toEqual(['spec.selector: Required value']);
    expect(messages(validateDeployment(dep({ selector: {} })))).toEqual(['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment']);
    expect(messages(validateDeployment(dep({ selector: { matchLabels: { app: 'x' } } })))).toEqual(['spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`']);
    expect(messages(validateDeployment(dep({ selector: { matchExpressions: [{ key: 'app', operator: 'In' }] } })))).toEqual(["spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"]);
    expect(messages(validateDeployment(dep({ replicas: -2, minReadySeconds: -1, revisionHistoryLimit: -1 })))).toEqual([
      'spec.replicas: Invalid value: -2: must be greater than or equal to 0',
      'spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0',
      'spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0',
    ]);
    expect(messages(validateDeployment(dep({ strategy: { type: 'BlueGreen' } })))).toEqual(['spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"BlueGreen", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"']);
    expect(messages(validateDeployment(dep({ strategy: { type: 'BlueGreen', rollingUpdate: { maxSurge: 1 } } })))).toEqual(['spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"BlueGreen", RollingUpdate:(*apps.RollingUpdateDeployment)(0xc000010000)}: supported values: "Recreate", "RollingUpdate"']);
    // every check of ValidateRollingUpdateDeployment runs, a bad value counting as 0 in the next
    expect(messages(validateDeployment(dep({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 'x', maxUnavailable: '150%' } } })))).toEqual([
      `spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"x"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%',
    ]);
    expect(messages(validateDeployment(dep({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '0%', maxUnavailable: 'x' } } })))).toEqual([
      `spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"x"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"x"}: may not be 0 when `maxSurge` is 0',
    ]);
    expect(validateDeployment(dep({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '200%', maxUnavailable: 0 } } }))).toEqual([]);
    expect(messages(validateDeployment(dep({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '0%', maxUnavailable: 0 } } })))).toEqual(['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0']);
    expect(messages(validateDeployment(dep({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 'lots', maxUnavailable: -1 } } })))).toEqual([
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: -1: must be greater than or equal to 0',
      `spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"lots"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
    ]);
    expect(messages(validateDeployment(dep({ minReadySeconds: 30, progressDeadlineSeconds: 30 })))).toEqual(['spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds']);
  });

  it('validates the template as a pod under spec.template.spec, restartPolicy Always only', () => {
    const d = dep();
    d.spec!.template!.spec!.restartPolicy = 'OnFailure';
    d.spec!.template!.spec!.activeDeadlineSeconds = 10;
    d.spec!.template!.spec!.containers![0]!.image = '';
    expect(messages(validateDeployment(d))).toEqual([
      'spec.template.spec.containers[0].image: Required value',
      'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
      'spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported',
    ]);
  });

  it('reports template labels and annotations at spec.template.labels/annotations, and checks pod-deletion-cost there (ValidatePodTemplateSpec)', () => {
    const d = dep();
    d.spec!.template!.metadata = { labels: { app: 'web', '-bad': 'x' }, annotations: { 'controller.kubernetes.io/pod-deletion-cost': '+10' } };
    expect(messages(validateDeployment(d))).toEqual([
      `spec.template.labels: Invalid value: "-bad": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
      'spec.template.annotations[controller.kubernetes.io/pod-deletion-cost]: Invalid value: "+10": must be a 32bit integer',
    ]);
    for (const ok of ['-100', '0', '2147483647', '-0']) {
      d.spec!.template!.metadata = { labels: { app: 'web' }, annotations: { 'controller.kubernetes.io/pod-deletion-cost': ok } };
      expect(validateDeployment(d)).toEqual([]);
    }
    const pod = { metadata: { name: 'p', namespace: 'default', annotations: { 'controller.kubernetes.io/pod-deletion-cost': '2147483648' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    expect(messages(validatePodCreate(defaultPod(pod as never)))).toEqual(['metadata.annotations[controller.kubernetes.io/pod-deletion-cost]: Invalid value: "2147483648": must be a 32bit integer']);
  });

  it('keeps the selector immutable on update', () => {
    const old = dep();
    const next = dep({ selector: { matchLabels: { app: 'web', v: '2' } } });
    next.spec!.template!.metadata!.labels = { app: 'web', v: '2' };
    expect(validateDeploymentUpdate(next, old).map((e) => `${e.field}: ${e.detail}`)).toEqual(['spec.selector: field is immutable']);
    // (the bad value as Go's %#v prints the dereferenced *metav1.LabelSelector, as kubectl shows it)
    expect(messages(validateDeploymentUpdate(next, old))).toEqual([
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "v":"2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    ]);
    const exprs = dep({ selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }, { key: 'x', operator: 'DoesNotExist' }] } });
    exprs.spec!.template!.metadata!.labels = { app: 'web', tier: 'a' };
    expect(messages(validateDeploymentUpdate(exprs, old))).toEqual([
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"tier", Operator:"In", Values:[]string{"a", "b"}}, v1.LabelSelectorRequirement{Key:"x", Operator:"DoesNotExist", Values:[]string(nil)}}}: field is immutable',
    ]);
  });
});

describe('validateReplicaSet', () => {
  it('needs a selector matching the template', () => {
    const rs: ReplicaSet = { metadata: { name: 'r', namespace: 'default' }, spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'c' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } };
    expect(messages(validateReplicaSet(rs))).toEqual(['spec.template.metadata.labels: Invalid value: map[string]string{"a":"c"}: `selector` does not match template `labels`']);
  });

  it('says an empty selector is invalid "for deployment", as ValidateReplicaSetSpec does', () => {
    const rs: ReplicaSet = { metadata: { name: 'r', namespace: 'default' }, spec: { replicas: 1, selector: {}, template: { metadata: { labels: { a: 'c' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } };
    expect(messages(validateReplicaSet(rs))).toContain('spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment');
  });
});

describe('int or percent', () => {
  it('validates and scales like intstr', () => {
    expect(validateIntOrPercent('25%', 'f')).toEqual([]);
    expect(validateIntOrPercent(3, 'f')).toEqual([]);
    expect(validateIntOrPercent('25', 'f')).toHaveLength(1);
    expect(scaledValue('25%', 10, true)).toBe(3);
    expect(scaledValue('25%', 10, false)).toBe(2);
    expect(scaledValue(4, 10, false)).toBe(4);
  });
});

describe('Deployment templates with sidecars', () => {
  it('accept an init container with restartPolicy Always and a startup probe', () => {
    const d = dep();
    d.spec!.template!.spec!.initContainers = [{ name: 'proxy', image: 'busybox', restartPolicy: 'Always', startupProbe: { exec: { command: ['true'] } } }];
    expect(messages(validateDeployment(d))).toEqual([]);
    d.spec!.template!.spec!.initContainers[0]!.restartPolicy = 'OnFailure';
    expect(messages(validateDeployment(d))).toEqual(['spec.template.spec.initContainers[0].restartPolicy: Unsupported value: "OnFailure": supported values: "Always"']);
  });
});
