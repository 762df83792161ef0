import type { FastifyInstance } from 'fastify';
import type { Collection, Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../../src/logging/logger.js';
import { buildServices } from '../../../src/worker/services.js';
import { loadSecrets } from '../../../src/secrets/core-secrets.js';
import { buildApiApp } from '../../../src/http/api-app.js';
import { Readiness } from '../../../src/health/readiness.js';
import type { UserDataEngine } from '../../../src/storage/interfaces/engine-module.js';
import { MongoEngine } from '../../../src/storage/engines/mongodb/engine.js';
import { createMongoStores } from '../../../src/storage/engines/mongodb/stores.js';
import { C } from '../../../src/storage/engines/mongodb/context.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../../helpers/api-app.js';
import { fixture } from './fixture.js';

/**
 * streams.delete on FerretDB (no multi-document transactions, docs/mongodb.md#guarantees): the core
 * dies after its k-th write, for every k, and the same call made again afterwards must leave what a
 * call that never died leaves. "Dying" = every database call of that worker fails from the k-th
 * write on, its compensating undo included (a crashed process undoes nothing); its leases are then
 * taken as expired, as another worker would after `DOC_LEASE_MS`.
 */

const WRITES = new Set(['insertOne', 'insertMany', 'updateOne', 'updateMany', 'replaceOne', 'deleteOne', 'deleteMany', 'findOneAndUpdate', 'findOneAndDelete', 'findOneAndReplace']);

/**
 * Writes not counted (nor failed) while alive: lock documents, and `accesses`, which streams.delete
 * never writes but the access cache's usage flush does, on a 2 s timer: counted, it made the number
 * of writes depend on how long the call took (a slow machine added one to the reference run).
 */
const UNCOUNTED = new Set<string>([C.locks, C.accesses]);

class Crash extends Error {
  constructor() {
    super('simulated crash (connection lost)');
    // A network-level failure, as the engine sees a dead database connection.
    this.name = 'MongoNetworkError';
  }
}

/** A Db whose collections fail every call once `budget` writes (lock documents aside) were made. */
function dyingDb(db: Db, budget: number): { db: Db; writes: () => number } {
  let writes = 0;
  let dead = false;
  const wrap = (col: Collection): Collection =>
    new Proxy(col, {
      get(target, key) {
        const value: unknown = Reflect.get(target, key, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]): unknown => {
          if (dead) throw new Crash();
          if (typeof key === 'string' && WRITES.has(key) && !UNCOUNTED.has(target.collectionName)) {
            writes += 1;
            if (writes >= budget) {
              dead = true;
              throw new Crash();
            }
          }
          return Reflect.apply(value, target, args);
        };
      },
    });
  const proxy = new Proxy(db, {
    get(target, key) {
      if (key === 'collection') return (name: string) => wrap(target.collection(name));
      return Reflect.get(target, key, target);
    },
  });
  return { db: proxy, writes: () => writes };
}

let t: ApiTestApp;
let drop: () => Promise<void>;
let engine: MongoEngine;

beforeAll(async () => {
  const db = await fixture.freshDatabase(inject('engineServers').mongodb);
  drop = db.drop;
  t = await createApiTestApp(db.env);
  if (!(t.engine instanceof MongoEngine)) throw new Error('expected the mongodb engine');
  engine = t.engine;
});
afterAll(async () => {
  await t?.close();
  await drop?.();
});

/** The API of a worker whose database connection dies after `budget` writes. */
async function dyingApp(budget: number): Promise<{ app: FastifyInstance; writes: () => number }> {
  const dying = dyingDb(engine.db, budget);
  const crashing: UserDataEngine = Object.assign(Object.create(engine) as UserDataEngine, {
    stores: (policy?: Parameters<UserDataEngine['stores']>[0]) =>
      createMongoStores({ db: dying.db }, { client: engine.client, transactions: async () => false, ...(policy === undefined ? {} : { eventsPolicy: policy }) }),
  });
  const logger = createLogger({ level: 'silent', role: 'test' });
  const services = buildServices({ config: t.config, logger, secrets: loadSecrets(t.config, { create: false }), engine: crashing, rqlite: t.rqlite });
  const app = await buildApiApp(services, new Readiness({ coreState: () => ({ draining: false, failedRoles: [] }), dependencies: {}, cacheMs: 0 }));
  await app.ready();
  return { app, writes: dying.writes };
}

