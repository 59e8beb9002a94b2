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

/**
 * One CRI log line as the kubelet's ReadLogs writes it: its message, with a newline only when it
 * is a full (F) line, each line under its own timestamp with --timestamps. A line written in
 * parts (printf abc; sleep; echo def: conmon writes P abc, then F def) comes out as its parts,
 * so --timestamps puts a time before each part ("T1 abcT2 def"), and --tail and --since count
 * and filter file lines, parts included; a last part never finished keeps no newline.
 */
function render(l: LogLine, timestamps: boolean | undefined): string {
  const text = l.tag === 'F' ? `${l.message}\n` : l.message;
  return timestamps ? `${kubeletLogTime(l.time)} ${text}` : text;
}

/** The file lines (each without its newline) that parse, older than `since` dropped, rendered. */
function renderLines(lines: string[], opts: ReadLogsOptions): string[] {
  const since = opts.since ? opts.since.getTime() : undefined;
  const out: string[] = [];
  for (const raw of lines) {
    const l = parseLogLine(raw);
    if (!l) continue;
    if (since !== undefined && logTime(l.time) < since) continue;
    out.push(render(l, opts.timestamps));
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

/**
 * Yield the log's lines as `render` writes them, each part of a partial line as soon as the file
 * has it; with follow, keep reading until `isDone()` and the file is drained, or the signal aborts.
 */
export async function* readLogFile(path: string, opts: ReadLogsOptions, isDone: () => Promise<boolean>): AsyncGenerator<string> {
  // (a file line cut short at the end, the runtime mid-write, is read as it is when the reading
  // ends, as ReadLogs parses an incomplete last line)
  const leftover = function* (): Generator<string> {
    if (rest) yield* renderLines([rest], opts);
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
      // (tail counts the file's last lines before since filters them, as ReadLogs seeks to
      // FindTailLineStartIndex and then skips the older ones)
      const lines = first && opts.tail !== undefined && opts.tail >= 0 ? (opts.tail === 0 ? [] : parts.slice(-opts.tail)) : parts;
      for (const out of renderLines(lines, opts)) yield out;
    } else if (first && opts.tail === 0) {
      // nothing to print
    }
    first = false;
    if (!opts.follow || opts.signal?.aborted) return yield* leftover();
    if (await isDone()) {
      const again = await fsp.stat(path).catch(() => undefined);
      if (!again || (again.ino === ino && again.size <= offset)) return yield* leftover();
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
