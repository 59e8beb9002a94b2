// Which Go struct each of our messages is (scripts/gen-go-types.ts): where the proto package names
// two Go types of the same name apart (authentication/v1's and storage/v1's TokenRequest,
// discovery/v1's and core/v1's EndpointPort), the json tags read must be the right one's.
import { describe, expect, it } from 'vitest';
import goFields from './go-omitempty.json' with { type: 'json' };
import goTypes from './go-types.json' with { type: 'json' };
import { omitEmptyFields } from './omitempty.js';
import { decodeStrict } from './schema-validate.js';

const letters = goFields as Record<string, Record<string, string> | undefined>;

describe('go-omitempty.json', () => {
  it('takes TokenRequest from authentication/v1: metadata, spec and status are structs by value', () => {
    expect(letters.TokenRequest).toMatchObject({ metadata: 'v', spec: 'v', status: 'v' });
  });

  it('takes StorageTokenRequest from storage/v1 (a CSIDriver\'s): audience always written, expirationSeconds a pointer', () => {
    expect(letters.StorageTokenRequest).toEqual({ audience: 'Z', expirationSeconds: 'p' });
    const driver = { metadata: { name: 'd' }, spec: { tokenRequests: [{ audience: null, expirationSeconds: null }] } };
    omitEmptyFields('CSIDriver', driver);
    expect(driver.spec.tokenRequests).toEqual([{ audience: '' }]);
  });

  it('takes EndpointSlicePort from discovery/v1: every field a pointer, so name: "" stays and null goes', () => {
    const slice = { metadata: { name: 's' }, addressType: 'IPv4', endpoints: [], ports: [{ name: '', port: 80, protocol: null, appProtocol: null }] };
    omitEmptyFields('EndpointSlice', slice);
    expect(slice.ports).toEqual([{ name: '', port: 80 }]);
    expect((goTypes as Record<string, unknown>)['EndpointSlicePort.protocol']).toEqual({ type: 'v1.Protocol' });
  });
});

describe('strict decoding', () => {
  it('names discovery/v1\'s EndpointPort and storage/v1\'s TokenRequest as Go does in a type error', () => {
    const slice = decodeStrict('EndpointSlice', { addressType: 'IPv4', endpoints: [], ports: [{ protocol: 5 }] });
    expect(slice.map((e) => e.detail)).toEqual(['json: cannot unmarshal number into Go struct field EndpointPort.ports.protocol of type v1.Protocol']);
    const driver = decodeStrict('CSIDriver', { metadata: { name: 'd' }, spec: { tokenRequests: [{ audience: 5 }] } });
    expect(driver.map((e) => e.detail)).toEqual(['json: cannot unmarshal number into Go struct field TokenRequest.spec.tokenRequests.audience of type string']);
  });
});
