import { describe, expect, it } from 'vitest';
import { describeService } from './describe-service.js';

describe('tsctl describe service', () => {
  it('keeps a space after keys longer than the column, rather than running into the value', () => {
    const lines = describeService(
      { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', clusterIP: '10.96.0.9', clusterIPs: ['10.96.0.9'], ports: [{ port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30080 }], sessionAffinity: 'None', externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Cluster', healthCheckNodePort: 30195 }, status: { loadBalancer: { ingress: [{ ip: '127.0.0.1', ipMode: 'VIP' }] } } },
      undefined,
    );
    expect(lines).toContain('External Traffic Policy: Local');
    expect(lines).toContain('Internal Traffic Policy: Cluster');
    expect(lines).toContain('HealthCheck NodePort: 30195');
    expect(lines).toContain('LoadBalancer Ingress: 127.0.0.1 (VIP)');
    expect(lines).toContain('Session Affinity: None');
  });
});
