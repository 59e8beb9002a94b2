import { describe, expect, it } from 'vitest';
import type { Ingress } from '../api/types.js';
import { describeIngress } from './describe-ingress.js';
import { tabwrite } from './tabwriter.js';

const lines = (text: string[]) => tabwrite(text.join('\n')).split('\n');

describe('tsctl describe ingress', () => {
  it('lays out an ingress as kubectl 1.32 describe ingress does: Labels before Namespace, Annotations after the rules', () => {
    const ing = {
      metadata: { name: 'ing', namespace: 'tsd-a' },
      spec: {
        ingressClassName: 'tskube',
        defaultBackend: { service: { name: 'web', port: { number: 80 } } },
        rules: [
          { host: 'a.example.com', http: { paths: [{ path: '/p', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } },
          { host: 'b.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'nosvc', port: { name: 'http' } } } }] } },
          { host: 'nohttp.example.com' },
        ],
      },
      status: { loadBalancer: { ingress: [{ ip: '127.0.0.1' }] } },
    } as Ingress;
    const web = { service: { spec: { ports: [{ name: 'http', port: 80 }] } }, endpoints: { subsets: [{ addresses: [{ ip: '10.244.0.9' }], ports: [{ name: 'http', port: 80 }] }] } };
    expect(lines(describeIngress(ing, (name) => (name === 'web' ? web : {})) as string[])).toEqual([
      'Name:             ing',
      'Labels:           <none>',
      'Namespace:        tsd-a',
      'Address:          127.0.0.1',
      'Ingress Class:    tskube',
      'Default backend:  web:80 (10.244.0.9:80)',
      'Rules:',
      '  Host           Path  Backends',
      '  ----           ----  --------',
      '  a.example.com  ',
      '                 /p   web:80 (10.244.0.9:80)',
      '  b.example.com  ',
      '                 /   nosvc:http (<error: services "nosvc" not found>)',
      'Annotations:     <none>',
    ]);
  });

  it('shows the default backend for every host and path when no rule has an http section, and the TLS entries', () => {
    const ing = {
      metadata: { name: 'ing2', namespace: 'tsd-a', annotations: { a: 'b' } },
      spec: { tls: [{ hosts: ['x.com', 'y.com'], secretName: 's' }, { hosts: ['z.com'] }], defaultBackend: { resource: { kind: 'Foo', name: 'bar' } }, rules: [{ host: 'nohttp.com' }] },
    } as Ingress;
    expect(lines(describeIngress(ing, () => ({})))).toEqual([
      'Name:             ing2',
      'Labels:           <none>',
      'Namespace:        tsd-a',
      'Address:          ',
      'Ingress Class:    <none>',
      'Default backend:  APIGroup: <none>, Kind: Foo, Name: bar',
      'TLS:',
      '  s terminates x.com,y.com',
      '  SNI routes z.com',
      'Rules:',
      '  Host        Path  Backends',
      '  ----        ----  --------',
      '  *           *     APIGroup: <none>, Kind: Foo, Name: bar',
      'Annotations:  a: b',
    ]);
  });
});
