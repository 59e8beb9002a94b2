import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deviceNumbers, hostDevices } from './host-devices.js';

describe('host devices', () => {
  it('splits dev_t as glibc does', () => {
    expect(deviceNumbers(0x0103)).toEqual({ major: 1, minor: 3 }); // /dev/null
    expect(deviceNumbers(0xfd00)).toEqual({ major: 253, minor: 0 });
    // a minor beyond 255 and a major beyond 4095 use the high bits
    expect(deviceNumbers(0x12345678)).toEqual({ major: 0x456, minor: 0x12378 });
  });
  it("lists this node's device nodes, never the console, pts or a symlink", async () => {
    const devs = await hostDevices();
    const nul = devs.find((d) => d.path === '/dev/null');
    expect(nul).toMatchObject({ type: 'c', major: 1, minor: 3, fileMode: statSync('/dev/null').mode & 0o7777 });
    expect(devs.some((d) => d.path.startsWith('/dev/pts/') || d.path === '/dev/console')).toBe(false);
    expect(devs.every((d) => d.type === 'c' || d.type === 'b')).toBe(true);
  });
});
