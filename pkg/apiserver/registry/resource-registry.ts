// The resources one apiserver serves: the built-in ones, always, and those of the
// CustomResourceDefinitions that are Established, added and removed while it runs. Routing,
// discovery, OpenAPI and table printing look resources up here.
import { allResources, storageOf, type ResourceInfo } from './resources.js';
import { customresourcedefinitions } from './custom-resources.js';

/** The resources every apiserver serves from its start. */
export const builtinResources: ResourceInfo[] = [...allResources, customresourcedefinitions];

export class ResourceRegistry {
  /** Custom resources by CRD name: what each serves (views over its storage resource included) and the storage resource. */
  private readonly custom = new Map<string, { served: ResourceInfo[]; storage: ResourceInfo }>();
  private version = 0;

  /** Every served resource, built-in first (the first version of a group is its preferred one). */
  all(): ResourceInfo[] {
    const out = [...builtinResources];
    for (const c of this.custom.values()) out.push(...c.served);
    return out;
  }

  /** Bumped on every change, for caches of documents derived from the registry. */
  get generation(): number {
    return this.version;
  }

  find(group: string, version: string, name: string): ResourceInfo | undefined {
    const builtin = builtinResources.find((r) => r.group === group && r.version === version && r.name === name);
    if (builtin) return builtin;
    for (const c of this.custom.values()) {
      const r = c.served.find((x) => x.group === group && x.version === version && x.name === name);
      if (r) return r;
    }
    return undefined;
  }

  /** Custom resources only, by CRD name. */
  customOf(crdName: string): { served: ResourceInfo[]; storage: ResourceInfo } | undefined {
    return this.custom.get(crdName);
  }

  customNames(): string[] {
    return [...this.custom.keys()];
  }

  /** Serves `served` for CRD `crdName` (replacing what it served before); `storage` holds their objects. */
  setCustom(crdName: string, served: ResourceInfo[], storage: ResourceInfo): void {
    for (const r of served) if (storageOf(r) !== storage) throw new Error(`resource ${r.name}.${r.group}/${r.version} is not stored in ${storage.name}`);
    this.custom.set(crdName, { served, storage });
    this.version++;
  }

  removeCustom(crdName: string): void {
    if (this.custom.delete(crdName)) this.version++;
  }
}
