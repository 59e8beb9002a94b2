// scheduling.k8s.io/v1 PriorityClasses and the Priority admission plugin against the real
// apiserver and etcd: the system classes, Kubernetes' validation and admission messages, and
// the priority and preemptionPolicy a pod gets from its class.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod, PriorityClass } from '../../pkg/api/types.js';
import { Pods, PriorityClasses, type RestClient } from '../../pkg/client/rest-client.js';
import { failure, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
let admin: RestClient;

beforeAll(async () => {
  cp = await startControlPlane();
  admin = cp.admin;
});
afterAll(async () => {
  await cp?.stop();
});

const pc = (name: string, value: number, extra: Partial<PriorityClass> = {}): PriorityClass => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, ...extra });
const pod = (name: string, spec: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } });

describe('priority classes', () => {
  it('has the system classes, which cannot be deleted', async () => {
    const list = await admin.list<PriorityClass>(PriorityClasses, undefined);
    expect(list.items.map((c) => [c.metadata?.name, c.value, c.preemptionPolicy])).toEqual([
      ['system-cluster-critical', 2000000000, 'PreemptLowerPriority'],
      ['system-node-critical', 2000001000, 'PreemptLowerPriority'],
    ]);
    const del = await failure(admin.delete(PriorityClasses, undefined, 'system-node-critical'));
    expect(del.code).toBe(403);
    expect(del.message).toBe('priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: this is a system priority class and cannot be deleted');
  });

  it('validates as Kubernetes does: reserved names, the user maximum, fixed value and policy', async () => {
    const sys = await failure(admin.create(PriorityClasses, undefined, pc('system-mine', 10)));
    expect(sys.code).toBe(422);
    expect(sys.message).toContain("metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class");
    const big = await failure(admin.create(PriorityClasses, undefined, pc('huge', 1_000_000_001)));
    expect(big.message).toContain('value: Forbidden: maximum allowed value of a user defined priority is 1000000000');
    const policy = await failure(admin.create(PriorityClasses, undefined, pc('odd', 5, { preemptionPolicy: 'Sometimes' })));
    expect(policy.message).toContain('preemptionPolicy: Unsupported value: "Sometimes": supported values: "Never", "PreemptLowerPriority"');
    const created = await admin.create<PriorityClass>(PriorityClasses, undefined, pc('batch', 100, { description: 'batch work' }));
    expect(created).toMatchObject({ value: 100, preemptionPolicy: 'PreemptLowerPriority', description: 'batch work' });
    const change = await failure(admin.update(PriorityClasses, undefined, 'batch', { ...created, value: 101 }));
    expect(change.message).toContain('value: Forbidden: may not be changed in an update.');
    const desc = await admin.update<PriorityClass>(PriorityClasses, undefined, 'batch', { ...created, description: 'still batch' });
    expect(desc.description).toBe('still batch');
  });

  it('gives a pod the priority and preemption policy of its class, and refuses an unknown class or a conflicting value', async () => {
    await admin.create(PriorityClasses, undefined, pc('high', 1000));
    await admin.create(PriorityClasses, undefined, pc('polite', 500, { preemptionPolicy: 'Never' }));
    const high = await admin.create<Pod>(Pods, 'default', pod('p-high', { priorityClassName: 'high' }));
    expect(high.spec).toMatchObject({ priorityClassName: 'high', priority: 1000, preemptionPolicy: 'PreemptLowerPriority' });
    const polite = await admin.create<Pod>(Pods, 'default', pod('p-polite', { priorityClassName: 'polite' }));
    expect(polite.spec).toMatchObject({ priority: 500, preemptionPolicy: 'Never' });
    const plain = await admin.create<Pod>(Pods, 'default', pod('p-plain'));
    expect(plain.spec).toMatchObject({ priority: 0, preemptionPolicy: 'PreemptLowerPriority' });
    expect(plain.spec?.priorityClassName).toBeUndefined();
    const system = await admin.create<Pod>(Pods, 'default', pod('p-sys', { priorityClassName: 'system-cluster-critical' }));
    expect(system.spec?.priority).toBe(2000000000);

    const unknown = await failure(admin.create(Pods, 'default', pod('p-x', { priorityClassName: 'nope' })));
    expect(unknown.code).toBe(403);
    expect(unknown.message).toBe('pods "p-x" is forbidden: no PriorityClass with name nope was found');
    const value = await failure(admin.create(Pods, 'default', pod('p-y', { priorityClassName: 'high', priority: 7 })));
    expect(value.message).toBe('pods "p-y" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name');
    const pol = await failure(admin.create(Pods, 'default', pod('p-z', { priorityClassName: 'polite', preemptionPolicy: 'PreemptLowerPriority' })));
    expect(pol.message).toContain('the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never');
    // The same value as the class's is accepted (a pod copied from `get -o yaml`).
    await admin.create(Pods, 'default', pod('p-same', { priorityClassName: 'high', priority: 1000 }));

    // An update whose body lacks them keeps them; changing them is refused by validation.
    const { spec } = high;
    const body = { ...high, spec: { ...spec, priority: undefined, preemptionPolicy: undefined } };
    const kept = await admin.update<Pod>(Pods, 'default', 'p-high', body);
    expect(kept.spec).toMatchObject({ priority: 1000, preemptionPolicy: 'PreemptLowerPriority' });
    const changed = await failure(admin.update(Pods, 'default', 'p-high', { ...kept, spec: { ...kept.spec, priority: 5 } }));
    expect(changed.code).toBe(422);
  });

  it('gives pods without a class the one globalDefault class, of which there is only one', async () => {
    await admin.create(PriorityClasses, undefined, pc('everyday', 10, { globalDefault: true }));
    const p = await admin.create<Pod>(Pods, 'default', pod('p-default'));
    expect(p.spec).toMatchObject({ priorityClassName: 'everyday', priority: 10 });
    const second = await failure(admin.create(PriorityClasses, undefined, pc('another', 20, { globalDefault: true })));
    expect(second.code).toBe(403);
    expect(second.message).toBe('priorityclasses.scheduling.k8s.io "another" is forbidden: PriorityClass everyday is already marked as default. Only one default can exist');
    // The default itself may be updated; another class may not become a second default.
    const batch = await admin.get<PriorityClass>(PriorityClasses, undefined, 'batch');
    const promote = await failure(admin.update(PriorityClasses, undefined, 'batch', { ...batch, globalDefault: true }));
    expect(promote.code).toBe(403);
    const everyday = await admin.get<PriorityClass>(PriorityClasses, undefined, 'everyday');
    await admin.update(PriorityClasses, undefined, 'everyday', { ...everyday, description: 'the default' });
    await admin.delete(PriorityClasses, undefined, 'everyday');
    const after = await admin.create<Pod>(Pods, 'default', pod('p-after'));
    expect(after.spec?.priority).toBe(0);
  });

  it('lists as kubectl shows it', async () => {
    const table = await admin.request<{ columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }>('/apis/scheduling.k8s.io/v1/priorityclasses', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Value', 'Global-Default', 'Age', 'PreemptionPolicy']);
    expect(table.rows.find((r) => r.cells[0] === 'polite')?.cells).toEqual(['polite', 500, false, expect.any(String), 'Never']);
  });
});
