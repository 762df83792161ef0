import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/index.js';
import { ACCOUNT_ROOT, SystemStreams, accountFieldProblems } from '../../../src/domain/system-streams.js';
import type { Access } from '../../../src/domain/types.js';

const sys = new SystemStreams([{ id: 'insuranceNumber', name: 'Insurance number', type: 'identifier/string', isUnique: true, regexValidation: '[0-9]{4}' }]);

function access(type: Access['type'], permissions: Access['permissions']): Access {
  return { id: 'a', token: 't', type, name: 'n', deviceName: null, permissions, expires: null, lastUsed: null, calls: {}, clientData: null, deleted: null, created: 0, createdBy: 's', modified: 0, modifiedBy: 's' };
}

describe('SystemStreams', () => {
  it('declares the built-in tree, :system:email and custom fields under :_system:account', () => {
    expect(sys.fields.map((f) => f.id)).toEqual([
      ':_system:language', ':_system:appId', ':_system:invitationToken', ':_system:referer', ':_system:dbDocuments', ':_system:attachedFiles', ':system:email', ':system:insuranceNumber',
    ]);
    expect(sys.shown().map((f) => f.key)).toEqual(['language', 'dbDocuments', 'attachedFiles', 'email', 'insuranceNumber']);
    expect(sys.ancestry(':_system:dbDocuments')).toEqual([':_system:dbDocuments', ':_system:storageUsed', ACCOUNT_ROOT]);
    expect(sys.field(':system:insuranceNumber')?.regexValidation?.test('12345')).toBe(false);
    expect(sys.field(':system:insuranceNumber')?.regexValidation?.test('1234')).toBe(true);
  });

  it.each<[string, Access, string, string | null]>([
    ['personal manages every field', access('personal', []), ':system:email', 'manage'],
    ['"*" never reaches the account', access('shared', [{ streamId: '*', level: 'manage' }]), ':system:email', null],
    ['a grant on the root reaches every field', access('shared', [{ streamId: ACCOUNT_ROOT, level: 'read' }]), ':_system:attachedFiles', 'read'],
    ['a none below a grant masks the field', access('shared', [{ streamId: ACCOUNT_ROOT, level: 'read' }, { streamId: ':system:email', level: 'none' }]), ':system:email', null],
    ['a grant on one field only', access('app', [{ streamId: ':_system:language', level: 'contribute' }]), ':system:email', null],
  ])('levelOn: %s', (_n, a, streamId, level) => {
    expect(sys.levelOn(a, streamId)).toBe(level);
  });

  it('accountFieldProblems refuses built-in names, duplicates and bad patterns', () => {
    const f = { name: 'X', type: 'a/b' };
    expect(accountFieldProblems([{ id: 'email', ...f }])[0]).toMatch(/built-in/);
    expect(accountFieldProblems([{ id: 'x', ...f }, { id: 'x', ...f }])[0]).toMatch(/twice/);
    expect(accountFieldProblems([{ id: 'x', ...f, regexValidation: '(' }])[0]).toMatch(/not a valid pattern/);
    expect(accountFieldProblems([{ id: 'x', ...f, regexValidation: '[0-9]+', default: 'abc' }])[0]).toMatch(/default/);
    expect(accountFieldProblems([{ id: 'x', ...f, regexValidation: '[0-9]+', default: '12' }])).toEqual([]);
  });

  it('a config declaring a built-in field name is refused at load', () => {
    const env = { HOMECORE_SYSTEM_STREAMS__ACCOUNT: JSON.stringify([{ id: 'language', name: 'L', type: 'a/b' }]) };
    expect(() => loadConfig({ env: {} })).not.toThrow();
    let problems: string[] = [];
    try {
      loadConfig({ env });
    } catch (err) {
      if (err instanceof ConfigError) problems = err.problems;
    }
    expect(problems).toEqual(['systemStreams.account: "language" is a built-in field name']);
  });
});
