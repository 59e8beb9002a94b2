// Admission, as kube-apiserver runs it: after a write is decoded and defaulted, mutating plugins
// may change the object (resolve a pod's priority from its PriorityClass), then the strategy
// validates it, then validating plugins may refuse it (a second default PriorityClass). Plugins
// say which resources they handle, so a pod create meets only the plugins that care about pods.
import type { KubeObject } from '../api/types.js';
import type { ResourceInfo } from './registry/resources.js';
import type { RequestContext } from './registry/request-types.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionRequest {
  operation: Operation;
  resource: ResourceInfo;
  /** Set for writes through a subresource (pods/status); most plugins ignore those. */
  subresource?: string;
  name: string;
  namespace?: string;
  /** The object's kind when it is not the resource's (an Eviction created through pods/eviction). */
  kind?: { group: string; version: string; kind: string };
  /** The object being written (CREATE, UPDATE): mutating plugins change it in place; for CONNECT the options (PodExecOptions). */
  obj?: KubeObject;
  /** The stored object (UPDATE, DELETE). */
  old?: KubeObject;
  ctx: RequestContext;
}

export interface AdmissionPlugin {
  readonly name: string;
  /** Resource names (`pods`, `priorityclasses`) this plugin is asked about; `*` for every resource. */
  readonly resources: readonly string[];
  /**
   * The resources this plugin reads from the apiserver's watch caches (LimitRanges,
   * PriorityClasses...). Before it runs, the chain waits until those caches hold this
   * apiserver's own latest writes of them, so a write that follows one it depends on sees it.
   */
  readonly reads?: readonly string[];
  /** Whether this request has the plugin read those caches (default: every request it is asked about). */
  readsFor?(req: AdmissionRequest): boolean;
  /** Mutating admission: may change req.obj; throws an ApiError to refuse. */
  admit?(req: AdmissionRequest): void | Promise<void>;
  /** Validating admission, after the strategy's validation: throws an ApiError to refuse. */
  validate?(req: AdmissionRequest): void | Promise<void>;
}

/**
 * Waits until the watch caches of these resources hold this apiserver's own latest writes of them;
 * undefined when they already do (the usual case: no await on the hot path).
 */
export type CacheSettler = (resources: readonly string[], timeoutMs?: number) => Promise<void> | undefined;

export class AdmissionChain {
  private readonly byResource = new Map<string, AdmissionPlugin[]>();

  constructor(
    private readonly plugins: AdmissionPlugin[],
    private readonly settle?: CacheSettler,
  ) {}

  /** The plugins for a resource, in the chain's order. */
  private for(resource: string): AdmissionPlugin[] {
    let list = this.byResource.get(resource);
    if (!list) this.byResource.set(resource, (list = this.plugins.filter((p) => p.resources.includes(resource) || p.resources.includes('*'))));
    return list;
  }

  /** Whether any plugin looks at writes of this resource (the store skips the chain otherwise). */
  handles(resource: string): boolean {
    return this.for(resource).length > 0;
  }

  // (a plugin that answers at once is not awaited: most do, and a pod create meets a dozen)
  async admit(req: AdmissionRequest): Promise<void> {
    for (const p of this.for(req.resource.name)) {
      if (!p.admit) continue;
      const lag = this.settled(p, req);
      if (lag) await lag;
      const done = p.admit(req);
      if (done) await done;
    }
  }

  async validate(req: AdmissionRequest): Promise<void> {
    for (const p of this.for(req.resource.name)) {
      if (!p.validate) continue;
      const lag = this.settled(p, req);
      if (lag) await lag;
      const done = p.validate(req);
      if (done) await done;
    }
  }

  private settled(p: AdmissionPlugin, req: AdmissionRequest): Promise<void> | undefined {
    if (!p.reads?.length || !this.settle || (p.readsFor && !p.readsFor(req))) return undefined;
    return this.settle(p.reads);
  }
}
