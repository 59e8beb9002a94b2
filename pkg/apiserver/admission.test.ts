import { describe, expect, it } from 'vitest';
import { AdmissionChain, type AdmissionPlugin, type AdmissionRequest } from './admission.js';
import { pods } from './registry/resources.js';

const req = (): AdmissionRequest => ({ operation: 'CREATE', resource: pods, name: 'p', namespace: 'default', obj: { metadata: { name: 'p' } }, ctx: { user: { name: 'u', groups: [] }, dryRun: false, fieldValidation: 'Strict', warnings: [] } });

describe('AdmissionChain', () => {
  it('runs a plugin that reads caches only once they hold this apiserver\'s own writes', async () => {
    const order: string[] = [];
    let release!: () => void;
    const settledAsked: string[][] = [];
    const settle = (resources: readonly string[]) => {
      settledAsked.push([...resources]);
      if (!resources.includes('limitranges')) return undefined;
      return new Promise<void>((resolve) => (release = () => { order.push('settled'); resolve(); }));
    };
    const plain: AdmissionPlugin = { name: 'Plain', resources: ['pods'], admit: () => void order.push('plain') };
    const reader: AdmissionPlugin = { name: 'Reader', resources: ['pods'], reads: ['limitranges'], admit: () => void order.push('reader') };
    const other: AdmissionPlugin = { name: 'Other', resources: ['services'], reads: ['limitranges'], admit: () => void order.push('other') };
    const chain = new AdmissionChain([plain, reader, other], settle);
    const done = chain.admit(req());
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual(['plain']);
    release();
    await done;
    expect(order).toEqual(['plain', 'settled', 'reader']);
    // Only plugins that read caches ask, and only those for the resource written.
    expect(settledAsked).toEqual([['limitranges']]);
  });

  it('does not wait when nothing lags, or with no settler', async () => {
    const order: string[] = [];
    const reader: AdmissionPlugin = { name: 'Reader', resources: ['pods'], reads: ['priorityclasses'], validate: () => void order.push('reader') };
    await new AdmissionChain([reader], () => undefined).validate(req());
    await new AdmissionChain([reader]).validate(req());
    expect(order).toEqual(['reader', 'reader']);
  });

  it('does not wait for a plugin that this request has read nothing', async () => {
    const asked: string[][] = [];
    const quota: AdmissionPlugin = { name: 'Quota', resources: ['*'], reads: ['resourcequotas'], readsFor: (r) => r.operation === 'CREATE', validate: () => {} };
    const chain = new AdmissionChain([quota], (rs) => void asked.push([...rs]));
    await chain.validate({ ...req(), operation: 'UPDATE' });
    expect(asked).toEqual([]);
    await chain.validate(req());
    expect(asked).toEqual([['resourcequotas']]);
  });
});
