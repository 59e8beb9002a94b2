import { describe, expect, it } from 'vitest';
import { describeEvents } from './describe-events.js';

const now = Date.parse('2026-12-03T04:00:00Z');
const ago = (s: number) => new Date(now - s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
const micro = (s: number) => new Date(now - s * 1000).toISOString().replace(/Z$/, '000Z');

describe('tsctl describe: Events', () => {
  it('lays events out as kubectl DescribeEvents: sorted by lastTimestamp, a rule under the header, "(xN over first)" from a count or a series', () => {
    const lines = describeEvents(
      [
        { type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container c in pod crash_ev(u)', source: { component: 'kubelet', host: 'vm' }, firstTimestamp: ago(101), lastTimestamp: ago(29), count: 5, eventTime: null, reportingComponent: 'kubelet' },
        { type: 'Normal', reason: 'Pulled', message: 'Container image "busybox" already present on machine ', source: { component: 'kubelet', host: 'vm' }, firstTimestamp: ago(101), lastTimestamp: ago(30), count: 5, reportingComponent: 'kubelet' },
        { type: 'Warning', reason: 'FailedScheduling', message: '0/1 nodes are available', source: {}, firstTimestamp: null, lastTimestamp: null, eventTime: micro(600), series: { count: 3, lastObservedTime: micro(200) }, reportingComponent: 'default-scheduler' },
        { type: 'Normal', reason: 'Scheduled', message: 'Successfully assigned ev/crash to vm', source: {}, firstTimestamp: null, lastTimestamp: null, eventTime: micro(102), reportingComponent: 'default-scheduler' },
      ],
      now,
    );
    expect(lines).toEqual([
      'Events:',
      '  Type     Reason            Age                  From               Message',
      '  ----     ------            ----                 ----               -------',
      '  Warning  FailedScheduling  3m20s (x3 over 10m)  default-scheduler  0/1 nodes are available',
      '  Normal   Scheduled         102s                 default-scheduler  Successfully assigned ev/crash to vm',
      '  Normal   Pulled            30s (x5 over 101s)   kubelet            Container image "busybox" already present on machine',
      '  Warning  BackOff           29s (x5 over 101s)   kubelet            Back-off restarting failed container c in pod crash_ev(u)',
    ]);
  });

  it('says <none> for an object without events', () => {
    expect(describeEvents([], now)).toEqual(['Events:           <none>']);
  });
});
