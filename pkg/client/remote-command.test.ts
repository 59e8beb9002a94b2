import { describe, expect, it } from 'vitest';
import { Channel, closeStdinFrame, exitCodeOf, exitStatus, frame, isCloseStdin, parseFrame, parseResize, resizeFrame } from './remote-command.js';

describe('remote-command framing', () => {
  it('puts the channel byte first and splits it off again', () => {
    const f = frame(Channel.Stdout, 'hi');
    expect([...f]).toEqual([1, 0x68, 0x69]);
    expect(parseFrame(f)).toEqual({ channel: 1, payload: Buffer.from('hi') });
    expect(parseFrame(frame(Channel.Stdin))).toEqual({ channel: 0, payload: Buffer.alloc(0) });
    expect(parseFrame(Buffer.alloc(0))).toBeUndefined();
  });

  it('closes stdin with 255 0 (v5), and only that', () => {
    expect([...closeStdinFrame()]).toEqual([255, 0]);
    expect(isCloseStdin(parseFrame(closeStdinFrame())!)).toBe(true);
    expect(isCloseStdin(parseFrame(Buffer.from([255, 1]))!)).toBe(false);
    expect(isCloseStdin(parseFrame(Buffer.from([0]))!)).toBe(false);
  });
});

describe('resize', () => {
  it('round-trips the kubectl encoding', () => {
    const f = resizeFrame({ width: 132, height: 43 });
    expect(f[0]).toBe(4);
    expect(f.subarray(1).toString()).toBe('{"Width":132,"Height":43}');
    expect(parseResize(parseFrame(f)!.payload)).toEqual({ width: 132, height: 43 });
  });

  it('rejects what is not a size', () => {
    expect(() => parseResize('{"Width":80')).toThrow(/invalid JSON/);
    expect(() => parseResize('{"Width":80}')).toThrow(/Height must be an integer/);
    expect(() => parseResize('{"Width":-1,"Height":2}')).toThrow(/Width/);
    expect(() => parseResize('{"Width":1.5,"Height":2}')).toThrow(/Width/);
    expect(() => parseResize('{"Width":70000,"Height":2}')).toThrow(/Width/);
    expect(() => parseResize('null')).toThrow(/Width/);
  });
});

describe('exit status', () => {
  it('encodes an exit code the way the client decodes it', () => {
    expect(exitCodeOf(JSON.stringify(exitStatus(0, ['true'])))).toBe(0);
    expect(exitCodeOf(JSON.stringify(exitStatus(3, ['sh', '-c', 'exit 3'])))).toBe(3);
    expect(exitStatus(3, ['sh', '-c', 'exit 3'])).toMatchObject({ reason: 'NonZeroExitCode', message: expect.stringContaining('[sh -c exit 3], exit code 3') });
    expect(exitCodeOf('{"status":"Failure","reason":"InternalError"}')).toBe(1);
    expect(exitCodeOf('')).toBe(0);
    expect(exitCodeOf('garbage')).toBe(1);
  });
});
