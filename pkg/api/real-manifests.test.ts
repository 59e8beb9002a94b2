// Objects as real Kubernetes 1.32 clusters and clients produce them must decode strictly,
// default and validate without complaint.
import { describe, expect, it } from 'vitest';
import { formatFieldError } from './field-error.js';
import { defaultPod } from './defaults.js';
import { decodeStrict } from './schema-validate.js';
import type { Pod } from './types.js';
import { validatePod, validatePodUpdate } from './validation.js';

// `kubectl run nginx --image=nginx --port=80 --env=A=b --dry-run=client -o json`
const kubectlRun = {
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: { name: 'nginx', creationTimestamp: null, labels: { run: 'nginx' } },
  spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: 'b' }], resources: {} }], restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' },
  status: {},
};

// `kubectl get pod -o json` from a kubeadm cluster (trimmed ids).
const fromCluster = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    creationTimestamp: '2025-01-10T09:00:00Z',
    generateName: 'web-7d4b9c8f6-',
    labels: { app: 'web', 'pod-template-hash': '7d4b9c8f6' },
    managedFields: [
      {
        apiVersion: 'v1',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {} } } } },
        manager: 'kube-controller-manager',
        operation: 'Update',
        time: '2025-01-10T09:00:00Z',
      },
      { apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': {} }, manager: 'kubelet', operation: 'Update', subresource: 'status', time: '2025-01-10T09:00:05Z' },
    ],
    name: 'web-7d4b9c8f6-x2x9z',
    namespace: 'default',
    ownerReferences: [{ apiVersion: 'apps/v1', blockOwnerDeletion: true, controller: true, kind: 'ReplicaSet', name: 'web-7d4b9c8f6', uid: '5f0c6c8e-1111-2222-3333-444455556666' }],
    resourceVersion: '123456',
    uid: '0b8e0f2a-aaaa-bbbb-cccc-ddddeeeeffff',
  },
  spec: {
    containers: [
      {
        image: 'nginx:1.27',
        imagePullPolicy: 'IfNotPresent',
        name: 'web',
        ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }],
        readinessProbe: { failureThreshold: 3, httpGet: { path: '/', port: 'http', scheme: 'HTTP' }, periodSeconds: 10, successThreshold: 1, timeoutSeconds: 1 },
        resources: { limits: { memory: '128Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        volumeMounts: [{ mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: 'kube-api-access-abcde', readOnly: true }],
      },
    ],
    dnsPolicy: 'ClusterFirst',
    enableServiceLinks: true,
    nodeName: 'worker-1',
    preemptionPolicy: 'PreemptLowerPriority',
    priority: 0,
    restartPolicy: 'Always',
    schedulerName: 'default-scheduler',
    securityContext: {},
    serviceAccount: 'default',
    serviceAccountName: 'default',
    terminationGracePeriodSeconds: 30,
    tolerations: [
      { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 },
      { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
    ],
    volumes: [
      {
        name: 'kube-api-access-abcde',
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
            { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
          ],
        },
      },
    ],
  },
  status: {
    conditions: [
      { lastProbeTime: null, lastTransitionTime: '2025-01-10T09:00:03Z', status: 'True', type: 'PodReadyToStartContainers' },
      { lastProbeTime: null, lastTransitionTime: '2025-01-10T09:00:00Z', status: 'True', type: 'Initialized' },
      { lastProbeTime: null, lastTransitionTime: '2025-01-10T09:00:05Z', status: 'True', type: 'Ready' },
      { lastProbeTime: null, lastTransitionTime: '2025-01-10T09:00:00Z', status: 'True', type: 'PodScheduled' },
    ],
    containerStatuses: [
      {
        containerID: 'containerd://abc',
        image: 'docker.io/library/nginx:1.27',
        imageID: 'docker.io/library/nginx@sha256:abc',
        lastState: {},
        name: 'web',
        ready: true,
        restartCount: 0,
        started: true,
        state: { running: { startedAt: '2025-01-10T09:00:04Z' } },
        volumeMounts: [{ mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: 'kube-api-access-abcde', readOnly: true, recursiveReadOnly: 'Disabled' }],
      },
    ],
    hostIP: '192.168.1.11',
    hostIPs: [{ ip: '192.168.1.11' }],
    phase: 'Running',
    podIP: '10.244.1.7',
    podIPs: [{ ip: '10.244.1.7' }],
    qosClass: 'Burstable',
    startTime: '2025-01-10T09:00:00Z',
  },
};

describe('real manifests', () => {
  it.each([
    ['kubectl run', kubectlRun],
    ['a pod read back from a cluster', fromCluster],
  ])('%s decodes, defaults and validates', (_name, manifest) => {
    expect(decodeStrict('Pod', manifest).map(formatFieldError)).toEqual([]);
    // (the wire JSON has nulls, creationTimestamp and lastProbeTime, where Pod's type has optional strings)
    const pod = structuredClone(manifest) as unknown as Pod;
    pod.metadata!.namespace ??= 'default';
    defaultPod(pod);
    expect(validatePod(pod).map(formatFieldError)).toEqual([]);
  });

  it('defaulting a cluster pod again changes nothing (so re-applied manifests compare equal)', () => {
    const pod = structuredClone(fromCluster) as unknown as Pod; // (nulls on the wire: see above)
    expect(defaultPod(structuredClone(pod))).toEqual(pod);
  });

  it('a PUT of the original manifest passes the pod update rules once defaulted', () => {
    const stored = defaultPod({ ...structuredClone(kubectlRun), metadata: { name: 'nginx', namespace: 'default', labels: { run: 'nginx' } } } as Pod);
    const put = defaultPod({ ...structuredClone(kubectlRun), metadata: { name: 'nginx', namespace: 'default', labels: { run: 'nginx', v: '2' } } } as Pod);
    put.spec!.containers![0].image = 'nginx:1.28';
    expect(validatePodUpdate(put, stored)).toEqual([]);
  });
});
