// kubectl logs against a real single-node cluster, for the options the node agent used to
// ignore or answer wrongly: --timestamps in the kubelet's format (nine fraction digits, Z),
// --limit-bytes, --since-time, --previous for a container that never restarted (a Status kubectl
// prints, not "unknown reason") and for one that did, and bad options refused by the apiserver
// with Kubernetes' messages. And the events a user reads beside them: the node's own (Starting,
// NodeHasSufficientMemory, NodeReady, RegisteredNode, NodeNotSchedulable on cordon) and a pod's
// Pulled for an image already present. And kubectl debug --copy-to, whose copy of a pod (with
// its projected token volume, probes, env sources) kubectl sends in protobuf, and kubectl debug's
// ephemeral containers (--target, --profile, -i).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt, kubectlOk } from '../helpers/kubectl.js';
import { image, startCluster, type Cluster } from '../nodeagent/harness.js';

let c: Cluster;
const cacheDir = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));

beforeAll(async () => {
  if (!hasKubectl) return;
  c = await startCluster({ podCIDR: '10.199.3.0/25', controllers: {} });
}, 180_000);
afterAll(async () => {
  await c?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

const kubectl = (...args: string[]) => kubectlOk(c.cp.kubeconfig, cacheDir, args);
const kubectlRun = (...args: string[]) => kubectlAt(c.cp.kubeconfig, cacheDir, args);

const pod = `apiVersion: v1
kind: Pod
metadata:
  name: talker
  labels: {app: talker}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: steady
    image: ${image}
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'echo first-line; sleep 2; echo second-line; sleep 3600']
  - name: crasher
    image: ${image}
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'echo crashed-once; sleep 1; exit 3']
`;

describe.skipIf(!hasKubectl)('kubectl logs', () => {
  beforeAll(async () => {
    await kubectlOk(c.cp.kubeconfig, cacheDir, ['apply', '-f', '-'], pod);
    await eventually(async () => (await kubectl('logs', 'talker', '-c', 'steady')).includes('second-line'), { timeoutMs: 60_000, what: 'both lines logged' });
  }, 90_000);

  it('--timestamps prints each line with the kubelet\'s RFC3339 time (nine digits, Z)', async () => {
    const out = await kubectl('logs', 'talker', '-c', 'steady', '--timestamps');
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (first|second)-line$/);
  });

  it('--limit-bytes cuts the output at that many bytes', async () => {
    expect(await kubectl('logs', 'talker', '-c', 'steady', '--limit-bytes=8')).toBe('first-li');
    expect(await kubectl('logs', 'talker', '-c', 'steady', '--limit-bytes=11')).toBe('first-line\n');
  });

  it('--since-time leaves out the lines before it', async () => {
    const out = await kubectl('logs', 'talker', '-c', 'steady', '--timestamps');
    const second = out.trimEnd().split('\n')[1]!.split(' ')[0]!;
    // a time between the two lines (they are two seconds apart)
    const between = new Date(Date.parse(second) - 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    expect(await kubectl('logs', 'talker', '-c', 'steady', `--since-time=${between}`)).toBe('second-line\n');
  });

  it('--previous: the last run of a restarted container, or Kubernetes\' error when there is none', async () => {
    const r = await kubectlRun('logs', 'talker', '-c', 'steady', '--previous');
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error from server (BadRequest): previous terminated container "steady" in pod "talker" not found\n');
    const prev = await eventually(async () => {
      const p = await kubectlRun('logs', 'talker', '-c', 'crasher', '--previous');
      return p.code === 0 ? p.out : undefined;
    }, { timeoutMs: 60_000, what: 'crasher restarted' });
    expect(prev).toBe('crashed-once\n');
  });

  it('refuses bad log options with Kubernetes\' validation messages', async () => {
    const base = '/api/v1/namespaces/default/pods/talker/log?container=steady';
    const tail = await kubectlRun('get', '--raw', `${base}&tailLines=-2`);
    expect(tail.code).toBe(1);
    expect(tail.err).toContain('PodLogOptions "talker" is invalid: tailLines: Invalid value: -2: must be greater than or equal to 0');
    const both = await kubectlRun('get', '--raw', `${base}&sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z`);
    expect(both.err).toContain('at most one of `sinceTime` or `sinceSeconds` may be specified');
    const garbled = await kubectlRun('get', '--raw', `${base}&limitBytes=lots`);
    expect(garbled.err).toContain('Error from server (BadRequest)');
  });
});

describe.skipIf(!hasKubectl)('kubectl events', () => {
  const reasons = async (...args: string[]) => {
    const out = await kubectl('get', 'events', '-o', 'jsonpath={range .items[*]}{.reason}={.message}{"\\n"}{end}', ...args);
    return out.trimEnd().split('\n');
  };

  it('the node announces itself as the kubelet and the node controller do', async () => {
    const nodeEvents = await eventually(async () => {
      const got = await reasons('--field-selector', 'involvedObject.kind=Node');
      return got.some((l) => l.startsWith('RegisteredNode=')) && got.some((l) => l.startsWith('NodeReady=')) ? got : undefined;
    }, { timeoutMs: 30_000, what: 'the node events' });
    expect(nodeEvents).toEqual(expect.arrayContaining([
      'Starting=Starting kubelet.',
      'NodeHasSufficientMemory=Node e2e-node status is now: NodeHasSufficientMemory',
      'NodeHasNoDiskPressure=Node e2e-node status is now: NodeHasNoDiskPressure',
      'NodeHasSufficientPID=Node e2e-node status is now: NodeHasSufficientPID',
      'NodeReady=Node e2e-node status is now: NodeReady',
      'RegisteredNode=Node e2e-node event: Registered Node e2e-node in Controller',
    ]));
    expect(await kubectl('events', '--for', 'node/e2e-node')).toContain('Starting kubelet.');
  });

  it('get events -o wide has Kubernetes\' wide columns: subobject, source, first seen, count, name', async () => {
    // (the kubelet's: kube-proxy's Starting event is about the node too)
    const wide = (await kubectl('get', 'events', '-o', 'wide', '--field-selector', 'involvedObject.kind=Node,reason=Starting,source=kubelet')).trimEnd().split('\n');
    expect(wide[0]!.split(/\s{2,}/)).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'SUBOBJECT', 'SOURCE', 'MESSAGE', 'FIRST SEEN', 'COUNT', 'NAME']);
    expect(wide[1]).toMatch(/^\S+\s+Normal\s+Starting\s+node\/e2e-node\s+kubelet, e2e-node\s+Starting kubelet\.\s+\S+\s+1\s+e2e-node\.\w+$/);
    const narrow = (await kubectl('get', 'events', '--field-selector', 'involvedObject.kind=Node,reason=Starting')).split('\n')[0]!;
    expect(narrow.split(/\s{2,}/)).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
  });

  it('a container\'s events point at it (SUBOBJECT spec.containers{NAME}), as the kubelet\'s', async () => {
    const paths = (await kubectl('get', 'events', '--field-selector', 'involvedObject.name=talker,reason=Started', '-o', 'jsonpath={.items[*].involvedObject.fieldPath}')).split(' ').sort();
    expect([...new Set(paths)]).toEqual(['spec.containers{crasher}', 'spec.containers{steady}']);
    const wide = (await kubectl('get', 'events', '-o', 'wide', '--field-selector', 'involvedObject.name=talker,reason=Created')).trimEnd().split('\n');
    expect(wide.slice(1).some((l) => /\spod\/talker\s+spec\.containers\{steady\}\s+kubelet, e2e-node\s+Created container steady/.test(l))).toBe(true);
  });

  it('cordon and uncordon are announced on the node', async () => {
    await kubectl('cordon', 'e2e-node');
    await kubectl('uncordon', 'e2e-node');
    const got = await eventually(async () => {
      const l = await reasons('--field-selector', 'involvedObject.kind=Node');
      return l.includes('NodeSchedulable=Node e2e-node status is now: NodeSchedulable') ? l : undefined;
    }, { timeoutMs: 20_000, what: 'NodeSchedulable' });
    expect(got).toContain('NodeNotSchedulable=Node e2e-node status is now: NodeNotSchedulable');
  });

  it('an image that cannot be pulled: ErrImagePull, then BackOff and ImagePullBackOff, as the kubelet reports them', async () => {
    const ref = '127.0.0.1:1/nosuch:1'; // a registry that refuses connections, on this machine
    await kubectl('run', 'unpullable', `--image=${ref}`);
    const got = await eventually(async () => {
      const l = await reasons('--field-selector', 'involvedObject.name=unpullable');
      return l.includes('Failed=Error: ImagePullBackOff') ? l : undefined;
    }, { timeoutMs: 30_000, what: 'the back-off events' });
    expect(got).toEqual(expect.arrayContaining([`Pulling=Pulling image "${ref}"`, 'Failed=Error: ErrImagePull', `BackOff=Back-off pulling image "${ref}"`]));
    expect(got.some((l) => l.startsWith(`Failed=Failed to pull image "${ref}": `))).toBe(true);
    // kubectl logs says why there is nothing to show, in the kubelet's words
    const logs = await eventually(async () => {
      const r = await kubectlRun('logs', 'unpullable');
      return r.err.includes('trying and failing to pull image') ? r : undefined;
    }, { timeoutMs: 20_000, what: 'kubectl logs of a pod backing off its image pull' });
    expect(logs.err).toBe('Error from server (BadRequest): container "unpullable" in pod "unpullable" is waiting to start: trying and failing to pull image\n');
    const exec = await kubectlRun('exec', 'unpullable', '--', 'true');
    expect(exec.err).toBe('error: Internal error occurred: unable to upgrade connection: container not found ("unpullable")\n');
    await kubectl('delete', 'pod', 'unpullable', '--wait=false');
  });

  it('a crash-looping container\'s BackOff event names the container and the pod, as the kubelet\'s', async () => {
    const uid = (await kubectl('get', 'pod', 'talker', '-o', 'jsonpath={.metadata.uid}')).trim();
    const got = await eventually(async () => {
      const l = await reasons('--field-selector', 'involvedObject.name=talker,reason=BackOff');
      return l.some((x) => x.startsWith('BackOff=')) ? l : undefined;
    }, { timeoutMs: 30_000, what: 'a BackOff event' });
    expect(got).toContain(`BackOff=Back-off restarting failed container crasher in pod talker_default(${uid})`);
    // exec into it while it waits out its back-off: the kubelet finds only running containers, and
    // the apiserver's stream translator reports its refusal as an InternalError in the session
    const exec = await eventually(async () => {
      const r = await kubectlRun('exec', 'talker', '-c', 'crasher', '--', 'true');
      return r.err.includes('container not found') ? r : undefined;
    }, { timeoutMs: 20_000, what: 'exec refused while the container waits' });
    expect(exec.err).toBe('error: Internal error occurred: unable to upgrade connection: container not found ("crasher")\n');
  });

  it('a pod whose image is present and not pulled says so (Pulled)', async () => {
    expect(await reasons('--field-selector', 'involvedObject.name=talker')).toContain(`Pulled=Container image "${image}" already present on machine`);
  });
});

