import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig, type Config } from '../../../src/config/index.js';
import { createLogger } from '../../../src/logging/logger.js';
import { AvailabilityReporter } from '../../../src/master/availability.js';
import { CoreInstancesRepository } from '../../../src/platform/core-instances.js';
import { CoresRepository } from '../../../src/platform/cores.js';
import { migratePlatform } from '../../../src/platform/migrate.js';
import { RqliteClient } from '../../../src/platform/rqlite-client.js';
import type { CoreState } from '../../../src/notifications/ipc.js';
import { PostgresEngine } from '../../../src/storage/engines/postgresql/engine.js';
import { sleep } from '../../../src/util/backoff.js';
import { createTestDatabase } from '../../helpers/pg-database.js';
import { TcpProxy } from '../../helpers/tcp-proxy.js';

/**
 * Placement availability (issue #13): each master reports its own readiness (core_instances) and
 * `cores.available` follows the core's instances. Real PostgreSQL and the shared test rqlited; the
 * reporters are the masters' own class, driven with a core state the test sets.
 */
const services = inject('services');
const logger = createLogger({ level: 'silent', role: 'test' });
const rq = new RqliteClient({ url: services.rqliteUrl, requestTimeoutMs: 5000, retryBudgetMs: 5000, logger });
const cores = new CoresRepository(rq);
const instances = new CoreInstancesRepository(rq);
const reporters: AvailabilityReporter[] = [];
let pgPort = '';
let database = '';
let password = '';
let drop: () => Promise<void>;

beforeAll(async () => {
  const db = await createTestDatabase(services.pg, services.pgAdmin);
  drop = db.drop;
  [pgPort, database, password] = [String(db.settings.port), db.settings.database, db.settings.password];
  const engine = new PostgresEngine(db.settings, logger, { poolSize: 1 });
  await engine.migrate();
  await engine.close();
  await migratePlatform(rq, { owner: 'core-availability-test', logger });
});
afterAll(async () => {
  for (const r of reporters) await r.close();
  await drop?.();
  await rq.close();
});

const newCoreId = (): string => `avail-${randomBytes(4).toString('hex')}`;
const flag = async (id: string): Promise<boolean | undefined> => (await cores.get(id))?.available;

function configOf(coreId: string, cloneId: string | null, pgPortOverride?: string): Readonly<Config> {
  return loadConfig({
    env: {
      HOMECORE_CORE__ID: coreId,
      ...(cloneId === null ? {} : { HOMECORE_CORE__CLONE_ID: cloneId }),
      HOMECORE_CORE__AVAILABILITY_INTERVAL_MS: '200',
      HOMECORE_STORAGES__POSTGRESQL__EMBEDDED: 'false',
      HOMECORE_STORAGES__POSTGRESQL__PORT: pgPortOverride ?? pgPort,
      HOMECORE_STORAGES__POSTGRESQL__DATABASE: database,
      HOMECORE_STORAGES__POSTGRESQL__PASSWORD: JSON.stringify(password),
      HOMECORE_PLATFORM_DB__RQLITED__HTTP_PORT: new URL(services.rqliteUrl).port,
      HOMECORE_LOGGING__LEVEL: 'silent',
    },
  });
}

async function register(coreId: string): Promise<void> {
  await cores.upsert({ id: coreId, url: `https://${coreId}.example.test/`, hosting: 'avail-hosting', available: false });
}

function reporter(config: Readonly<Config>, state: CoreState): AvailabilityReporter {
  const r = new AvailabilityReporter(config, logger, rq, () => state);
  reporters.push(r);
  return r;
}

