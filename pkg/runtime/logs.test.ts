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
});
