import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../../src/logging/logger.js';
import type { PgSettings } from '../../../src/storage/engines/postgresql/database-password.js';
import { ChangeFeed } from '../../../src/storage/engines/postgresql/change-feed.js';
import { PostgresEngine } from '../../../src/storage/engines/postgresql/engine.js';
import { sleep } from '../../../src/util/backoff.js';
import { createTestDatabase } from '../../helpers/pg-database.js';
import { TcpProxy } from '../../helpers/tcp-proxy.js';

/**
 * Cross-clone change delivery (issue #13): two feeds on one real PostgreSQL database, as two clones'
 * masters. Clone B reaches the database through a TCP relay that the tests cut (what a database
 * restart looks like from B: connections reset, new ones refused) and restore. The polling backstop
 * is off (1 h): whatever B gets comes from NOTIFY or from the catch-up read after reconnecting.
 */
const services = inject('services');
const logger = createLogger({ level: 'silent', role: 'test' });
let settings: PgSettings;
let drop: () => Promise<void>;
let proxy: TcpProxy;
let a: ChangeFeed;
let b: ChangeFeed;
const gotA: unknown[] = [];
const gotB: unknown[] = [];

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
const msg = (n: number) => ({ username: `user${n}`, change: 'eventsChanged' });

async function asAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ ...services.pgAdmin, connectionTimeoutMillis: 2000 });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

beforeAll(async () => {
  const db = await createTestDatabase(services.pg, services.pgAdmin);
  settings = db.settings;
  drop = db.drop;
  const engine = new PostgresEngine(settings, logger, { poolSize: 1 });
  await engine.migrate();
  await engine.close();
  proxy = await new TcpProxy({ host: settings.host, port: settings.port }).start();
  a = new ChangeFeed(settings, logger, { origin: 'a', onRemote: (m) => gotA.push(m), pollMs: 3_600_000 });
  b = new ChangeFeed({ ...settings, host: '127.0.0.1', port: proxy.port }, logger, { origin: 'b', onRemote: (m) => gotB.push(m), pollMs: 3_600_000 });
  await Promise.all([a.start(), b.start()]);
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await proxy?.close();
  await drop?.();
});

describe('clone change feed (PostgreSQL LISTEN/NOTIFY)', () => {
  it('a change appended by one clone reaches the other, never its own sender', async () => {
    a.append(msg(1));
    await until('B to get user1', () => gotB.length === 1);
    expect(gotB).toEqual([msg(1)]);
    b.append(msg(2));
    await until('A to get user2', () => gotA.length === 1);
    expect(gotA).toEqual([msg(2)]);
    await sleep(200);
    expect(gotB).toEqual([msg(1)]);
  });

  it('B loses its database: it reconnects, catches up on what it missed, in order, and listens again', async () => {
    gotB.length = 0;
    const connects = b.connects;
    await proxy.cut();
    for (let i = 10; i < 15; i++) a.append(msg(i));
    await until('A to have written its changes', () => a.pending === 0);
    // Written while B could not listen; B still retries against a refused port.
    await sleep(500);
    expect(gotB).toEqual([]);
    await proxy.restore();
    await until('B to catch up', () => gotB.length === 5);
    expect(gotB).toEqual([10, 11, 12, 13, 14].map(msg));
    expect(b.connects).toBeGreaterThan(connects);
    // LISTENing again: a new change arrives by NOTIFY (the poll is an hour away).
    a.append(msg(20));
    await until('B to get user20', () => gotB.length === 6);
    expect(gotB[5]).toEqual(msg(20));
  });

  it('the server ends the listening session (as a restart or an administrator does): B listens again and catches up', async () => {
    gotB.length = 0;
    const connects = b.connects;
    // 57P01 "terminating connection due to administrator command", what a fast shutdown sends.
    const { rowCount } = await asAdmin((c) =>
      c.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name IN ('homecore-listen', 'homecore-changes') AND pid <> pg_backend_pid()`,
        [settings.database],
      ),
    );
    expect(rowCount).toBeGreaterThanOrEqual(2);
    a.append(msg(40));
    await until('B to get user40', () => gotB.length === 1);
    await until('B to listen again', () => b.connects > connects);
    a.append(msg(41));
    await until('B to get user41', () => gotB.length === 2);
    expect(gotB).toEqual([msg(40), msg(41)]);
  });

  it('a real database restart (fast shutdown, restarted by its supervisor): both reconnect, LISTEN again, miss nothing', async () => {
    gotA.length = 0;
    gotB.length = 0;
    const [connectsA, connectsB] = [a.connects, b.connects];
    // The suite's own PostgreSQL (test/helpers/test-services.ts restarts it when it exits; integration
    // files run one at a time, so nobody else is using it now).
    const postmasterPid = (): Promise<number> =>
      asAdmin(async (c) => {
        const dir = String((await c.query<{ data_directory: string }>('SHOW data_directory')).rows[0]?.data_directory);
        return Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      });
    const postmaster = await postmasterPid();
    process.kill(postmaster, 'SIGINT');
    a.append(msg(50));
    await until('PostgreSQL to be back', async () => (await asAdmin(async () => true).catch(() => false)) === true, 60_000);
    expect(await postmasterPid()).not.toBe(postmaster);
    await until('B to get user50', () => gotB.length === 1, 30_000);
    await until('both to listen again', () => a.connects > connectsA && b.connects > connectsB, 30_000);
    a.append(msg(51));
    b.append(msg(52));
    await until('B to get user51 and A user52', () => gotB.length === 2 && gotA.length === 1, 30_000);
    expect(gotB).toEqual([msg(50), msg(51)]);
    expect(gotA).toEqual([msg(52)]);
  }, 90_000);

  it('changes B announces while its database is away are sent once it is back', async () => {
    gotA.length = 0;
    await proxy.cut();
    b.append(msg(30));
    b.append(msg(31));
    await sleep(300);
    expect(b.pending).toBe(2);
    await proxy.restore();
    await until('A to get both', () => gotA.length === 2);
    expect(gotA).toEqual([msg(30), msg(31)]);
  });
});
