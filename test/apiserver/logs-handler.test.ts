// kube-apiserver's /logs (--enable-logs-handler, default true): the log directory listed and its
// files served to those allowed the nonResourceURL /logs/* (the admin, through cluster-admin's *),
// refused to others in the authorizer's words.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
const logsDir = mkdtempSync(join(tmpdir(), 'tskube-test-logs-'));

beforeAll(async () => {
  writeFileSync(join(logsDir, 'kube-apiserver.log'), 'I1204 01:00:00.000000 started\n');
  cp = await startControlPlane({ logsDir }, { serviceAccountControllers: false });
});
afterAll(async () => {
  await cp?.stop(true);
  rmSync(logsDir, { recursive: true, force: true });
});

describe('/logs', () => {
  it('lists the log directory and serves its files to the admin; anonymous is refused', async () => {
    const list = await rawRequest(cp, '/logs/');
    expect([list.status, list.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8']);
    expect(list.body).toContain('<pre>\n<a href="kube-apiserver.log">kube-apiserver.log</a>\n</pre>\n');
    const file = await rawRequest(cp, '/logs/kube-apiserver.log');
    expect([file.status, file.body]).toEqual([200, 'I1204 01:00:00.000000 started\n']);
    expect((await rawRequest(cp, '/logs/missing.log')).status).toBe(404);
    const anonymous = await rawRequest(cp, '/logs/', { token: null });
    expect(anonymous.status).toBe(403);
    expect(JSON.parse(anonymous.body).message).toBe('forbidden: User "system:anonymous" cannot get path "/logs/"');
  });
});
