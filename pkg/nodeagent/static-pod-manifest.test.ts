import { describe, expect, it } from 'vitest';
import { ANN_CONFIG_HASH, ANN_CONFIG_SEEN, ANN_CONFIG_SOURCE, ManifestError, readManifest } from './static-pod-manifest.js';
import { mirrorPodOf } from './static-pods.js';

const seen = () => '2026-01-01T00:00:00Z';
const podYaml = (extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: busybox${extra}
`;

describe('static pod manifests', () => {
  it('names, binds and annotates a pod as the kubelet does, with tolerations of every NoExecute taint', () => {
    const [sp] = readManifest(podYaml(), '/etc/m/web.yaml', 'node-1', seen);
    const p = sp!.pod;
    expect(p.metadata?.name).toBe('web-node-1');
    expect(p.metadata?.namespace).toBe('default');
    expect(p.spec?.nodeName).toBe('node-1');
    expect(p.metadata?.uid).toMatch(/^[0-9a-f]{32}$/);
    expect(p.metadata?.annotations).toEqual({ [ANN_CONFIG_HASH]: p.metadata?.uid, [ANN_CONFIG_SOURCE]: 'file', [ANN_CONFIG_SEEN]: '2026-01-01T00:00:00Z' });
    expect(sp!.hash).toBe(p.metadata?.uid);
    expect(p.spec?.tolerations).toEqual([{ operator: 'Exists', effect: 'NoExecute' }]);
    // defaulted as the apiserver would
    expect(p.spec?.restartPolicy).toBe('Always');
    expect(p.spec?.containers?.[0]?.imagePullPolicy).toBe('Always');
    expect(p.spec?.containers?.[0]?.terminationMessagePath).toBe('/dev/termination-log');
  });

  it('hashes the contents, the node and the file: same input, same UID; any change, a new one', () => {
    const uid = (text: string, file = '/m/a.yaml', node = 'n1') => readManifest(text, file, node, seen)[0]!.pod.metadata!.uid;
    expect(uid(podYaml())).toBe(uid(podYaml()));
    // key order and formatting do not count
    expect(uid(podYaml())).toBe(uid('{"kind":"Pod","apiVersion":"v1","spec":{"containers":[{"image":"busybox","name":"app"}]},"metadata":{"name":"web"}}'));
    expect(uid(podYaml(':1.36'))).not.toBe(uid(podYaml()));
    expect(uid(podYaml(), '/m/b.yaml')).not.toBe(uid(podYaml()));
    expect(uid(podYaml(), '/m/a.yaml', 'n2')).not.toBe(uid(podYaml()));
  });

  it('keeps the namespace of the file, and reads a PodList', () => {
    const list = { apiVersion: 'v1', kind: 'PodList', items: [1, 2].map((i) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, namespace: 'kube-system' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } })) };
    const pods = readManifest(JSON.stringify(list), '/m/l.json', 'n1', seen);
    expect(pods.map((s) => `${s.pod.metadata?.namespace}/${s.pod.metadata?.name}`)).toEqual(['kube-system/p1-n1', 'kube-system/p2-n1']);
  });

  it('takes only the first document of a multi-document file, as the kubelet', () => {
    const pods = readManifest(`${podYaml()}---\n${podYaml().replace('name: web', 'name: other')}`, '/m/a.yaml', 'n1', seen);
    expect(pods.map((s) => s.pod.metadata?.name)).toEqual(['web-n1']);
  });

  it('refuses bad files with the field named', () => {
    const err = (text: string) => {
      try {
        readManifest(text, '/m/x.yaml', 'n1', seen);
      } catch (e) {
        expect(e).toBeInstanceOf(ManifestError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(err('kind: [')).toMatch(/^cannot parse the file as YAML or JSON/);
    expect(err('apiVersion: v1\nkind: Service\nmetadata: {name: s}\n')).toBe('kind: Unsupported value: "Service": supported values: "Pod", "PodList"');
    expect(err(podYaml().replace('name: app', 'name: App'))).toContain('spec.containers[0].name: Invalid value: "App"');
    expect(err(podYaml().replace('  name: web\n', ''))).toContain('metadata.name: Required value');
    expect(err(podYaml().replace('image: busybox', 'image: busybox\n    ports: [{containerPort: "x"}]'))).toContain('spec.containers[0].ports[0].containerPort');
    expect(err('{"apiVersion":"v1","kind":"PodList","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"ok"},"spec":{"containers":[{"name":"c","image":"i"}]}},{"apiVersion":"v1","kind":"Pod","metadata":{"name":"Bad"},"spec":{"containers":[{"name":"c","image":"i"}]}}]}')).toMatch(/^items\[1\]: metadata.name: Invalid value/);
  });

  it('makes the mirror pod: same name and spec, the mirror annotation, the Node as controller, no UID', () => {
    const [sp] = readManifest(podYaml(), '/m/a.yaml', 'n1', seen);
    const m = mirrorPodOf(sp!, 'n1', 'node-uid');
    expect(m.metadata?.uid).toBeUndefined();
    expect(m.metadata?.name).toBe('web-n1');
    expect(m.metadata?.annotations?.['kubernetes.io/config.mirror']).toBe(sp!.hash);
    expect(m.metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'node-uid', controller: true }]);
    expect(m.spec).toEqual(sp!.pod.spec);
  });
});
