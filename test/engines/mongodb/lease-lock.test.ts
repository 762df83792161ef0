import { type Db, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { C } from '../../../src/storage/engines/mongodb/context.js';
import { withLock } from '../../../src/storage/engines/mongodb/lease-lock.js';
import { fixture } from './fixture.js';

/**
 * The lease lock on real FerretDB (src/storage/engines/mongodb/lease-lock.ts): one holder at a
 * time, also when many contenders find the lock of a holder that died. FerretDB's conditional
 * updates are no compare-and-set, so a takeover built on one let two contenders in at once.
 */

let client: MongoClient;
let db: Db;
const drops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const fresh = await fixture.freshDatabase(inject('engineServers').mongodb);
  drops.push(fresh.drop);
  client = new MongoClient(String(fresh.env['HOMECORE_STORAGES__MONGODB__URL']));
  await client.connect();
  db = client.db(String(fresh.env['HOMECORE_STORAGES__MONGODB__DATABASE']));
});
afterAll(async () => {
  await client?.close();
  for (const drop of drops) await drop();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
type LockDoc = { _id: string; owner: string; until: number; takeoverOf?: string };
const locks = () => db.collection<LockDoc>(C.locks);

/** `n` contenders at once; returns the most that were inside together and how many got in. */
async function contend(name: string, n: number): Promise<{ most: number; entered: number }> {
  let inside = 0;
  let most = 0;
  let entered = 0;
  await Promise.all(
    Array.from({ length: n }, () =>
      withLock(db, name, 5_000, async () => {
        inside += 1;
        entered += 1;
        most = Math.max(most, inside);
        await sleep(20);
        inside -= 1;
      }),
    ),
  );
  return { most, entered };
}

describe('lease lock', () => {
  it('lets one contender in at a time when many find the stale lock of a dead holder', async () => {
    for (let round = 0; round < 5; round += 1) {
      const name = `stale ${round}`;
      await locks().insertOne({ _id: name, owner: `dead ${round}`, until: Date.now() - 1 });
      expect(await contend(name, 8)).toEqual({ most: 1, entered: 8 });
      expect(await locks().countDocuments({ _id: name })).toBe(0);
    }
  });

  it('lets one contender in at a time on a free lock, and releases it', async () => {
    expect(await contend('free', 8)).toEqual({ most: 1, entered: 8 });
    expect(await locks().countDocuments({ _id: 'free' })).toBe(0);
  });

  it('waits for a live holder', async () => {
    await locks().insertOne({ _id: 'live', owner: 'someone', until: Date.now() + 60_000 });
    let got = false;
    const waiting = withLock(db, 'live', 5_000, async () => {
      got = true;
    });
    await sleep(300);
    expect(got).toBe(false);
    await locks().deleteOne({ _id: 'live' });
    await waiting;
    expect(got).toBe(true);
  });

  it('is not blocked by the expired marker of a contender that died in the middle of a takeover', async () => {
    const past = Date.now() - 1;
    await locks().insertMany([
      { _id: 'orphan', owner: 'dead', until: past },
      { _id: 'orphan takeover dead', owner: 'died too', until: past, takeoverOf: 'orphan' },
    ]);
    let got = false;
    await withLock(db, 'orphan', 5_000, async () => {
      got = true;
    }, 3_000);
    expect(got).toBe(true);
  });
});
