import { describe, expect, it } from 'vitest';
import { describeHorizontalPodAutoscaler } from './describe-hpa.js';
import { tabwrite } from './tabwriter.js';

describe('tsctl describe hpa', () => {
  it('prints what kubectl 1.32 describe hpa prints for every metric type, the behavior and the conditions', () => {
    // (an autoscaling/v2 object from the running cluster, and kubectl 1.32.4's description of it up to the events)
    const hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h2", "namespace": "tsd-a", "creationTimestamp": "2026-12-03T10:36:24Z"}, "spec": {"behavior": {"scaleDown": {"policies": [{"periodSeconds": 30, "type": "Pods", "value": 1}], "selectPolicy": "Max", "stabilizationWindowSeconds": 60}, "scaleUp": {"policies": [{"periodSeconds": 15, "type": "Pods", "value": 4}, {"periodSeconds": 15, "type": "Percent", "value": 100}], "selectPolicy": "Max", "stabilizationWindowSeconds": 0}}, "maxReplicas": 3, "metrics": [{"resource": {"name": "memory", "target": {"averageValue": "100Mi", "type": "AverageValue"}}, "type": "Resource"}, {"pods": {"metric": {"name": "qps"}, "target": {"averageValue": "10", "type": "AverageValue"}}, "type": "Pods"}, {"object": {"describedObject": {"apiVersion": "v1", "kind": "Service", "name": "web"}, "metric": {"name": "rps"}, "target": {"type": "Value", "value": "5"}}, "type": "Object"}, {"external": {"metric": {"name": "queue"}, "target": {"averageValue": "30", "type": "AverageValue"}}, "type": "External"}, {"containerResource": {"container": "c", "name": "cpu", "target": {"averageUtilization": 60, "type": "Utilization"}}, "type": "ContainerResource"}], "minReplicas": 1, "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d1"}}, "status": {"conditions": [{"lastTransitionTime": "2026-12-03T10:36:24Z", "message": "the HPA controller was able to get the target's current scale", "reason": "SucceededGetScale", "status": "True", "type": "AbleToScale"}, {"lastTransitionTime": "2026-12-03T10:36:24Z", "message": "scaling is disabled since the replica count of the target is zero", "reason": "ScalingDisabled", "status": "False", "type": "ScalingActive"}], "desiredReplicas": 0}};
    expect(tabwrite(describeHorizontalPodAutoscaler(hpa).join('\n')).split('\n')).toEqual([
      "Name:                                                                   h2",
      "Namespace:                                                              tsd-a",
      "Labels:                                                                 <none>",
      "Annotations:                                                            <none>",
      "CreationTimestamp:                                                      Thu, 03 Dec 2026 10:36:24 +0000",
      "Reference:                                                              Deployment/d1",
      "Metrics:                                                                ( current / target )",
      "  resource memory on pods:                                              <unknown> / 100Mi",
      "  \"qps\" on pods:                                                        <unknown> / 10",
      "  \"rps\" on Service/web (target value):                                  <unknown> / 5",
      "  \"queue\" (target average value):                                       <unknown> / 30",
      "  resource cpu of container \"c\" on pods  (as a percentage of request):  <unknown> / 60%",
      "Min replicas:                                                           1",
      "Max replicas:                                                           3",
      "Behavior:",
      "  Scale Up:",
      "    Stabilization Window: 0 seconds",
      "    Select Policy: Max",
      "    Policies:",
      "      - Type: Pods     Value: 4    Period: 15 seconds",
      "      - Type: Percent  Value: 100  Period: 15 seconds",
      "  Scale Down:",
      "    Stabilization Window: 60 seconds",
      "    Select Policy: Max",
      "    Policies:",
      "      - Type: Pods  Value: 1  Period: 30 seconds",
      "Deployment pods:    0 current / 0 desired",
      "Conditions:",
      "  Type           Status  Reason             Message",
      "  ----           ------  ------             -------",
      "  AbleToScale    True    SucceededGetScale  the HPA controller was able to get the target's current scale",
      "  ScalingActive  False   ScalingDisabled    scaling is disabled since the replica count of the target is zero"
    ]);
  });

  it('shows a measured utilization with its value', () => {
    const hpa = { metadata: { name: 'h' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'd' }, maxReplicas: 2, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] }, status: { currentReplicas: 1, desiredReplicas: 1, currentMetrics: [{ resource: { current: { averageUtilization: 12, averageValue: '12m' } } }] } };
    const lines = tabwrite(describeHorizontalPodAutoscaler(hpa).join('\n')).split('\n');
    expect(lines.find((l) => l.startsWith('  resource cpu'))).toMatch(/^  resource cpu on pods  \(as a percentage of request\): +12% \(12m\) \/ 80%$/);
    expect(lines).toContain('Min replicas:                                          <unset>');
  });
});
