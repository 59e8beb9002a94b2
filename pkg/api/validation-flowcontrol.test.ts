import { describe, expect, it } from 'vitest';
import { formatFieldError } from './field-error.js';
import { MANDATORY_FLOW_SCHEMAS, MANDATORY_PRIORITY_LEVELS, SUGGESTED_FLOW_SCHEMAS, SUGGESTED_PRIORITY_LEVELS } from './flowcontrol-bootstrap.js';
import type { FlowSchema, PriorityLevelConfiguration } from './types.js';
import { defaultFlowSchema, defaultPriorityLevelConfiguration, validateFlowSchema, validateFlowSchemaUpdate, validatePriorityLevelConfiguration, validatePriorityLevelConfigurationUpdate } from './validation-flowcontrol.js';

const msgs = (errs: { type: string; field: string; detail: string }[]) => errs.map((e) => formatFieldError(e as never));

describe('flowcontrol validation', () => {
  it('takes every bootstrap object, which defaulting leaves as it is', () => {
    for (const fs of [...MANDATORY_FLOW_SCHEMAS, ...SUGGESTED_FLOW_SCHEMAS]) {
      const c = structuredClone(fs);
      defaultFlowSchema(c);
      expect(c).toEqual(fs);
      expect(validateFlowSchema(c)).toEqual([]);
    }
    for (const pl of [...MANDATORY_PRIORITY_LEVELS, ...SUGGESTED_PRIORITY_LEVELS]) {
      const c = structuredClone(pl);
      defaultPriorityLevelConfiguration(c);
      expect(c).toEqual(pl);
      expect(validatePriorityLevelConfiguration(c)).toEqual([]);
    }
  });

  it('checks an update as rest.BeforeUpdate does: identity fields unchanged, then the whole object', () => {
    const fs = structuredClone(SUGGESTED_FLOW_SCHEMAS[0]!);
    const old = { ...fs, metadata: { ...fs.metadata, uid: 'u1', creationTimestamp: '2026-12-03T10:00:00Z' } };
    const changed = { ...fs, metadata: { ...fs.metadata, uid: 'u2', creationTimestamp: '2026-12-03T10:00:00Z' }, spec: { ...fs.spec, matchingPrecedence: 0 } };
    expect(msgs(validateFlowSchemaUpdate(changed, old))).toEqual(['metadata.uid: Invalid value: "u2": field is immutable', 'spec.matchingPrecedence: Invalid value: 0: must be a positive value']);
    const pl = structuredClone(SUGGESTED_PRIORITY_LEVELS[0]!);
    expect(msgs(validatePriorityLevelConfigurationUpdate({ ...pl, metadata: { name: 'renamed' } }, pl))).toEqual(['metadata.name: Invalid value: "renamed": field is immutable']);
  });

  it('defaults as v1 does', () => {
    const pl: PriorityLevelConfiguration = { metadata: { name: 'p' }, spec: { type: 'Limited', limited: { limitResponse: { type: 'Queue', queuing: {} } } } };
    defaultPriorityLevelConfiguration(pl);
    expect(pl.spec!.limited).toEqual({ nominalConcurrencyShares: 30, lendablePercent: 0, limitResponse: { type: 'Queue', queuing: { queues: 64, handSize: 8, queueLengthLimit: 50 } } });
    const fs: FlowSchema = { metadata: { name: 'f' }, spec: { priorityLevelConfiguration: { name: 'p' } } };
    defaultFlowSchema(fs);
    expect(fs.spec!.matchingPrecedence).toBe(1000);
  });

  it('refuses what 1.32 refuses, in its words', () => {
    const fs: FlowSchema = {
      metadata: { name: 'exempt' },
      spec: { priorityLevelConfiguration: { name: '' }, matchingPrecedence: 10001, rules: [{ subjects: [{ kind: 'ServiceAccount', user: { name: 'x' }, serviceAccount: { namespace: '', name: 'Bad_Name' } }], nonResourceRules: [{ verbs: ['*', 'get'], nonResourceURLs: ['healthz', '/a//b', '/a*', '*', '/'] }] }] },
    };
    expect(msgs(validateFlowSchema(fs))).toEqual([
      'spec.matchingPrecedence: Invalid value: 10001: must not be greater than 10000',
      'spec.priorityLevelConfiguration.name: Required value: must reference a priority level',
      expect.stringContaining('spec.rules[0].subjects[0].serviceAccount.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain'),
      'spec.rules[0].subjects[0].serviceAccount.namespace: Required value: must specify namespace for service account',
      "spec.rules[0].subjects[0].user: Forbidden: user is forbidden when subject kind is not 'User'",
      'spec.rules[0].nonResourceRules[0].verbs: Invalid value: []string{"*", "get"}: if \'*\' is present, must not specify other verbs',
      'spec.rules[0].nonResourceRules[0].nonResourceURLs: Invalid value: []string{"healthz", "/a//b", "/a*", "*", "/"}: if \'*\' is present, must not specify other non-resource URLs',
      "spec: Invalid value: flowcontrol.FlowSchemaSpec{...}: spec of 'exempt' must equal the fixed value",
    ]);
    const urls: FlowSchema = { metadata: { name: 'u' }, spec: { priorityLevelConfiguration: { name: 'p' }, matchingPrecedence: 5, rules: [{ subjects: [{ kind: 'Group', group: { name: 'g' } }], nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['healthz', '/a//b', '/a*', '/a b'] }] }] } };
    expect(msgs(validateFlowSchema(urls))).toEqual([
      'spec.rules[0].nonResourceRules[0].nonResourceURLs[0]: Invalid value: "healthz": must start with slash',
      'spec.rules[0].nonResourceRules[0].nonResourceURLs[1]: Invalid value: "/a//b": must not contain double slash',
      'spec.rules[0].nonResourceRules[0].nonResourceURLs[2]: Invalid value: "/a*": wildcard can only do suffix matching',
      'spec.rules[0].nonResourceRules[0].nonResourceURLs[3]: Invalid value: "/a b": must not contain white-space',
    ]);
    const pl: PriorityLevelConfiguration = { metadata: { name: 'exempt' }, spec: { type: 'Limited', limited: { nominalConcurrencyShares: -1, lendablePercent: 101, limitResponse: { type: 'Reject', queuing: { queues: 1 } } } } };
    expect(msgs(validatePriorityLevelConfiguration(pl))).toEqual([
      "spec.type: Invalid value: \"Limited\": type must be 'Exempt' if and only if name is 'exempt'",
      'spec.limited.nominalConcurrencyShares: Invalid value: -1: must be a non-negative integer',
      'spec.limited.limitResponse.queuing: Forbidden: must be nil if limited.limitResponse.type is not Limited',
      'spec.limited.lendablePercent: Invalid value: 101: must be between 0 and 100, inclusive',
      "spec: Invalid value: flowcontrol.PriorityLevelConfigurationSpec{...}: spec of 'exempt' except the 'spec.exempt' field must equal the fixed value",
    ]);
    // the exempt level's spec.exempt may change
    expect(validatePriorityLevelConfiguration({ metadata: { name: 'exempt' }, spec: { type: 'Exempt', exempt: { nominalConcurrencyShares: 10, lendablePercent: 50 } } })).toEqual([]);
    const entropy: PriorityLevelConfiguration = { metadata: { name: 'q' }, spec: { type: 'Limited', limited: { nominalConcurrencyShares: 1, limitResponse: { type: 'Queue', queuing: { queues: 1_000_000, handSize: 5, queueLengthLimit: 1 } } } } };
    expect(msgs(validatePriorityLevelConfiguration(entropy))).toEqual(['spec.limited.limitResponse.queuing.handSize: Invalid value: 5: required entropy bits of deckSize 1000000 and handSize 5 should not be greater than 60']);
  });
});
