// Pieces of tsctl describe that follow kubectl 1.32's describers word for word: times as
// RFC 1123 with a numeric zone (Go's time.RFC1123Z, in the local zone as metav1.Time decodes),
// a container's State and Last State as describeContainerState writes them, its Mounts, and a
// pod's Tolerations.
import type { ContainerState, ContainerStatus, Toleration, VolumeMount } from '../api/types.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** `t` as Go formats time.RFC1123Z ("Thu, 03 Dec 2026 03:21:56 +0000"); an unset time is Go's zero time, as kubectl prints it. */
export function rfc1123z(t: string | null | undefined): string {
  if (!t) return 'Mon, 01 Jan 0001 00:00:00 +0000';
  const d = new Date(t);
  const off = -d.getTimezoneOffset();
  const zone = `${off < 0 ? '-' : '+'}${two(Math.floor(Math.abs(off) / 60))}${two(Math.abs(off) % 60)}`;
  return `${DAYS[d.getDay()]}, ${two(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${zone}`;
}

/** describeStatus: one state as [key, value, indent] rows (the state at 4, its details at 6). */
function stateRows(name: string, s: ContainerState | undefined): [string, string, number][] {
  if (s?.running) return [[name, 'Running', 4], ['Started', rfc1123z(s.running.startedAt), 6]];
  if (s?.terminated) {
    const t = s.terminated;
    const rows: [string, string, number][] = [[name, 'Terminated', 4]];
    if (t.reason) rows.push(['Reason', t.reason, 6]);
    if (t.message) rows.push(['Message', t.message, 6]);
    rows.push(['Exit Code', String(t.exitCode ?? 0), 6]);
    if ((t.signal ?? 0) > 0) rows.push(['Signal', String(t.signal), 6]);
    rows.push(['Started', rfc1123z(t.startedAt), 6], ['Finished', rfc1123z(t.finishedAt), 6]);
    return rows;
  }
  // (a waiting container shows its reason only; with no state at all it is Waiting too)
  return [[name, 'Waiting', 4], ...(s?.waiting?.reason ? [['Reason', s.waiting.reason, 6] as [string, string, number]] : [])];
}

/** describeContainerState: State, Last State when the container has terminated before, Ready and Restart Count. */
export function containerStateRows(st: ContainerStatus | undefined): [string, string, number][] {
  return [
    ...stateRows('State', st?.state),
    ...(st?.lastState?.terminated ? stateRows('Last State', st.lastState) : []),
    ['Ready', st?.ready ? 'True' : 'False', 4],
    ['Restart Count', String(st?.restartCount ?? 0), 4],
  ];
}

/** describeContainerVolumes: each mount, by mountPath, as "<path> from <volume> (ro|rw[,path=\"<subPath>\"])"; undefined for none. */
export function mountLines(mounts: VolumeMount[] | undefined): string[] | undefined {
  if (!mounts?.length) return undefined;
  return [...mounts]
    .sort((a, b) => ((a.mountPath ?? '') < (b.mountPath ?? '') ? -1 : (a.mountPath ?? '') > (b.mountPath ?? '') ? 1 : 0))
    .map((m) => `${m.mountPath} from ${m.name} (${[m.readOnly ? 'ro' : 'rw', ...(m.subPath ? [`path=${JSON.stringify(m.subPath)}`] : [])].join(',')})`);
}

/** printTolerationsMultilineWithIndent: by key, "key[=value][:effect][ op=Exists][ for Ns]"; undefined for none. */
export function tolerationLines(tolerations: Toleration[] | undefined): string[] | undefined {
  if (!tolerations?.length) return undefined;
  return [...tolerations]
    .sort((a, b) => ((a.key ?? '') < (b.key ?? '') ? -1 : (a.key ?? '') > (b.key ?? '') ? 1 : 0))
    .map((t) => {
      let line = `${t.key ?? ''}${t.value ? `=${t.value}` : ''}${t.effect ? `:${t.effect}` : ''}`;
      // (operator Exists with no key and no effect tolerates everything: just "op=Exists")
      if (t.operator === 'Exists' && !t.value) line += t.key || t.effect ? ' op=Exists' : 'op=Exists';
      if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null) line += ` for ${t.tolerationSeconds}s`;
      return line;
    });
}
