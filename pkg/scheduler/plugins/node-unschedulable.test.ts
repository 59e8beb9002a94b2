// NodeUnschedulable lets a pod onto a cordoned node only when one of its tolerations tolerates the
// node.kubernetes.io/unschedulable:NoSchedule taint, as TolerationsTolerateTaint judges it.
import { describe, expect, it } from 'vitest';
import type { Node, Pod, Toleration } from '../../api/types.js';
import { CycleState } from '../framework.js';
import { NodeInfo } from '../node-info.js';
import { nodeUnschedulable } from './filters.js';

const cordoned = new NodeInfo({ metadata: { name: 'n' }, spec: { unschedulable: true }, status: { allocatable: { cpu: '1', memory: '1Gi', pods: '10' } } } as Node);
const fits = (...tolerations: Toleration[]) => nodeUnschedulable.filter(new CycleState(), { metadata: { name: 'p', namespace: 'default' }, spec: { containers: [], tolerations } } as Pod, cordoned).ok;

describe('NodeUnschedulable', () => {
  it('takes a toleration of the unschedulable taint by key, effect, operator and value', () => {
    expect(fits()).toBe(false);
    expect(fits({ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' })).toBe(true);
    expect(fits({ key: 'node.kubernetes.io/unschedulable' })).toBe(true);
    expect(fits({ operator: 'Exists' })).toBe(true);
    // (the taint has no value: an Equal toleration with one does not tolerate it)
    expect(fits({ key: 'node.kubernetes.io/unschedulable', operator: 'Equal', value: 'yes' })).toBe(false);
    expect(fits({ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' })).toBe(false);
  });
});
