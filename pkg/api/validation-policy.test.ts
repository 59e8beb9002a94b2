import { describe, expect, it } from 'vitest';
import { defaultHorizontalPodAutoscaler } from './defaults-autoscaling.js';
import { formatFieldError } from './field-error.js';
import { hpaFromV1, hpaToV1, METRICS_ANNOTATION } from './hpa-conversion.js';
import type { HorizontalPodAutoscaler, PodDisruptionBudget } from './types.js';
import { validateHorizontalPodAutoscaler, validateHorizontalPodAutoscalerUpdate } from './validation-autoscaling.js';
import { validatePodDisruptionBudget, validatePodDisruptionBudgetStatus } from './validation-policy.js';

const messages = (errs: ReturnType<typeof validatePodDisruptionBudget>) => errs.map(formatFieldError);

const pdb = (spec: Record<string, unknown>): PodDisruptionBudget => ({ metadata: { name: 'web', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec } });

describe('PodDisruptionBudget validation', () => {
  it('accepts a count or a percentage in either field, or neither', () => {
    for (const spec of [{ minAvailable: 2 }, { minAvailable: '50%' }, { maxUnavailable: 0 }, { maxUnavailable: '100%' }, {}, { minAvailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' }]) {
      expect(validatePodDisruptionBudget(pdb(spec))).toEqual([]);
    }
  });

  it('refuses both fields, negative counts, bad or over-100% percentages, unknown policies, bad selectors', () => {
    expect(messages(validatePodDisruptionBudget(pdb({ minAvailable: 1, maxUnavailable: 1 })))[0]).toMatch(/^spec: Invalid value: .*: minAvailable and maxUnavailable cannot be both set$/);
    expect(messages(validatePodDisruptionBudget(pdb({ minAvailable: -1 })))).toEqual(['spec.minAvailable: Invalid value: -1: must be greater than or equal to 0']);
    expect(messages(validatePodDisruptionBudget(pdb({ maxUnavailable: '120%' })))).toEqual(['spec.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%']);
    expect(messages(validatePodDisruptionBudget(pdb({ minAvailable: 'half' })))).toEqual([
      `spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"half"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
    ]);
    expect(messages(validatePodDisruptionBudget(pdb({ unhealthyPodEvictionPolicy: 'Sometimes' })))).toEqual(['spec.unhealthyPodEvictionPolicy: Unsupported value: "Sometimes": supported values: "AlwaysAllow", "IfHealthyBudget"']);
    expect(messages(validatePodDisruptionBudget(pdb({ selector: { matchExpressions: [{ key: 'app', operator: 'Near' }] } })))).toEqual(['spec.selector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator']);
  });

  it('validates the status: non-negative counts and well-formed conditions', () => {
    expect(validatePodDisruptionBudgetStatus({ disruptionsAllowed: 1, conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }] })).toEqual([]);
    expect(validatePodDisruptionBudgetStatus({ disruptionsAllowed: -1, conditions: [{ type: 'DisruptionAllowed', status: 'Maybe', reason: 'bad reason' }] }).map(formatFieldError)).toEqual([
      'status.conditions[0].status: Unsupported value: "Maybe": supported values: "False", "True", "Unknown"',
      'status.conditions[0].lastTransitionTime: Required value: must be set',
      expect.stringMatching(/^status.conditions\[0\].reason: Invalid value: "bad reason": a condition reason must start with alphabetic character/),
      'status.disruptionsAllowed: Invalid value: -1: must be greater than or equal to 0',
    ]);
  });
});

const hpa = (spec: Record<string, unknown> = {}): HorizontalPodAutoscaler =>
  defaultHorizontalPodAutoscaler({ metadata: { name: 'web', namespace: 'default' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 5, ...spec } });

const cpu = (target: Record<string, unknown>) => ({ type: 'Resource', resource: { name: 'cpu', target } });

describe('HorizontalPodAutoscaler defaults and validation', () => {
  it('defaults minReplicas to 1 and the metric to 80% CPU; fills a given behavior from the default rules', () => {
    const h = hpa();
    expect(h.spec).toMatchObject({ minReplicas: 1, metrics: [cpu({ type: 'Utilization', averageUtilization: 80 })] });
    expect(h.spec!.behavior).toBeUndefined();
    const b = hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } }).spec!.behavior!;
    expect(b.scaleUp).toEqual({ stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] });
    expect(b.scaleDown).toEqual({ stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
    expect(validateHorizontalPodAutoscaler(h)).toEqual([]);
  });

  it('refuses bad replica bounds and a target without kind or name', () => {
    expect(messages(validateHorizontalPodAutoscaler(hpa({ minReplicas: 0 })))).toEqual(['spec.minReplicas: Invalid value: 0: must be greater than or equal to 1', 'spec.metrics: Forbidden: must specify at least one Object or External metric to support scaling to zero replicas']);
    expect(messages(validateHorizontalPodAutoscaler(hpa({ minReplicas: 6 })))).toEqual(['spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`']);
    expect(messages(validateHorizontalPodAutoscaler(hpa({ maxReplicas: 0, minReplicas: undefined })))).toContain('spec.maxReplicas: Invalid value: 0: must be greater than 0');
    expect(messages(validateHorizontalPodAutoscaler(hpa({ scaleTargetRef: { kind: 'Deployment', name: 'a/b' } })))).toEqual(["spec.scaleTargetRef.name: Invalid value: \"a/b\": may not contain '/'"]);
    expect(messages(validateHorizontalPodAutoscaler(hpa({ scaleTargetRef: {} })))).toEqual(['spec.scaleTargetRef.kind: Required value', 'spec.scaleTargetRef.name: Required value']);
    // an autoscaler already at 0 may stay there
    const zero = hpa({ minReplicas: 0, metrics: [{ type: 'External', external: { metric: { name: 'q' }, target: { type: 'Value', value: '10' } } }] });
    expect(validateHorizontalPodAutoscalerUpdate(zero, zero)).toEqual([]);
  });

  it('validates metric sources and targets with Kubernetes messages', () => {
    const m = (metrics: unknown[]) => messages(validateHorizontalPodAutoscaler(hpa({ metrics })));
    expect(m([cpu({ type: 'Utilization', averageUtilization: 0 })])).toEqual(['spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0']);
    expect(m([cpu({ type: 'AverageValue', averageValue: '100m', averageUtilization: 50 })])).toEqual(['spec.metrics[0].resource.target.averageValue: Forbidden: may not set both a target raw value and a target utilization']);
    expect(m([cpu({ type: 'Utilization' })])).toEqual(['spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization']);
    expect(m([cpu({ type: 'Percent', averageUtilization: 50 })])).toEqual(['spec.metrics[0].resource.target.type: Invalid value: "Percent": must be either Utilization, Value, or AverageValue']);
    expect(m([{ type: 'Resource', resource: { name: 'gpu', target: { type: 'Utilization', averageUtilization: 50 } } }])).toEqual(['spec.metrics[0].resource.name: Invalid value: "gpu": must be a standard resource for containers']);
    expect(m([{ type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '-1Mi' } } }])).toEqual(['spec.metrics[0].resource.target.averageValue: Invalid value: "-1Mi": must be positive']);
    expect(m([{ type: 'Pods' }])).toEqual(['spec.metrics[0].pods: Required value: must populate information for the given metric source']);
    expect(m([{ type: 'Memory' }])).toEqual(['spec.metrics[0].type: Unsupported value: "Memory": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"']);
    expect(m([{ type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } }, resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 5 } } }])).toEqual([
      'spec.metrics[0].resource: Forbidden: must populate the given metric source only',
    ]);
    expect(m([{ type: 'ContainerResource', containerResource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }])).toEqual(['spec.metrics[0].containerResource.container: Required value: must specify a container']);
  });

  it('validates behaviors: windows, select policies and policies', () => {
    const b = (behavior: unknown) => messages(validateHorizontalPodAutoscaler(hpa({ behavior })));
    expect(b({ scaleUp: { stabilizationWindowSeconds: 3601 } })).toEqual(['spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: 3601: must be less than or equal to 3600']);
    expect(b({ scaleDown: { selectPolicy: 'Most', policies: [{ type: 'Pods', value: 0, periodSeconds: 1801 }] } })).toEqual([
      'spec.behavior.scaleDown.selectPolicy: Unsupported value: "Most": supported values: "Disabled", "Max", "Min"',
      'spec.behavior.scaleDown.policies[0].value: Invalid value: 0: must be greater than zero',
      'spec.behavior.scaleDown.policies[0].periodSeconds: Invalid value: 1801: must be less than or equal to 1800',
    ]);
    expect(b({ scaleUp: { policies: [] } })).toEqual(['spec.behavior.scaleUp.policies: Required value: must specify at least one Policy']);
  });
});

