import { describe, expect, it } from 'vitest';
import { fieldTypeOf, isAtomicStruct, structType } from './field-types.js';
import { FieldSet, pathString } from './fieldpath.js';
import { fieldSetOf, mergeApplied } from './fieldset-object.js';

const paths = (s: FieldSet) => s.paths().map(pathString);

describe('apply field types of the 1.32 schema', () => {
  it('keys Service ports by port and protocol (TCP when left out): 53/UDP and 53/TCP are two ports', () => {
    expect(fieldTypeOf('ServiceSpec', 'ports')).toMatchObject({ kind: 'keyed', keys: ['port', 'protocol'], defaults: { protocol: 'TCP' } });
    const s = fieldSetOf({ spec: { ports: [{ name: 'dns-udp', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }, { port: 80 }] } }, structType('Service'), { strict: true });
    expect(paths(s).filter((p) => !p.endsWith('.name') && !p.endsWith('.port') && !p.endsWith('.protocol'))).toEqual([
      '.spec.ports[port=53,protocol="TCP"]',
      '.spec.ports[port=53,protocol="UDP"]',
      '.spec.ports[port=80,protocol="TCP"]',
    ]);
  });

  it('keys the status conditions of the workloads, claims and budgets by type; Job conditions and pod hostIPs stay atomic', () => {
    for (const owner of ['DeploymentStatus', 'ReplicaSetStatus', 'StatefulSetStatus', 'DaemonSetStatus', 'HorizontalPodAutoscalerStatus', 'PersistentVolumeClaimStatus', 'ReplicationControllerStatus', 'PodDisruptionBudgetStatus', 'CertificateSigningRequestStatus']) {
      expect(fieldTypeOf(owner, 'conditions'), owner).toMatchObject({ kind: 'keyed', keys: ['type'] });
    }
    expect(fieldTypeOf('JobStatus', 'conditions')).toEqual({ kind: 'leaf' });
    expect(fieldTypeOf('PodStatus', 'hostIPs')).toEqual({ kind: 'leaf' });
    expect(fieldTypeOf('ServiceAccount', 'secrets')).toMatchObject({ kind: 'keyed', keys: ['name'] });
    expect(fieldTypeOf('ResourceRequirements', 'claims')).toMatchObject({ kind: 'keyed', keys: ['name'] });
    expect(fieldTypeOf('ContainerStatus', 'volumeMounts')).toMatchObject({ kind: 'keyed', keys: ['mountPath'] });
    expect(fieldTypeOf('UncountedTerminatedPods', 'succeeded')).toEqual({ kind: 'set' });
  });

  it('owns atomic structs and maps as one field: f:selector, f:configMapKeyRef, f:nodeSelector', () => {
    expect(isAtomicStruct('LabelSelector')).toBe(true);
    expect(isAtomicStruct('PodSpec')).toBe(false);
    const d = fieldSetOf({ spec: { selector: { matchLabels: { app: 'web' } }, template: { spec: { nodeSelector: { disk: 'ssd' }, containers: [{ name: 'c', env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'a' } } }] }] } } } }, structType('Deployment'));
    expect(paths(d)).toEqual([
      '.spec.selector',
      '.spec.template.spec.containers[name="c"]',
      '.spec.template.spec.containers[name="c"].env[name="A"]',
      '.spec.template.spec.containers[name="c"].env[name="A"].name',
      '.spec.template.spec.containers[name="c"].env[name="A"].valueFrom.configMapKeyRef',
      '.spec.template.spec.containers[name="c"].name',
      '.spec.template.spec.nodeSelector',
    ]);
    const svc = fieldSetOf({ spec: { selector: { app: 'web' } } }, structType('Service'));
    expect(paths(svc)).toEqual(['.spec.selector']);
  });

  it('merges an applied selector as one value: the live one is replaced, not added to', () => {
    const merged = mergeApplied({ spec: { replicas: 2, selector: { matchLabels: { app: 'web', tier: 'front' } } } }, { spec: { selector: { matchLabels: { app: 'web' } } } }, structType('Deployment'));
    expect(merged).toEqual({ spec: { replicas: 2, selector: { matchLabels: { app: 'web' } } } });
    const pod = mergeApplied({ spec: { nodeSelector: { a: '1', b: '2' } } }, { spec: { nodeSelector: { c: '3' } } }, structType('Pod'));
    expect(pod).toEqual({ spec: { nodeSelector: { c: '3' } } });
  });
});
