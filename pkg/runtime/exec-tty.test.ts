import { describe, expect, it } from 'vitest';
import { CrlfStream, ttyProcessSpec, type BundleProcess } from './exec-tty.js';

describe('ttyProcessSpec', () => {
  const base: BundleProcess = {
    terminal: false,
    user: { uid: 1000, gid: 1000, additionalGids: [5] },
    args: ['sleep', '3600'],
    env: ['PATH=/bin', 'HOSTNAME=web'],
    cwd: '/srv',
    capabilities: { bounding: ['CAP_CHOWN'] },
    noNewPrivileges: true,
  };

  it('keeps the container\'s process, with the command, a terminal of the given size and TERM', () => {
    const p = ttyProcessSpec(base, ['sh'], { env: ['A=1'], size: { width: 120, height: 40 } });
    expect(p).toEqual({ ...base, terminal: true, args: ['sh'], env: ['PATH=/bin', 'HOSTNAME=web', 'A=1', 'TERM=xterm'], consoleSize: { height: 40, width: 120 } });
    expect(base.args).toEqual(['sleep', '3600']);
  });

  it('leaves a TERM the caller chose, overrides the user, and has no size when none was sent', () => {
    const p = ttyProcessSpec({ ...base, consoleSize: { height: 1, width: 1 } }, ['vi'], { env: ['TERM=vt100'], user: { uid: 0, gid: 0 } });
    expect(p.env).toEqual(['PATH=/bin', 'HOSTNAME=web', 'TERM=vt100']);
    expect(p.user).toEqual({ uid: 0, gid: 0, additionalGids: [5] });
    expect(p).not.toHaveProperty('consoleSize');
  });
});

describe('CrlfStream', () => {
  async function through(...chunks: string[]): Promise<string> {
    const s = new CrlfStream();
    const out: Buffer[] = [];
    s.on('data', (b: Buffer) => out.push(b));
    for (const c of chunks) s.write(Buffer.from(c));
    s.end();
    await new Promise((r) => s.on('end', r));
    return Buffer.concat(out).toString();
  }

  it('ends bare \\n with \\r\\n and leaves \\r\\n and lone \\r alone', async () => {
    expect(await through('a\nb\r\nc\rd\n\n')).toBe('a\r\nb\r\nc\rd\r\n\r\n');
    expect(await through('no newline')).toBe('no newline');
  });

  it('sees a \\r\\n split across chunks', async () => {
    expect(await through('a\r', '\nb\n', '', '\r', '\n')).toBe('a\r\nb\r\n\r\n');
    expect(await through('a', '\n')).toBe('a\r\n');
  });
});
