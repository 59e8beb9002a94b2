// The stock kubectl with NetworkPolicies: apply of a manifest (client- and server-side) with
// Kubernetes' 422 for a bad one, get netpol (NAME POD-SELECTOR AGE), kubectl's own describer
// reading our objects, explain from our OpenAPI, delete.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt } from '../helpers/kubectl.js';

let cp: TestControlPlane;
let dir: string;
const kubectl = (...args: string[]) => kubectlAt(cp.kubeconfig, join(dir, 'cache'), args);

const manifest = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db
spec:
  podSelector:
    matchLabels:
      role: db
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - ipBlock:
        cidr: 172.17.0.0/16
        except: [172.17.1.0/24]
    - namespaceSelector:
        matchLabels:
          project: myproject
    - podSelector:
        matchLabels:
          role: frontend
    ports:
    - protocol: TCP
      port: 6379
  egress:
  - to:
    - ipBlock:
        cidr: 10.0.0.0/24
    ports:
    - port: 5978
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
spec:
  podSelector: {}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: bad
spec:
  podSelector: {}
  ingress:
  - ports:
    - port: http
      endPort: 90
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-kubectl-netpol-'));
  writeFileSync(join(dir, 'np.yaml'), manifest);
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasKubectl)('kubectl with network policies', () => {
  it('applies a manifest, refusing the invalid policy with the field named', async () => {
    for (const extra of [[], ['--server-side']]) {
      const r = await kubectl('apply', ...extra, '-f', join(dir, 'np.yaml'));
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/^networkpolicy\.networking\.k8s\.io\/db (created|serverside-applied)\nnetworkpolicy\.networking\.k8s\.io\/default-deny (created|serverside-applied)\n$/);
      expect(r.err).toContain('The NetworkPolicy "bad" is invalid: spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is non-numeric');
    }
  });

  it('lists them as NAME POD-SELECTOR AGE', async () => {
    const r = await kubectl('get', 'netpol');
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^NAME\s+POD-SELECTOR\s+AGE\ndb\s+role=db\s+\d+s\ndefault-deny\s+<none>\s+\d+s\n$/);
  });

  it('kubectl describe reads the rules and the defaulted policy types', async () => {
    const db = await kubectl('describe', 'netpol', 'db');
    expect(db.err).toBe('');
    expect(db.out).toContain(['Spec:', '  PodSelector:     role=db', '  Allowing ingress traffic:', '    To Port: 6379/TCP', '    From:', '      IPBlock:', '        CIDR: 172.17.0.0/16', '        Except: 172.17.1.0/24', '    From:', '      NamespaceSelector: project=myproject', '    From:', '      PodSelector: role=frontend', '  Allowing egress traffic:', '    To Port: 5978/TCP'].join('\n'));
    expect(db.out).toContain('  Policy Types: Ingress, Egress\n');
    const deny = await kubectl('describe', 'netpol', 'default-deny');
    expect(deny.out).toContain(['  PodSelector:     <none> (Allowing the specific traffic to all pods in this namespace)', '  Allowing ingress traffic:', '    <none> (Selected pods are isolated for ingress connectivity)', '  Not affecting egress traffic', '  Policy Types: Ingress'].join('\n'));
  });

  it('explains the fields and deletes them all', async () => {
    const ex = await kubectl('explain', 'networkpolicy.spec.ingress.ports');
    expect(ex.out).toContain('GROUP:      networking.k8s.io');
    expect(ex.out).toMatch(/endPort\s+<integer>/);
    const del = await kubectl('delete', 'netpol', '--all');
    expect(del.out).toBe('networkpolicy.networking.k8s.io "db" deleted\nnetworkpolicy.networking.k8s.io "default-deny" deleted\n');
  });
});
