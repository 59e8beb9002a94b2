// A DaemonSet's template generation annotation: set on create, moved by template changes only.
import { describe, expect, it } from 'vitest';
import { prepareTemplateGeneration, templateGeneration } from './daemonset-template-generation.js';
import type { DaemonSet } from './types.js';

const KEY = 'deprecated.daemonset.template.generation';
const ds = (annotations?: Record<string, string>, generation?: number): DaemonSet => ({ metadata: { name: 'a', ...(generation ? { generation } : {}), ...(annotations ? { annotations } : {}) } });

describe('template generation', () => {
  it('starts at 1 on create, or at the value a client gives (below 1 becomes 1)', () => {
    const fresh = ds({ note: 'kept' });
    prepareTemplateGeneration(fresh);
    expect(fresh.metadata?.annotations).toEqual({ note: 'kept', [KEY]: '1' });
    for (const [given, want] of [['5', '5'], ['0', '1'], ['-3', '1'], ['x', '1']]) {
      const o = ds({ [KEY]: given! });
      prepareTemplateGeneration(o);
      expect(o.metadata?.annotations?.[KEY]).toBe(want);
    }
  });

  it("keeps the old value on update (whatever the body says), one more when the template changed", () => {
    const old = ds({ [KEY]: '4' }, 9);
    const same = ds({ [KEY]: '100' });
    prepareTemplateGeneration(same, old, false);
    expect(templateGeneration(same)).toBe(4);
    const changed = ds();
    prepareTemplateGeneration(changed, old, true);
    expect(templateGeneration(changed)).toBe(5);
    // Stored before the annotation existed: counts from metadata.generation.
    const legacy = ds();
    prepareTemplateGeneration(legacy, ds(undefined, 3), true);
    expect(templateGeneration(legacy)).toBe(4);
  });

  it('reads nothing from a missing or malformed annotation', () => {
    expect(templateGeneration(ds())).toBeUndefined();
    expect(templateGeneration(ds({ [KEY]: 'two' }))).toBeUndefined();
    expect(templateGeneration(ds({ [KEY]: '2' }))).toBe(2);
  });
});
