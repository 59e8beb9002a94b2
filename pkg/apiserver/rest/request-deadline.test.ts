import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { armDeadline, DEFAULT_REQUEST_TIMEOUT_MS, isLongRunning, parseGoDuration, parseRequestTimeoutFlag, requestDeadlineMs, timeoutError } from './request-deadline.js';
import { sendJson, sendStatus } from './http-util.js';
import { ApiError } from '../errors.js';

const q = (s: string) => new URLSearchParams(s);

describe('parseGoDuration', () => {
  it("reads durations as Go's time.ParseDuration, with its errors", () => {
    expect(parseGoDuration('32s')).toBe(32_000);
    expect(parseGoDuration('1m30s')).toBe(90_000);
    expect(parseGoDuration('1.5h')).toBe(5_400_000);
    expect(parseGoDuration('250ms')).toBe(250);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('-1s')).toBe(-1000);
    expect(() => parseGoDuration('5')).toThrow('time: missing unit in duration "5"');
    expect(() => parseGoDuration('abc')).toThrow('time: invalid duration "abc"');
    expect(() => parseGoDuration('5x')).toThrow('time: unknown unit "x" in duration "5x"');
  });
});

describe('parseRequestTimeoutFlag', () => {
  it("reads kube-apiserver's --request-timeout as a Go duration, refusing a negative one in its words", () => {
    expect(parseRequestTimeoutFlag('1m0s')).toBe(DEFAULT_REQUEST_TIMEOUT_MS);
    expect(parseRequestTimeoutFlag('2m30s')).toBe(150_000);
    expect(parseRequestTimeoutFlag('0s')).toBe(0);
    expect(() => parseRequestTimeoutFlag('-1s')).toThrow(/^--request-timeout can not be negative value$/);
    expect(() => parseRequestTimeoutFlag('30')).toThrow('invalid argument "30" for "--request-timeout" flag: time: missing unit in duration "30"');
    expect(() => parseRequestTimeoutFlag('soon')).toThrow('invalid argument "soon" for "--request-timeout" flag: time: invalid duration "soon"');
  });
});

describe('requestDeadlineMs', () => {
  it('a --request-timeout other than 60 s is the maximum a ?timeout= can ask', () => {
    expect(requestDeadlineMs(q(''), 120_000)).toBe(120_000);
    expect(requestDeadlineMs(q('timeout=90s'), 120_000)).toBe(90_000);
    expect(requestDeadlineMs(q('timeout=90s'), 5000)).toBe(5000);
  });

  it('is the 60 s maximum, or the client\'s shorter positive ?timeout=; a malformed one is 400', () => {
    expect(requestDeadlineMs(q(''))).toBe(DEFAULT_REQUEST_TIMEOUT_MS);
    expect(requestDeadlineMs(q('timeout=2s'))).toBe(2000);
    expect(requestDeadlineMs(q('timeout=0s'))).toBe(60_000);
    expect(requestDeadlineMs(q('timeout=5m'))).toBe(60_000);
    let err: unknown;
    try {
      requestDeadlineMs(q('timeout=soon'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).toStatus()).toMatchObject({ code: 400, reason: 'BadRequest', message: 'invalid timeout specified in the request URL - time: invalid duration "soon"' });
  });
});

describe('isLongRunning', () => {
  it('watches, proxies and the connect subresources have no deadline; everything else has', () => {
    expect(isLongRunning(q('watch=true'), undefined, false)).toBe(true);
    expect(isLongRunning(q('watch=1'), undefined, false)).toBe(true);
    expect(isLongRunning(q(''), undefined, true)).toBe(true);
    for (const sub of ['log', 'exec', 'attach', 'portforward', 'proxy']) expect(isLongRunning(q(''), sub, false)).toBe(true);
    expect(isLongRunning(q(''), undefined, false, true)).toBe(true);
    expect(isLongRunning(q('watch=false'), undefined, false)).toBe(false);
    expect(isLongRunning(q(''), 'status', false)).toBe(false);
  });
});

/** A ServerResponse enough for sendStatus: what was written, in order. */
function fakeResponse() {
  const out: { code?: number; body: string; destroyed: boolean } = { body: '', destroyed: false };
  const ee = new EventEmitter();
  const res = Object.assign(ee, {
    headersSent: false,
    writableEnded: false,
    writeHead(code: number) {
      out.code = code;
      res.headersSent = true;
      return res;
    },
    setHeader: () => res,
    removeHeader: () => {},
    flushHeaders: () => {},
    write(chunk: string) {
      res.headersSent = true;
      out.body += chunk;
      return true;
    },
    end(chunk?: string) {
      if (chunk) out.body += chunk;
      res.writableEnded = true;
      return res;
    },
    destroy() {
      out.destroyed = true;
      return res;
    },
  });
  return { res: res as unknown as ServerResponse, out };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('armDeadline', () => {
  it('answers 504 Timeout when the handler has not answered in time, and drops what it writes later', () => {
    vi.useFakeTimers();
    const { res, out } = fakeResponse();
    armDeadline(res, 2000, (r) => sendStatus(r, timeoutError('GET')));
    vi.advanceTimersByTime(2000);
    expect(out.code).toBe(504);
    expect(JSON.parse(out.body)).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Timeout: request did not complete within the allotted timeout', reason: 'Timeout', details: {}, code: 504 });
    sendJson(res, 200, { kind: 'Pod' }); // (the handler's late answer)
    expect(out.code).toBe(504);
    expect(JSON.parse(out.body).code).toBe(504);
  });

  it('a write gets FinishRequest\'s message; an answer in time is left alone', () => {
    expect(timeoutError('POST').message).toBe('Timeout: request did not complete within requested timeout - context deadline exceeded');
    vi.useFakeTimers();
    const { res, out } = fakeResponse();
    armDeadline(res, 2000, (r) => sendStatus(r, timeoutError('GET')));
    sendJson(res, 200, { kind: 'Pod' });
    vi.advanceTimersByTime(5000);
    expect(out.code).toBe(200);
    expect(out.destroyed).toBe(false);
  });

  it('cuts the connection of an answer begun but not finished by then', () => {
    vi.useFakeTimers();
    const { res, out } = fakeResponse();
    let told: boolean | undefined;
    armDeadline(res, 2000, (r, begun) => (told = begun) || sendStatus(r, timeoutError('GET')));
    res.writeHead(200);
    res.write('{"kind":"PodList","items":[');
    vi.advanceTimersByTime(2000);
    expect(told).toBe(true);
    expect(out.destroyed).toBe(true);
    expect(out.code).toBe(200);
  });
});
