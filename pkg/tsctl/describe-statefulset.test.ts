import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { describeCronJob } from './describe-cronjob.js';
import { describeDaemonSet, describeStatefulSet } from './describe-statefulset.js';
import { tabwrite } from './tabwriter.js';

const container = { name: 'c', image: 'tskube.local/busybox:latest' };
const lines = (text: string[]) => tabwrite(text.join('\n')).split('\n');

describe('tsctl describe statefulset, daemonset and cronjob', () => {
  it('prints what kubectl 1.32 describe statefulset prints: partition, pods by phase, volume claim templates', () => {
    const uid = 'u-pt';
    const pods = [
      { metadata: { name: 'pt-0', ownerReferences: [{ controller: true, uid, kind: 'StatefulSet', name: 'pt', apiVersion: 'apps/v1' }] }, status: { phase: 'Running' } },
      { metadata: { name: 'other', ownerReferences: [{ controller: true, uid: 'u-x', kind: 'StatefulSet', name: 'x', apiVersion: 'apps/v1' }] }, status: { phase: 'Running' } },
      { metadata: { name: 'pt-1', ownerReferences: [{ controller: true, uid, kind: 'StatefulSet', name: 'pt', apiVersion: 'apps/v1' }] }, status: { phase: 'Pending' } },
    ] as Pod[];
    const ss = {
      metadata: { name: 'pt', namespace: 'tsd-a', uid, creationTimestamp: '2026-12-03T09:47:22Z' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'pt' } },
        template: { metadata: { labels: { app: 'pt' } }, spec: { containers: [container] } },
        updateStrategy: { rollingUpdate: { partition: 2 }, type: 'RollingUpdate' },
        volumeClaimTemplates: [{ metadata: { annotations: { e: 'f' }, labels: { a: 'b', c: 'd' }, name: 'd' }, spec: { accessModes: ['ReadWriteOnce', 'ReadOnlyMany'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'fast' } }],
      },
      status: { replicas: 1 },
    };
    expect(lines(describeStatefulSet(ss, pods))).toEqual([
      'Name:               pt',
      'Namespace:          tsd-a',
      'CreationTimestamp:  Thu, 03 Dec 2026 09:47:22 +0000',
      'Selector:           app=pt',
      'Labels:             <none>',
      'Annotations:        <none>',
      'Replicas:           2 desired | 1 total',
      'Update Strategy:    RollingUpdate',
      '  Partition:        2',
      'Pods Status:        1 Running / 1 Waiting / 0 Succeeded / 0 Failed',
      'Pod Template:',
      '  Labels:  app=pt',
      '  Containers:',
      '   c:',
      '    Image:         tskube.local/busybox:latest',
      '    Port:          <none>',
      '    Host Port:     <none>',
      '    Environment:   <none>',
      '    Mounts:        <none>',
      '  Volumes:         <none>',
      '  Node-Selectors:  <none>',
      '  Tolerations:     <none>',
      'Volume Claims:',
      '  Name:          d',
      '  StorageClass:  fast',
      '  Labels:        a=b',
      '                 c=d',
      '  Annotations:   e=f',
      '  Capacity:      1Gi',
      '  Access Modes:  [ReadWriteOnce ReadOnlyMany]',
    ]);
    // (OnDelete: no Partition line; no templates: Volume Claims <none>)
    const od = lines(describeStatefulSet({ metadata: { name: 'od' }, spec: { updateStrategy: { type: 'OnDelete' } } }, []));
    expect(od).toContain('Update Strategy:    OnDelete');
    expect(od.some((l) => l.includes('Partition'))).toBe(false);
    expect(od.at(-1)).toBe('Volume Claims:     <none>');
  });

  it('prints what kubectl 1.32 describe daemonset prints: no Namespace, the node counts untabbed', () => {
    const ds = {
      metadata: { name: 'ds2', namespace: 'tsd-a', uid: 'u', annotations: { 'deprecated.daemonset.template.generation': '1' } },
      spec: {
        selector: { matchLabels: { app: 'ds2' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }] },
        template: { metadata: { labels: { app: 'ds2', tier: 'a' } }, spec: { nodeSelector: { nope: '1', a: 'b' }, containers: [container] } },
      },
      status: { desiredNumberScheduled: 0, currentNumberScheduled: 0, numberMisscheduled: 0 },
    };
    expect(lines(describeDaemonSet(ds, [])).slice(0, 16)).toEqual([
      'Name:           ds2',
      'Selector:       app=ds2,tier in (a,b)',
      'Node-Selector:  a=b,nope=1',
      'Labels:         <none>',
      'Annotations:    deprecated.daemonset.template.generation: 1',
      'Desired Number of Nodes Scheduled: 0',
      'Current Number of Nodes Scheduled: 0',
      'Number of Nodes Scheduled with Up-to-date Pods: 0',
      'Number of Nodes Scheduled with Available Pods: 0',
      'Number of Nodes Misscheduled: 0',
      'Pods Status:  0 Running / 0 Waiting / 0 Succeeded / 0 Failed',
      'Pod Template:',
      '  Labels:  app=ds2',
      '           tier=a',
      '  Containers:',
      '   c:',
    ]);
  });

  it('prints what kubectl 1.32 describe cronjob prints: policies, the job template, no Time Zone line', () => {
    const cj = {
      metadata: { name: 'cj2', namespace: 'tsd-a', labels: { a: 'b' } },
      spec: {
        schedule: '0 0 * * *',
        timeZone: 'Etc/UTC',
        suspend: true,
        startingDeadlineSeconds: 30,
        concurrencyPolicy: 'Forbid',
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 1,
        jobTemplate: { spec: { parallelism: 2, completions: 3, activeDeadlineSeconds: 60, template: { metadata: { annotations: { x: 'y' } }, spec: { containers: [{ ...container, env: [{ name: 'A', value: 'b' }] }] } } } },
      },
      status: {},
    };
    expect(lines(describeCronJob(cj))).toEqual([
      'Name:                          cj2',
      'Namespace:                     tsd-a',
      'Labels:                        a=b',
      'Annotations:                   <none>',
      'Schedule:                      0 0 * * *',
      'Concurrency Policy:            Forbid',
      'Suspend:                       True',
      'Successful Job History Limit:  3',
      'Failed Job History Limit:      1',
      'Starting Deadline Seconds:     30s',
      'Selector:                      <unset>',
      'Parallelism:                   2',
      'Completions:                   3',
      'Active Deadline Seconds:       60s',
      'Pod Template:',
      '  Labels:       <none>',
      '  Annotations:  x: y',
      '  Containers:',
      '   c:',
      '    Image:      tskube.local/busybox:latest',
      '    Port:       <none>',
      '    Host Port:  <none>',
      '    Environment:',
      '      A:             b',
      '    Mounts:          <none>',
      '  Volumes:           <none>',
      '  Node-Selectors:    <none>',
      '  Tolerations:       <none>',
      'Last Schedule Time:  <unset>',
      'Active Jobs:         <none>',
    ]);
    const running = lines(describeCronJob({ metadata: { name: 'c' }, spec: {}, status: { lastScheduleTime: '2026-12-03T09:41:00Z', active: [{ name: 'c-1' }, { name: 'c-2' }] } }));
    expect(running).toContain('Last Schedule Time:  Thu, 03 Dec 2026 09:41:00 +0000');
    expect(running).toContain('Active Jobs:         c-1, c-2');
    expect(running).toContain('Suspend:                       <unset>');
  });
});
