import { appendFileSync, mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, ExhaustedError, InvalidArgumentError } from './errors.js';
import { HostLocalIpam } from './ipam.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsk-ipam-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('HostLocalIpam', () => {
  it('hands out the first host after the gateway, one per sandbox, and the same one again on retry', async () => {
    const ipam = new HostLocalIpam(dir, '10.244.1.0/24');
    const a = await ipam.allocate('a');
    expect(a).toMatchObject({ existing: false, allocation: { ip: '10.244.1.2', sandboxId: 'a', state: 'reserved' } });
    expect((await ipam.allocate('b')).allocation.ip).toBe('10.244.1.3');
    const again = await ipam.allocate('a');
    expect(again).toMatchObject({ existing: true, allocation: { ip: '10.244.1.2' } });
  });

  it('persists across instances (an agent restart) and never hands out a held address', async () => {
    const first = new HostLocalIpam(dir, '10.244.1.0/24');
    const ips = new Set<string>();
    for (let i = 0; i < 10; i++) ips.add((await first.allocate(`p${i}`)).allocation.ip);
    const second = new HostLocalIpam(dir, '10.244.1.0/24');
    expect((await second.get('p3'))?.ip).toBeDefined();
    for (let i = 10; i < 20; i++) ips.add((await second.allocate(`p${i}`)).allocation.ip);
    expect(ips.size).toBe(20);
  });

  it('keeps addresses unique under concurrent allocation through separate instances', async () => {
    const a = new HostLocalIpam(dir, '10.244.1.0/24');
    const b = new HostLocalIpam(dir, '10.244.1.0/24');
    const got = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).allocate(`s${i}`)));
    expect(new Set(got.map((g) => g.allocation.ip)).size).toBe(100);
    expect((await a.list()).length).toBe(100);
  });

  it('releases, and round-robins past recently freed addresses before reusing them', async () => {
    const ipam = new HostLocalIpam(dir, '10.244.1.0/24');
    await ipam.allocate('a');
    await ipam.allocate('b');
    expect((await ipam.release('a'))?.ip).toBe('10.244.1.2');
    expect(await ipam.release('a')).toBeUndefined();
    expect((await ipam.allocate('c')).allocation.ip).toBe('10.244.1.4');
  });

  it('wraps around and reports exhaustion of a small pool', async () => {
    const ipam = new HostLocalIpam(dir, '10.0.0.0/29'); // gateway .1, pods .2-.6
    const ips = [];
    for (let i = 0; i < 5; i++) ips.push((await ipam.allocate(`p${i}`)).allocation.ip);
    expect(ips).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
    await expect(ipam.allocate('p5')).rejects.toThrow(ExhaustedError);
    await ipam.release('p2');
    expect((await ipam.allocate('p5')).allocation.ip).toBe('10.0.0.4');
  });

  it('gc frees everything not kept', async () => {
    const ipam = new HostLocalIpam(dir, '10.244.1.0/24');
    for (const id of ['a', 'b', 'c']) await ipam.allocate(id);
    const freed = await ipam.releaseExcept((id) => id === 'b');
    expect(freed.map((f) => f.sandboxId).sort()).toEqual(['a', 'c']);
    expect((await ipam.list()).map((a) => a.sandboxId)).toEqual(['b']);
  });

  it('lets admit refuse an allocation, leaving nothing', async () => {
    const ipam = new HostLocalIpam(dir, '10.244.1.0/24');
    await ipam.allocate('a', { hostPorts: [{ hostPort: 80, containerPort: 80 }] });
    await expect(
      ipam.allocate('b', {}, (others) => {
        if (others.some((o) => o.hostPorts?.length)) throw new ConflictError('port taken');
      }),
    ).rejects.toThrow('port taken');
    expect((await ipam.list()).length).toBe(1);
  });

  it('refuses a store that belongs to another podCIDR while it holds addresses, and resets an empty one', async () => {
    const old = new HostLocalIpam(dir, '10.244.1.0/24');
    await old.allocate('a');
    await expect(new HostLocalIpam(dir, '10.244.2.0/24').allocate('b')).rejects.toThrow(ConflictError);
    await old.release('a');
    expect((await new HostLocalIpam(dir, '10.244.2.0/24').allocate('b')).allocation.ip).toBe('10.244.2.2');
  });

  it('journals each change as one appended line and folds the journal into a snapshot as it grows', async () => {
    const ipam = new HostLocalIpam(dir, '10.244.1.0/24');
    await Promise.all(Array.from({ length: 20 }, (_, i) => ipam.allocate(`x${i}`)));
    const lines = readFileSync(join(dir, 'ipam.log'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('{"gen":0}');
    expect(lines).toHaveLength(21);
    // 300 more changes: compaction happens, nothing is lost, the journal stays short.
    for (let i = 0; i < 150; i++) {
      await ipam.allocate(`y${i}`);
      await ipam.release(`y${i}`);
    }
    expect(existsSync(join(dir, 'ipam.json'))).toBe(true);
    expect(readFileSync(join(dir, 'ipam.log'), 'utf8').split('\n').length).toBeLessThan(300);
    const fresh = new HostLocalIpam(dir, '10.244.1.0/24');
    expect((await fresh.list()).map((a) => a.sandboxId).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `x${i}`).sort());
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('survives a torn journal line (a crash mid-append) and ignores a journal already folded into the snapshot', async () => {
    const ipam = new HostLocalIpam(dir, '10.244.1.0/24');
    await ipam.allocate('a');
    appendFileSync(join(dir, 'ipam.log'), '{"set":{"ip":"10.244.1.9","sandb');
    const after = new HostLocalIpam(dir, '10.244.1.0/24');
    expect((await after.allocate('b')).allocation.ip).toBe('10.244.1.3');
    expect((await after.list()).map((a) => a.sandboxId).sort()).toEqual(['a', 'b']);
    expect(readFileSync(join(dir, 'ipam.log'), 'utf8').endsWith('\n')).toBe(true);
    // A snapshot of a newer generation than the journal: the journal is stale and ignored.
    writeFileSync(join(dir, 'ipam.json'), JSON.stringify({ version: 1, gen: 5, subnet: '10.244.1.0/24', allocations: { '10.244.1.7': { ip: '10.244.1.7', sandboxId: 'z', state: 'ready', createdAt: '' } } }));
    const third = new HostLocalIpam(dir, '10.244.1.0/24');
    expect((await third.list()).map((a) => a.sandboxId)).toEqual(['z']);
    expect((await third.allocate('c')).allocation.ip).toBe('10.244.1.2');
    expect((await new HostLocalIpam(dir, '10.244.1.0/24').list()).map((a) => a.sandboxId).sort()).toEqual(['c', 'z']);
  });

  it('sees changes another instance made (another agent process) before each operation', async () => {
    const a = new HostLocalIpam(dir, '10.244.1.0/24');
    const b = new HostLocalIpam(dir, '10.244.1.0/24');
    await a.allocate('one');
    expect((await b.get('one'))?.ip).toBe('10.244.1.2');
    await b.release('one');
    expect(await a.get('one')).toBeUndefined();
  });

  it('reports a corrupt store instead of starting over (which could hand out held addresses)', async () => {
    writeFileSync(join(dir, 'ipam.json'), '{not json');
    await expect(new HostLocalIpam(dir, '10.244.1.0/24').allocate('a')).rejects.toThrow(/corrupt/);
  });

  it('rejects sandbox ids that are unsafe in rule comments', async () => {
    const ipam = new HostLocalIpam(dir, '10.244.1.0/24');
    for (const bad of ['', 'a b', 'a"b', '-x', 'x'.repeat(200)]) await expect(ipam.allocate(bad)).rejects.toThrow(InvalidArgumentError);
  });

  it('destroy removes the store, the lock and the emptied dir', async () => {
    const ipam = new HostLocalIpam(dir, '10.244.1.0/24');
    await ipam.allocate('a');
    await ipam.destroy();
    expect(existsSync(dir)).toBe(false);
  });
});
