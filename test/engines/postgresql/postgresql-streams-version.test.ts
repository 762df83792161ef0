import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Stream } from '../../../src/domain/types.js';
import { createLogger } from '../../../src/logging/logger.js';
import { PostgresEngine } from '../../../src/storage/engines/postgresql/engine.js';
import { PgEventsStore } from '../../../src/storage/engines/postgresql/events-store.js';
import { PgStreamsStore } from '../../../src/storage/engines/postgresql/streams-store.js';
import { PgUsersStore } from '../../../src/storage/engines/postgresql/users-store.js';
import { createTestDatabase } from '../../helpers/pg-database.js';

/**
 * Migration 19 (issue #10): `users.streams_version`, which the per-worker stream-tree cache trusts,
 * changes with every change to a user's streams, whatever statement makes it, and with nothing else.
 */
const services = inject('services');
let engine: PostgresEngine;
let drop: () => Promise<void>;
let users: PgUsersStore;
let streams: PgStreamsStore;

const stream = (id: string, parentId: string | null = null): Stream => ({ id, name: id, parentId, clientData: null, trashed: false, created: 1, createdBy: 'a', modified: 1, modifiedBy: 'a' });
const userRow = (id: string) => ({ id, username: `name${id}`, email: `${id}@example.test`, language: 'en', passwordHash: 'x', created: 1, modified: 1 });

async function version(id: string): Promise<number> {
  const found = await users.getWithStreamsVersion(`name${id}`);
  if (found === null) throw new Error(`no user ${id}`);
  expect(found.user.id).toBe(id);
  return found.streamsVersion;
}

beforeAll(async () => {
  const db = await createTestDatabase(services.pg, services.pgAdmin);
  drop = db.drop;
  engine = new PostgresEngine(db.settings, createLogger({ level: 'silent', role: 'test' }), { poolSize: 3 });
  await engine.migrate();
  users = new PgUsersStore(engine.pool);
  streams = new PgStreamsStore(engine.pool);
  for (const id of ['u1', 'u2']) await users.create(userRow(id));
});
afterAll(async () => {
  await engine?.close();
  await drop?.();
});

describe('users.streams_version', () => {
  it('changes with each create, update and delete of the user’s streams, and only theirs', async () => {
    const seen = [await version('u1')];
    const other = await version('u2');
    await streams.create('u1', stream('a'));
    seen.push(await version('u1'));
    await streams.create('u1', stream('b', 'a'));
    seen.push(await version('u1'));
    await streams.update('u1', 'b', { name: 'renamed', modified: 2, modifiedBy: 'a' });
    seen.push(await version('u1'));
    await streams.update('u1', 'b', { parentId: null, modified: 3, modifiedBy: 'a' });
    seen.push(await version('u1'));
    await streams.delete('u1', ['a', 'b'], 4);
    seen.push(await version('u1'));
    expect(new Set(seen).size).toBe(seen.length);
    expect(await version('u2')).toBe(other);
  });

  it('does not change with event writes or user updates (the cached tree stays valid)', async () => {
    await streams.create('u2', stream('s'));
    const before = await version('u2');
    await new PgEventsStore(engine.pool).create('u2', {
      id: 'e1', streamIds: ['s'], type: 'note/txt', time: 1, duration: undefined, content: 'x', description: undefined, clientData: undefined,
      attachments: undefined, trashed: false, created: 1, createdBy: 'a', modified: 1, modifiedBy: 'a',
    });
    await users.update('u2', { language: 'fr' });
    expect(await version('u2')).toBe(before);
  });

  it('a user deleted and created again with the same id never gets a former version back', async () => {
    await users.create(userRow('u3'));
    await streams.create('u3', stream('x'));
    const former = await version('u3');
    await users.deleteCascade('u3');
    await users.create(userRow('u3'));
    await streams.create('u3', stream('x'));
    expect(await version('u3')).toBeGreaterThan(former);
  });

  it('a stream write waiting on another transaction of the user takes its row version after that one commits', async () => {
    // Migration 23 (streams-delta-migration.ts): without the lock on the user's row, B's row
    // version is taken before A's last statement and commit, below the user's version A leaves, and
    // a worker caching A's version would never ask for B's change.
    await users.create(userRow('u4'));
    await streams.create('u4', stream('a'));
    await streams.create('u4', stream('b'));
    const a = await engine.pool.connect();
    try {
      await a.query('BEGIN');
      await a.query(`UPDATE streams SET name = 'a1' WHERE user_id = 'u4' AND id = 'a'`);
      let bDone = false;
      const b = streams.update('u4', 'b', { name: 'b1', modified: 2, modifiedBy: 'b' }).then(() => {
        bDone = true;
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(bDone).toBe(false);
      await a.query(`UPDATE streams SET name = 'a2' WHERE user_id = 'u4' AND id = 'a'`);
      const { rows } = await a.query<{ v: string }>(`SELECT streams_version AS v FROM users WHERE id = 'u4'`);
      const versionA = Number(rows[0]?.v);
      await a.query('COMMIT');
      await b;
      const since = await streams.changedSince('u4', versionA);
      expect(since?.changed.map((x) => [x.id, x.name])).toEqual([['b', 'b1']]);
    } finally {
      a.release();
    }
  });

  it('the stream count follows creates, deletes and a user’s removal', async () => {
    await users.create(userRow('u5'));
    const count = async (): Promise<number | undefined> => (await streams.changedSince('u5', 0))?.count;
    expect(await count()).toBe(0);
    for (const id of ['x', 'y', 'z']) await streams.create('u5', stream(id, id === 'x' ? null : 'x'));
    expect(await count()).toBe(3);
    await streams.update('u5', 'z', { parentId: null, modified: 2, modifiedBy: 'a' });
    expect(await count()).toBe(3);
    await streams.delete('u5', ['x', 'y'], 3);
    expect(await count()).toBe(1);
    await users.deleteCascade('u5');
    expect(await streams.changedSince('u5', 0)).toBeNull();
  });
});
