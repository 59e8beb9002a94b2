import { describe, expect, it } from 'vitest';
import { encodeFrame, ErrorChannelTranslator, translatedStatus } from './stream-translator.js';

describe('the stream translator\'s status', () => {
  it('wraps a failure the kubelet reported in NewInternalError once more, as 1.32 does for a command that cannot start', () => {
    const cause = 'Internal error occurred: error executing command in container: failed to exec in container: exec: "nosuchcmd": executable file not found in $PATH: unknown';
    const kubelet = { metadata: {}, status: 'Failure', message: cause, reason: 'InternalError', details: { causes: [{ message: cause.slice(26) }] }, code: 500 };
    expect(translatedStatus(JSON.stringify(kubelet))).toEqual({
      metadata: {},
      status: 'Failure',
      message: `Internal error occurred: ${cause}`,
      reason: 'InternalError',
      details: { causes: [{ message: cause }] },
      code: 500,
    });
  });

  it('re-words a non-zero exit as codeExitToStatusError, and passes success on', () => {
    const kubelet = { metadata: {}, status: 'Failure', message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } };
    expect(translatedStatus(JSON.stringify(kubelet))).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: command terminated with exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    expect(translatedStatus('{"metadata":{},"status":"Success"}')).toEqual({ metadata: {}, status: 'Success' });
    expect(translatedStatus('{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"300"}]}}').message).toBe('Internal error occurred: error stream protocol error: invalid exit code value "300"');
  });
});

describe('ErrorChannelTranslator', () => {
  async function through(chunks: Buffer[]): Promise<Buffer> {
    const t = new ErrorChannelTranslator();
    const out: Buffer[] = [];
    t.on('data', (b: Buffer) => out.push(b));
    const ended = new Promise((r) => t.on('end', r));
    for (const c of chunks) t.write(c);
    t.end();
    await ended;
    return Buffer.concat(out);
  }
  const msg = (channel: number, s: string) => Buffer.concat([Buffer.from([channel]), Buffer.from(s)]);

  it('passes other channels and control frames through as they are, and rewrites the error channel, however the bytes are cut', async () => {
    const stdout = encodeFrame(2, msg(1, 'x'.repeat(300)));
    const empty = encodeFrame(2, Buffer.from([3]));
    const status = encodeFrame(2, msg(3, '{"metadata":{},"status":"Failure","message":"boom","reason":"InternalError","code":500}'));
    const close = Buffer.from([0x88, 0x02, 0x03, 0xe8]);
    const all = Buffer.concat([stdout, empty, status, close]);
    const want = Buffer.concat([stdout, empty, encodeFrame(2, msg(3, JSON.stringify({ metadata: {}, status: 'Failure', message: 'Internal error occurred: boom', reason: 'InternalError', details: { causes: [{ message: 'boom' }] }, code: 500 }))), close]);
    expect(await through([all])).toEqual(want);
    expect(await through([...all].map((b) => Buffer.from([b])))).toEqual(want);
  });

  it('ends a session whose node connection broke with a status when it had none, and a close frame', async () => {
    const t = new ErrorChannelTranslator();
    const out: Buffer[] = [];
    t.on('data', (b: Buffer) => out.push(b));
    t.write(encodeFrame(2, msg(1, 'partial output')));
    await new Promise((r) => setImmediate(r));
    t.broken('error reading from error stream: read ECONNRESET');
    await new Promise((r) => t.on('end', r));
    const status = { metadata: {}, status: 'Failure', message: 'Internal error occurred: error reading from error stream: read ECONNRESET', reason: 'InternalError', details: { causes: [{ message: 'error reading from error stream: read ECONNRESET' }] }, code: 500 };
    expect(Buffer.concat(out)).toEqual(Buffer.concat([encodeFrame(2, msg(1, 'partial output')), encodeFrame(2, msg(3, JSON.stringify(status))), Buffer.from([0x88, 0x02, 0x03, 0xe8])]));
  });

  it('joins an error-channel message sent in fragments', async () => {
    const body = msg(3, '{"metadata":{},"status":"Success"}');
    const first = Buffer.concat([Buffer.from([0x02, 5]), body.subarray(0, 5)]);
    const rest = Buffer.concat([Buffer.from([0x80, body.length - 5]), body.subarray(5)]);
    expect(await through([first, rest])).toEqual(encodeFrame(2, msg(3, '{"metadata":{},"status":"Success"}')));
  });
});
