// Joining with a K10<ca-hash>::<secret> token: the node gets credentials for its own Node only;
// a wrong secret is 401; a CA that does not match the token is refused before any secret is sent.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKubeconfig } from '../../pkg/client/kubeconfig.js';
import { joinCluster } from '../../pkg/client/join.js';
import { Nodes, RestClient, StatusError } from '../../pkg/client/rest-client.js';
import { node, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
let dir: string;
let token: string;

beforeAll(async () => {
  cp = await startControlPlane();
  dir = mkdtempSync(join(tmpdir(), 'tskube-join-'));
  token = readFileSync(join(cp.dataDir, 'join-token'), 'utf8').trim();
});
afterAll(async () => {
  await cp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('join', () => {
  it('a node with the token receives a kubeconfig for itself only', async () => {
    expect(token).toMatch(/^K10[0-9a-f]{64}::\S+$/);
    const kc = await joinCluster({ server: cp.config.server, token, nodeName: 'lab-node-1' });
    const file = join(dir, 'node.kubeconfig');
    writeFileSync(file, kc);
    const client = new RestClient(loadKubeconfig(file));
    try {
      await client.create(Nodes, undefined, node('lab-node-1'));
      const other = await client.create(Nodes, undefined, node('lab-node-2')).catch((e: unknown) => e);
      expect((other as StatusError).code).toBe(403);
      // Joining again returns the same identity.
      const again = await joinCluster({ server: cp.config.server, token, nodeName: 'lab-node-1' });
      expect(again).toBe(kc);
    } finally {
      client.close();
    }
  });

  it('a wrong secret is refused with 401', async () => {
    const wrong = token.replace(/::.*$/, '::not-the-secret');
    await expect(joinCluster({ server: cp.config.server, token: wrong, nodeName: 'intruder' })).rejects.toThrow(/refused by the server \(401/);
    await expect(cp.admin.get(Nodes, undefined, 'intruder')).rejects.toBeInstanceOf(StatusError);
  });

  it('a CA that does not match the token hash is refused before the secret is sent', async () => {
    const forged = `K10${'0'.repeat(64)}${token.slice(67)}`;
    await expect(joinCluster({ server: cp.config.server, token: forged, nodeName: 'n' })).rejects.toThrow(/does not match the join token/);
  });

  it('bad node names are 400', async () => {
    await expect(joinCluster({ server: cp.config.server, token, nodeName: 'Not_Valid' })).rejects.toThrow(/HTTP 400.*nodeName/);
  });
});
