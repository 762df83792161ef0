import { describe, expect, it } from 'vitest';
import { AccessLogic } from '../../../src/domain/access-logic.js';
import {
  accessMatchesRequest,
  appCreationRefusal,
  canDeleteAccess,
  checkPermissions,
  creatorOf,
  descendantsOf,
  inheritPermissions,
} from '../../../src/domain/access-rules.js';
import { StreamsTree } from '../../../src/domain/streams-tree.js';
import type { Level, Permission } from '../../../src/domain/types.js';
import { access, STREAMS } from './fixtures.js';

const tree = new StreamsTree(STREAMS);
const app = (perms: Permission[] | [string, Level][]): AccessLogic => new AccessLogic(access('app', perms), tree);

describe('appCreationRefusal', () => {
  it.each<[string, [string, Level][], 'app' | 'shared', Permission[], boolean]>([
    ['same level', [['health', 'contribute']], 'shared', [{ streamId: 'health', level: 'contribute' }], true],
    ['lower level on a descendant', [['health', 'manage']], 'shared', [{ streamId: 'pulse', level: 'read' }], true],
    ['a none mask anywhere', [['health', 'read']], 'shared', [{ streamId: 'health', level: 'read' }, { streamId: 'work', level: 'none' }], true],
    ['through *', [['*', 'manage']], 'shared', [{ streamId: 'work', level: 'manage' }], true],
    ['an app access', [['*', 'manage']], 'app', [{ streamId: 'work', level: 'read' }], false],
    ['no stream permission', [['*', 'manage']], 'shared', [], false],
    ['a higher level', [['health', 'read']], 'shared', [{ streamId: 'health', level: 'contribute' }], false],
    ['contribute vs create-only grant', [['health', 'create-only']], 'shared', [{ streamId: 'health', level: 'read' }], false],
    ['a stream it cannot reach', [['health', 'manage']], 'shared', [{ streamId: 'work', level: 'read' }], false],
    ['a masked descendant', [['health', 'manage'], ['heart', 'none']], 'shared', [{ streamId: 'pulse', level: 'read' }], false],
    ['* without its own *', [['health', 'manage']], 'shared', [{ streamId: '*', level: 'read' }], false],
    // Issue #16: what the creator cannot see below a granted stream stays hidden from the new access.
    ['a masked descendant reached through its parent', [['health', 'manage'], ['heart', 'none']], 'shared', [{ streamId: 'health', level: 'read' }], false],
    ['the same mask carried', [['health', 'manage'], ['heart', 'none']], 'shared', [{ streamId: 'health', level: 'read' }, { streamId: 'heart', level: 'none' }], true],
    ['a masked subtree re-granted below', [['health', 'manage'], ['heart', 'none'], ['pulse', 'read']], 'shared',
      [{ streamId: 'health', level: 'read' }, { streamId: 'heart', level: 'none' }, { streamId: 'pulse', level: 'read' }], true],
    ['a lower child grant reached through its parent', [['health', 'manage'], ['heart', 'read']], 'shared', [{ streamId: 'health', level: 'manage' }], false],
    ['a lower child grant kept', [['health', 'manage'], ['heart', 'read']], 'shared', [{ streamId: 'health', level: 'manage' }, { streamId: 'heart', level: 'read' }], true],
    ['a create-only child reached by read', [['health', 'contribute'], ['heart', 'create-only']], 'shared', [{ streamId: 'health', level: 'read' }], false],
    ['a mask reached through *', [['*', 'read'], ['work', 'none']], 'shared', [{ streamId: '*', level: 'read' }], false],
    ['a mask carried under *', [['*', 'read'], ['work', 'none']], 'shared', [{ streamId: '*', level: 'read' }, { streamId: 'work', level: 'none' }], true],
    ['a mask on a stream not created yet', [['health', 'manage'], ['future', 'none']], 'shared', [{ streamId: 'health', level: 'read' }], false],
    ['that mask carried', [['health', 'manage'], ['future', 'none']], 'shared', [{ streamId: 'health', level: 'read' }, { streamId: 'future', level: 'none' }], true],
  ])('%s → allowed=%s', (_n, own, type, permissions, allowed) => {
    expect(appCreationRefusal(app(own), { type, permissions }) === null).toBe(allowed);
  });

  it('names the topmost masked streams, which are the access\'s own permissions', () => {
    const logic = app([['*', 'read'], ['health', 'manage'], ['heart', 'none'], ['work', 'none'], ['future', 'none']]);
    const refusal = appCreationRefusal(logic, { type: 'shared', permissions: [{ streamId: '*', level: 'read' }] });
    expect(refusal?.data).toEqual({ maskedStreams: ['future', 'heart', 'work'] });
  });

  it.each<[string, Permission[], Permission, boolean]>([
    ['selfRevoke forbidden from a revocable app', [], { feature: 'selfRevoke', setting: 'forbidden' }, true],
    ['selfRevoke allowed from a non-revocable app', [{ feature: 'selfRevoke', setting: 'forbidden' }], { feature: 'selfRevoke', setting: 'allowed' }, false],
    ['selfAudit when the app has none', [], { feature: 'selfAudit', setting: 'forbidden' }, true],
    ['another selfAudit than the app', [{ feature: 'selfAudit', setting: 'forbidden' }], { feature: 'selfAudit', setting: 'allowed' }, false],
    ['an unknown feature', [], { feature: 'teleport', setting: 'allowed' }, false],
  ])('feature: %s → allowed=%s', (_n, ownFeatures, requested, allowed) => {
    const logic = app([{ streamId: '*', level: 'read' }, ...ownFeatures]);
    expect(appCreationRefusal(logic, { type: 'shared', permissions: [{ streamId: 'work', level: 'read' }, requested] }) === null).toBe(allowed);
  });
});

