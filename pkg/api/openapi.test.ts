import { describe, expect, it } from 'vitest';
import { API_KINDS, groupVersionPath } from './kinds.js';
import { openapiV3Doc, openapiV3Index } from './openapi.js';
import { ENUMS } from './openapi-enums.js';
import { fieldsOfMessage } from './schema.js';

describe('openapi v3', () => {
  it('indexes every group-version by hash', () => {
    const idx = openapiV3Index();
    // Every group-version of a served kind and of the review kinds, and, as kube-apiserver's
    // InstallV3 publishes every go-restful web service, the discovery roots of the legacy API, of
    // the groups and of each group, version and the OIDC discovery documents; no other.
    const reviews = ['apis/authentication.k8s.io/v1', 'apis/authorization.k8s.io/v1'];
    const gvs = [...new Set([...API_KINDS.map((k) => groupVersionPath(k.group, k.version)), ...reviews])];
    const groups = [...new Set(gvs.filter((gv) => gv.startsWith('apis/')).map((gv) => gv.split('/').slice(0, 2).join('/')))];
    expect(Object.keys(idx.paths).sort()).toEqual([...gvs, ...groups, 'api', 'apis', 'version', '.well-known/openid-configuration', 'openid/v1/jwks'].sort());
    expect(Object.keys(idx.paths)).toEqual(expect.arrayContaining(['api/v1', 'apis/apps/v1', 'apis/batch/v1', 'apis/coordination.k8s.io/v1', 'apis/discovery.k8s.io/v1', 'apis/networking.k8s.io/v1', 'apis/scheduling.k8s.io/v1', 'apis/policy/v1', 'apis/autoscaling/v2', 'apis/rbac.authorization.k8s.io/v1', 'apis/storage.k8s.io/v1']));
    expect(idx.paths['api/v1'].serverRelativeURL).toMatch(/^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
    expect(openapiV3Index()).toEqual(idx); // stable
  });

  it('serves the discovery roots, version and OIDC documents as their web services describe them', () => {
    const get = (key: string, path: string) => (openapiV3Doc(key) as any).paths[path].get;
    expect(get('api', '/api/')).toMatchObject({ operationId: 'getCoreAPIVersions', tags: ['core'] });
    expect(get('apis', '/apis/')).toMatchObject({ operationId: 'getAPIVersions', tags: ['apis'] });
    const apps = get('apis/apps', '/apis/apps/');
    expect(apps).toMatchObject({ operationId: 'getAppsAPIGroup', tags: ['apps'], description: 'get information of a group' });
    expect(Object.keys(apps.responses['200'].content)).toEqual(['application/json', 'application/vnd.kubernetes.protobuf', 'application/yaml']);
    expect(apps.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.APIGroup' });
    // (the group's dots dropped and camel-cased, .k8s.io cut: GetOperationIDAndTags)
    expect(get('apis/rbac.authorization.k8s.io', '/apis/rbac.authorization.k8s.io/')).toMatchObject({ operationId: 'getRbacAuthorizationAPIGroup', tags: ['rbacAuthorization'] });
    expect(get('apis/flowcontrol.apiserver.k8s.io', '/apis/flowcontrol.apiserver.k8s.io/')).toMatchObject({ operationId: 'getFlowcontrolApiserverAPIGroup', tags: ['flowcontrolApiserver'] });
    const schemas = (openapiV3Doc('apis/apps') as any).components.schemas;
    expect(Object.keys(schemas)).toEqual(['io.k8s.apimachinery.pkg.apis.meta.v1.APIGroup', 'io.k8s.apimachinery.pkg.apis.meta.v1.GroupVersionForDiscovery', 'io.k8s.apimachinery.pkg.apis.meta.v1.ServerAddressByClientCIDR']);
    expect(get('version', '/version/')).toMatchObject({ operationId: 'getCodeVersion', tags: ['version'], description: 'get the code version' });
    // each group-version's own discovery, and its operations named as GetOperationIDAndTags names them
    const rbac = openapiV3Doc('apis/rbac.authorization.k8s.io/v1') as any;
    expect(rbac.paths['/apis/rbac.authorization.k8s.io/v1/'].get).toMatchObject({ operationId: 'getRbacAuthorizationV1APIResources', tags: ['rbacAuthorization_v1'] });
    expect(rbac.paths['/apis/rbac.authorization.k8s.io/v1/clusterroles'].get).toMatchObject({ operationId: 'listRbacAuthorizationV1ClusterRole', tags: ['rbacAuthorization_v1'] });
    expect(rbac.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.APIResource'].required).toEqual(['name', 'singularName', 'namespaced', 'kind', 'verbs']);
    expect((openapiV3Doc('apis/flowcontrol.apiserver.k8s.io/v1') as any).paths['/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas'].get.operationId).toBe('listFlowcontrolApiserverV1FlowSchema');
    expect((openapiV3Doc('api/v1') as any).paths['/api/v1/'].get).toMatchObject({ operationId: 'getCoreV1APIResources', tags: ['core_v1'] });
    expect((openapiV3Doc('api/v1') as any).paths['/api/v1/namespaces/{namespace}/pods'].get.operationId).toBe('listCoreV1NamespacedPod');
    expect((openapiV3Doc('version') as any).components.schemas['io.k8s.apimachinery.pkg.version.Info'].required).toContain('gitVersion');
    expect(get('.well-known/openid-configuration', '/.well-known/openid-configuration/').operationId).toBe('getServiceAccountIssuerOpenIDConfiguration');
    expect(Object.keys(get('openid/v1/jwks', '/openid/v1/jwks/').responses['200'].content)).toEqual(['application/jwk-set+json']);
    expect(openapiV3Doc('apis/nosuch')).toBeUndefined();
  });

  it('serves core/v1 with Kubernetes schema names, GVKs and patch metadata', () => {
    const doc = openapiV3Doc('api/v1') as any;
    expect(doc.openapi).toBe('3.0.0');
    const s = doc.components.schemas;
    expect(s['io.k8s.api.core.v1.Pod']['x-kubernetes-group-version-kind']).toEqual([{ group: '', kind: 'Pod', version: 'v1' }]);
    expect(s['io.k8s.api.core.v1.PodList']['x-kubernetes-group-version-kind']).toEqual([{ group: '', kind: 'PodList', version: 'v1' }]);
    expect(s['io.k8s.api.core.v1.Pod'].properties.metadata.allOf[0].$ref).toBe('#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
    const containers = s['io.k8s.api.core.v1.PodSpec'].properties.containers;
    expect(containers['x-kubernetes-patch-merge-key']).toBe('name');
    expect(containers['x-kubernetes-patch-strategy']).toBe('merge');
    expect(containers.items.allOf[0].$ref).toBe('#/components/schemas/io.k8s.api.core.v1.Container');
    expect(s['io.k8s.api.core.v1.Container'].properties.ports['x-kubernetes-patch-merge-key']).toBe('containerPort');
    expect(s['io.k8s.api.core.v1.Container'].properties.args['x-kubernetes-patch-strategy']).toBeUndefined();
    expect(s['io.k8s.api.core.v1.PodSpec'].properties.volumes['x-kubernetes-patch-strategy']).toBe('merge,retainKeys');
    expect(s['io.k8s.api.core.v1.HTTPGetAction'].properties.port.allOf[0].$ref).toBe('#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString');
    expect(s['io.k8s.api.core.v1.GRPCAction'].properties.port).toMatchObject({ type: 'integer', format: 'int32' });
    expect(s['io.k8s.api.core.v1.Pod'].description).toMatch(/collection of containers/);
    expect(s['io.k8s.api.core.v1.Container'].properties.image.description).toMatch(/image reference/);
    expect(s['io.k8s.api.core.v1.ResourceRequirements'].properties.limits).toMatchObject({ type: 'object', additionalProperties: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity' } });
    expect(s['io.k8s.apimachinery.pkg.api.resource.Quantity'].oneOf).toEqual([{ type: 'string' }, { type: 'number' }]);
    expect(s['io.k8s.api.core.v1.PodSpec'].properties.terminationGracePeriodSeconds).toMatchObject({ type: 'integer', format: 'int64' });
    expect(s['io.k8s.api.core.v1.Container'].required).toEqual(['name']);
    expect(s['io.k8s.apimachinery.pkg.apis.meta.v1.Status']).toBeDefined();
    expect(s['io.k8s.api.core.v1.Binding']).toBeDefined();
    // Every $ref resolves.
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[^"]+/g)!;
    for (const r of refs) expect(s[r.slice('#/components/schemas/'.length)], r).toBeDefined();
    expect(s['io.k8s.api.coordination.v1.Lease']).toBeUndefined();
  });

  it('publishes the list, map and struct types and patch strategies 1.32 declares (+listType, +mapType, +structType, patchStrategy)', () => {
    const core = (openapiV3Doc('api/v1') as any).components.schemas;
    const apps = (openapiV3Doc('apis/apps/v1') as any).components.schemas;
    const batch = (openapiV3Doc('apis/batch/v1') as any).components.schemas;
    const policy = (openapiV3Doc('apis/policy/v1') as any).components.schemas;
    // Apply keys may differ from the patch's merge key: a Service's 53/UDP and 53/TCP are two ports.
    expect(core['io.k8s.api.core.v1.ServiceSpec'].properties.ports).toMatchObject({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['port', 'protocol'], 'x-kubernetes-patch-merge-key': 'port', 'x-kubernetes-patch-strategy': 'merge' });
    expect(core['io.k8s.api.core.v1.Container'].properties.ports).toMatchObject({ 'x-kubernetes-list-map-keys': ['containerPort', 'protocol'], 'x-kubernetes-patch-merge-key': 'containerPort' });
    // kubectl sends $retainKeys with a struct only where the schema says retainKeys.
    expect(apps['io.k8s.api.apps.v1.DeploymentSpec'].properties.strategy).toMatchObject({ allOf: [{ $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy' }], 'x-kubernetes-patch-strategy': 'retainKeys' });
    expect(apps['io.k8s.api.apps.v1.DaemonSetSpec'].properties.updateStrategy['x-kubernetes-patch-strategy']).toBeUndefined();
    expect(policy['io.k8s.api.policy.v1.PodDisruptionBudgetSpec'].properties.selector['x-kubernetes-patch-strategy']).toBe('replace');
    expect(apps['io.k8s.api.apps.v1.DeploymentStatus'].properties.conditions).toMatchObject({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'], 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-patch-strategy': 'merge' });
    // Merged by key in a strategic patch, atomic to apply.
    expect(batch['io.k8s.api.batch.v1.JobStatus'].properties.conditions).toMatchObject({ 'x-kubernetes-list-type': 'atomic', 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-patch-strategy': 'merge' });
    expect(core['io.k8s.api.core.v1.PodStatus'].properties.hostIPs).toMatchObject({ 'x-kubernetes-list-type': 'atomic', 'x-kubernetes-patch-merge-key': 'ip' });
    expect(core['io.k8s.api.core.v1.ServiceAccount'].properties.secrets).toMatchObject({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], 'x-kubernetes-patch-merge-key': 'name' });
    // +mapType=atomic on the field, +structType=atomic on the definition (as the same extension).
    expect(core['io.k8s.api.core.v1.PodSpec'].properties.nodeSelector['x-kubernetes-map-type']).toBe('atomic');
    expect(core['io.k8s.api.core.v1.ServiceSpec'].properties.selector['x-kubernetes-map-type']).toBe('atomic');
    expect(core['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.labels['x-kubernetes-map-type']).toBeUndefined();
    for (const d of ['io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector', 'io.k8s.api.core.v1.ConfigMapKeySelector', 'io.k8s.api.core.v1.NodeSelector', 'io.k8s.api.core.v1.ObjectReference', 'io.k8s.api.core.v1.LocalObjectReference']) {
      expect(core[d]?.['x-kubernetes-map-type'], d).toBe('atomic');
    }
    expect(core['io.k8s.api.core.v1.PodSpec']['x-kubernetes-map-type']).toBeUndefined();
  });

  it('has the pod PATCH operation kubectl looks for', () => {
    const doc = openapiV3Doc('api/v1') as any;
    const patch = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: '', kind: 'Pod', version: 'v1' });
    expect(patch['x-kubernetes-action']).toBe('patch');
    expect(patch.parameters.map((p: any) => p.name)).toContain('fieldValidation');
    expect(Object.keys(patch.requestBody.content)).toContain('application/strategic-merge-patch+json');
    expect(patch.operationId).toBe('patchCoreV1NamespacedPod');
  });

  it('serviceaccounts/token creates authentication.k8s.io/v1 TokenRequests', () => {
    const doc = openapiV3Doc('api/v1') as any;
    const post = doc.paths['/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token'].post;
    expect(post['x-kubernetes-group-version-kind']).toEqual({ group: 'authentication.k8s.io', kind: 'TokenRequest', version: 'v1' });
    expect(post.operationId).toBe('createCoreV1NamespacedServiceAccountToken');
    expect(doc.components.schemas['io.k8s.api.authentication.v1.TokenRequest']['x-kubernetes-group-version-kind']).toEqual([{ group: 'authentication.k8s.io', kind: 'TokenRequest', version: 'v1' }]);
  });

  it('lists the operations of every resource', () => {
    const paths = Object.keys((openapiV3Doc('api/v1') as any).paths).sort();
    expect(paths).toEqual([
      // (the group-version's own discovery, getCoreV1APIResources)
      '/api/v1/',
      '/api/v1/configmaps',
      '/api/v1/endpoints',
      '/api/v1/events',
      '/api/v1/limitranges',
      '/api/v1/namespaces',
      '/api/v1/namespaces/{namespace}/configmaps',
      '/api/v1/namespaces/{namespace}/configmaps/{name}',
      '/api/v1/namespaces/{namespace}/endpoints',
      '/api/v1/namespaces/{namespace}/endpoints/{name}',
      '/api/v1/namespaces/{namespace}/events',
      '/api/v1/namespaces/{namespace}/events/{name}',
      '/api/v1/namespaces/{namespace}/limitranges',
      '/api/v1/namespaces/{namespace}/limitranges/{name}',
      '/api/v1/namespaces/{namespace}/persistentvolumeclaims',
      '/api/v1/namespaces/{namespace}/persistentvolumeclaims/{name}',
      '/api/v1/namespaces/{namespace}/persistentvolumeclaims/{name}/status',
      '/api/v1/namespaces/{namespace}/pods',
      '/api/v1/namespaces/{namespace}/pods/{name}',
      '/api/v1/namespaces/{namespace}/pods/{name}/binding',
      '/api/v1/namespaces/{namespace}/pods/{name}/ephemeralcontainers',
      '/api/v1/namespaces/{namespace}/pods/{name}/status',
      '/api/v1/namespaces/{namespace}/podtemplates',
      '/api/v1/namespaces/{namespace}/podtemplates/{name}',
      '/api/v1/namespaces/{namespace}/replicationcontrollers',
      '/api/v1/namespaces/{namespace}/replicationcontrollers/{name}',
      '/api/v1/namespaces/{namespace}/replicationcontrollers/{name}/scale',
      '/api/v1/namespaces/{namespace}/replicationcontrollers/{name}/status',
      '/api/v1/namespaces/{namespace}/resourcequotas',
      '/api/v1/namespaces/{namespace}/resourcequotas/{name}',
      '/api/v1/namespaces/{namespace}/resourcequotas/{name}/status',
      '/api/v1/namespaces/{namespace}/secrets',
      '/api/v1/namespaces/{namespace}/secrets/{name}',
      '/api/v1/namespaces/{namespace}/serviceaccounts',
      '/api/v1/namespaces/{namespace}/serviceaccounts/{name}',
      '/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token',
      '/api/v1/namespaces/{namespace}/services',
      '/api/v1/namespaces/{namespace}/services/{name}',
      '/api/v1/namespaces/{namespace}/services/{name}/status',
      '/api/v1/namespaces/{name}',
      '/api/v1/namespaces/{name}/status',
      '/api/v1/nodes',
      '/api/v1/nodes/{name}',
      '/api/v1/nodes/{name}/status',
      '/api/v1/persistentvolumeclaims',
      '/api/v1/persistentvolumes',
      '/api/v1/persistentvolumes/{name}',
      '/api/v1/persistentvolumes/{name}/status',
      '/api/v1/pods',
      '/api/v1/podtemplates',
      '/api/v1/replicationcontrollers',
      '/api/v1/resourcequotas',
      '/api/v1/secrets',
      '/api/v1/serviceaccounts',
      '/api/v1/services',
    ]);
    const node = (openapiV3Doc('api/v1') as any).paths['/api/v1/nodes/{name}'];
    expect(Object.keys(node).sort()).toEqual(['delete', 'get', 'parameters', 'patch', 'put']);
    expect(node.get.operationId).toBe('readCoreV1Node');
    const ecs = (openapiV3Doc('api/v1') as any).paths['/api/v1/namespaces/{namespace}/pods/{name}/ephemeralcontainers'];
    expect([ecs.get.operationId, ecs.put.operationId, ecs.patch.operationId]).toEqual(['readCoreV1NamespacedPodEphemeralcontainers', 'replaceCoreV1NamespacedPodEphemeralcontainers', 'patchCoreV1NamespacedPodEphemeralcontainers']);
  });

  it('publishes ConfigMap and Secret with base64 (format byte) maps where Kubernetes has []byte', () => {
    const s = (openapiV3Doc('api/v1') as any).components.schemas;
    expect(s['io.k8s.api.core.v1.Secret'].properties.data).toMatchObject({ type: 'object', additionalProperties: { type: 'string', format: 'byte' } });
    expect(s['io.k8s.api.core.v1.Secret'].properties.stringData.additionalProperties).toEqual({ type: 'string' });
    expect(s['io.k8s.api.core.v1.ConfigMap'].properties.binaryData.additionalProperties).toEqual({ type: 'string', format: 'byte' });
    expect(s['io.k8s.api.core.v1.ConfigMap']['x-kubernetes-group-version-kind']).toEqual([{ group: '', kind: 'ConfigMap', version: 'v1' }]);
  });

  it('publishes Service, Endpoints and discovery.k8s.io/v1 EndpointSlice under their Kubernetes names', () => {
    const core = (openapiV3Doc('api/v1') as any).components.schemas;
    expect(core['io.k8s.api.core.v1.Service']['x-kubernetes-group-version-kind']).toEqual([{ group: '', kind: 'Service', version: 'v1' }]);
    expect(core['io.k8s.api.core.v1.ServiceSpec'].properties.ports).toMatchObject({ 'x-kubernetes-patch-merge-key': 'port', 'x-kubernetes-patch-strategy': 'merge' });
    expect(core['io.k8s.api.core.v1.ServicePort'].properties.targetPort.allOf[0].$ref).toBe('#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString');
    expect(core['io.k8s.api.core.v1.EndpointSubset'].properties.ports.items.allOf[0].$ref).toBe('#/components/schemas/io.k8s.api.core.v1.EndpointPort');
    const disc = openapiV3Doc('apis/discovery.k8s.io/v1') as any;
    expect(disc.components.schemas['io.k8s.api.discovery.v1.EndpointSlice']['x-kubernetes-group-version-kind']).toEqual([{ group: 'discovery.k8s.io', kind: 'EndpointSlice', version: 'v1' }]);
    expect(disc.components.schemas['io.k8s.api.discovery.v1.EndpointSlice'].properties.ports.items.allOf[0].$ref).toBe('#/components/schemas/io.k8s.api.discovery.v1.EndpointPort');
    expect(disc.paths['/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices/{name}'].patch.operationId).toBe('patchDiscoveryV1NamespacedEndpointSlice');
  });

  it('publishes PersistentVolume, PersistentVolumeClaim and storage.k8s.io/v1 StorageClass under their Kubernetes names', () => {
    const core = (openapiV3Doc('api/v1') as any).components.schemas;
    expect(core['io.k8s.api.core.v1.PersistentVolume']['x-kubernetes-group-version-kind']).toEqual([{ group: '', kind: 'PersistentVolume', version: 'v1' }]);
    expect(core['io.k8s.api.core.v1.PersistentVolumeClaimSpec'].properties.resources.allOf[0].$ref).toBe('#/components/schemas/io.k8s.api.core.v1.VolumeResourceRequirements');
    const storage = openapiV3Doc('apis/storage.k8s.io/v1') as any;
    expect(storage.components.schemas['io.k8s.api.storage.v1.StorageClass']['x-kubernetes-group-version-kind']).toEqual([{ group: 'storage.k8s.io', kind: 'StorageClass', version: 'v1' }]);
    expect(storage.components.schemas['io.k8s.api.storage.v1.StorageClass'].required).toEqual(['provisioner']);
    expect(storage.paths['/apis/storage.k8s.io/v1/storageclasses/{name}'].patch.operationId).toBe('patchStorageV1StorageClass');
  });

  it('serves coordination.k8s.io/v1 leases and nothing for unknown group-versions', () => {
    const doc = openapiV3Doc('/apis/coordination.k8s.io/v1?hash=abc') as any;
    expect(doc.components.schemas['io.k8s.api.coordination.v1.Lease']['x-kubernetes-group-version-kind']).toEqual([{ group: 'coordination.k8s.io', kind: 'Lease', version: 'v1' }]);
    expect(doc.paths['/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}'].patch['x-kubernetes-group-version-kind'].kind).toBe('Lease');
    expect(openapiV3Doc('apis/batch/v2')).toBeUndefined();
    const batch = openapiV3Doc('apis/batch/v1') as any;
    expect(batch.components.schemas['io.k8s.api.batch.v1.Job']['x-kubernetes-group-version-kind']).toEqual([{ group: 'batch', kind: 'Job', version: 'v1' }]);
    expect(batch.components.schemas['io.k8s.api.batch.v1.CronJobSpec'].required).toEqual(['schedule', 'jobTemplate']);
    expect(batch.paths['/apis/batch/v1/namespaces/{namespace}/cronjobs/{name}/status']).toBeDefined();
  });

  it('serves apps/v1 with the scale subresource as autoscaling/v1 Scale', () => {
    const doc = openapiV3Doc('apis/apps/v1') as any;
    const s = doc.components.schemas;
    expect(s['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    expect(s['io.k8s.api.apps.v1.DeploymentSpec'].required).toEqual(['selector', 'template']);
    expect(s['io.k8s.api.apps.v1.RollingUpdateDeployment'].properties.maxSurge.allOf[0].$ref).toBe('#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString');
    expect(s['io.k8s.api.core.v1.PodTemplateSpec']).toBeDefined();
    const scale = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
    expect(scale.patch.operationId).toBe('patchAppsV1NamespacedDeploymentScale');
    expect(scale.get['x-kubernetes-group-version-kind']).toEqual({ group: 'autoscaling', kind: 'Scale', version: 'v1' });
    expect(s['io.k8s.api.autoscaling.v1.Scale']['x-kubernetes-group-version-kind']).toEqual([{ group: 'autoscaling', kind: 'Scale', version: 'v1' }]);
  });

  it('serves policy/v1 PodDisruptionBudgets and HorizontalPodAutoscalers as autoscaling/v2 and autoscaling/v1', () => {
    const policy = (openapiV3Doc('apis/policy/v1') as any).components.schemas;
    expect(policy['io.k8s.api.policy.v1.PodDisruptionBudget']['x-kubernetes-group-version-kind']).toEqual([{ group: 'policy', kind: 'PodDisruptionBudget', version: 'v1' }]);
    expect(policy['io.k8s.api.policy.v1.PodDisruptionBudgetList']['x-kubernetes-group-version-kind']).toEqual([{ group: 'policy', kind: 'PodDisruptionBudgetList', version: 'v1' }]);
    expect(policy['io.k8s.api.policy.v1.PodDisruptionBudgetSpec'].properties.minAvailable.allOf[0].$ref).toBe('#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString');
    const v2 = openapiV3Doc('apis/autoscaling/v2') as any;
    expect(v2.components.schemas['io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler']['x-kubernetes-group-version-kind']).toEqual([{ group: 'autoscaling', kind: 'HorizontalPodAutoscaler', version: 'v2' }]);
    expect(v2.components.schemas['io.k8s.api.autoscaling.v2.MetricSpec'].properties.resource).toBeDefined();
    const v1 = openapiV3Doc('apis/autoscaling/v1') as any;
    const hpa = v1.components.schemas['io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler'];
    expect(hpa['x-kubernetes-group-version-kind']).toEqual([{ group: 'autoscaling', kind: 'HorizontalPodAutoscaler', version: 'v1' }]);
    expect(v1.components.schemas['io.k8s.api.autoscaling.v1.HorizontalPodAutoscalerSpec'].properties.targetCPUUtilizationPercentage).toBeDefined();
    expect(v1.components.schemas['io.k8s.api.autoscaling.v1.HorizontalPodAutoscalerList']['x-kubernetes-group-version-kind']).toEqual([{ group: 'autoscaling', kind: 'HorizontalPodAutoscalerList', version: 'v1' }]);
    expect(v1.paths['/apis/autoscaling/v1/namespaces/{namespace}/horizontalpodautoscalers/{name}'].patch['x-kubernetes-group-version-kind']).toEqual({ group: 'autoscaling', kind: 'HorizontalPodAutoscaler', version: 'v1' });
  });

  it('publishes networking.k8s.io/v1 Ingress and IngressClass, with the core TypedLocalObjectReference', () => {
    const doc = openapiV3Doc('apis/networking.k8s.io/v1') as any;
    const s = doc.components.schemas;
    expect(s['io.k8s.api.networking.v1.Ingress']['x-kubernetes-group-version-kind']).toEqual([{ group: 'networking.k8s.io', kind: 'Ingress', version: 'v1' }]);
    expect(s['io.k8s.api.networking.v1.HTTPIngressPath'].required).toEqual(['pathType', 'backend']);
    expect(s['io.k8s.api.networking.v1.IngressBackend'].properties.resource.allOf[0].$ref).toBe('#/components/schemas/io.k8s.api.core.v1.TypedLocalObjectReference');
    expect(doc.paths['/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses/{name}/status']).toBeDefined();
    expect(doc.paths['/apis/networking.k8s.io/v1/ingressclasses/{name}'].patch['x-kubernetes-group-version-kind'].kind).toBe('IngressClass');
  });

  it('serves the create-only review kinds of authentication.k8s.io and authorization.k8s.io', () => {
    const authz = openapiV3Doc('apis/authorization.k8s.io/v1') as any;
    const sar = authz.components.schemas['io.k8s.api.authorization.v1.SubjectAccessReview'];
    expect(sar['x-kubernetes-group-version-kind']).toEqual([{ group: 'authorization.k8s.io', kind: 'SubjectAccessReview', version: 'v1' }]);
    expect(sar.required).toEqual(['spec']);
    expect(authz.components.schemas['io.k8s.api.authorization.v1.ResourceAttributes'].properties.verb.type).toBe('string');
    expect(authz.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']).toBeDefined();
    const post = authz.paths['/apis/authorization.k8s.io/v1/namespaces/{namespace}/localsubjectaccessreviews'].post;
    expect(post['x-kubernetes-group-version-kind']).toEqual({ group: 'authorization.k8s.io', kind: 'LocalSubjectAccessReview', version: 'v1' });
    // create only: no PATCH, so kubectl validates these on the client against /openapi/v2
    expect(Object.values(authz.paths).some((p: any) => p.patch)).toBe(false);
    const authn = openapiV3Doc('apis/authentication.k8s.io/v1') as any;
    expect(Object.keys(authn.paths).sort()).toEqual(['/apis/authentication.k8s.io/v1/', '/apis/authentication.k8s.io/v1/selfsubjectreviews', '/apis/authentication.k8s.io/v1/tokenreviews']);
    expect(authn.paths['/apis/authentication.k8s.io/v1/selfsubjectreviews'].post).toMatchObject({ operationId: 'createAuthenticationV1SelfSubjectReview', tags: ['authentication_v1'] });
    expect(authn.components.schemas['io.k8s.api.authentication.v1.TokenReviewSpec'].properties.audiences.type).toBe('array');
  });
});

describe('enums', () => {
  it('names only string fields that exist, and reaches the schemas (items for a list)', () => {
    for (const key of Object.keys(ENUMS)) {
      const [message, field] = key.split('.') as [string, string];
      const f = fieldsOfMessage(message).get(field);
      expect(f?.kind, key).toBe('string');
    }
    const core = openapiV3Doc('api/v1') as { components: { schemas: Record<string, { properties: Record<string, { enum?: string[]; items?: { enum?: string[] } }> }> } };
    const podSpec = core.components.schemas['io.k8s.api.core.v1.PodSpec']!.properties;
    expect(podSpec.restartPolicy!.enum).toEqual(['Always', 'Never', 'OnFailure']);
    // (the volume sources tskube does not mount are documented as 1.32 documents them)
    expect(core.components.schemas['io.k8s.api.core.v1.AzureDiskVolumeSource']!.properties.cachingMode!.enum).toEqual(['None', 'ReadOnly', 'ReadWrite']);
    expect(core.components.schemas['io.k8s.api.core.v1.NFSVolumeSource']!.properties.server).toBeDefined();
    expect(podSpec.hostname!.enum).toBeUndefined();
    const claim = core.components.schemas['io.k8s.api.core.v1.PersistentVolumeClaimSpec']!.properties;
    expect(claim.accessModes!.items!.enum).toEqual(['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod']);
  });
});
