import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { ConfigSources } from './config-sources.js';
import { keyMatches, missingPullSecrets, missingPullSecretsMessage, pullCredentials } from './pull-secrets.js';

describe('imagePullSecrets', () => {
  it('matches docker config keys the way the kubelet does', () => {
    expect(keyMatches('127.0.0.1:5000', '127.0.0.1:5000', 'team/app')).toBe(true);
    expect(keyMatches('http://127.0.0.1:5000/', '127.0.0.1:5000', 'team/app')).toBe(true);
    expect(keyMatches('127.0.0.1:5001', '127.0.0.1:5000', 'team/app')).toBe(false);
    expect(keyMatches('https://index.docker.io/v1/', 'docker.io', 'library/busybox')).toBe(true);
    expect(keyMatches('registry.lab/team', 'registry.lab', 'team/app')).toBe(true);
    expect(keyMatches('registry.lab/team', 'registry.lab', 'teamx/app')).toBe(false);
  });

  it('reads dockerconfigjson and dockercfg secrets, username/password or auth, in order', () => {
    const sources = new ConfigSources();
    const json = { auths: { 'reg.lab:5000': { username: 'u1', password: 'p1' }, 'other.lab': { username: 'x', password: 'y' } } };
    sources.set('secrets', 'a', new Map([['.dockerconfigjson', Buffer.from(JSON.stringify(json))]]));
    sources.set('secrets', 'b', new Map([['.dockercfg', Buffer.from(JSON.stringify({ 'reg.lab:5000': { auth: Buffer.from('u2:p:2').toString('base64') } }))]]));
    sources.set('secrets', 'broken', new Map([['.dockerconfigjson', Buffer.from('{not json')]]));
    sources.set('secrets', 'missing', undefined);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { imagePullSecrets: [{ name: 'missing' }, { name: 'broken' }, { name: 'a' }, { name: 'b' }], containers: [] } } as Pod;
    expect(pullCredentials(pod, 'reg.lab:5000/team/app:1', sources)).toEqual([{ username: 'u1', password: 'p1' }, { username: 'u2', password: 'p:2' }]);
    expect(pullCredentials(pod, 'busybox', sources)).toEqual([]);
  });

  it('names the ones that could not be had, in the kubelet\'s words (empty names skipped)', () => {
    const sources = new ConfigSources();
    sources.set('secrets', 'there', new Map());
    sources.set('secrets', 'nosuchpull', undefined);
    const pod = { metadata: { name: 'p', namespace: 'default' }, spec: { imagePullSecrets: [{ name: 'there' }, { name: '' }, { name: 'nosuchpull' }, { name: 'other' }], containers: [] } } as Pod;
    expect(missingPullSecrets(pod, sources)).toEqual(['nosuchpull', 'other']);
    expect(missingPullSecretsMessage(['nosuchpull'])).toBe('Unable to retrieve some image pull secrets (nosuchpull); attempting to pull the image may not succeed.');
    expect(missingPullSecrets({ ...pod, spec: { containers: [] } } as Pod, sources)).toEqual([]);
  });
});
