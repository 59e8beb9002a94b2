// tsctl describe for ConfigMaps and Secrets, laid out as kubectl's describers do: a ConfigMap's
// text values in full and its binary values by size; a Secret's values only by size.
import { base64DecodedLength } from '../api/base64.js';
import type { ConfigMap, Secret } from '../api/types.js';

const sortedEntries = (m: Record<string, string> | undefined) => Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

export function describeConfigMap(cm: ConfigMap): string[] {
  const lines = ['', 'Data', '===='];
  for (const [k, v] of sortedEntries(cm.data)) lines.push(`${k}:`, '----', v, '');
  lines.push('', 'BinaryData', '====');
  for (const [k, v] of sortedEntries(cm.binaryData)) lines.push(`${k}: ${base64DecodedLength(v)} bytes`);
  lines.push('');
  return lines;
}

export function describeSecret(s: Secret): string[] {
  const lines = ['', `Type:  ${s.type ?? ''}`, '', 'Data', '===='];
  const entries = sortedEntries(s.data);
  const width = Math.max(0, ...entries.map(([k]) => k.length + 1));
  for (const [k, v] of entries) lines.push(`${`${k}:`.padEnd(width)}  ${base64DecodedLength(v)} bytes`);
  return lines;
}
