// A container's termination message, cut to size as the kubelet cuts it: the file at
// terminationMessagePath read from its end, the log's tail with FallbackToLogsOnError, and then
// every message of the pod held to an even share of the pod's budget.
import { open } from 'node:fs/promises';
import type { Pod } from '../api/types.js';

/** kubecontainer.MaxContainerTerminationMessageLength: the most read of a termination message file. */
export const MAX_MESSAGE_FILE_BYTES = 4 * 1024;
/** kubecontainer.MaxContainerTerminationMessageLogLength: the most a message taken from the log keeps. */
export const MAX_MESSAGE_LOG_BYTES = 2 * 1024;
/** kubecontainer.MaxContainerTerminationMessageLogLines: the log lines a message is taken from. */
export const MAX_MESSAGE_LOG_LINES = 80;
/** kubecontainer.MaxPodTerminationMessageLogLength: what all of a pod's messages may hold together. */
export const MAX_POD_MESSAGE_BYTES = 12 * 1024;

/**
 * The last MAX_MESSAGE_FILE_BYTES bytes of a termination message file, as getTerminationMessage
 * reads it with tail.ReadAtMost (what a program writes last is kept); '' when there is none.
 */
export async function readMessageFile(path: string): Promise<string> {
  const f = await open(path, 'r').catch(() => undefined);
  if (!f) return '';
  try {
    const { size } = await f.stat();
    const n = Math.min(size, MAX_MESSAGE_FILE_BYTES);
    const buf = Buffer.alloc(n);
    await f.read(buf, 0, n, size - n);
    return buf.toString('utf8');
  } finally {
    await f.close();
  }
}

/** A message from the log's last lines: their last MAX_MESSAGE_LOG_BYTES bytes (readLastStringFromContainerLogs' ring buffer). */
export function messageFromLog(lines: string[]): string {
  const b = Buffer.from(lines.join(''), 'utf8');
  return b.subarray(Math.max(0, b.length - MAX_MESSAGE_LOG_BYTES)).toString('utf8');
}

/**
 * A message held to its container's share of the pod's budget: MAX_POD_MESSAGE_BYTES divided by
 * the number of app and init containers, its first bytes kept, as the status manager's
 * normalizeStatus truncates each terminated state's message before the status is written.
 */
export function capForPod(message: string, pod: Pod): string {
  const n = (pod.spec?.containers?.length ?? 0) + (pod.spec?.initContainers?.length ?? 0);
  const share = n > 0 ? Math.floor(MAX_POD_MESSAGE_BYTES / n) : MAX_POD_MESSAGE_BYTES;
  const b = Buffer.from(message, 'utf8');
  return b.length > share ? b.subarray(0, share).toString('utf8') : message;
}