async function call(app: FastifyInstance, u: TestUser, method: 'GET' | 'POST' | 'DELETE', path: string, payload?: object) {
  const res = await app.inject({ method, url: `/${u.username}${path}`, headers: { authorization: u.token }, ...(payload === undefined ? {} : { payload }) });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

/**
 * A trashed subtree root ─ a ─ a1, root ─ b, and events: in the subtree only (deleted), in the
 * subtree and elsewhere (kept, on the streams outside), elsewhere only (untouched).
 */
async function seed(u: TestUser): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const s of [{ id: 'root' }, { id: 'a', parentId: 'root' }, { id: 'a1', parentId: 'a' }, { id: 'b', parentId: 'root' }, { id: 'keep' }]) {
    expect((await call(t.app, u, 'POST', '/streams', { name: s.id, ...s })).status).toBe(201);
  }
  const events: [string, string[]][] = [['only-a1', ['a1']], ['only-b', ['b']], ['a-and-keep', ['a', 'keep']], ['root-and-keep', ['root', 'keep']], ['keep-only', ['keep']]];
  for (const [id, streamIds] of events) {
    const created = await call(t.app, u, 'POST', '/events', { streamIds, type: 'note/txt', content: id });
    expect(created.status).toBe(201);
    names.set((created.body['event'] as { id: string }).id, id);
  }
  expect((await call(t.app, u, 'DELETE', '/streams/root')).status).toBe(200);
  return names;
}

/** What the user's data looks like: live streams, events (id → streams), deleted ids. */
async function state(u: TestUser, names: Map<string, string>): Promise<unknown> {
  const name = (id: string): string => names.get(id) ?? id;
  const streams = (await call(t.app, u, 'GET', '/streams?state=all')).body['streams'] as { id: string; children: unknown[] }[];
  const events = (await call(t.app, u, 'GET', '/events?state=all&limit=100&includeDeletions=true&modifiedSince=0')).body;
  const live = (events['events'] as { id: string; streamIds: string[] }[]).map((e) => [name(e.id), e.streamIds]).sort();
  const gone = ((events['eventDeletions'] ?? []) as { id: string }[]).map((d) => name(d.id)).sort();
  return { streams: streams.filter((s) => !s.id.startsWith(':')).map((s) => s.id).sort(), live, gone };
}

describe('streams.delete on the mongodb engine, killed after each of its writes', () => {
  it('called again, finishes as if it had never died', async () => {
    const reference = await t.createUser();
    const refNames = await seed(reference);
    const probe = await dyingApp(Number.POSITIVE_INFINITY);
    expect((await call(probe.app, reference, 'DELETE', '/streams/root?mergeEventsWithParent=false')).status).toBe(200);
    const expected = await state(reference, refNames);
    const total = probe.writes();
    await probe.app.close();
    expect(expected).toEqual({ streams: ['keep'], live: [['a-and-keep', ['keep']], ['keep-only', ['keep']], ['root-and-keep', ['keep']]], gone: ['only-a1', 'only-b'] });
    expect(total).toBeGreaterThan(4);

    for (let k = 1; k <= total; k += 1) {
      const u = await t.createUser();
      const names = await seed(u);
      const dying = await dyingApp(k);
      const died = await call(dying.app, u, 'DELETE', '/streams/root?mergeEventsWithParent=false');
      await dying.app.close();
      expect(died.status, `crash at write ${k}`).toBeGreaterThanOrEqual(500);
      // Its leases have run out (another worker would wait DOC_LEASE_MS for them).
      await engine.db.collection(C.locks).deleteMany({});
      const again = await call(t.app, u, 'DELETE', '/streams/root?mergeEventsWithParent=false');
      // Died after its last write: the subtree is already gone.
      expect([200, 404], `retry after a crash at write ${k}`).toContain(again.status);
      expect(await state(u, names), `state after a crash at write ${k}`).toEqual(expected);
    }
  }, 900_000);
});
