// Service account credentials in a real pod: the admission plugin gives a busybox pod the
// kube-api-access volume, the node agent fills it (a TokenRequest bound to the pod, the
// kube-root-ca.crt ConfigMap, the namespace), and the pod calls the apiserver through the
// `kubernetes` Service with the token: 200 for discovery, 403 for what no rule grants it. Once
// the pod is gone its token gets 401. The apiserver listens on loopback only, as under `tsctl up`.
import { createHash } from 'node:crypto';
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pods, StatusError } from '../../pkg/client/rest-client.js';
import { run } from '../../pkg/tsctl/cli.js';
import { unverifiedClaims } from '../../pkg/serviceaccount/jwt.js';
import { eventually, failure } from '../helpers/control-plane.js';
import { busyboxPod, ctr, podStatus, startCluster, type Cluster } from './harness.js';

/** The certificate the apiserver serves, verified against `ca` (the TLS handshake fails otherwise). */
function servedCertificate(host: string, port: number, ca: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host, port, ca, servername: 'kubernetes.default.svc' }, () => {
      resolve(s.getPeerCertificate());
      s.end();
    });
    s.on('error', reject);
  });
}

let c: Cluster;
beforeAll(async () => {
  // The apiserver on 127.0.0.1, as under `tsctl up`: pods reach it through the `kubernetes`
  // Service, DNATed to the node's loopback (route_localnet on the bridge, guarded).
  c = await startCluster({ podCIDR: '10.199.40.0/24' });
}, 180_000);
afterAll(async () => {
  await c?.stop();
});

async function logs(name: string): Promise<string> {
  let out = '';
  await run(['--kubeconfig', c.cp.kubeconfig, 'logs', name], { out: (s) => (out += s), err: () => {} });
  return out;
}

const SCRIPT = [
  'D=/var/run/secrets/kubernetes.io/serviceaccount',
  'echo "namespace=$(cat $D/namespace)"',
  'echo "ca=$(md5sum < $D/ca.crt | cut -c1-32)"',
  'echo "token=$(cat $D/token)"',
  '(echo x > $D/token) 2>/dev/null && echo writable || echo read-only',
  'API=https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT',
  // (busybox's TLS verifies no certificate; the test checks the one served against ca.crt itself)
  'n=0; until wget -q -O /tmp/api --no-check-certificate --header "Authorization: Bearer $(cat $D/token)" $API/api 2>/tmp/apierr; do n=$((n+1)); [ $n -gt 30 ] && break; sleep 1; done',
  'echo "api=$(cat /tmp/api)"',
  'echo "apierr=$(cat /tmp/apierr)"',
  'wget -q -O - --no-check-certificate --header "Authorization: Bearer $(cat $D/token)" $API/api/v1/namespaces/default/pods >/dev/null 2>/tmp/err; echo "pods=$(cat /tmp/err)"',
  'echo done; sleep 3600',
].join('\n');

const field = (out: string, key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(out)?.[1];

describe('service account credentials in a pod', () => {
  it('the pod reads its token, CA and namespace, calls the apiserver with them; the token dies with the pod', async () => {
    await c.cp.admin.create(Pods, 'default', busyboxPod('sa-client', { containers: [ctr('main', SCRIPT)] }));
    const pod = await c.cp.admin.get<{ metadata: { uid: string }; spec: { serviceAccountName: string; volumes: { name: string }[] } }>(Pods, 'default', 'sa-client');
    expect(pod.spec.serviceAccountName).toBe('default');
    expect(pod.spec.volumes.map((v) => v.name)).toEqual([expect.stringMatching(/^kube-api-access-[a-z0-9]{5}$/)]);
    let out: string;
    try {
      out = await eventually(async () => {
        const l = await logs('sa-client');
        return l.includes('\ndone') ? l : undefined;
      }, { timeoutMs: 120_000, intervalMs: 500, what: 'the pod to call the apiserver' });
    } catch (e) {
      throw new Error(`${(e as Error).message}; logs: ${await logs('sa-client').catch(() => '')}; status: ${JSON.stringify(await podStatus(c, 'sa-client'))}`);
    }
    expect(field(out, 'namespace')).toBe('default');
    expect(field(out, 'ca')).toBe(createHash('md5').update(c.cp.server.caCert).digest('hex'));
    expect(out).toContain('read-only');
    // Discovery answers every authenticated user (system:discovery); nothing binds the account to more.
    expect(field(out, 'apierr')).toBe('');
    expect(JSON.parse(field(out, 'api') ?? '{}')).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    expect(field(out, 'pods')).toMatch(/403 Forbidden/);

    // What client-go's in-cluster config checks: the serving certificate, verified with the pod's
    // ca.crt, is valid for the Service's cluster IP and for kubernetes.default.svc.
    const served = await servedCertificate(c.cp.server.config.advertiseAddress, c.cp.server.port, c.cp.server.caCert);
    // (the harness gives this cluster 10.200.40.0/24 for Services: see serviceRangeFor)
    const kubernetes = await c.cp.admin.get<{ spec: { clusterIP: string } }>({ group: '', version: 'v1', resource: 'services', namespaced: true }, 'default', 'kubernetes');
    expect(kubernetes.spec.clusterIP).toBe('10.200.40.1');
    expect(checkServerIdentity(kubernetes.spec.clusterIP, served)).toBeUndefined();
    expect(checkServerIdentity('kubernetes.default.svc', served)).toBeUndefined();

    const token = field(out, 'token')!;
    const claims = unverifiedClaims(token)!;
    expect(claims).toMatchObject({
      iss: 'https://kubernetes.default.svc.cluster.local',
      sub: 'system:serviceaccount:default:default',
      aud: ['https://kubernetes.default.svc.cluster.local'],
      'kubernetes.io': { namespace: 'default', pod: { name: 'sa-client', uid: pod.metadata.uid }, node: { name: 'e2e-node' }, serviceaccount: { name: 'default' } },
    });
    // The admission plugin's 3607 s: valid a year, stale after the hour.
    const k8s = claims['kubernetes.io'] as { warnafter: number };
    expect(k8s.warnafter - claims.iat!).toBe(3607);
    expect(claims.exp! - claims.iat!).toBe(365 * 24 * 3600);

    const asPod = c.cp.clientWithToken(token);
    expect(await asPod.request('/api')).toMatchObject({ kind: 'APIVersions' });
    const denied = await failure(asPod.list(Pods, 'default'));
    expect(denied.code).toBe(403);
    expect(denied.message).toContain('User "system:serviceaccount:default:default" cannot list resource "pods"');

    await c.cp.admin.delete(Pods, 'default', 'sa-client');
    await eventually(async () => (await c.cp.admin.get(Pods, 'default', 'sa-client').then(() => false, (e) => e instanceof StatusError && e.code === 404)), { timeoutMs: 60_000, what: 'the pod gone' });
    // (the watch cache may lag the delete by a moment)
    await eventually(async () => (await failure(asPod.request('/api'))).code === 401, { timeoutMs: 5000, what: '401 for the dead pod\'s token' });
  }, 240_000);
});
