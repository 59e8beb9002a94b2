// runMain: how a binary ends when its main fails (exit 2 for a bad command line, 1 for the rest).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FlagError } from './flags.js';
import { runMain } from './main.js';

/** Runs `main` through runMain with process.exit and stderr caught; what it wrote and the exit code. */
async function ended(main: () => Promise<void>, explain?: Parameters<typeof runMain>[2]): Promise<{ code: unknown; err: string }> {
  let err = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err += String(s);
    return true;
  });
  // (the mocked exit returns: what was written up to the first exit is what the process wrote)
  const exited = new Promise<{ code: unknown; err: string }>((resolve) => {
    vi.spyOn(process, 'exit').mockImplementation(((code?: number) => resolve({ code, err })) as never);
  });
  runMain('widget', main, explain);
  const r = await exited;
  vi.restoreAllMocks();
  return r;
}

afterEach(() => vi.restoreAllMocks());

describe('runMain', () => {
  it('ends a bad command line with its error on stderr and exit code 2', async () => {
    const r = await ended(() => Promise.reject(new FlagError('unknown flag: --nope')));
    expect(r).toEqual({ code: 2, err: 'error: unknown flag: --nope\n' });
  });

  it('logs any other failure as the component\'s fatal error with its stack, exit code 1', async () => {
    const r = await ended(() => Promise.reject(new Error('no etcd')));
    expect(r.code).toBe(1);
    const line = JSON.parse(r.err) as Record<string, string>;
    expect(line).toMatchObject({ level: 'error', component: 'widget', msg: 'fatal' });
    expect(line.err).toMatch(/^Error: no etcd\n\s+at /);
  });

  it('lets explain log a failure it knows in its own words instead', async () => {
    class Known extends Error {}
    const explain = (e: unknown, log: { error: (m: string, f?: Record<string, unknown>) => void }) => {
      if (!(e instanceof Known)) return false;
      log.error('Failed to start ContainerManager', { err: e.message });
      return true;
    };
    const known = await ended(() => Promise.reject(new Known('cgroup too small')), explain);
    expect(known.code).toBe(1);
    expect(JSON.parse(known.err)).toMatchObject({ component: 'widget', msg: 'Failed to start ContainerManager', err: 'cgroup too small' });
    const other = await ended(() => Promise.reject(new Error('boom')), explain);
    expect(JSON.parse(other.err)).toMatchObject({ msg: 'fatal' });
  });
});
