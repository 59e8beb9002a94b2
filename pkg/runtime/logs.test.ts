import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kubeletLogTime, readLogFile } from './logs.js';

const dir = mkdtempSync(join(tmpdir(), 'tskube-logs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function read(content: string, opts: Parameters<typeof readLogFile>[1]): Promise<string> {
  const path = join(dir, `${Math.random()}.log`);
  writeFileSync(path, content);
  let out = '';
  for await (const l of readLogFile(path, opts, async () => true)) out += l;
  return out;
}

describe('CRI log reading', () => {
  it('prints --timestamps as the kubelet does: RFC3339 with nine fraction digits, Z for UTC', async () => {
    expect(kubeletLogTime('2026-12-01T02:41:36.236516114+00:00')).toBe('2026-12-01T02:41:36.236516114Z');
    expect(kubeletLogTime('2026-12-01T02:41:36.2365Z')).toBe('2026-12-01T02:41:36.236500000Z');
    expect(kubeletLogTime('2026-12-01T02:41:36+00:00')).toBe('2026-12-01T02:41:36.000000000Z');
    expect(kubeletLogTime('2026-12-01T04:41:36.1+02:00')).toBe('2026-12-01T04:41:36.100000000+02:00');
    const out = await read('2026-12-01T02:41:36.236516114+00:00 stdout F a-7\n2026-12-01T02:41:37.5+00:00 stderr F a-8\n', { timestamps: true });
    expect(out).toBe('2026-12-01T02:41:36.236516114Z a-7\n2026-12-01T02:41:37.500000000Z a-8\n');
  });

  it('since drops older lines; tail keeps the last ones', async () => {
    const content = ['01', '02', '03'].map((s) => `2026-12-01T02:00:${s}.000000000+00:00 stdout F line-${s}\n`).join('');
    expect(await read(content, { since: new Date('2026-12-01T02:00:02Z') })).toBe('line-02\nline-03\n');
    expect(await read(content, { tail: 1 })).toBe('line-03\n');
  });

  // printf abc; sleep 2; printf def; sleep 2; echo ghi; printf tail-no-nl: conmon writes each part
  // as it comes, and the kubelet's ReadLogs writes each file line as it is, under its own time
  const partial = [
    '2026-12-03T07:02:28.134733130+00:00 stdout F line1',
    '2026-12-03T07:02:28.145921713+00:00 stdout P abc',
    '2026-12-03T07:02:30.157109202+00:00 stdout P def',
    '2026-12-03T07:02:32.162061606+00:00 stdout F ghi',
    '2026-12-03T07:02:33.000000000+00:00 stdout P tail-no-nl',
  ].map((l) => `${l}\n`).join('');

  it('writes partial lines as the kubelet does: no newline of their own, a time before each part', async () => {
    expect(await read(partial, {})).toBe('line1\nabcdefghi\ntail-no-nl');
    expect(await read(partial, { timestamps: true })).toBe(
      '2026-12-03T07:02:28.134733130Z line1\n2026-12-03T07:02:28.145921713Z abc2026-12-03T07:02:30.157109202Z def2026-12-03T07:02:32.162061606Z ghi\n2026-12-03T07:02:33.000000000Z tail-no-nl',
    );
  });

  it('counts and filters the parts of partial lines as file lines for tail and since', async () => {
    expect(await read(partial, { tail: 1 })).toBe('tail-no-nl');
    expect(await read(partial, { tail: 3 })).toBe('defghi\ntail-no-nl');
    // tail picks the last lines first, since then drops the older of them
    expect(await read(partial, { since: new Date('2026-12-03T07:02:29Z') })).toBe('defghi\ntail-no-nl');
    expect(await read(partial, { since: new Date('2026-12-03T07:02:34Z') })).toBe('');
    expect(await read(partial, { tail: 2, since: new Date('2026-12-03T07:02:33Z') })).toBe('tail-no-nl');
  });

  it('follows a partial line part by part, as the file gets them', async () => {
    const path = join(dir, 'follow.log');
    writeFileSync(path, '2026-12-03T07:02:28.145921713+00:00 stdout P abc\n');
    const ac = new AbortController();
    const it = readLogFile(path, { follow: true, signal: ac.signal }, async () => false)[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe('abc');
    ac.abort();
  });
});
