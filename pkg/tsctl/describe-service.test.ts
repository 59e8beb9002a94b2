import { describe, expect, it } from 'vitest';
import { describeService } from './describe-service.js';
import { tabwrite } from './tabwriter.js';

describe('tsctl describe service', () => {
  it('aligns values after the longest key, as the describer\'s tabwriter does', () => {
    const lines = tabwrite(describeService(
      { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', clusterIP: '10.96.0.9', clusterIPs: ['10.96.0.9'], ports: [{ port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30080 }], sessionAffinity: 'None', externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Cluster', healthCheckNodePort: 30195 }, status: { loadBalancer: { ingress: [{ ip: '127.0.0.1', ipMode: 'VIP' }] } } },
      undefined,
    ).join('\n')).split('\n');
    expect(lines).toContain('External Traffic Policy:  Local');
    expect(lines).toContain('Internal Traffic Policy:  Cluster');
    expect(lines).toContain('HealthCheck NodePort:     30195');
    expect(lines).toContain('LoadBalancer Ingress:     127.0.0.1 (VIP)');
    expect(lines).toContain('Session Affinity:         None');
    // (no endpoints: an empty value)
    expect(lines).toContain('Endpoints:                ');
  });

  it('writes the IP lines of an ExternalName service too, empty, as kubectl 1.32', () => {
    const lines = tabwrite(describeService({ metadata: { name: 'en' }, spec: { type: 'ExternalName', externalName: 'x.example.com', selector: { app: 'en' }, sessionAffinity: 'None' } }, undefined).join('\n')).split('\n');
    expect(lines).toEqual(['Selector:          app=en', 'Type:              ExternalName', 'IP Families:       <none>', 'IP:                ', 'IPs:               <none>', 'External Name:     x.example.com', 'Session Affinity:  None']);
  });
});
