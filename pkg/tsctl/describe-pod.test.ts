import { describe, expect, it } from 'vitest';
import type { Pod, Probe } from '../api/types.js';
import { containerStateRows, describePod, mountLines, probeText, rfc1123z, tolerationLines } from './describe-pod.js';
import { tabwrite } from './tabwriter.js';

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

describe('tsctl describe pod: the layout of kubectl 1.32 describePod', () => {
  const now = Date.parse('2026-12-03T04:00:00Z');
  const pod = {
    metadata: { name: 'p', namespace: 'ns', deletionTimestamp: '2026-12-03T04:00:30Z', deletionGracePeriodSeconds: 30, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'u', controller: true }] },
    spec: {
      nodeName: 'n1',
      containers: [
        {
          name: 'app',
          image: 'img',
          command: ['sh', '-c', 'a\nb'],
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          resources: { limits: { memory: '64Mi' }, requests: { memory: '64Mi', cpu: '1500m' } },
          readinessProbe: { httpGet: { path: 'healthz', port: 'web', scheme: 'HTTPS' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
          livenessProbe: { grpc: { port: 9000, service: '' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
          env: [
            { name: 'NS', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
            { name: 'LAB', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.labels['a']" } } },
            { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
            { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Ki' } } },
          ],
        },
      ],
      volumes: [{ name: 'v', projected: { sources: [{ configMap: { name: 'cm', optional: true } }] } }, { name: 'x' }],
    },
    status: { phase: 'Running', hostIP: '10.0.0.1', podIP: '10.1.0.2', podIPs: [{ ip: '10.1.0.2' }, { ip: 'fd00::2' }], qosClass: 'Burstable' },
  } as unknown as Pod;

  it('prints a terminating pod, its commands line by line, probes, resolved env and volumes as describePod', () => {
    expect(tabwrite(describePod(pod, now).join('\n')).split('\n')).toEqual([
      'Name:                      p',
      'Namespace:                 ns',
      'Node:                      n1/10.0.0.1',
      'Labels:                    <none>',
      'Annotations:               <none>',
      'Status:                    Terminating (lasts <invalid>)',
      'Termination Grace Period:  30s',
      'IP:                        10.1.0.2',
      'IPs:',
      '  IP:           10.1.0.2',
      '  IP:           fd00::2',
      'Controlled By:  Node/n1',
      'Containers:',
      '  app:',
      '    Image:      img',
      '    Port:       80/TCP',
      '    Host Port:  0/TCP',
      '    Command:',
      '      sh',
      '      -c',
      '      a',
      '      b',
      '    Limits:',
      '      memory:  64Mi',
      '    Requests:',
      '      cpu:      1500m',
      '      memory:   64Mi',
      '    Liveness:   grpc <pod>:9000  delay=0s timeout=1s period=10s #success=1 #failure=3',
      '    Readiness:  http-get https://:web/healthz delay=0s timeout=1s period=10s #success=1 #failure=3',
      '    Environment:',
      '      NS:    ns (v1:metadata.namespace)',
      "      LAB:    (v1:metadata.labels['a'])",
      '      CPU:   1500 (requests.cpu)',
      '      MEM:   65536 (limits.memory)',
      '    Mounts:  <none>',
      'Volumes:',
      '  v:',
      '    Type:               Projected (a volume that contains injected data from multiple sources)',
      '    ConfigMapName:      cm',
      '    ConfigMapOptional:  true',
      '  x:',
      '  <unknown>',
      'QoS Class:       Burstable',
      'Node-Selectors:  <none>',
      'Tolerations:     <none>',
    ]);
    // (a second before the deadline is "0s", as HumanDuration tolerates clock skew; past it, it counts up)
    expect(describePod(pod, Date.parse('2026-12-03T04:00:29Z'))).toContain('Status:\tTerminating (lasts 0s)');
    expect(describePod(pod, Date.parse('2026-12-03T04:03:30Z'))).toContain('Status:\tTerminating (lasts 3m)');
    expect(describePod({ ...pod, status: { ...pod.status, phase: 'Succeeded' } } as Pod, now)).toContain('Status:\tSucceeded');
  });

  it('lists a pod with no statuses, no IPs and no containers as describePod does', () => {
    const bare = describePod({ metadata: { name: 'b', namespace: 'ns' }, spec: { containers: [] }, status: { phase: 'Pending' } } as unknown as Pod, now);
    expect(bare).toEqual(['Name:\tb', 'Namespace:\tns', 'Node:\t<none>', 'Labels:\t<none>', 'Annotations:\t<none>', 'Status:\tPending', 'IP:\t', 'IPs:\t<none>', 'Containers: <none>', 'Volumes:\t<none>', 'QoS Class:\tBestEffort', 'Node-Selectors:\t<none>', 'Tolerations:\t<none>']);
    const devices = describePod({ metadata: { name: 'd' }, spec: { containers: [{ name: 'c', volumeDevices: [{ name: 'raw', devicePath: '/dev/xvdb' }, { name: 'blk', devicePath: '/dev/xvda' }] }] } } as unknown as Pod, now);
    expect(devices.slice(devices.indexOf('    Mounts:\t<none>'), devices.indexOf('    Mounts:\t<none>') + 4)).toEqual(['    Mounts:\t<none>', '    Devices:\t<none>', '      /dev/xvda from blk', '      /dev/xvdb from raw']);
    expect(probeText({ tcpSocket: { host: 'h', port: 5 }, exec: undefined } as Probe)).toBe('tcp-socket h:5 delay=0s timeout=0s period=0s #success=0 #failure=0');
    expect(probeText({ exec: { command: ['a', 'b'] } } as Probe)).toMatch(/^exec \[a b\] delay=0s/);
  });
});
