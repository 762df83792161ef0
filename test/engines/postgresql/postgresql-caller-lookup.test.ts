import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../../src/logging/logger.js';
import { PgAccessesStore } from '../../../src/storage/engines/postgresql/accesses-store.js';
import { PostgresEngine } from '../../../src/storage/engines/postgresql/engine.js';
import { PgUsersStore } from '../../../src/storage/engines/postgresql/users-store.js';
import type { NewStoredAccess } from '../../../src/storage/interfaces/accesses-store.js';
import { createTestDatabase } from '../../helpers/pg-database.js';

/**
 * UsersStore.getCaller (issue #10): the one lookup of a request with a token, user, streams version
 * and access in one statement. The access must come back exactly as AccessesStore reads it (its
 * to_jsonb form parsed: numbers, jsonb, nulls), whatever its state: the caller judges it.
 */
const services = inject('services');
let engine: PostgresEngine;
let drop: () => Promise<void>;
let users: PgUsersStore;
let accesses: PgAccessesStore;

const userRow = (id: string) => ({ id, username: `name${id}`, email: `${id}@example.test`, language: 'en', passwordHash: 'x', created: 1, modified: 1 });
const access = (id: string, extra: Partial<NewStoredAccess> = {}): NewStoredAccess => ({
  id, tokenHash: `hash-${id}`, tokenSealed: `sealed-${id}`, type: 'app', name: `name-${id}`, deviceName: null,
  permissions: [{ streamId: '*', level: 'read' }], expires: null, lastUsed: null, calls: {}, clientData: null,
  created: 1.5, createdBy: 'a', modified: 1.5, modifiedBy: 'a', deleted: null, ...extra,
});

beforeAll(async () => {
  const db = await createTestDatabase(services.pg, services.pgAdmin);
  drop = db.drop;
  engine = new PostgresEngine(db.settings, createLogger({ level: 'silent', role: 'test' }), { poolSize: 2 });
  await engine.migrate();
  users = new PgUsersStore(engine.pool);
  accesses = new PgAccessesStore(engine.pool);
  for (const id of ['u1', 'u2']) await users.create(userRow(id));
  await accesses.create('u1', access('c1'));
  await accesses.create('u1', access('c2', { deleted: 7.25, expires: 9, lastUsed: 3.5, calls: { 'events.get': 2 }, clientData: { a: [1, { b: null }] }, deviceName: 'phone' }));
});
afterAll(async () => {
  await engine?.close();
  await drop?.();
});

describe('PgUsersStore.getCaller', () => {
  it('the user, its streams version and the access of the first hash found, as the accesses store reads it', async () => {
    const found = await users.getCaller('nameu1', ['hash-none', 'hash-c2', 'hash-c1']);
    expect(found?.user).toEqual(userRow('u1'));
    expect(found?.streamsVersion).toBe((await users.getWithStreamsVersion('nameu1'))?.streamsVersion);
    expect(found?.access).toEqual(await accesses.getById('u1', 'c2'));
    expect((await users.getCaller('nameu1', ['hash-c1', 'hash-c2']))?.access).toEqual(await accesses.getById('u1', 'c1'));
  });

  it('no access for an unknown hash or another user\'s token; null for an unknown user', async () => {
    expect((await users.getCaller('nameu1', ['hash-none']))?.access).toBeNull();
    expect((await users.getCaller('nameu2', ['hash-c1']))?.access).toBeNull();
    expect((await users.getCaller('nameu2', ['hash-c1']))?.user.id).toBe('u2');
    expect(await users.getCaller('nobody', ['hash-c1'])).toBeNull();
  });
});
