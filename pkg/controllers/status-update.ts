// How workload controllers write an object's status (updateReplicaSetStatus and kin): through
// the status subresource; on a conflict once more against a fresh read (the informer may lag
// the controller's own writes); an object deleted meanwhile is not an error.
import type { KubeObject } from '../api/types.js';
import type { ApiClient, ResourceRef } from '../client/api-client.js';
import { isNotFound, StatusError } from '../client/rest-client.js';

export async function updateStatus(client: ApiClient, ref: ResourceRef, obj: KubeObject, status: unknown): Promise<void> {
  const ns = obj.metadata!.namespace!;
  const name = obj.metadata!.name!;
  try {
    await client.update(ref, ns, name, { ...obj, status }, 'status');
  } catch (e) {
    if (isNotFound(e)) return;
    if (!(e instanceof StatusError && e.code === 409)) throw e;
    const fresh = await client.get<KubeObject>(ref, ns, name).catch((err) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    if (fresh?.metadata?.uid !== obj.metadata?.uid) return;
    await client.update(ref, ns, name, { ...fresh, status }, 'status');
  }
}
