import { describe, expect, it } from 'vitest';
import { builtinResources } from '../registry/resource-registry.js';
import { aggregatedDiscovery, wantedAggregatedDiscovery } from './discovery.js';

describe('aggregated discovery', () => {
  it("is what kubectl's Accept asks for first", () => {
    expect(wantedAggregatedDiscovery('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json')).toBe('v2');
    expect(wantedAggregatedDiscovery('application/json')).toBeUndefined();
    // (1.32 still serves v2beta1: AggregatedDiscoveryRemoveBetaType is off until 1.33)
    expect(wantedAggregatedDiscovery('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList')).toBe('v2beta1');
    expect(aggregatedDiscovery(true, builtinResources, 'v2beta1')).toMatchObject({ kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2beta1' });
  });
  it('lists the legacy group for /api and the named groups for /apis, subresources under their resource', () => {
    const api = aggregatedDiscovery(true, builtinResources) as { items: { metadata: { name: string }; versions: { version: string; resources: { resource: string; scope: string; subresources: { subresource: string; responseKind: { group: string; kind: string } }[] }[] }[] }[] };
    expect(api.items.map((i) => i.metadata.name)).toEqual(['']);
    const pods = api.items[0]!.versions[0]!.resources.find((r) => r.resource === 'pods')!;
    expect(pods.scope).toBe('Namespaced');
    expect(pods.subresources.find((s) => s.subresource === 'eviction')!.responseKind).toMatchObject({ group: 'policy', kind: 'Eviction' });
    expect(api.items[0]!.versions[0]!.resources.some((r) => r.resource.includes('/'))).toBe(false);
    const apis = aggregatedDiscovery(false, builtinResources) as typeof api;
    const autoscaling = apis.items.find((i) => i.metadata.name === 'autoscaling')!;
    expect(autoscaling.versions.map((v) => v.version)).toEqual(['v2', 'v1']);
    expect(apis.items.some((i) => i.metadata.name === '')).toBe(false);
    const deployments = apis.items.find((i) => i.metadata.name === 'apps')!.versions[0]!.resources.find((r) => r.resource === 'deployments')!;
    expect(deployments.subresources.map((s) => s.subresource).sort()).toEqual(['scale', 'status']);
  });
});
