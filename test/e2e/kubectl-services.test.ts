// The stock kubectl with Services: cluster-info (the kubernetes Service), expose a pod, get svc
// (tables, -o wide), client-side apply of a NodePort manifest and a change to it, and the
// endpoints the controller-manager keeps for them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../pkg/api/types.js';
import { Nodes, Pods, Services } from '../../pkg/client/rest-client.js';
import { ControllerManager, defaultControllerConfig } from '../../pkg/controllers/manager.js';
import { eventually, node, pod, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt } from '../helpers/kubectl.js';

let cp: TestControlPlane;
let cm: ControllerManager;
let dir: string;

const kubectl = (...args: string[]) => kubectlAt(cp.kubeconfig, join(dir, 'cache'), args);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-kubectl-svc-'));
  cp = await startControlPlane();
  cm = new ControllerManager(cp.admin, { ...defaultControllerConfig, leaderElect: false });
  await cm.start();
});
afterAll(async () => {
  await cm?.stop();
  await cp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasKubectl)('kubectl with services', () => {
  it('cluster-info finds the control plane', async () => {
    const r = await kubectl('cluster-info');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Kubernetes control plane is running at https://127.0.0.1:${cp.server.port}`);
    const k = await kubectl('get', 'svc', 'kubernetes');
    expect(k.out).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\nkubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP\s+\d+s\n$/);
  });

  it('expose pod: a Service with the pod labels as selector, and endpoints once the pod is ready', async () => {
    const p = pod('hello');
    (p.spec as { containers: Record<string, unknown>[] }).containers[0]!.ports = [{ name: 'http', containerPort: 8080 }];
    await cp.admin.create(Pods, 'default', p);
    const r = await kubectl('expose', 'pod', 'hello', '--port=80', '--target-port=http');
    expect(r.err).toBe('');
    expect(r).toMatchObject({ code: 0, out: 'service/hello exposed\n' });
    const svc = await cp.admin.get<Service>(Services, 'default', 'hello');
    expect(svc.spec).toMatchObject({ selector: { app: 'hello' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 'http' }], type: 'ClusterIP' });
    const wide = await kubectl('get', 'svc', 'hello', '-o', 'wide');
    expect(wide.out).toMatch(new RegExp(`^NAME\\s+TYPE\\s+CLUSTER-IP\\s+EXTERNAL-IP\\s+PORT\\(S\\)\\s+AGE\\s+SELECTOR\\nhello\\s+ClusterIP\\s+${svc.spec!.clusterIP!.replace(/\./g, '\\.')}\\s+<none>\\s+80/TCP\\s+\\d+s\\s+app=hello\\n$`));

    // Bound to a node object and made ready through the API, the pod becomes an endpoint.
    await cp.admin.create(Nodes, undefined, node('n1'));
    await cp.admin.bind('default', 'hello', 'n1');
    await cp.nodeClient('n1').patch(Pods, 'default', 'hello', { status: { phase: 'Running', podIP: '10.244.0.8', podIPs: [{ ip: '10.244.0.8' }], conditions: [{ type: 'Ready', status: 'True' }] } }, 'merge', 'status');
    const ep = await eventually(async () => {
      const g = await kubectl('get', 'endpoints', 'hello');
      return g.out.includes('10.244.0.8:8080') ? g : undefined;
    }, { what: 'kubectl get endpoints shows the pod' });
    expect(ep.out).toMatch(/^NAME\s+ENDPOINTS\s+AGE\nhello\s+10\.244\.0\.8:8080\s+\d+s\n$/);
    const described = await kubectl('describe', 'svc', 'hello');
    expect(described.err).toBe('');
    expect(described.out).toMatch(/\nSelector:\s+app=hello\nType:\s+ClusterIP\n/);
    expect(described.out).toMatch(/\nPort:\s+<unset>\s+80\/TCP\nTargetPort:\s+http\/TCP\nEndpoints:\s+10\.244\.0\.8:8080\n/);
    const all = await kubectl('get', 'all');
    expect(all.err).toBe('');
    expect(all.out).toMatch(/\nservice\/hello\s+ClusterIP\s+/);
    const slices = await kubectl('get', 'endpointslices', '-l', 'kubernetes.io/service-name=hello');
    expect(slices.out).toMatch(/^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE\nhello-[a-z0-9]{5}\s+IPv4\s+8080\s+10\.244\.0\.8\s+\d+s\n$/);
  });

  it('apply -f creates a NodePort Service and a second apply changes it', async () => {
    const file = join(dir, 'svc.yaml');
    const manifest = (port: number) => `apiVersion: v1
kind: Service
metadata:
  name: web
  labels:
    app: web
spec:
  type: NodePort
  selector:
    app: web
  ports:
    - name: http
      port: ${port}
      targetPort: 8080
      nodePort: 30080
`;
    writeFileSync(file, manifest(80));
    const created = await kubectl('apply', '-f', file);
    expect(created.err).toBe('');
    expect(created).toMatchObject({ code: 0, out: 'service/web created\n' });
    const got = await kubectl('get', 'svc', 'web');
    expect(got.out).toMatch(/\nweb\s+NodePort\s+10\.96\.\d+\.\d+\s+<none>\s+80:30080\/TCP\s+\d+s\n$/);
    writeFileSync(file, manifest(8000));
    const changed = await kubectl('apply', '-f', file);
    expect(changed.err).toBe('');
    expect(changed).toMatchObject({ code: 0, out: 'service/web configured\n' });
    const after = await cp.admin.get<Service>(Services, 'default', 'web');
    expect(after.spec?.ports).toEqual([{ name: 'http', port: 8000, protocol: 'TCP', targetPort: 8080, nodePort: 30080 }]);
    // The same node port asked for by another Service: Kubernetes' 422, as kubectl prints it.
    writeFileSync(file, manifest(80).replace('name: web\n  labels', 'name: web2\n  labels'));
    const clash = await kubectl('apply', '-f', file);
    expect(clash.code).toBe(1);
    expect(clash.err).toContain('The Service "web2" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
    const del = await kubectl('delete', 'svc', 'web');
    expect(del).toMatchObject({ code: 0, out: 'service "web" deleted\n' });
  });

  it('create service (a protobuf body): clusterip with a named target port, nodeport, externalname', async () => {
    expect(await kubectl('create', 'service', 'clusterip', 'made', '--tcp=80:8080', '--tcp=443:https')).toMatchObject({ code: 0, out: 'service/made created\n' });
    const made = await cp.admin.get<Service>(Services, 'default', 'made');
    expect(made.spec?.ports).toEqual([{ name: '80-8080', port: 80, protocol: 'TCP', targetPort: 8080 }, { name: '443-https', port: 443, protocol: 'TCP', targetPort: 'https' }]);
    expect(made.spec?.selector).toEqual({ app: 'made' });
    expect(await kubectl('create', 'service', 'nodeport', 'made-np', '--tcp=80:8080', '--node-port=30111')).toMatchObject({ code: 0 });
    expect((await cp.admin.get<Service>(Services, 'default', 'made-np')).spec?.ports?.[0]?.nodePort).toBe(30111);
    expect(await kubectl('create', 'service', 'externalname', 'made-ext', '--external-name=example.com')).toMatchObject({ code: 0 });
    const ext = await cp.admin.get<Service>(Services, 'default', 'made-ext');
    expect(ext.spec).toMatchObject({ type: 'ExternalName', externalName: 'example.com' });
    expect(ext.spec?.clusterIP).toBeUndefined();
    const taken = await kubectl('create', 'service', 'nodeport', 'made-np2', '--tcp=81:8080', '--node-port=30111');
    expect(taken.err).toBe('error: failed to create NodePort service: Service "made-np2" is invalid: spec.ports[0].nodePort: Invalid value: 30111: provided port is already allocated\n');
    expect((await kubectl('delete', 'svc', 'made', 'made-np', 'made-ext')).code).toBe(0);
  });

  it('apply --server-side creates a Service and changes its ports; the cluster IP stays', async () => {
    const file = join(dir, 'ssa.yaml');
    const manifest = (port: number) => `apiVersion: v1\nkind: Service\nmetadata:\n  name: ssa\nspec:\n  selector:\n    app: ssa\n  ports:\n    - name: http\n      port: ${port}\n`;
    writeFileSync(file, manifest(80));
    const created = await kubectl('apply', '--server-side', '-f', file);
    expect(created.err).toBe('');
    expect(created).toMatchObject({ code: 0, out: 'service/ssa serverside-applied\n' });
    const ip = (await cp.admin.get<Service>(Services, 'default', 'ssa')).spec?.clusterIP;
    writeFileSync(file, manifest(81));
    const changed = await kubectl('apply', '--server-side', '-f', file);
    expect(changed.err).toBe('');
    const after = await cp.admin.get<Service>(Services, 'default', 'ssa');
    expect(after.spec?.ports).toEqual([{ name: 'http', port: 81, protocol: 'TCP', targetPort: 81 }]);
    expect(after.spec?.clusterIP).toBe(ip);
    expect((await kubectl('delete', 'svc', 'ssa')).code).toBe(0);
  });
});
