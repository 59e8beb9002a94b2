import { describe, expect, it } from 'vitest';
import { containerStateRows, mountLines, rfc1123z, tolerationLines } from './describe-pod.js';

describe('tsctl describe pod: container state as kubectl describeContainerState', () => {
  it('formats times as Go time.RFC1123Z', () => {
    expect(rfc1123z('2026-12-03T03:21:56Z')).toMatch(/^Thu, 03 Dec 2026 \d\d:\d\d:56 [+-]\d{4}$/);
    if (new Date().getTimezoneOffset() === 0) expect(rfc1123z('2026-12-03T03:21:56Z')).toBe('Thu, 03 Dec 2026 03:21:56 +0000');
    expect(rfc1123z(undefined)).toBe('Mon, 01 Jan 0001 00:00:00 +0000');
  });

  it('says Waiting with its reason only, Terminated with reason, message, Exit Code, Started and Finished, and Last State only after a termination', () => {
    const rows = containerStateRows({
      name: 'c',
      state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=c pod=p_ns(u)' } },
      lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: '2026-12-03T03:38:15Z', finishedAt: '2026-12-03T03:38:16Z', containerID: 'tskube://abc' } },
      ready: false,
      restartCount: 5,
      image: 'busybox',
      imageID: '',
    });
    expect(rows.map(([k, v, i]) => `${' '.repeat(i)}${k}: ${v.replace(/\d\d:\d\d:(\d\d) [+-]\d{4}$/, '$1')}`)).toEqual([
      '    State: Waiting',
      '      Reason: CrashLoopBackOff',
      '    Last State: Terminated',
      '      Reason: Error',
      '      Exit Code: 1',
      '      Started: Thu, 03 Dec 2026 15',
      '      Finished: Thu, 03 Dec 2026 16',
      '    Ready: False',
      '    Restart Count: 5',
    ]);
    const running = containerStateRows({ name: 'c', state: { running: { startedAt: '2026-12-03T03:38:15Z' } }, lastState: {}, ready: true, restartCount: 0, image: 'busybox', imageID: '' });
    expect(running.map(([k]) => k)).toEqual(['State', 'Started', 'Ready', 'Restart Count']);
    const signalled = containerStateRows({ name: 'c', state: { terminated: { exitCode: 137, signal: 9, reason: 'OOMKilled', message: 'out of memory' } }, lastState: {}, ready: false, restartCount: 0, image: 'busybox', imageID: '' });
    expect(signalled.slice(0, 6).map(([k, v]) => `${k}=${v}`)).toEqual(['State=Terminated', 'Reason=OOMKilled', 'Message=out of memory', 'Exit Code=137', 'Signal=9', 'Started=Mon, 01 Jan 0001 00:00:00 +0000']);
    // no status yet: Waiting, as kubectl's default case
    expect(containerStateRows(undefined).map(([k, v]) => `${k}=${v}`)).toEqual(['State=Waiting', 'Ready=False', 'Restart Count=0']);
  });

  it('lists Mounts by path with ro/rw and a subPath, and Tolerations by key as printTolerationsMultilineWithIndent', () => {
    expect(mountLines([{ name: 'token', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }, { name: 'data', mountPath: '/data', subPath: 'app' }])).toEqual([
      '/data from data (rw,path="app")',
      '/var/run/secrets/kubernetes.io/serviceaccount from token (ro)',
    ]);
    expect(mountLines([])).toBeUndefined();
    expect(
      tolerationLines([
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
        { operator: 'Exists' },
      ]),
    ).toEqual(['op=Exists', 'dedicated=gpu:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute op=Exists for 300s']);
    expect(tolerationLines(undefined)).toBeUndefined();
  });
});
