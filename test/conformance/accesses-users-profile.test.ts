import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { NewStoredAccess } from '../../src/storage/interfaces/accesses-store.js';
import { DuplicateKeyError } from '../../src/storage/interfaces/errors.js';
import { engines } from './engines.js';
import { event, freshStores, stream, user } from './items.js';

/**
 * AccessesStore (versions and history, token and name uniqueness, usage), UsersStore and
 * ProfileStore against every engine.
 */
const U = 'user-a';

function access(id: string, extra: Partial<NewStoredAccess> = {}): NewStoredAccess {
  return {
    id, tokenHash: `hash-${id}`, tokenSealed: `sealed-${id}`, type: 'app', name: `name-${id}`, deviceName: null,
    permissions: [{ streamId: '*', level: 'read' }], expires: null, lastUsed: null, calls: {}, clientData: null,
    created: 1, createdBy: 'a', modified: 1, modifiedBy: 'a', deleted: null, ...extra,
  };
}

async function keyOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => null, (e: unknown) => e);
  if (!(err instanceof DuplicateKeyError)) throw new Error(`expected a DuplicateKeyError, got ${String(err)}`);
  return err.key;
}

describe.each(engines)('accesses store: $name', (fixture) => {
  const s = freshStores(fixture, [user(U), user('user-a2')]);

  it('create, then find by token hash, by id, by name; per user', async () => {
    const stores = s.get();
    await stores.accesses.create(U, access('x1', { clientData: { k: 'v' }, deviceName: 'phone', expires: 99 }));
    const stored = await stores.accesses.getById(U, 'x1');
    expect(stored).toEqual({ ...access('x1', { clientData: { k: 'v' }, deviceName: 'phone', expires: 99 }), serial: 0 });
    expect(await stores.accesses.findByTokenHash(U, 'hash-x1')).toEqual(stored);
    expect(await stores.accesses.findByName(U, 'app', 'name-x1', 'phone')).toEqual(stored);
    expect(await stores.accesses.findByName(U, 'app', 'name-x1', null)).toBeNull();
    expect(await stores.accesses.findByName(U, 'shared', 'name-x1', 'phone')).toBeNull();
    expect(await stores.accesses.findByTokenHash('user-a2', 'hash-x1')).toBeNull();
    expect(await stores.accesses.getById(U, 'nope')).toBeNull();
  });

  it('a token and a live type+name+deviceName are unique; a deleted access frees its name', async () => {
    const stores = s.get();
    await stores.accesses.create(U, access('y1'));
    expect(await keyOf(stores.accesses.create(U, access('y2', { tokenHash: 'hash-y1' })))).toBe('token');
    expect(await keyOf(stores.accesses.create(U, access('y3', { name: 'name-y1' })))).toBe('name');
    // Another device name, or another type, is another access.
    await stores.accesses.create(U, access('y4', { name: 'name-y1', deviceName: 'tablet' }));
    await stores.accesses.create(U, access('y5', { name: 'name-y1', type: 'shared' }));
    await stores.accesses.markDeleted(U, ['y1'], 50);
    await stores.accesses.create(U, access('y6', { name: 'name-y1' }));
    expect((await stores.accesses.findByName(U, 'app', 'name-y1', null))?.id).toBe('y6');
    // Another user has a namespace of its own.
    await stores.accesses.create('user-a2', access('y1'));
  });

  it('list: live ones by creation, deleted ones only with includeDeletions', async () => {
    const stores = s.get();
    await stores.accesses.create('user-a2', access('l2', { created: 5 }));
    await stores.accesses.create('user-a2', access('l1', { created: 3 }));
    await stores.accesses.markDeleted('user-a2', ['y1'], 60);
    expect((await stores.accesses.list('user-a2')).map((a) => a.id)).toEqual(['l1', 'l2']);
    const all = await stores.accesses.list('user-a2', { includeDeletions: true });
    expect(all.map((a) => [a.id, a.deleted])).toEqual([['y1', 60], ['l1', null], ['l2', null]]);
    // markDeleted leaves an already deleted access's date alone.
    await stores.accesses.markDeleted('user-a2', ['y1'], 70);
    expect((await stores.accesses.getById('user-a2', 'y1'))?.deleted).toBe(60);
  });

  it('updateVersioned keeps each past version (newest first) and bumps the serial; a stale serial changes nothing', async () => {
    const stores = s.get();
    await stores.accesses.create(U, access('v'));
    const doc = (name: string, modified: number) => ({
      id: 'v', type: 'app' as const, name, deviceName: null, permissions: [], expires: null, lastUsed: null, clientData: null,
      created: 1, createdBy: 'a', modified, modifiedBy: 'a',
    });
    const v1 = await stores.accesses.updateVersioned(U, 'v', 0, { name: 'second', modified: 2, modifiedBy: 'b' }, { doc: doc('name-v', 1), replaced: 2 });
    expect(v1).toMatchObject({ id: 'v', serial: 1, name: 'second', modified: 2, modifiedBy: 'b', tokenHash: 'hash-v' });
    const v2 = await stores.accesses.updateVersioned(U, 'v', 1, { clientData: { c: 1 }, expires: 500, modified: 3, modifiedBy: 'c' }, { doc: doc('second', 2), replaced: 3 });
    expect(v2).toMatchObject({ serial: 2, name: 'second', clientData: { c: 1 }, expires: 500 });
    expect(await stores.accesses.updateVersioned(U, 'v', 1, { name: 'stale', modified: 4, modifiedBy: 'd' }, { doc: doc('x', 3), replaced: 4 })).toBeNull();
    expect(await stores.accesses.getById(U, 'v')).toEqual(v2);
    expect(await stores.accesses.history(U, 'v')).toEqual([
      { serial: 1, doc: doc('second', 2), replaced: 3 },
      { serial: 0, doc: doc('name-v', 1), replaced: 2 },
    ]);
    expect(await stores.accesses.history(U, 'never-updated')).toEqual([]);
  });

  it('of concurrent updateVersioned calls from one serial exactly one wins; a name clash throws and keeps nothing', async () => {
    const stores = s.get();
    await stores.accesses.create(U, access('cas'));
    await stores.accesses.create(U, access('taken', { name: 'Taken' }));
    const prev = { doc: { id: 'cas', type: 'app' as const, name: 'name-cas', deviceName: null, permissions: [], expires: null, lastUsed: null, clientData: null, created: 1, createdBy: 'a', modified: 1, modifiedBy: 'a' }, replaced: 2 };
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => stores.accesses.updateVersioned(U, 'cas', 0, { name: `n${i}`, modified: 2, modifiedBy: 'b' }, prev)));
    const winners = results.filter((r) => r !== null);
    expect(winners).toHaveLength(1);
    expect((await stores.accesses.getById(U, 'cas'))?.name).toBe(winners[0]?.name);
    expect(await stores.accesses.history(U, 'cas')).toHaveLength(1);
    expect(await keyOf(stores.accesses.updateVersioned(U, 'cas', 1, { name: 'Taken', modified: 3, modifiedBy: 'b' }, prev))).toBe('name');
    expect((await stores.accesses.getById(U, 'cas'))?.serial).toBe(1);
    expect(await stores.accesses.history(U, 'cas')).toHaveLength(1);
    // A deleted access is not updated.
    await stores.accesses.markDeleted(U, ['cas'], 9);
    expect(await stores.accesses.updateVersioned(U, 'cas', 1, { name: 'late', modified: 3, modifiedBy: 'b' }, prev)).toBeNull();
  });

  it('update sets fields without a version; recordUsage adds calls (concurrently too) and keeps the latest lastUsed', async () => {
    const stores = s.get();
    await stores.accesses.create(U, access('use'));
    await stores.accesses.update(U, 'use', { expires: 1234, modified: 5 });
    expect(await stores.accesses.getById(U, 'use')).toMatchObject({ expires: 1234, modified: 5, serial: 0 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => stores.accesses.recordUsage(U, 'use', 100 + i, { 'events:get': 1, [`m${i % 2}`]: 2 })));
    await stores.accesses.recordUsage(U, 'use', 50, { 'events:get': 5 });
    expect(await stores.accesses.getById(U, 'use')).toMatchObject({ lastUsed: 109, calls: { 'events:get': 15, m0: 10, m1: 10 } });
    expect(await keyOf(stores.accesses.update(U, 'use', { name: 'name-x1', deviceName: 'phone' }))).toBe('name');
  });
});

