// The status of ValidatingAdmissionPolicies, as kube-apiserver's type-checking controller keeps
// it: status.observedGeneration follows metadata.generation once the policy's expressions were
// checked, and status.typeChecking holds the warnings. The expressions are only checked for
// compiling here (done by validation before the write), not against the matched kinds' schemas,
// so typeChecking carries no expressionWarnings.
import type { KubeObject, ValidatingAdmissionPolicy } from '../api/types.js';
import { logger } from '../util/log.js';
import type { Store } from './registry/store.js';
import type { RequestContext } from './registry/request-types.js';

const log = logger('admission-policy-status');

/** Writes the status of every cached policy whose observedGeneration lags its generation. */
export async function reconcilePolicyStatus(store: Store, ctx: () => RequestContext): Promise<void> {
  const stale = store.cache
    .list({ keyPrefix: store.prefix, matches: () => true })
    .items.map((raw) => raw.obj as ValidatingAdmissionPolicy)
    .filter((p) => p.metadata?.generation !== undefined && p.status?.observedGeneration !== p.metadata.generation && !p.metadata.deletionTimestamp);
  for (const p of stale) {
    const name = p.metadata!.name!;
    try {
      await store.guaranteedUpdate(undefined, name, ctx(), 'status', (current) => {
        const cur = current as ValidatingAdmissionPolicy;
        cur.status = { ...(cur.status ?? {}), observedGeneration: cur.metadata?.generation, typeChecking: {} };
        return cur as KubeObject;
      });
      log.info('policy type-checked', { policy: name, generation: p.metadata?.generation });
    } catch (e) {
      // (gone meanwhile, or a conflict: the next round sees it again)
      log.warn('could not write the status of a policy', { policy: name, err: (e as Error).message });
    }
  }
}
