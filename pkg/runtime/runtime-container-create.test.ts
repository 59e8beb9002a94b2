import { describe, expect, it } from 'vitest';
import { processStartFailure } from './runtime-container-create.js';

describe('processStartFailure', () => {
  it("reads runc create's logged message for a process that cannot start, in containerd's words", () => {
    const text = 'container 62e4: create: time="2026-12-02T22:57:20Z" level=error msg="runc create failed: unable to start container process: exec: \\"nope\\": executable file not found in $PATH"';
    expect(processStartFailure(text)).toBe('failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "nope": executable file not found in $PATH: unknown');
  });
  it('leaves other failures of runc create to be the creation failing', () => {
    expect(processStartFailure('container 62e4: create: time="x" level=error msg="runc create failed: unable to apply cgroup configuration: mkdir /sys/fs/cgroup/x: permission denied"')).toBeUndefined();
  });
});
