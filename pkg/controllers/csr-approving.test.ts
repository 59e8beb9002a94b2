import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertificateSigningRequest, KubeObject } from '../api/types.js';
import { CsrApprovingController } from './csr-approving.js';
import { IgnorableError } from './work-queue.js';

type Csr = CertificateSigningRequest & KubeObject;

const dir = mkdtempSync(join(tmpdir(), 'tskube-csr-approving-test-'));
let nodeRequest = '';
let userRequest = '';
beforeAll(() => {
  const req = (subj: string, out: string) => {
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, `${out}.key`), '-out', join(dir, `${out}.csr`), '-subj', subj], { stdio: 'ignore' });
    return readFileSync(join(dir, `${out}.csr`)).toString('base64');
  };
  nodeRequest = req('/O=system:nodes/CN=system:node:n1', 'node');
  userRequest = req('/O=devs/CN=jane', 'user');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// (JSON carries the request as base64 text, as the controller reads it, where the protobuf type has bytes)
type WireSpec = Omit<NonNullable<Csr['spec']>, 'request'> & { request?: string };
const csr = (spec: Partial<WireSpec>, status?: Csr['status']): Csr =>
  ({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name: 'node-csr-x', uid: 'u1', resourceVersion: '5' },
    spec: { request: nodeRequest, signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'], username: 'system:bootstrap:abcdef', uid: '', groups: ['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token', 'system:authenticated'], ...spec },
    ...(status ? { status } : {}),
  }) as unknown as Csr;

/** A controller over one CSR whose SubjectAccessReviews allow the subresources in `allowed`. */
function harness(obj: Csr, allowed: string[]) {
  const reviews: Record<string, unknown>[] = [];
  const updates: { name: string; obj: Csr; sub?: string }[] = [];
  const c = new CsrApprovingController(
    { update: async (_r, _ns, name, o, sub) => (updates.push({ name, obj: o as Csr, sub }), o) as never },
    {
      create: async (_r, _ns, o) => {
        const sar = o as { spec: { resourceAttributes: { subresource: string } } };
        reviews.push(sar as never);
        return { ...sar, status: { allowed: allowed.includes(sar.spec.resourceAttributes.subresource) } } as never;
      },
    },
    { on: () => {}, list: () => [obj], get: () => obj } as never,
  );
  c.stop();
  return { c, reviews, updates };
}

describe('the CSR approving controller (sarapprove.go)', () => {
  it('approves a bootstrap token\'s node client request when its requestor may create certificatesigningrequests/nodeclient', async () => {
    const h = harness(csr({ extra: { 'authentication.kubernetes.io/credential-id': ['x'] } }), ['nodeclient']);
    await h.c.sync('node-csr-x');
    // (the requestor is not the subject's CN: the self-renewal recognizer does not apply)
    expect(h.reviews).toEqual([
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: 'system:bootstrap:abcdef',
          uid: '',
          groups: ['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token', 'system:authenticated'],
          extra: { 'authentication.kubernetes.io/credential-id': ['x'] },
          resourceAttributes: { group: 'certificates.k8s.io', resource: 'certificatesigningrequests', verb: 'create', subresource: 'nodeclient' },
        },
      },
    ]);
    expect(h.updates).toHaveLength(1);
    expect(h.updates[0]!.sub).toBe('approval');
    expect(h.updates[0]!.obj.metadata!.resourceVersion).toBe('5');
    expect(h.updates[0]!.obj.status!.conditions).toEqual([{ type: 'Approved', status: 'True', reason: 'AutoApproved', message: 'Auto approving kubelet client certificate after SubjectAccessReview.' }]);
  });

  it('a node renewing its own certificate is asked about selfnodeclient first', async () => {
    const h = harness(csr({ username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] }), ['selfnodeclient']);
    await h.c.sync('node-csr-x');
    expect(h.reviews.map((r) => (r as { spec: { resourceAttributes: { subresource: string } } }).spec.resourceAttributes.subresource)).toEqual(['selfnodeclient']);
    expect(h.updates[0]!.obj.status!.conditions![0]!.message).toBe('Auto approving self kubelet client certificate after SubjectAccessReview.');
  });

  it('leaves a request whose requestor the reviews do not allow, to be looked at again without a warning', async () => {
    const h = harness(csr({ username: 'system:node:n1' }), []);
    const err = await h.c.sync('node-csr-x').catch((e: Error) => e);
    expect(err).toBeInstanceOf(IgnorableError);
    expect((err as Error).message).toBe('recognized csr "node-csr-x" as [selfnodeclient nodeclient] but subject access review was not approved');
    expect(h.updates).toEqual([]);
  });

  it('does not look at other signers, requests the kubelet signer would refuse, or requests already decided', async () => {
    const cases = [
      csr({ signerName: 'kubernetes.io/kube-apiserver-client' }),
      csr({ usages: ['digital signature', 'client auth', 'server auth'] }),
      csr({ request: userRequest }),
      csr({}, { conditions: [{ type: 'Denied', status: 'True', reason: 'No', message: '' }] }),
      csr({}, { conditions: [{ type: 'Approved', status: 'True', reason: 'KubectlApprove', message: '' }] }),
      csr({}, { certificate: 'eA==' as never }),
    ];
    for (const obj of cases) {
      const h = harness(obj, ['nodeclient', 'selfnodeclient']);
      await h.c.sync('node-csr-x');
      expect(h.reviews).toEqual([]);
      expect(h.updates).toEqual([]);
    }
  });

  it('a request that is not a PEM certificate request is an error naming it', async () => {
    const h = harness(csr({ request: Buffer.from('nope').toString('base64') }), ['nodeclient']);
    await expect(h.c.sync('node-csr-x')).rejects.toThrow('unable to parse csr "node-csr-x": PEM block type must be CERTIFICATE REQUEST');
  });
});
