// On-disk records: one JSON file per sandbox and per container, written atomically, so that a
// new runtime instance rediscovers everything a dead one made.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import type { ContainerConfig, ContainerLifecycle } from './types.js';

export interface ContainerRecord extends ContainerLifecycle {
  config: ContainerConfig;
  imageId: string;
  diffIds: string[];
  dir: string;
  /** The runtime created the log path (default location) and removes it with the container. */
  ownsLog: boolean;
  conmonPid?: number;
  cgroupPath: string;
  stopSignal: string;
  /**
   * Why its process could not be started (runc create found no executable, say): the record
   * stays Created, and starting it fails with this, leaving it exited 128 (StartError), as
   * containerd leaves a task that could not be created.
   */
  startError?: string;
}

export async function writeJson(file: string, v: unknown): Promise<void> {
  const tmp = `${file}.${randomBytes(3).toString('hex')}.tmp`;
  await fsp.writeFile(tmp, JSON.stringify(v, null, 1));
  await fsp.rename(tmp, file);
}

export async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Every `<dir>/<id>/<name>` record. */
export async function loadAll<T>(dir: string, name: string): Promise<T[]> {
  const ids = await fsp.readdir(dir).catch(() => [] as string[]);
  const out: T[] = [];
  for (const id of ids) {
    const r = await readJson<T>(join(dir, id, name));
    if (r) out.push(r);
  }
  return out;
}

export function newId(): string {
  return randomBytes(32).toString('hex');
}

export function matchLabels(labels: Record<string, string> | undefined, sel: Record<string, string> | undefined): boolean {
  if (!sel) return true;
  return Object.entries(sel).every(([k, v]) => labels?.[k] === v);
}

/** "SIGTERM", "TERM", "15" → "SIGTERM". */
export function normalizeSignal(s: string | undefined, fallback = 'SIGTERM'): NodeJS.Signals {
  if (!s) return fallback as NodeJS.Signals;
  const signals = constants.signals as Record<string, number>;
  const up = s.toUpperCase();
  if (/^\d+$/.test(up)) {
    const name = Object.entries(signals).find(([, n]) => n === Number(up))?.[0];
    return (name ?? fallback) as NodeJS.Signals;
  }
  const name = up.startsWith('SIG') ? up : `SIG${up}`;
  return (name in signals ? name : fallback) as NodeJS.Signals;
}
