import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiService, DeleteRequest, ListResponse, WatchResponse } from './generated/tskube/api/v1/api.js';
import { messageNames } from './schema.js';

const root = path.resolve(import.meta.dirname, '../..');

function files(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p, base) : [path.relative(base, p)];
  });
}

describe('generated code', () => {
  it.skipIf(!existsSync('/usr/bin/protoc'))('is what scripts/gen-proto.sh produces from proto/', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'tskube-gen-'));
    try {
      execFileSync('bash', ['scripts/gen-proto.sh'], { cwd: root, env: { ...process.env, OUT: out }, stdio: 'pipe' });
      const checkedIn = path.join(root, 'pkg/api/generated');
      expect(files(out).sort()).toEqual(files(checkedIn).sort());
      for (const f of files(out)) {
        expect(readFileSync(path.join(out, f), 'utf8'), `${f} is stale: run npm run gen:proto`).toBe(readFileSync(path.join(checkedIn, f), 'utf8'));
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('round-trips gRPC messages, with int64 as number and optional fields kept apart from zero', () => {
    const del = ApiService.delete;
    const withZero = del.requestDeserialize(del.requestSerialize({ resource: 'pods', namespace: 'default', name: 'p', gracePeriodSeconds: 0 }));
    expect(withZero.gracePeriodSeconds).toBe(0);
    const without = DeleteRequest.decode(DeleteRequest.encode({ resource: 'pods', name: 'p' }).finish());
    expect(without.gracePeriodSeconds).toBeUndefined();
    const list = ListResponse.decode(ListResponse.encode({ itemsJson: ['{"a":1}', '{}'], resourceVersion: '42', remainingItemCount: 2 ** 40 }).finish());
    expect(list).toMatchObject({ itemsJson: ['{"a":1}', '{}'], resourceVersion: '42', remainingItemCount: 2 ** 40 });
    expect(ApiService.watch.responseStream).toBe(true);
    expect(WatchResponse.fromJSON({ type: 'ADDED', objectJson: '{}' })).toEqual({ type: 'ADDED', objectJson: '{}' });
  });

  it('describes every kind in schema.json', () => {
    for (const t of ['Pod', 'PodList', 'Node', 'NodeList', 'Namespace', 'Event', 'Lease', 'LeaseList', 'ConfigMap', 'ConfigMapList', 'Secret', 'SecretList', 'Binding', 'Status', 'WatchEvent', 'DeleteOptions']) {
      expect(messageNames()).toContain(t);
    }
  });
});
