// What 1.32's stream translator (StreamTranslatorHandler, TranslateStreamCloseWebsocketRequests)
// makes of the kubelet's final status in a pods/exec or pods/attach session over
// v5.channel.k8s.io. The apiserver is the kubelet's remotecommand client there: its SPDY
// executor decodes the status the kubelet sent on the error channel (errorDecoderV4) into a Go
// error, and the translator writes that error to the user's error channel as a status of its
// own. So a non-zero exit reaches the user re-worded ('command terminated with non-zero exit
// code: command terminated with exit code 3'), and any other failure, being a plain error by
// then, is wrapped in NewInternalError once more: a command that cannot start is
// 'Internal error occurred: Internal error occurred: error executing command in container: ...'.
// tskube's agent speaks v5 itself, so the apiserver keeps piping its websocket frames and
// rewrites the error channel's message on the way.
import { Transform, type TransformCallback } from 'node:stream';
import { Channel } from '../../client/remote-command.js';

interface KubeletStatus {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message?: string }[] };
}

/** The status the translator writes for the kubelet's error-channel message `raw` (JSON). */
export function translatedStatus(raw: string): Record<string, unknown> {
  let st: KubeletStatus;
  try {
    st = JSON.parse(raw) as KubeletStatus;
  } catch (e) {
    return internalError(`error stream protocol error: ${(e as Error).message} in ${JSON.stringify(raw)}`);
  }
  if (st.status === 'Success') return { metadata: {}, status: 'Success' };
  if (st.status !== 'Failure') return internalError('error stream protocol error: unknown error');
  if (st.reason !== 'NonZeroExitCode') return internalError(st.message ?? '');
  if (!st.details) return internalError('error stream protocol error: details must be set');
  const cause = st.details.causes?.find((c) => c.reason === 'ExitCode');
  if (!cause) return internalError('error stream protocol error: unknown error');
  // (strconv.ParseUint(message, 10, 8): an exit code is a byte)
  const rc = /^\d+$/.test(cause.message ?? '') ? Number(cause.message) : NaN;
  if (!(rc <= 255)) return internalError(`error stream protocol error: invalid exit code value ${JSON.stringify(cause.message ?? '')}`);
  // codeExitToStatusError: no code, the exit code as the only cause
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: command terminated with exit code ${rc}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(rc) }] },
  };
}

/** apierrors.NewInternalError(err) as json.Marshal writes it. */
function internalError(err: string): Record<string, unknown> {
  return { metadata: {}, status: 'Failure', message: `Internal error occurred: ${err}`, reason: 'InternalError', details: { causes: [{ message: err }] }, code: 500 };
}

/**
 * The agent-to-user direction of a translated session: websocket frames pass through as they
 * are, but for a message on the error channel, which is re-sent (one frame) with its status
 * translated. The agent is the websocket server, so its frames are unmasked; a compressed
 * frame (RSV1) is left alone (the apiserver asks the agent for no extensions).
 */
export class ErrorChannelTranslator extends Transform {
  private buf: Buffer = Buffer.alloc(0);
  /** The fragments of an error-channel message not finished yet. */
  private held: Buffer[] | undefined;
  private heldOpcode = 2;
  private sawStatus = false;
  private sawClose = false;

  /**
   * The agent's connection broke: the session ends as the translator ends one whose kubelet
   * stream failed, with an InternalError status when the agent sent none, and a close frame
   * (kubectl would otherwise print 'close 1006 (abnormal closure)' over a status it had).
   */
  broken(err: string): void {
    if (this.held) this.held = undefined;
    if (!this.sawStatus) this.push(encodeFrame(2, Buffer.concat([Buffer.from([Channel.Error]), Buffer.from(JSON.stringify(internalError(err)))])));
    if (!this.sawClose) this.push(encodeFrame(8, Buffer.from([0x03, 0xe8])));
    this.sawStatus = this.sawClose = true;
    this.end();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      const f = nextFrame(this.buf);
      if (!f) break;
      this.buf = this.buf.subarray(f.size);
      this.onFrame(f);
    }
    done();
  }

  private onFrame(f: WsFrame): void {
    const data = f.opcode < 8;
    if (f.opcode === 8) this.sawClose = true;
    if (data && this.held) {
      this.held.push(f.payload);
      if (f.fin) this.release();
      return;
    }
    const starts = data && f.opcode !== 0 && !f.rsv1 && f.payload.length > 1 && f.payload[0] === Channel.Error;
    if (!starts) return void this.push(f.raw);
    this.held = [f.payload];
    this.heldOpcode = f.opcode;
    if (f.fin) this.release();
  }

  private release(): void {
    const msg = Buffer.concat(this.held ?? []);
    this.held = undefined;
    this.sawStatus = true;
    const status = JSON.stringify(translatedStatus(msg.subarray(1).toString('utf8')));
    this.push(encodeFrame(this.heldOpcode, Buffer.concat([Buffer.from([Channel.Error]), Buffer.from(status)])));
  }

  override _flush(done: TransformCallback): void {
    if (this.buf.length) this.push(this.buf);
    done();
  }
}

interface WsFrame {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  payload: Buffer;
  raw: Buffer;
  size: number;
}

/** The first whole frame of `b` (RFC 6455 §5.2), or undefined while it is incomplete. */
function nextFrame(b: Buffer): WsFrame | undefined {
  if (b.length < 2) return undefined;
  const fin = (b[0]! & 0x80) !== 0;
  const rsv1 = (b[0]! & 0x40) !== 0;
  const opcode = b[0]! & 0x0f;
  const masked = (b[1]! & 0x80) !== 0;
  let len = b[1]! & 0x7f;
  let at = 2;
  if (len === 126) {
    if (b.length < 4) return undefined;
    len = b.readUInt16BE(2);
    at = 4;
  } else if (len === 127) {
    if (b.length < 10) return undefined;
    len = Number(b.readBigUInt64BE(2));
    at = 10;
  }
  const mask = masked ? b.subarray(at, at + 4) : undefined;
  if (masked) at += 4;
  if (b.length < at + len) return undefined;
  let payload = b.subarray(at, at + len);
  if (mask) payload = Buffer.from(payload.map((x, i) => x ^ mask[i % 4]!));
  return { fin, rsv1, opcode, payload, raw: b.subarray(0, at + len), size: at + len };
}

/** One unmasked final frame, as a server sends it. */
export function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | opcode, n]) : n < 0x10000 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (n >= 126 && n < 0x10000) {
    head[0] = 0x80 | opcode;
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else if (n >= 0x10000) {
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}
