import { describe, expect, it } from 'vitest';
import { AccessLogic } from '../../../src/domain/access-logic.js';
import { StreamsTree } from '../../../src/domain/streams-tree.js';
import type { Level } from '../../../src/domain/types.js';
import { access, STREAMS } from './fixtures.js';

const tree = new StreamsTree(STREAMS);
const logic = (perms: [string, Level][], type: 'app' | 'shared' | 'personal' = 'app'): AccessLogic => new AccessLogic(access(type, perms), tree);

describe('AccessLogic levels', () => {
  it('personal accesses manage everything', () => {
    expect(logic([], 'personal').levelOn('pulse')).toBe('manage');
  });

  it.each<[string, [string, Level][], string, Level | null]>([
    ['no permission → none', [], 'health', null],
    ['direct permission', [['heart', 'read']], 'heart', 'read'],
    ['inherited from parent', [['health', 'contribute']], 'pulse', 'contribute'],
    ['nearest ancestor wins (downgrade)', [['health', 'manage'], ['heart', 'read']], 'pulse', 'read'],
    ['nearest ancestor wins (upgrade)', [['health', 'read'], ['heart', 'manage']], 'pulse', 'manage'],
    ['parent not affected by child permission', [['heart', 'manage']], 'health', null],
    ['* applies without a nearer permission', [['*', 'read']], 'notes', 'read'],
    ['nearer permission beats *', [['*', 'manage'], ['work', 'read']], 'notes', 'read'],
    ['none masks a subtree', [['*', 'read'], ['heart', 'none']], 'pulse', null],
    ['none on * is no access', [['*', 'none']], 'work', null],
    ['unknown stream falls back on *', [['*', 'contribute']], 'not-yet', 'contribute'],
    ['create-only', [['work', 'create-only']], 'notes', 'create-only'],
  ])('%s', (_name, perms, streamId, expected) => {
    expect(logic(perms).levelOn(streamId)).toBe(expected);
  });
});

describe('AccessLogic rules', () => {
  type Row = [Level, { read: boolean; create: boolean; update: boolean; list: boolean; manage: boolean }];
  it.each<Row>([
    ['read', { read: true, create: false, update: false, list: true, manage: false }],
    ['create-only', { read: false, create: true, update: false, list: true, manage: false }],
    ['contribute', { read: true, create: true, update: true, list: true, manage: false }],
    ['manage', { read: true, create: true, update: true, list: true, manage: true }],
    ['none', { read: false, create: false, update: false, list: false, manage: false }],
  ])('level %s', (level, can) => {
    const l = logic([['work', level]]);
    expect({
      read: l.canReadEvents('notes'),
      create: l.canCreateEvents('notes'),
      update: l.canUpdateEvents('notes'),
      list: l.canListStream('notes'),
      manage: l.canManageStream('notes'),
    }).toEqual(can);
  });

  it('root streams need manage on *', () => {
    expect(logic([['*', 'manage']]).canManageStream(null)).toBe(true);
    expect(logic([['*', 'contribute']]).canManageStream(null)).toBe(false);
    expect(logic([['health', 'manage']]).canManageStream(null)).toBe(false);
    expect(logic([], 'personal').canManageStream(null)).toBe(true);
  });

  it('readable stream ids exclude none masks and create-only', () => {
    const l = logic([['health', 'read'], ['heart', 'none'], ['work', 'create-only']]);
    expect(l.readableStreamIds().sort()).toEqual(['diary', 'health']);
  });

  it('names the topmost streams below one that it may not manage (issue #16)', () => {
    expect(logic([['health', 'manage'], ['heart', 'none']]).unmanageableBelow('health')).toEqual(['heart']);
    expect(logic([['health', 'manage'], ['heart', 'read'], ['pulse', 'none']]).unmanageableBelow('health')).toEqual(['heart']);
    expect(logic([['health', 'manage'], ['pulse', 'none']]).unmanageableBelow('health')).toEqual(['pulse']);
    expect(logic([['health', 'manage'], ['heart', 'none'], ['pulse', 'manage']]).unmanageableBelow('health')).toEqual(['heart']);
    expect(logic([['health', 'manage'], ['work', 'none']]).unmanageableBelow('health')).toEqual([]);
    expect(logic([], 'personal').unmanageableBelow('health')).toEqual([]);
  });

  it('reads feature permissions', () => {
    const l = new AccessLogic(access('app', [{ feature: 'selfRevoke', setting: 'forbidden' }]), tree);
    expect(l.feature('selfRevoke')).toBe('forbidden');
    expect(l.feature('selfAudit')).toBeUndefined();
  });
});

describe('AccessLogic.readableStreamIds on generated trees', () => {
  // A small deterministic generator (no Math.random: a failure must reproduce).
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    // The high bits: an LCG's low bits repeat with short periods.
    return Math.floor((seed / 2 ** 31) * n);
  };
  const LEVELS: Level[] = ['read', 'contribute', 'manage', 'create-only', 'none'];

  it('names exactly the streams whose level allows reading, for 300 random trees and permission sets', () => {
    for (let round = 0; round < 300; round += 1) {
      const size = 1 + rand(60);
      const streams = Array.from({ length: size }, (_, i) => ({
        ...STREAMS[0],
        id: `s${i}`,
        name: `s${i}`,
        // Parents among earlier streams, some roots, some naming a missing parent (treated as roots).
        parentId: i === 0 || rand(5) === 0 ? null : rand(10) === 0 ? 'missing' : `s${rand(i)}`,
      })) as typeof STREAMS;
      const t = new StreamsTree(streams);
      const perms: [string, Level][] = [];
      for (let k = rand(6); k > 0; k -= 1) perms.push([rand(8) === 0 ? '*' : rand(10) === 0 ? 'unknown' : `s${rand(size)}`, LEVELS[rand(LEVELS.length)] as Level]);
      const l = new AccessLogic(access('app', perms), t);
      const naive = t.all().filter((s) => l.canReadEvents(s.id)).map((s) => s.id).sort();
      expect([...l.readableStreamIds()].sort(), JSON.stringify({ perms, streams: streams.map((s) => [s.id, s.parentId]) })).toEqual(naive);
    }
  });

  it('a personal access reads every stream', () => {
    expect(new AccessLogic(access('personal', []), tree).readableStreamIds().sort()).toEqual(STREAMS.map((s) => s.id).sort());
  });
});