async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('core availability from its instances', () => {
  it('a clone that drains leaves its core available while another clone serves; the last one takes it out', async () => {
    const id = newCoreId();
    await register(id);
    const stateA: CoreState = { draining: false, failedRoles: [] };
    const stateB: CoreState = { draining: false, failedRoles: [] };
    const a = reporter(configOf(id, 'a'), stateA);
    const b = reporter(configOf(id, 'b'), stateB);
    await a.tick();
    await b.tick();
    expect(await flag(id)).toBe(true);
    expect((await instances.list(id)).map((i) => [i.instance, i.available])).toEqual([[`${id}.a`, true], [`${id}.b`, true]]);
    // Clone C starting registers the core's row (run-master.ts migrate): A and B still serve.
    await cores.upsert({ id, url: `https://${id}.example.test/`, hosting: 'avail-hosting', available: false, keepAvailable: true });
    expect(await flag(id)).toBe(true);
    await a.markUnavailable();
    expect(await flag(id)).toBe(true);
    await b.markUnavailable();
    expect(await flag(id)).toBe(false);
  });

  it("instances whose rqlited the leader cannot reach are marked unavailable at once, their core's flag recomputed", async () => {
    const id = newCoreId();
    await register(id);
    const fresh = Date.now() + 60_000;
    for (const clone of ['a', 'b']) await instances.report({ coreId: id, instance: `${id}.${clone}`, available: true, reason: '', staleAt: fresh });
    expect(await instances.markUnreachable([`${id}.b`], 'leader-node')).toBe(1);
    expect((await instances.list(id)).map((i) => [i.instance, i.available, i.reason])).toEqual([[`${id}.a`, true, ''], [`${id}.b`, false, 'rqlited unreachable from leader-node']]);
    expect(await flag(id)).toBe(true);
    expect(await instances.markUnreachable([`${id}.b`], 'leader-node')).toBe(0);
    expect(await instances.markUnreachable([`${id}.a`], 'leader-node')).toBe(1);
    expect(await flag(id)).toBe(false);
    // Its own master's next report (its rqlited back) sets it available again.
    await instances.report({ coreId: id, instance: `${id}.a`, available: true, reason: '', staleAt: fresh });
    expect(await flag(id)).toBe(true);
  });

  it('a core whose database is down is marked unavailable, and available again on recovery', async () => {
    const id = newCoreId();
    await register(id);
    // The core reaches its PostgreSQL through a relay the test cuts (a database restart, seen from the core).
    const proxy = await new TcpProxy({ host: services.pg.host, port: Number(pgPort) }).start();
    try {
      const r = reporter(configOf(id, null, String(proxy.port)), { draining: false, failedRoles: [] });
      await r.tick();
      expect(await flag(id)).toBe(true);
      r.start();
      await proxy.cut();
      await until('the core marked unavailable', async () => (await flag(id)) === false);
      expect((await instances.list(id))[0]?.reason).toMatch(/^postgresql: /);
      await proxy.restore();
      await until('the core available again', async () => (await flag(id)) === true);
    } finally {
      await proxy.close();
    }
  });

  it('a core that stops reporting (killed, or its rqlited down: it cannot write) is taken out by another master', async () => {
    const gone = newCoreId();
    const other = newCoreId();
    await Promise.all([register(gone), register(other)]);
    // Its last word: available until a moment from now; then silence.
    const staleAt = Date.now() + 3000;
    await instances.report({ coreId: gone, instance: gone, available: true, reason: '', staleAt });
    expect(await flag(gone)).toBe(true);
    const live = reporter(configOf(other, null), { draining: false, failedRoles: [] });
    await live.tick();
    expect(await flag(gone)).toBe(true);
    await sleep(staleAt + 50 - Date.now());
    await live.tick();
    expect(await flag(gone)).toBe(false);
    expect(await flag(other)).toBe(true);
    // Heard from again (its rqlited back): available at its own next report.
    await instances.report({ coreId: gone, instance: gone, available: true, reason: '', staleAt: Date.now() + 60_000 });
    expect(await flag(gone)).toBe(true);
  });

  it('leaves cores that report no instance alone (pre-registered by new-core, or not upgraded yet)', async () => {
    const legacy = newCoreId();
    const other = newCoreId();
    await Promise.all([register(legacy), register(other)]);
    await cores.setAvailable(legacy, true);
    await reporter(configOf(other, null), { draining: false, failedRoles: [] }).tick();
    expect(await flag(legacy)).toBe(true);
  });
});
