// The apiserver reaches a node's agent as kube-apiserver reaches a kubelet: with its kubelet client
// certificate (--kubelet-client-certificate), so that a node joined by TLS bootstrapping, which has
// no node token, serves logs, exec, attach and port-forward; a node joined the tskube way gets its
// token as well.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.js';
import { agentEndpoint, type NodeProxyDeps } from './node-proxy.js';

const node = (name: string): KubeObject => ({ metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.7' }], daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } } }) as KubeObject;
const pair = { cert: 'CERT', key: 'KEY' };
const deps = (tokens: Record<string, string>, kubeletClientCert?: { cert: string; key: string }) => ({ nodeToken: (n: string) => tokens[n], kubeletClientCert }) as unknown as NodeProxyDeps;

describe('agentEndpoint', () => {
  it('a node without a token is reached with the kubelet client certificate alone', () => {
    expect(agentEndpoint(deps({}, pair), node('bootstrapped'))).toEqual({ host: '10.0.0.7', port: 10250, tls: { cert: 'CERT', key: 'KEY' } });
  });

  it('a node with a token gets it as well', () => {
    expect(agentEndpoint(deps({ joined: 't0k' }, pair), node('joined'))).toEqual({ host: '10.0.0.7', port: 10250, authorization: 'Bearer t0k', tls: { cert: 'CERT', key: 'KEY' } });
  });

  it('with --kubelet-certificate-authority the CA goes along, for the serving certificate to be verified', () => {
    const withCA = { ...deps({}, pair), kubeletCA: 'CA PEM' } as NodeProxyDeps;
    expect(agentEndpoint(withCA, node('bootstrapped')).tls).toEqual({ cert: 'CERT', key: 'KEY', ca: 'CA PEM' });
  });

  it('with neither there is nothing to show the node', () => {
    expect(() => agentEndpoint(deps({}), node('bootstrapped'))).toThrow('no credentials for node "bootstrapped"');
  });
});
