// Resolving what users type (pods, pod, po, nodes, ns, leases.coordination.k8s.io) to API
// resources, from the server's discovery documents.
import type { ResourceRef } from '../client/rest-client.js';
import { RestClient } from '../client/rest-client.js';

export interface ApiResource extends ResourceRef {
  kind: string;
  singularName: string;
  shortNames: string[];
  apiVersion: string;
  categories: string[];
}

interface RawResource {
  name: string;
  singularName?: string;
  namespaced: boolean;
  kind: string;
  shortNames?: string[];
  categories?: string[];
}

export class Discovery {
  private resources: ApiResource[] | undefined;

  constructor(private readonly client: RestClient) {}

  async all(): Promise<ApiResource[]> {
    if (this.resources) return this.resources;
    const out: ApiResource[] = [];
    const add = (group: string, version: string, list: { resources: RawResource[] }) => out.push(...resourcesOf(group, version, list));
    add('', 'v1', await this.client.request('/api/v1'));
    const groups = await this.client.request<{ groups: { name: string; preferredVersion: { version: string } }[] }>('/apis');
    for (const g of groups.groups) add(g.name, g.preferredVersion.version, await this.client.request(`/apis/${g.name}/${g.preferredVersion.version}`));
    this.resources = out;
    return out;
  }

  async resolve(name: string): Promise<ApiResource> {
    const lower = name.toLowerCase();
    const [base, ...groupParts] = lower.split('.');
    const group = groupParts.join('.');
    const all = await this.all();
    const found = all.find((r) => (!group || r.group === group) && (r.resource === base || r.singularName === base || r.kind.toLowerCase() === base || r.shortNames.includes(base!)));
    if (!found) throw new Error(`the server doesn't have a resource type "${name}"`);
    return found;
  }

  /**
   * What a user typed as a resource type: one resource, or the resources of a category
   * (`all`) in discovery's order, as kubectl expands it when no resource has that name.
   */
  async expand(name: string): Promise<ApiResource[]> {
    try {
      return [await this.resolve(name)];
    } catch (e) {
      const members = (await this.all()).filter((r) => r.categories.includes(name.toLowerCase()));
      if (!members.length) throw e;
      return members;
    }
  }

  async forKind(apiVersion: string, kind: string): Promise<ApiResource> {
    const all = await this.all();
    const found = all.find((r) => r.apiVersion === apiVersion && r.kind === kind);
    if (found) return found;
    // A version other than its group's preferred one (autoscaling/v1 beside v2): kubectl's
    // RESTMapper knows every version a group serves, so a manifest may name any of them.
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
    const list = await this.client.request<{ resources: RawResource[] }>(group ? `/apis/${group}/${version}` : `/api/${version}`).catch(() => undefined);
    const other = list && resourcesOf(group!, version!, list).find((r) => r.kind === kind);
    if (!other) throw new Error(`no matches for kind "${kind}" in version "${apiVersion}"`);
    return other;
  }
}

/** The resources (no subresources) of one group version's discovery document. */
function resourcesOf(group: string, version: string, list: { resources: RawResource[] }): ApiResource[] {
  return list.resources
    .filter((r) => !r.name.includes('/'))
    .map((r) => ({ group, version, resource: r.name, namespaced: r.namespaced, kind: r.kind, singularName: r.singularName || r.kind.toLowerCase(), shortNames: r.shortNames ?? [], apiVersion: group ? `${group}/${version}` : version, categories: r.categories ?? [] }));
}