describe.each(engines)('users and profile stores: $name', (fixture) => {
  const s = freshStores(fixture);

  it('users: create, get by id and username, list by username; username and email unique', async () => {
    const stores = s.get();
    await stores.users.create(user('id-b', { username: 'bob' }));
    await stores.users.create(user('id-a', { username: 'alice', email: 'alice@example.test' }));
    expect(await stores.users.getByUsername('alice')).toEqual(user('id-a', { username: 'alice', email: 'alice@example.test' }));
    expect((await stores.users.getById('id-b'))?.username).toBe('bob');
    expect(await stores.users.getByUsername('carol')).toBeNull();
    expect((await stores.users.list()).map((u) => u.username)).toEqual(['alice', 'bob']);
    expect(await keyOf(stores.users.create(user('id-c', { username: 'alice' })))).toBe('username');
    expect(await keyOf(stores.users.create(user('id-d', { username: 'dave', email: 'alice@example.test' })))).toBe('email');
  });

  it('users: update sets the fields given; an email taken by another is refused', async () => {
    const stores = s.get();
    await stores.users.update('id-b', { language: 'fr', passwordHash: 'h2', modified: 9 });
    expect(await stores.users.getById('id-b')).toMatchObject({ language: 'fr', passwordHash: 'h2', modified: 9, email: 'id-b@example.test' });
    expect(await keyOf(stores.users.update('id-b', { email: 'alice@example.test' }))).toBe('email');
  });

  it('profile: keys merge, null deletes one; profiles are separate per id and per user', async () => {
    const stores = s.get();
    expect(await stores.profile.get('id-a', 'public')).toEqual({});
    expect(await stores.profile.update('id-a', 'public', { a: 1, b: { c: 2 } })).toEqual({ a: 1, b: { c: 2 } });
    expect(await stores.profile.update('id-a', 'public', { b: null, d: 'x' })).toEqual({ a: 1, d: 'x' });
    expect(await stores.profile.get('id-a', 'public')).toEqual({ a: 1, d: 'x' });
    expect(await stores.profile.get('id-a', 'private')).toEqual({});
    expect(await stores.profile.get('id-b', 'public')).toEqual({});
    await Promise.all(Array.from({ length: 20 }, (_, i) => stores.profile.update('id-a', 'app', { [`k${i}`]: i })));
    expect(Object.keys(await stores.profile.get('id-a', 'app'))).toHaveLength(20);
  });

  it('storageUsed grows with documents and counts attached bytes', async () => {
    const stores = s.get();
    const before = await stores.users.storageUsed('id-b');
    await stores.streams.create('id-b', stream('s'));
    // Random text: an engine may compress what it stores.
    await stores.events.create('id-b', event('e', { content: randomBytes(3000).toString('base64'), attachments: [{ id: 'f', fileName: 'f', type: 'text/plain', size: 321 }] }));
    const after = await stores.users.storageUsed('id-b');
    expect(after.dbDocuments).toBeGreaterThan(before.dbDocuments + 2000);
    expect(after.attachedFiles).toBe(before.attachedFiles + 321);
  });

  it('deleteCascade removes the user and everything of theirs, and nothing of others', async () => {
    const stores = s.get();
    await stores.accesses.create('id-b', access('acc'));
    await stores.profile.update('id-b', 'public', { p: 1 });
    await stores.streams.create('id-a', stream('keep'));
    await stores.users.deleteCascade('id-b');
    expect(await stores.users.getById('id-b')).toBeNull();
    expect(await stores.streams.all('id-b')).toEqual([]);
    expect(await stores.events.get('id-b', 'e')).toBeNull();
    expect(await stores.accesses.list('id-b', { includeDeletions: true })).toEqual([]);
    expect(await stores.profile.get('id-b', 'public')).toEqual({});
    expect(await stores.users.getById('id-a')).not.toBeNull();
    expect((await stores.streams.all('id-a')).map((x) => x.id)).toEqual(['keep']);
    expect(await stores.profile.get('id-a', 'public')).toEqual({ a: 1, d: 'x' });
    // The username is free again.
    await stores.users.create(user('id-b2', { username: 'bob' }));
  });
});
