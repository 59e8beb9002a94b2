// CRI container logs: `<RFC3339Nano> <stream> <P|F> <message>` lines (written by conmon's
// k8s-file driver), read back with tail, since, timestamps and follow across rotation.
import { promises as fsp } from 'node:fs';
import type { LogLine, ReadLogsOptions } from './types.js';

export function parseLogLine(line: string): LogLine | undefined {
  const m = /^(\S+) (stdout|stderr) (P|F) ?(.*)$/s.exec(line);
  if (!m) return undefined;
  return { time: m[1], stream: m[2] as LogLine['stream'], tag: m[3] as LogLine['tag'], message: m[4] };
}

export function formatLogLine(l: LogLine): string {
  return `${l.time} ${l.stream} ${l.tag} ${l.message}`;
}

/** Parse an RFC3339 time with nanoseconds; returns ms since epoch (sub-ms precision dropped). */
export function logTime(t: string): number {
  return Date.parse(t.replace(/\.(\d{3})\d*/, '.$1'));
}

export interface LogChunk {
  text: string;
  stream: 'stdout' | 'stderr';
  time: string;
}

/** Join partial (P) lines into whole lines and filter them. */
export function assemble(lines: string[], opts: ReadLogsOptions, pending: Map<string, LogChunk>): LogChunk[] {
  const out: LogChunk[] = [];
  const since = opts.since ? opts.since.getTime() : undefined;
  for (const raw of lines) {
    const l = parseLogLine(raw);
    if (!l) continue;
    const prev = pending.get(l.stream);
    if (l.tag === 'P') {
      pending.set(l.stream, { text: (prev?.text ?? '') + l.message, stream: l.stream, time: prev?.time ?? l.time });
      continue;
    }
    pending.delete(l.stream);
    if (since !== undefined && logTime(l.time) < since) continue;
    out.push({ text: (prev?.text ?? '') + l.message, stream: l.stream, time: l.time });
  }
  return out;
}

/**
 * A CRI log time as the kubelet prints it for --timestamps (Go's RFC3339NanoFixed): nine digits
 * of fraction and "Z" for UTC (conmon writes "+00:00").
 */
export function kubeletLogTime(t: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/i.exec(t);
  if (!m) return t;
  const zone = m[3]!.toUpperCase() === 'Z' || /^[+-]00:00$/.test(m[3]!) ? 'Z' : m[3]!;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}${zone}`;
}

function render(c: LogChunk, timestamps: boolean | undefined): string {
  return timestamps ? `${kubeletLogTime(c.time)} ${c.text}\n` : `${c.text}\n`;
}

/** Yield log lines (each ending in \n); with follow, keep reading until `isDone()` and the file is drained, or the signal aborts. */
export async function* readLogFile(path: string, opts: ReadLogsOptions, isDone: () => Promise<boolean>): AsyncGenerator<string> {
  const pending = new Map<string, LogChunk>();
  // At the end, a last line that never got its newline (printf abc) is shown as it is, as the
  // kubelet shows it.
  const partials = function* (): Generator<string> {
    for (const c of pending.values()) yield render(c, opts.timestamps).slice(0, -1);
  };
  let offset = 0;
  let ino: number | undefined;
  let rest = '';
  let first = true;
  for (;;) {
    let st;
    try {
      st = await fsp.stat(path);
    } catch {
      st = undefined;
    }
    if (st && ino !== undefined && (st.ino !== ino || st.size < offset)) {
      offset = 0; // rotated or truncated: the new file starts over
      rest = '';
    }
    if (st) ino = st.ino;
    if (st && st.size > offset) {
      const fh = await fsp.open(path, 'r');
      try {
        const buf = Buffer.alloc(st.size - offset);
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        offset += bytesRead;
        rest += buf.subarray(0, bytesRead).toString('utf8');
      } finally {
        await fh.close();
      }
      const parts = rest.split('\n');
      rest = parts.pop() ?? '';
      let chunks = assemble(parts, opts, pending);
      if (first && opts.tail !== undefined && opts.tail >= 0) chunks = opts.tail === 0 ? [] : chunks.slice(-opts.tail);
      for (const c of chunks) yield render(c, opts.timestamps);
    } else if (first && opts.tail === 0) {
      // nothing to print
    }
    first = false;
    if (!opts.follow || opts.signal?.aborted) return yield* partials();
    if (await isDone()) {
      const again = await fsp.stat(path).catch(() => undefined);
      if (!again || (again.ino === ino && again.size <= offset)) return yield* partials();
      continue;
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 100);
      opts.signal?.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
    if (opts.signal?.aborted) return;
  }
}
