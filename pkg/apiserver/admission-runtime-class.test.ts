// The RuntimeClass admission plugin against a fake class lookup.
import { describe, expect, it } from 'vitest';
import type { KubeObject, Pod, RuntimeClass } from '../api/types.js';
import { mergeTolerations } from '../api/tolerations.js';
import type { AdmissionRequest } from './admission.js';
import { runtimeClassAdmission } from './admission-runtime-class.js';
import { pods } from './registry/resources.js';
import { ApiError } from './errors.js';

const classes: Record<string, RuntimeClass> = {
  gvisor: { metadata: { name: 'gvisor' }, handler: 'runsc', overhead: { podFixed: { cpu: '100m' } }, scheduling: { nodeSelector: { sandbox: 'gvisor' }, tolerations: [{ key: 'sandbox', operator: 'Exists' }] } },
  emptyOverhead: { metadata: { name: 'emptyOverhead' }, handler: 'runc', overhead: {} },
};
const plugin = runtimeClassAdmission(async (name) => classes[name]);
const req = (spec: Pod['spec'], operation: AdmissionRequest['operation'] = 'CREATE'): AdmissionRequest => ({
  operation,
  resource: pods,
  name: 'p',
  namespace: 'default',
  obj: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec } as KubeObject,
  ctx: {} as AdmissionRequest['ctx'],
});
const refusal = async (p: Promise<unknown> | void) => {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiError) return `${e.code} ${e.message}`;
    throw e;
  }
  return 'admitted';
};
const admitAndValidate = async (r: AdmissionRequest) => {
  await plugin.admit!(r);
  await plugin.validate!(r);
  return (r.obj as Pod).spec!;
};

describe('RuntimeClass admission', () => {
  it('sets overhead, merges the node selector and tolerations', async () => {
    const spec = await admitAndValidate(req({ runtimeClassName: 'gvisor', nodeSelector: { zone: 'a' }, containers: [] }));
    expect(spec.overhead).toEqual({ cpu: '100m' });
    expect(spec.nodeSelector).toEqual({ zone: 'a', sandbox: 'gvisor' });
    expect(spec.tolerations).toEqual([{ key: 'sandbox', operator: 'Exists' }]);
    // the class's own objects are not shared with the pod
    spec.tolerations![0]!.key = 'changed';
    expect(classes.gvisor!.scheduling!.tolerations![0]!.key).toBe('sandbox');
  });

  it('refuses unknown classes, conflicting selectors and overheads it did not set', async () => {
    expect(await refusal(plugin.admit!(req({ runtimeClassName: 'none', containers: [] })))).toBe('403 pods "p" is forbidden: pod rejected: RuntimeClass "none" not found');
    expect(await refusal(plugin.admit!(req({ runtimeClassName: 'gvisor', nodeSelector: { sandbox: 'kata' }, containers: [] })))).toBe(
      '403 pods "p" is forbidden: conflict: runtimeClass.scheduling.nodeSelector[sandbox] = gvisor; pod.spec.nodeSelector[sandbox] = kata',
    );
    expect(await refusal(plugin.admit!(req({ runtimeClassName: 'gvisor', overhead: { cpu: '200m' }, containers: [] })))).toBe("403 pods \"p\" is forbidden: pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead");
    expect(await refusal(plugin.validate!(req({ overhead: { cpu: '1m' }, containers: [] })))).toBe('403 pods "p" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead');
    // an overhead equal in value passes; a class with an empty overhead allows none
    expect(await refusal(admitAndValidate(req({ runtimeClassName: 'gvisor', overhead: { cpu: '0.1' }, containers: [] })))).toBe('admitted');
    expect(await refusal(admitAndValidate(req({ runtimeClassName: 'emptyOverhead', overhead: { cpu: '1m' }, containers: [] })))).toMatch(/doesn't match/);
  });

  it('leaves updates and pods without a class alone', async () => {
    const r = req({ runtimeClassName: 'none', containers: [] }, 'UPDATE');
    expect(await refusal(admitAndValidate(r))).toBe('admitted');
    const plain = await admitAndValidate(req({ containers: [] }));
    expect(plain.overhead).toBeUndefined();
  });
});

describe('mergeTolerations (pkg/util/tolerations)', () => {
  it('drops what another toleration covers, keeping the first of equals', () => {
    const a = { key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' };
    expect(mergeTolerations([a], [{ ...a }])).toEqual([a]);
    expect(mergeTolerations([a], [{ key: 'k', operator: 'Exists' }])).toEqual([{ key: 'k', operator: 'Exists' }]);
    expect(mergeTolerations([{ operator: 'Exists' }], [a])).toEqual([{ operator: 'Exists' }]);
    const noExec = { key: 'n', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 };
    // a longer tolerationSeconds covers a shorter one, never the other way round
    expect(mergeTolerations([noExec], [{ ...noExec, tolerationSeconds: 300 }])).toEqual([{ ...noExec, tolerationSeconds: 300 }]);
    expect(mergeTolerations([noExec], [{ ...noExec, tolerationSeconds: undefined }])).toEqual([{ ...noExec, tolerationSeconds: undefined }]);
    expect(mergeTolerations([noExec], [{ ...noExec, tolerationSeconds: 30 }])).toEqual([noExec]);
  });
});
