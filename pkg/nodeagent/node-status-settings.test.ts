// The node agent's lease and status pacing from --config and --node-status-update-frequency, with
// the 1.32 kubelet's defaults (SetDefaults_KubeletConfiguration) and validation.
import { describe, expect, it } from 'vitest';
import { goParseDuration, leaseRenewIntervalMs, nodeStatusSettings } from './node-status-settings.js';
import { loadKubeletConfigFile } from './kubelet-config-file.js';

const file = (text: string) => () => `apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n${text}`;

describe('node status settings', () => {
  it('default as the kubelet: a 40 s lease renewed every 10 s, status checked every 10 s and posted unchanged every 5 m', () => {
    expect(nodeStatusSettings({})).toEqual({ settings: { leaseDurationSec: 40, statusUpdateSec: 10, statusReportSec: 300 }, errors: [] });
    expect(leaseRenewIntervalMs(40)).toBe(10_000);
  });

  it('read the file: the lease renewed every 25% of nodeLeaseDurationSeconds, the report frequency following an update frequency the file sets', () => {
    const f = loadKubeletConfigFile('/k.yaml', file('nodeLeaseDurationSeconds: 8\nnodeStatusUpdateFrequency: 4s\n'));
    expect(f.settings).toEqual({ nodeLeaseDurationSeconds: 8, nodeStatusUpdateFrequency: '4s' });
    expect(f.ignored).toEqual([]);
    const { settings } = nodeStatusSettings(f.settings);
    expect(settings).toEqual({ leaseDurationSec: 8, statusUpdateSec: 4, statusReportSec: 4 });
    expect(leaseRenewIntervalMs(settings.leaseDurationSec)).toBe(2000);
    expect(nodeStatusSettings({ nodeStatusUpdateFrequency: '4s', nodeStatusReportFrequency: '1m30s' }).settings.statusReportSec).toBe(90);
    // (0 is the default; the flag, applied over the defaulted file, leaves the report frequency at 5m)
    expect(nodeStatusSettings({ nodeLeaseDurationSeconds: 0 }, '2s').settings).toEqual({ leaseDurationSec: 40, statusUpdateSec: 2, statusReportSec: 300 });
  });

  it('refuse a lease duration below 0 and a duration Go cannot parse, in the kubelet\'s words', () => {
    expect(nodeStatusSettings({ nodeLeaseDurationSeconds: -5 }).errors).toEqual(['invalid configuration: nodeLeaseDurationSeconds must be greater than 0']);
    expect(() => loadKubeletConfigFile('/k.yaml', file('nodeStatusUpdateFrequency: soon\n'))).toThrow('failed to load Kubelet config file /k.yaml, error failed to decode: time: invalid duration "soon"');
    expect(() => loadKubeletConfigFile('/k.yaml', file('nodeStatusReportFrequency: 10\n'))).toThrow('failed to decode: json: cannot unmarshal number into Go value of type string');
    expect(() => loadKubeletConfigFile('/k.yaml', file('nodeLeaseDurationSeconds: "8"\n'))).toThrow('failed to decode: json: cannot unmarshal string into Go struct field KubeletConfiguration.nodeLeaseDurationSeconds of type int32');
    expect(() => goParseDuration('10')).toThrow('time: missing unit in duration "10"');
    expect(() => goParseDuration('5d')).toThrow('time: unknown unit "d" in duration "5d"');
    expect(goParseDuration('1h2m3.5s')).toBe(3_723_500);
    expect(goParseDuration('250ms')).toBe(250);
    expect(goParseDuration('-1.5s')).toBe(-1500);
    expect(goParseDuration('0')).toBe(0);
  });
});