describe('HorizontalPodAutoscaler autoscaling/v1 conversion', () => {
  it('maps targetCPUUtilizationPercentage to a CPU utilization metric and back', () => {
    const v1 = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' }, maxReplicas: 4, targetCPUUtilizationPercentage: 50 } };
    const v2 = hpaFromV1(v1);
    expect(v2).toMatchObject({ apiVersion: 'autoscaling/v2', spec: { maxReplicas: 4, metrics: [cpu({ type: 'Utilization', averageUtilization: 50 })] } });
    expect(hpaToV1(v2).spec).toEqual(v1.spec);
    // no target at all is v1's implicit 80%
    expect(hpaFromV1({ ...v1, spec: { ...v1.spec, targetCPUUtilizationPercentage: undefined } }).spec!.metrics).toEqual([cpu({ type: 'Utilization', averageUtilization: 80 })]);
  });

  it('carries other metrics, the behavior, current metrics and conditions in annotations, and takes them back', () => {
    const v2 = hpa({
      metrics: [cpu({ type: 'Utilization', averageUtilization: 60 }), { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } }],
      behavior: { scaleDown: { stabilizationWindowSeconds: 30, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } },
    }) as HorizontalPodAutoscaler & { metadata: { annotations?: Record<string, string> } };
    v2.metadata.annotations = { keep: 'me' };
    v2.status = {
      currentReplicas: 2,
      desiredReplicas: 3,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 75, averageValue: '150m' } } }],
      conditions: [{ type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: 'ok', lastTransitionTime: '2026-01-01T00:00:00Z' }],
    };
    const v1 = hpaToV1(v2);
    expect(v1.spec).toMatchObject({ targetCPUUtilizationPercentage: 60 });
    expect(v1.status).toEqual({ currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 75 });
    expect(JSON.parse(v1.metadata!.annotations![METRICS_ANNOTATION]!)).toEqual([{ type: 'Resource', resource: { name: 'memory', targetAverageValue: '100Mi' } }]);
    const back = hpaFromV1(v1);
    expect(back.metadata!.annotations).toEqual({ keep: 'me' });
    expect(back.spec!.metrics).toEqual([{ type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } }, cpu({ type: 'Utilization', averageUtilization: 60 })]);
    expect(back.spec!.behavior).toEqual(v2.spec!.behavior);
    expect(back.status).toMatchObject({ currentReplicas: 2, desiredReplicas: 3, currentMetrics: v2.status.currentMetrics, conditions: v2.status.conditions });
  });

  it('round-trips every metric source type, spec and status, through v1', () => {
    const sel = { matchLabels: { q: 'x' } };
    const metrics = [
      { type: 'ContainerResource', containerResource: { name: 'memory', container: 'app', target: { type: 'AverageValue', averageValue: '64Mi' } } },
      { type: 'Pods', pods: { metric: { name: 'qps', selector: sel }, target: { type: 'AverageValue', averageValue: '10' } } },
      { type: 'Object', object: { describedObject: { apiVersion: 'v1', kind: 'Service', name: 'web' }, metric: { name: 'hits' }, target: { type: 'Value', value: '100' } } },
      { type: 'External', external: { metric: { name: 'queue', selector: sel }, target: { type: 'AverageValue', averageValue: '30' } } },
    ];
    const currentMetrics = [
      { type: 'ContainerResource', containerResource: { name: 'memory', container: 'app', current: { averageValue: '70Mi' } } },
      { type: 'Pods', pods: { metric: { name: 'qps', selector: sel }, current: { averageValue: '12' } } },
      { type: 'Object', object: { describedObject: { apiVersion: 'v1', kind: 'Service', name: 'web' }, metric: { name: 'hits' }, current: { value: '90' } } },
      { type: 'External', external: { metric: { name: 'queue', selector: sel }, current: { value: '60', averageValue: '30' } } },
    ];
    const v2 = { ...hpa({ metrics }), status: { desiredReplicas: 2, currentReplicas: 2, currentMetrics } } as HorizontalPodAutoscaler;
    const v1 = hpaToV1(v2);
    expect(JSON.parse(v1.metadata!.annotations![METRICS_ANNOTATION]!)[1]).toEqual({ type: 'Pods', pods: { metricName: 'qps', selector: sel, targetAverageValue: '10' } });
    const back = hpaFromV1(v1);
    expect(back.spec!.metrics).toEqual(metrics);
    expect(back.status!.currentMetrics).toEqual(currentMetrics);
  });
});
