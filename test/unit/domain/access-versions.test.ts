import { describe, expect, it } from 'vitest';
import { apiAccessId, baseAccessId, parseAccessId, sameAccess } from '../../../src/domain/access-ids.js';
import { AccessLogic } from '../../../src/domain/access-logic.js';
import { accessUpdateRefusal, canSeeAccess, creatorOf, descendantsOf, orphanedChildren } from '../../../src/domain/access-rules.js';
import { StreamsTree } from '../../../src/domain/streams-tree.js';
import type { Access, Level, Permission } from '../../../src/domain/types.js';
import { access, STREAMS } from './fixtures.js';

/** Versioned access ids and the rules of accesses.update (Pryv API §1.5, §3.4 update). */

describe('access ids', () => {
  it.each<[string, string, number | null]>([
    ['cabc', 'cabc', null],
    ['cabc:1', 'cabc', 1],
    ['cabc:42', 'cabc', 42],
    ['cabc:0', 'cabc:0', null],
    ['cabc:01', 'cabc:01', null],
    ['cabc:x', 'cabc:x', null],
    [':system:x', ':system:x', null],
  ])('parses %s', (id, base, serial) => {
    expect(parseAccessId(id)).toEqual({ base, serial });
  });

  it('shows the bare id at serial 0 and links every version of one access', () => {
    expect(apiAccessId('cabc', 0)).toBe('cabc');
    expect(apiAccessId('cabc', 3)).toBe('cabc:3');
    expect(baseAccessId('cabc:3')).toBe('cabc');
    expect(sameAccess('cabc', 'cabc:3')).toBe(true);
    expect(sameAccess('cabc', 'cabd:3')).toBe(false);
  });

  it('links children to their creator across its versions', () => {
    const app: Access = { ...access('app'), id: 'capp:2' };
    const child = { ...access('shared'), id: 'ckid', createdBy: 'capp:1 caller' };
    expect(creatorOf(child)).toBe('capp');
    expect(canSeeAccess(app, child)).toBe(true);
    expect(descendantsOf('capp', [child, { ...child, id: 'cother', createdBy: 'cnot' }])).toEqual(['ckid']);
  });
});

describe('accessUpdateRefusal', () => {
  const personal = { ...access('personal'), id: 'cp' };
  const app = { ...access('app'), id: 'ca:1' };
  const target = (type: Access['type'], id: string, createdBy: string) => ({ type, id, createdBy });
  it.each<[string, Access, ReturnType<typeof target>, boolean]>([
    ['P updates an app access', personal, target('app', 'cx', 'cp'), true],
    ['P updates a shared access', personal, target('shared', 'cx', 'cother'), true],
    ['P cannot update a personal access', personal, target('personal', 'cq', 'system'), false],
    ['P cannot update itself', personal, target('personal', 'cp', 'system'), false],
    ['A updates its shared child (created by an older version)', app, target('shared', 'cx', 'ca caller'), true],
    ['A cannot update itself', app, target('app', 'ca', 'cp'), false],
    ['A cannot update a shared access of another', app, target('shared', 'cx', 'cother'), false],
    ['A cannot update an app access it created', app, target('app', 'cx', 'ca'), false],
    ['S updates nothing', { ...access('shared'), id: 'cs' }, target('shared', 'cx', 'cs'), false],
  ])('%s', (_n, caller, t, allowed) => {
    expect(accessUpdateRefusal(caller, t) === null).toBe(allowed);
  });
});

describe('orphanedChildren', () => {
  const tree = new StreamsTree(STREAMS);
  const narrowed = (perms: [string, Level][]) => new AccessLogic(access('app', perms), tree);
  const child = (id: string, permissions: Permission[], expires: number | null = null) => ({ id, permissions, expires });
  it('lists the children above the new levels or outliving the new expiry', () => {
    const children = [
      child('reader', [{ streamId: 'health', level: 'read' }]),
      child('writer', [{ streamId: 'heart', level: 'contribute' }]),
      child('masked', [{ streamId: 'work', level: 'none' }, { streamId: 'pulse', level: 'read' }], 100),
    ];
    expect(orphanedChildren(narrowed([['health', 'contribute']]), null, children)).toEqual([]);
    expect(orphanedChildren(narrowed([['health', 'read']]), null, children)).toEqual(['writer']);
    expect(orphanedChildren(narrowed([['health', 'create-only']]), null, children)).toEqual(['reader', 'writer', 'masked']);
    expect(orphanedChildren(narrowed([['health', 'manage']]), 200, children)).toEqual(['reader', 'writer']);
  });
});
