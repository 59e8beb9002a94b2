// tsctl with Services: apply of a NodePort Service, get svc (its table, by short name), describe
// (selector, IPs, ports with their node port and endpoints); get ing and describe ingress (class,
// address, TLS, rules with each backend's endpoints).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EndpointsRef, Ingresses } from '../../pkg/client/rest-client.js';
import { runTsctl } from '../helpers/tsctl.js';
import { startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
let dir: string;

const tsctl = (...args: string[]) => runTsctl(cp.kubeconfig, args);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-tsctl-svc-'));
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('tsctl with services', () => {
  it('apply, get svc, describe svc', async () => {
    const file = join(dir, 'svc.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: NodePort\n  selector:\n    app: web\n  ports:\n    - name: http\n      port: 80\n      targetPort: 8080\n      nodePort: 30080\n');
    const applied = await tsctl('apply', '-f', file);
    expect(applied.err).toBe('');
    expect(applied.code).toBe(0);
    const got = await tsctl('get', 'svc');
    expect(got.out).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\n/);
    expect(got.out).toMatch(/\nkubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP\s+\d+s\n/);
    expect(got.out).toMatch(/\nweb\s+NodePort\s+10\.96\.\d+\.\d+\s+<none>\s+80:30080\/TCP\s+\d+s\n/);
    // Endpoints as the controller would write them (no controller-manager runs here).
    await cp.admin.create(EndpointsRef, 'default', { metadata: { name: 'web' }, subsets: [{ addresses: [{ ip: '10.244.0.4' }], ports: [{ name: 'http', port: 8080 }] }] });
    const d = await tsctl('describe', 'svc', 'web');
    expect(d.code).toBe(0);
    expect(d.out).toMatch(/\nSelector:\s+app=web\nType:\s+NodePort\nIP Family Policy:\s*SingleStack\nIP Families:\s+IPv4\nIP:\s+10\.96\.\d+\.\d+\n/);
    expect(d.out).toMatch(/\nPort:\s+http {2}80\/TCP\nTargetPort:\s+8080\/TCP\nNodePort:\s+http {2}30080\/TCP\nEndpoints:\s+10\.244\.0\.4:8080\nSession Affinity:\s+None\n/);
  });

  it('get ing and describe ingress', async () => {
    const backend = (name: string, number: number) => ({ service: { name, port: { number } } });
    await cp.admin.create(Ingresses, 'default', {
      metadata: { name: 'site' },
      spec: { tls: [{ hosts: ['a.example.com'], secretName: 'a-tls' }], rules: [{ host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('web', 80) }, { path: '/old', pathType: 'Exact', backend: backend('gone', 80) }] } }] },
    });
    const got = await tsctl('get', 'ing');
    expect(got.out).toMatch(/^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE\nsite\s+tskube\s+a\.example\.com\s+80, 443\s+\d+s\n$/);
    const d = await tsctl('describe', 'ingress', 'site');
    expect(d.code).toBe(0);
    // (kubectl 1.32's layout: Labels before Namespace, an empty Address, Annotations after the rules)
    expect(d.out).toContain('Name:             site\nLabels:           <none>\nNamespace:        default\nAddress:          \nIngress Class:    tskube\nDefault backend:  <default>\nTLS:\n  a-tls terminates a.example.com\nRules:\n');
    expect(d.out).toMatch(/\n  a\.example\.com  \n {2,}\/      web:80 \(10\.244\.0\.4:8080\)\n {2,}\/old   gone:80 \(<error: services "gone" not found>\)\nAnnotations: +<none>\nEvents: +<none>\n$/);
  });
});
