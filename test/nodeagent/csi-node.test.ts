// The node agent's CSINode on a real node, as the kubelet's CSI volume plugin makes it at start:
// named after the Node, owned by it, no drivers, the migrated in-tree plugins annotated; a
// restarted agent leaves it as it is.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CSINode, Node } from '../../pkg/api/types.js';
import { CSINodes, Nodes } from '../../pkg/client/rest-client.js';
import { MIGRATED_PLUGINS, MIGRATED_PLUGINS_ANNOTATION } from '../../pkg/nodeagent/csi-node.js';
import { eventually, sleep } from '../helpers/control-plane.js';
import { startCluster, type Cluster } from './harness.js';

let c: Cluster;
beforeAll(async () => {
  c = await startCluster({ podCIDR: '10.199.48.0/24' });
}, 120_000);
afterAll(async () => {
  await c?.stop();
});

describe('the node agent\'s CSINode', () => {
  it('is made at start, owned by the Node, and kept across a restart', async () => {
    const name = c.cfg.nodeName;
    const node = await c.cp.admin.get<Node>(Nodes, undefined, name);
    const made = await eventually(() => c.cp.admin.get<CSINode>(CSINodes, undefined, name), { what: 'the CSINode' });
    expect(made.metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata?.uid }]);
    expect(made.metadata?.annotations?.[MIGRATED_PLUGINS_ANNOTATION]).toBe(MIGRATED_PLUGINS);
    expect(made.spec).toEqual({ drivers: null }); // (sent as [], served null as 1.32 serves an empty CSINodeSpec.drivers)
    await c.restartAgent();
    await sleep(1500); // (the restarted agent's initialization runs in the background)
    const after = await c.cp.admin.get<CSINode>(CSINodes, undefined, name);
    expect(after.metadata?.resourceVersion).toBe(made.metadata?.resourceVersion);
  });
});
