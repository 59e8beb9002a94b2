import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { capForPod, messageFromLog, readMessageFile } from './termination-message.js';

let dir = '';
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('termination messages, cut as the kubelet cuts them', () => {
  it('a message file is read from its end, at most 4096 bytes (tail.ReadAtMost)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tskube-tm-'));
    const long = join(dir, 'long');
    const lines = Array.from({ length: 600 }, (_, i) => `line ${String(i).padStart(4, '0')}\n`).join('');
    await writeFile(long, lines);
    const msg = await readMessageFile(long);
    expect(Buffer.byteLength(msg)).toBe(4096);
    expect(msg.endsWith('line 0599\n')).toBe(true);
    const short = join(dir, 'short');
    await writeFile(short, 'bye\n');
    expect(await readMessageFile(short)).toBe('bye\n');
    expect(await readMessageFile(join(dir, 'none'))).toBe('');
  });

  it('a message from the log keeps its last 2048 bytes', () => {
    const lines = Array.from({ length: 80 }, (_, i) => `${'x'.repeat(40)} ${i}\n`);
    const msg = messageFromLog(lines);
    expect(Buffer.byteLength(msg)).toBe(2048);
    expect(msg.endsWith(' 79\n')).toBe(true);
  });

  it('each message is held to its share of the pod\'s 12 KiB, its first bytes kept (normalizeStatus)', () => {
    const pod = (n: number, init = 0): Pod => ({
      spec: {
        containers: Array.from({ length: n }, (_, i) => ({ name: `c${i}`, image: 'x' })),
        initContainers: Array.from({ length: init }, (_, i) => ({ name: `i${i}`, image: 'x' })),
      },
    });
    const msg = 'a'.repeat(4000) + 'END';
    expect(capForPod(msg, pod(1))).toBe(msg);
    expect(capForPod(msg, pod(3))).toBe(msg); // 4096 each
    expect(capForPod(msg, pod(3, 1))).toBe('a'.repeat(3072)); // 12288 / 4
    expect(capForPod(msg, pod(5))).toBe('a'.repeat(2457));
  });
});
