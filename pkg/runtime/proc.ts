// Facts about processes read from /proc.
import { readFileSync } from 'node:fs';

/** True while `pid` runs; a zombie (exited, not yet reaped) counts as gone. */
export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}
