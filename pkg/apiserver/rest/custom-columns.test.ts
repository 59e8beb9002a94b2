import { describe, expect, it } from 'vitest';
import { evalJsonPath, parseJsonPath } from './custom-columns.js';

const obj = { spec: { replicas: 3, ports: [{ name: 'a', port: 1 }, { name: 'b', port: 2 }] }, status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'Synced', status: 'False' }] } };
const run = (p: string) => evalJsonPath(obj, parseJsonPath(p)!);

describe('printer column JSONPath', () => {
  it('reads fields, indexes, wildcards and filters', () => {
    expect(run('.spec.replicas')).toEqual([3]);
    expect(run('.spec.ports[1].name')).toEqual(['b']);
    expect(run('.spec.ports[*].port')).toEqual([1, 2]);
    expect(run('.status.conditions[?(@.type=="Synced")].status')).toEqual(['False']);
    expect(run("{.spec['replicas']}")).toEqual([3]);
    expect(run('.spec.missing')).toEqual([]);
  });
  it('refuses what it does not understand', () => {
    expect(parseJsonPath('spec..x')).toBeUndefined();
  });
});
