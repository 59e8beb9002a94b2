import { describe, expect, it } from 'vitest';
import { describeJob } from './describe-job.js';
import { tabwrite } from './tabwriter.js';

describe('tsctl describe job', () => {
  it('prints what kubectl describe job prints for a completed job', () => {
    const job = {
      metadata: { name: 'j', namespace: 'tsc-a', labels: { 'job-name': 'j', 'batch.kubernetes.io/job-name': 'j' } },
      spec: {
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } },
        parallelism: 1,
        completions: 1,
        completionMode: 'NonIndexed',
        suspend: false,
        backoffLimit: 6,
        template: { metadata: { labels: { 'job-name': 'j' } }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo hi'] }] } },
      },
      status: { startTime: '2026-12-03T07:02:14Z', completionTime: '2026-12-03T07:02:16Z', ready: 0, succeeded: 1 },
    };
    expect(tabwrite(describeJob(job).join('\n')).split('\n')).toEqual([
      'Name:             j',
      'Namespace:        tsc-a',
      'Selector:         batch.kubernetes.io/controller-uid=u1',
      'Labels:           batch.kubernetes.io/job-name=j',
      '                  job-name=j',
      'Annotations:      <none>',
      'Parallelism:      1',
      'Completions:      1',
      'Completion Mode:  NonIndexed',
      'Suspend:          false',
      'Backoff Limit:    6',
      'Start Time:       Thu, 03 Dec 2026 07:02:14 +0000',
      'Completed At:     Thu, 03 Dec 2026 07:02:16 +0000',
      'Duration:         2s',
      'Pods Statuses:    0 Active (0 Ready) / 1 Succeeded / 0 Failed',
      'Pod Template:',
      '  Labels:  job-name=j',
      '  Containers:',
      '   c:',
      '    Image:      busybox',
      '    Port:       <none>',
      '    Host Port:  <none>',
      '    Command:',
      '      sh',
      '      -c',
      '      echo hi',
      '    Environment:   <none>',
      '    Mounts:        <none>',
      '  Volumes:         <none>',
      '  Node-Selectors:  <none>',
      '  Tolerations:     <none>',
    ]);
  });

  it('shows an Indexed job\'s completed indexes, <unset> completions and no Ready count before the controller sets it', () => {
    const lines = tabwrite(describeJob({ metadata: { name: 'ji' }, spec: { completionMode: 'Indexed', activeDeadlineSeconds: 100 }, status: { succeeded: 2, completedIndexes: '0,1' } }).join('\n')).split('\n');
    expect(lines).toContain('Completions:              <unset>');
    expect(lines).toContain('Active Deadline Seconds:  100s');
    expect(lines).toContain('Pods Statuses:            0 Active / 2 Succeeded / 0 Failed');
    expect(lines).toContain('Completed Indexes:        0,1');
  });
});
