// The wire format of pods/exec (and attach) over a websocket, shared by the node agent (server)
// and tsctl (client): every message is one channel byte then its payload. Channel 3 carries the
// final metav1.Status; channel 4 the terminal size as JSON {"Width":W,"Height":H}; channel 255
// (v5 only) `255 0` closes stdin.

export const STREAM_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

export const Channel = { Stdin: 0, Stdout: 1, Stderr: 2, Error: 3, Resize: 4, Close: 255 } as const;
export type Channel = (typeof Channel)[keyof typeof Channel];

/** A terminal's size in character cells (remotecommand.TerminalSize). */
export interface TerminalSize {
  width: number;
  height: number;
}

export function frame(channel: number, data: Buffer | string = Buffer.alloc(0)): Buffer {
  return Buffer.concat([Buffer.from([channel]), Buffer.isBuffer(data) ? data : Buffer.from(data)]);
}

/** Splits a message into channel and payload; an empty message has no channel. */
export function parseFrame(msg: Buffer): { channel: number; payload: Buffer } | undefined {
  return msg.length ? { channel: msg[0]!, payload: msg.subarray(1) } : undefined;
}

/** The stdin close message of v5.channel.k8s.io. */
export function closeStdinFrame(): Buffer {
  return frame(Channel.Close, Buffer.from([Channel.Stdin]));
}

export function isCloseStdin(f: { channel: number; payload: Buffer }): boolean {
  return f.channel === Channel.Close && f.payload[0] === Channel.Stdin;
}

export function resizeFrame(size: TerminalSize): Buffer {
  return frame(Channel.Resize, JSON.stringify({ Width: size.width, Height: size.height }));
}

/** Decodes a resize payload; throws on anything but two integers in 0..65535. */
export function parseResize(payload: Buffer | string): TerminalSize {
  let v: unknown;
  try {
    v = JSON.parse(payload.toString());
  } catch (e) {
    throw new Error(`resize: invalid JSON: ${(e as Error).message}`, { cause: e });
  }
  const { Width, Height } = (v ?? {}) as { Width?: unknown; Height?: unknown };
  const dim = (n: unknown, name: string) => {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffff) throw new Error(`resize: ${name} must be an integer in 0..65535, got ${JSON.stringify(n)}`);
    return n;
  };
  return { width: dim(Width, 'Width'), height: dim(Height, 'Height') };
}

/** The Status sent on the error channel when the command ends with `code`. */
export function exitStatus(code: number, cmd: string[]): Record<string, unknown> {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${cmd.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** The status channel carries a metav1.Status; a non-zero exit is reason NonZeroExitCode with an ExitCode cause. */
export function exitCodeOf(json: string): number {
  if (!json.trim()) return 0;
  try {
    const st = JSON.parse(json) as { status?: string; details?: { causes?: { reason?: string; message?: string }[] } };
    if (st.status === 'Success') return 0;
    const cause = st.details?.causes?.find((c) => c.reason === 'ExitCode');
    return cause ? Number(cause.message) : 1;
  } catch {
    return 1;
  }
}
