// The ingress status controller against fake informers and a recording client: the addresses of
// Ready nodes whose agents listen, for Ingresses of tskube.io/ingress classes only, written once.
import { describe, expect, it } from 'vitest';
import type { Ingress, KubeObject, Node } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { Informer } from '../client/informer.js';
import { StaticInformer } from '../../test/helpers/fake-informer.js';
import { ingressAddresses, IngressStatusController } from './ingress-status.js';

const node = (name: string, addresses: string | undefined, ready = true): Node & KubeObject => ({
  metadata: { name, annotations: addresses !== undefined ? { 'ingress.tskube.io/addresses': addresses } : {} },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'Unknown' }] },
});
const ing = (name: string, cls: string | undefined, status?: Ingress['status']): Ingress & KubeObject => ({
  metadata: { name, namespace: 'default' },
  spec: { ingressClassName: cls, defaultBackend: { service: { name: 'web', port: { number: 80 } } } },
  status: status ?? { loadBalancer: {} },
});
const classes = [
  { metadata: { name: 'tskube', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } }, spec: { controller: 'tskube.io/ingress' } },
  { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } },
];

function setup(ingresses: (Ingress & KubeObject)[], nodes: (Node & KubeObject)[]) {
  const writes: { name: string; status: unknown }[] = [];
  const client = {
    async update(_ref: unknown, _ns: string, name: string, obj: KubeObject, sub?: string) {
      expect(sub).toBe('status');
      writes.push({ name, status: obj.status });
      return obj;
    },
  } as unknown as ApiClient;
  const inf = { ingresses: new StaticInformer(ingresses), classes: new StaticInformer(classes as KubeObject[]), nodes: new StaticInformer(nodes) };
  const c = new IngressStatusController(client, inf as unknown as { ingresses: Informer<never>; classes: Informer<never>; nodes: Informer<never> });
  c.queue.stop();
  return { c, writes };
}

describe('ingress status controller', () => {
  it('publishes the listening addresses of Ready nodes, sorted, IPs as ip and names as hostname', () => {
    expect(ingressAddresses([node('a', '10.0.0.2'), node('b', '10.0.0.1,10.0.0.2'), node('c', '10.0.0.9', false), node('d', undefined), node('e', 'lb.example.com')])).toEqual([
      { ip: '10.0.0.1' },
      { ip: '10.0.0.2' },
      { hostname: 'lb.example.com' },
    ]);
  });

  it('writes the status of served Ingresses only, and only when it changes', async () => {
    const nodes = [node('a', '10.0.0.1')];
    const { c, writes } = setup([ing('mine', 'tskube'), ing('classless', undefined), ing('theirs', 'nginx'), ing('done', 'tskube', { loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } })], nodes);
    for (const k of ['default/mine', 'default/classless', 'default/theirs', 'default/done', 'default/gone']) await c.sync(k);
    expect(writes).toEqual([
      { name: 'mine', status: { loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } } },
      { name: 'classless', status: { loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } } },
    ]);
  });

  it('empties the list when no Ready node listens', async () => {
    const { c, writes } = setup([ing('mine', 'tskube', { loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } })], [node('a', '10.0.0.1', false), node('b', '')]);
    await c.sync('default/mine');
    expect(writes).toEqual([{ name: 'mine', status: { loadBalancer: {} } }]);
  });
});