describe('inheritance, deletion, cascade', () => {
  it('passes secretSharing: forbidden down, replacing a requested setting', () => {
    const parent = app([{ streamId: '*', level: 'read' }, { feature: 'secretSharing', setting: 'forbidden' }]);
    expect(inheritPermissions(parent, [{ feature: 'secretSharing', setting: 'allowed' }])).toEqual([{ feature: 'secretSharing', setting: 'forbidden' }]);
    expect(inheritPermissions(app([['*', 'read']]), [])).toEqual([]);
  });

  it('reads the creator before a caller id', () => {
    expect(creatorOf({ createdBy: 'abc caller 1' })).toBe('abc');
    expect(creatorOf({ createdBy: 'system' })).toBe('system');
  });

  it('finds every access created below one, directly or not', () => {
    const list = [
      { id: 'a', createdBy: 'root' },
      { id: 'b', createdBy: 'a x' },
      { id: 'c', createdBy: 'b' },
      { id: 'd', createdBy: 'other' },
    ];
    expect(descendantsOf('root', list)).toEqual(['a', 'b', 'c']);
    expect(descendantsOf('d', list)).toEqual([]);
  });

  it.each<[string, 'personal' | 'app' | 'shared', Permission[], { id: string; createdBy: string }, boolean]>([
    ['P any', 'personal', [], { id: 'x', createdBy: 'y' }, true],
    ['A its child', 'app', [], { id: 'x', createdBy: 'acc-app cid' }, true],
    ['A another', 'app', [], { id: 'x', createdBy: 'y' }, false],
    ['A itself', 'app', [], { id: 'acc-app', createdBy: 'y' }, true],
    ['A itself, selfRevoke forbidden', 'app', [{ feature: 'selfRevoke', setting: 'forbidden' }], { id: 'acc-app', createdBy: 'y' }, false],
    ['S itself', 'shared', [], { id: 'acc-shared', createdBy: 'y' }, true],
    ['S a child-looking access', 'shared', [], { id: 'x', createdBy: 'acc-shared' }, false],
  ])('canDeleteAccess: %s → %s', (_n, type, perms, target, expected) => {
    expect(canDeleteAccess(new AccessLogic(access(type, perms), tree), target)).toBe(expected);
  });
});

describe('checkApp helpers', () => {
  it('matches permission pairs in any order and clientData with absent = null', () => {
    const stored = { permissions: [{ streamId: 'a', level: 'read' }, { streamId: 'b', level: 'manage' }] as Permission[], clientData: null };
    expect(accessMatchesRequest(stored, [{ streamId: 'b', level: 'manage' }, { streamId: 'a', level: 'read' }], undefined)).toBe(true);
    expect(accessMatchesRequest(stored, [{ streamId: 'a', level: 'read' }], undefined)).toBe(false);
    expect(accessMatchesRequest(stored, stored.permissions, { x: 1 })).toBe(false);
    expect(accessMatchesRequest({ ...stored, clientData: { x: 1, y: [2] } }, stored.permissions, { y: [2], x: 1 })).toBe(true);
  });

  it('names existing streams and proposes free root names for missing ones', () => {
    const { checked, adjusted } = checkPermissions(tree, [
      { streamId: 'notes', level: 'read', defaultName: 'Whatever' },
      { streamId: 'new-1', level: 'read', defaultName: 'work' },
      { streamId: 'new-2', level: 'read', defaultName: 'work' },
      { streamId: '*', level: 'read', defaultName: 'All' },
      { feature: 'selfRevoke', setting: 'forbidden' },
    ]);
    expect(checked).toEqual([
      { streamId: 'notes', level: 'read', name: 'Notes' },
      { streamId: 'new-1', level: 'read', defaultName: 'work (1)' },
      { streamId: 'new-2', level: 'read', defaultName: 'work (2)' },
      { streamId: '*', level: 'read' },
      { feature: 'selfRevoke', setting: 'forbidden' },
    ]);
    expect(adjusted).toBe(true);
  });
});
