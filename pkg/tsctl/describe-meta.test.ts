import { describe, expect, it } from 'vitest';
import { annotationLines, labelLines } from './describe-meta.js';

describe('tsctl describe labels and annotations', () => {
  it('sorts labels by key', () => {
    expect(labelLines('Labels', { 'job-name': 'j', 'batch.kubernetes.io/job-name': 'j' })).toEqual(['Labels:           batch.kubernetes.io/job-name=j', '                  job-name=j']);
    expect(labelLines('Labels', {})).toEqual(['Labels:           <none>']);
  });

  it('writes an annotation as "key: value", sorted, without the last applied configuration', () => {
    expect(annotationLines('Annotations', { 'deployment.kubernetes.io/revision': '1', 'a.io/x': 'y', 'kubectl.kubernetes.io/last-applied-configuration': '{}\n' })).toEqual([
      'Annotations:      a.io/x: y',
      '                  deployment.kubernetes.io/revision: 1',
    ]);
    expect(annotationLines('Annotations', { 'kubectl.kubernetes.io/last-applied-configuration': '{}\n' })).toEqual(['Annotations:      <none>']);
  });

  it('puts a long or multi-line annotation under its key, each line cut at 138', () => {
    const long = 'x'.repeat(200);
    expect(annotationLines('Annotations', { note: 'one\ntwo\n', z: long })).toEqual([
      'Annotations:      note:',
      '                    one',
      '                    two',
      '                  z:',
      `                    ${'x'.repeat(138)}...`,
    ]);
  });
});