describe.skipIf(!hasKubectl)('kubectl cp', () => {
  it('copies a directory into a container and a file back out (tar over exec)', async () => {
    const local = mkdtempSync(join(tmpdir(), 'kubectl-cp-'));
    try {
      mkdirSync(join(local, 'in', 'sub'), { recursive: true });
      writeFileSync(join(local, 'in', 'a.txt'), 'alpha\n');
      writeFileSync(join(local, 'in', 'sub', 'b.bin'), Buffer.from([0, 1, 2, 255, 254]));
      await kubectl('cp', join(local, 'in'), 'default/talker:/tmp/copied', '-c', 'steady');
      expect(await kubectl('exec', 'talker', '-c', 'steady', '--', 'sh', '-c', 'cat /tmp/copied/a.txt; od -An -tx1 /tmp/copied/sub/b.bin')).toBe('alpha\n 00 01 02 ff fe\n');
      await kubectl('exec', 'talker', '-c', 'steady', '--', 'sh', '-c', 'seq 1 5000 > /tmp/copied/out.txt');
      // (a command that cannot be started is the kubelet's InternalError, exit 1, not a 255 of its own,
      // which 1.32's stream translator wraps in an InternalError of its own)
      const missing = await kubectlRun('exec', 'talker', '-c', 'steady', '--', 'nosuchcmd');
      expect(missing.code).toBe(1);
      expect(missing.err).toMatch(/^error: Internal error occurred: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "exec-\d+-\d+": OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuchcmd": executable file not found in \$PATH: unknown\n$/);
      await kubectl('cp', 'default/talker:/tmp/copied/out.txt', join(local, 'out.txt'), '-c', 'steady');
      const lines = readFileSync(join(local, 'out.txt'), 'utf8').trimEnd().split('\n');
      expect([lines.length, lines[0], lines[4999]]).toEqual([5000, '1', '5000']);
    } finally {
      rmSync(local, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!hasKubectl)('kubectl debug', () => {
  it('--copy-to makes a running copy of a pod with everything its spec has, plus the debug container', async () => {
    const original = `apiVersion: v1
kind: Pod
metadata:
  name: rich
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - name: scratch
    emptyDir: {sizeLimit: 16Mi}
  containers:
  - name: app
    image: ${image}
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'echo $MY_IP; sleep 3600']
    env:
    - name: MY_IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
    resources:
      requests: {cpu: 10m, memory: 16Mi}
      limits: {memory: 64Mi}
    readinessProbe:
      exec: {command: ["true"]}
      periodSeconds: 1
    lifecycle:
      preStop: {exec: {command: ["true"]}}
    volumeMounts: [{name: scratch, mountPath: /scratch}]
    securityContext: {allowPrivilegeEscalation: false}
`;
    await kubectlOk(c.cp.kubeconfig, cacheDir, ['apply', '-f', '-'], original);
    await kubectl('wait', '--for=condition=Ready', 'pod/rich', '--timeout=60s');
    await kubectl('debug', 'rich', `--image=${image}`, '--copy-to=rich-copy', '--share-processes', '--container=dbg', '--', 'sh', '-c', 'echo debugging; sleep 3600');
    await kubectl('wait', '--for=condition=Ready', 'pod/rich-copy', '--timeout=60s');
    const copy = JSON.parse(await kubectl('get', 'pod', 'rich-copy', '-o', 'json')) as { spec: { shareProcessNamespace?: boolean; containers: { name: string; readinessProbe?: unknown; env?: unknown; resources?: unknown }[]; volumes: { name: string; projected?: unknown; emptyDir?: unknown }[] } };
    expect(copy.spec.containers.map((x) => x.name)).toEqual(['app', 'dbg']);
    expect(copy.spec.containers[0]!.readinessProbe).toMatchObject({ exec: { command: ['true'] }, periodSeconds: 1 });
    expect(copy.spec.containers[0]!.env).toEqual([{ name: 'MY_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } }]);
    expect(copy.spec.containers[0]!.resources).toEqual({ requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } });
    expect(copy.spec.volumes.find((v) => v.name === 'scratch')?.emptyDir).toEqual({ sizeLimit: '16Mi' });
    expect(copy.spec.volumes.some((v) => v.projected)).toBe(true);
    expect(await kubectl('logs', 'rich-copy', '-c', 'dbg')).toBe('debugging\n');
    // --share-processes (kubectl 1.32 sets it on the copy only when given): one PID namespace,
    // whose PID 1 is the sandbox's /pause (uid 65535) as in 1.32; nothing else of the sandbox is in it.
    expect(copy.spec.shareProcessNamespace).toBe(true);
    const ps = (await kubectl('exec', 'rich-copy', '-c', 'dbg', '--', 'ps', 'ax')).trimEnd().split('\n');
    expect(ps[1]).toMatch(/^\s*1 65535\s+\/pause$/);
    expect(ps.filter((l) => /\b65535\b/.test(l))).toHaveLength(1);
    // (the app's sleep and the debug container's, each its shell's last command, exec'd)
    expect(ps.filter((l) => / sleep 3600$/.test(l)), ps.join('\n')).toHaveLength(2);
  });

  it('adds ephemeral containers to the running pod: --target shares its processes, --profile sets capabilities, -i attaches', async () => {
    // (rich runs from the test above)
    await kubectl('debug', 'rich', `--image=${image}`, '-c', 'peek', '--target=app', '--profile=general', '--', 'sh', '-c', 'ps -o args; grep CapEff /proc/self/status; sleep 3600');
    await kubectl('debug', 'rich', `--image=${image}`, '-c', 'net', '--profile=netadmin', '--', 'sh', '-c', 'ip link set lo mtu 65000 && echo netadmin-ok; sleep 3600');
    const attached = await kubectlAt(c.cp.kubeconfig, cacheDir, ['debug', '-i', 'rich', `--image=${image}`, '-c', 'talk', '--profile=general', '--', 'sh', '-c', 'read x; echo got-$x'], 'hello\n');
    expect(attached.code, attached.err).toBe(0);
    expect(attached.out).toContain('got-hello');
    const peek = await eventually(async () => ((await kubectl('logs', 'rich', '-c', 'peek')).includes('CapEff') ? await kubectl('logs', 'rich', '-c', 'peek') : undefined), { timeoutMs: 30_000, what: 'peek ran' });
    // The target's own process (its shell exec'd sleep) is PID 1 of the debug container's view;
    // Docker's default capability set and SYS_PTRACE.
    expect(peek.split('\n').slice(0, 2)).toEqual(['COMMAND', 'sleep 3600']);
    expect(peek).toContain('CapEff:\t00000000a80c25fb');
    await eventually(async () => (await kubectl('logs', 'rich', '-c', 'net')).includes('netadmin-ok') || undefined, { timeoutMs: 30_000, what: 'net ran' });
    const states = JSON.parse(await kubectl('get', 'pod', 'rich', '-o', 'jsonpath={.status.ephemeralContainerStatuses}')) as { name: string; state: { running?: unknown; terminated?: { exitCode: number; reason: string } } }[];
    expect(states.find((s) => s.name === 'peek')?.state.running).toBeDefined();
    expect(states.find((s) => s.name === 'talk')?.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  });
});

describe.skipIf(!hasKubectl)('kubectl get --subresource', () => {
  it('scale prints Kubernetes\' Scale columns (NAME DESIRED AVAILABLE AGE), status the object\'s own', async () => {
    await kubectl('create', 'deployment', 'scaled', `--image=${image}`, '--replicas=2', '--', 'sleep', '3600');
    await kubectl('rollout', 'status', 'deploy/scaled', '--timeout=60s');
    const out = await kubectl('get', 'deploy', 'scaled', '--subresource=scale');
    const [header, row] = out.trimEnd().split('\n');
    expect(header!.split(/\s+/)).toEqual(['NAME', 'DESIRED', 'AVAILABLE', 'AGE']);
    expect(row).toMatch(/^scaled\s+2\s+2\s+\d+s$/);
    expect((await kubectl('get', 'deploy', 'scaled', '--subresource=status')).split('\n')[0]!.split(/\s+/)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(JSON.parse(await kubectl('get', 'deploy', 'scaled', '--subresource=scale', '-o', 'json'))).toMatchObject({ kind: 'Scale', spec: { replicas: 2 }, status: { replicas: 2, selector: 'app=scaled' } });
  });
});

describe.skipIf(!hasKubectl)('kubectl scale and field ownership', () => {
  it('kubectl scale owns spec.replicas through the scale subresource, as Kubernetes records it', async () => {
    await kubectl('create', 'deployment', 'owned', `--image=${image}`, '--', 'sleep', '3600');
    await kubectl('scale', 'deploy/owned', '--replicas=0');
    const obj = JSON.parse(await kubectl('get', 'deploy', 'owned', '-o', 'json', '--show-managed-fields')) as { metadata: { managedFields: { manager: string; operation: string; subresource?: string; fieldsV1: { 'f:spec'?: Record<string, unknown> } }[] } };
    const byScale = obj.metadata.managedFields.find((m) => m.subresource === 'scale');
    expect(byScale).toMatchObject({ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:spec': { 'f:replicas': {} } } });
    expect(obj.metadata.managedFields.find((m) => m.manager === 'kubectl-create')?.fieldsV1['f:spec']?.['f:replicas']).toBeUndefined();
    const apply = `apiVersion: apps/v1
kind: Deployment
metadata: {name: owned}
spec:
  replicas: 2
  selector: {matchLabels: {app: owned}}
  template:
    metadata: {labels: {app: owned}}
    spec: {containers: [{name: busybox, image: ${image}}]}
`;
    const r = await kubectlAt(c.cp.kubeconfig, cacheDir, ['apply', '--server-side', '--field-manager=ops', '-f', '-'], apply);
    expect(r.code).toBe(1);
    expect(r.err).toContain('conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas');
  });
});

describe.skipIf(!hasKubectl)('node conditions in kubectl describe node', () => {
  type Cond = { type: string; status: string; lastHeartbeatTime: string; lastTransitionTime: string };
  const ready = async () => (JSON.parse(await kubectl('get', 'node', 'e2e-node', '-o', 'json')) as { status: { conditions: Cond[] } }).status.conditions.find((x) => x.type === 'Ready')!;

  it('Ready keeps its lastTransitionTime across status posts and a restart of the agent', async () => {
    const before = await ready();
    expect(before.status).toBe('True');
    await new Promise((r) => setTimeout(r, 1100)); // the times have whole seconds
    await c.restartAgent();
    const after = await eventually(async () => {
      const now = await ready();
      return now.lastHeartbeatTime !== before.lastHeartbeatTime ? now : undefined;
    }, { timeoutMs: 30_000, what: 'a new heartbeat' });
    expect(after.status).toBe('True');
    expect(after.lastTransitionTime).toBe(before.lastTransitionTime);
  });
});

describe.skipIf(!hasKubectl)('kubectl delete namespace', () => {
  it('a namespace held up by content says what remains in its conditions (kubectl describe ns), then goes', async () => {
    await kubectl('create', 'namespace', 'held');
    const cm = `apiVersion: v1
kind: ConfigMap
metadata: {name: kept, namespace: held, finalizers: [example.com/hold]}
data: {a: b}
`;
    await kubectlOk(c.cp.kubeconfig, cacheDir, ['apply', '-f', '-'], cm);
    await kubectl('delete', 'namespace', 'held', '--wait=false');
    type Cond = { type: string; status: string; reason: string; message: string };
    const conds = await eventually(async () => {
      const ns = JSON.parse(await kubectl('get', 'ns', 'held', '-o', 'json')) as { status: { phase: string; conditions?: Cond[] } };
      // (the first pass finds the namespace's own ServiceAccount and root CA ConfigMap too)
      return ns.status.conditions?.some((x) => x.type === 'NamespaceContentRemaining' && x.message === 'Some resources are remaining: configmaps. has 1 resource instances') ? ns.status.conditions : undefined;
    }, { timeoutMs: 20_000, what: 'the namespace conditions' });
    expect(conds.find((x) => x.type === 'NamespaceContentRemaining')).toMatchObject({ status: 'True', reason: 'SomeResourcesRemain', message: 'Some resources are remaining: configmaps. has 1 resource instances' });
    expect(conds.find((x) => x.type === 'NamespaceFinalizersRemaining')).toMatchObject({ reason: 'SomeFinalizersRemain', message: 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances' });
    expect(conds.find((x) => x.type === 'NamespaceDeletionContentFailure')).toMatchObject({ status: 'False', reason: 'ContentDeleted' });
    expect(await kubectl('describe', 'ns', 'held')).toMatch(/NamespaceContentRemaining\s+True\s+.*\s+SomeResourcesRemain\s+Some resources are remaining: configmaps. has 1 resource instances/);
    await kubectl('patch', 'configmap', 'kept', '-n', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":null}}');
    await kubectl('wait', '--for=delete', 'namespace/held', '--timeout=30s');
  });

  it('kubectl replace --raw .../finalize clearing spec.finalizers removes a stuck namespace at once', async () => {
    await kubectl('create', 'namespace', 'stuck');
    await kubectlOk(c.cp.kubeconfig, cacheDir, ['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kept, namespace: stuck, finalizers: [example.com/hold]}\n');
    await kubectl('delete', 'namespace', 'stuck', '--wait=false');
    await eventually(async () => (await kubectl('get', 'ns', 'stuck', '-o', 'jsonpath={.status.conditions[*].type}')).includes('NamespaceContentRemaining'), { timeoutMs: 20_000, what: 'the namespace terminating' });
    const ns = JSON.parse(await kubectl('get', 'ns', 'stuck', '-o', 'json')) as { spec: { finalizers?: string[] } };
    expect(ns.spec.finalizers).toEqual(['kubernetes']);
    ns.spec.finalizers = [];
    const out = JSON.parse(await kubectlOk(c.cp.kubeconfig, cacheDir, ['replace', '--raw', '/api/v1/namespaces/stuck/finalize', '-f', '-'], JSON.stringify(ns))) as { spec: { finalizers?: string[] } };
    expect(out.spec.finalizers ?? []).toEqual([]);
    await kubectl('wait', '--for=delete', 'namespace/stuck', '--timeout=20s');
    const r = await kubectlRun('get', 'ns', 'stuck');
    expect(r.err).toContain('namespaces "stuck" not found');
  });
});
