import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createLogger } from '../../src/logging/logger.js';
import { buildServices } from '../../src/worker/services.js';
import type { Services } from '../../src/api/context.js';
import { buildApiApp } from '../../src/http/api-app.js';
import { Readiness } from '../../src/health/readiness.js';
import { loadSecrets } from '../../src/secrets/core-secrets.js';
import { createEngine } from '../../src/storage/engine-registry.js';
import type { UserDataEngine } from '../../src/storage/interfaces/engine-module.js';
import { RqliteClient } from '../../src/platform/rqlite-client.js';
import { migratePlatform } from '../../src/platform/migrate.js';
import { CoresRepository } from '../../src/platform/cores.js';
import { registerUser } from '../../src/api/users/register-user.js';
import { hashPassword, newId, newToken } from '../../src/auth/crypto.js';
import type { Access, Permission, User } from '../../src/domain/types.js';
import { createTestDatabase, pgEnv, pgStoredText, rawPool } from './pg-database.js';
import { engineFixtures, type FreshDatabase, type StoredRecords } from '../engines/fixtures.js';
import { pgRecords } from '../engines/postgresql/records.js';

/**
 * The engine API test apps run on: `TEST_STORAGE_ENGINE` (default postgresql; not a `HOMECORE_*`
 * variable, which the cores the tests start would read as configuration), so the API suites
 * can be run against any engine of the build, e.g. `TEST_STORAGE_ENGINE=mongodb bin/test test/integration/api-events.test.ts`.
 */
const TEST_ENGINE = process.env['TEST_STORAGE_ENGINE'] ?? 'postgresql';

/** A fresh database of the test engine: the env pointing a configuration at it, its raw pool (PostgreSQL), its drop. */
async function testDatabase(): Promise<FreshDatabase & { pool: () => pg.Pool | null }> {
  if (TEST_ENGINE === 'postgresql') {
    const svc = inject('services');
    const db = await createTestDatabase(svc.pg, svc.pgAdmin);
    return { env: pgEnv(db.settings), pool: () => rawPool(db.settings), drop: db.drop, storedText: () => pgStoredText(db.settings), records: pgRecords(db.settings) };
  }
  const fixture = (await engineFixtures()).find((f) => f.name === TEST_ENGINE);
  if (fixture === undefined) throw new Error(`TEST_STORAGE_ENGINE=${TEST_ENGINE}: no such engine in this build`);
  const db = await fixture.freshDatabase(inject('engineServers')[fixture.name]);
  return { ...db, pool: () => null };
}

export interface TestUser {
  user: User;
  username: string;
  password: string;
  /** A personal (session) token. */
  token: string;
}

export interface ApiTestApp {
  app: FastifyInstance;
  services: Services;
  config: Readonly<Config>;
  /** The engine and platform client behind `services` (to build a second "worker" on them). */
  engine: UserDataEngine;
  /**
   * A separate raw pool on the test database, for tests that look at the rows the stores wrote
   * (PostgreSQL only: with another engine, reading it throws).
   */
  pool: import('pg').Pool;
  /**
   * Every record of the test database as text, whatever the engine (rows or documents): for the
   * tests that check a secret is stored nowhere in clear.
   */
  storedText(): Promise<string>;
  /** Stored records read or edited behind the stores, in the engine's own layout (test/engines/fixtures.ts). */
  records: StoredRecords;
  rqlite: RqliteClient;
  /** Registers a user through the real registration path; username random unless given. */
  createUser(options?: { username?: string; password?: string; email?: string }): Promise<TestUser>;
  /** Writes an app or shared access directly (for permission tests); returns it with its token. */
  createAccess(u: TestUser, a: { type: 'app' | 'shared' | 'personal'; name?: string; permissions: Permission[]; expires?: number | null; createdBy?: string }): Promise<Access>;
  close(): Promise<void>;
}

const hashes = new Map<string, Promise<string>>();
function hashOnce(password: string): Promise<string> {
  const known = hashes.get(password) ?? hashPassword(password);
  hashes.set(password, known);
  return known;
}

/** A random username valid for the API (5–60 lowercase chars). */
export function randomUsername(prefix = 'u'): string {
  return `${prefix}${randomBytes(6).toString('hex')}`;
}

/**
 * The API worker's app on a fresh PostgreSQL database and the shared test rqlited (real services from
 * the integration globalSetup), driven with `app.inject()`. Each call gets its own database.
 */
/**
 * Multi mode over the suite's shared plain rqlited (`platformDb.rqlited.external`: it is supervised
 * by test/helpers/test-services.ts, not by this app), so no cluster TLS files are needed.
 */
export const MULTI_TEST_ENV = {
  HOMECORE_PLATFORM__MODE: 'multi',
  HOMECORE_PLATFORM_DB__RQLITED__EXTERNAL: 'true',
  HOMECORE_CORE__URL: 'http://127.0.0.1:3000/',
  HOMECORE_CORE__IP: '127.0.0.1',
} as const;

/**
 * A hosting per test file (vitest loads this module once per file): cores other files left in the
 * shared platform DB (stopped core processes) would otherwise be picked by placement as the least
 * loaded, and the apps of one file share their core row ('test-core') and so must share its hosting.
 */
const FILE_HOSTING = `h-${randomBytes(4).toString('hex')}`;

export async function createApiTestApp(env: Record<string, string> = {}): Promise<ApiTestApp> {
  const svc = inject('services');
  const db = await testDatabase();
  const varDir = mkdtempSync(join(tmpdir(), 'homecore-api-'));
  const config = loadConfig({
    env: {
      HOMECORE_PATHS__VAR_DIR: varDir,
      HOMECORE_CORE__ID: 'test-core',
      HOMECORE_REGISTRATION__HOSTING: FILE_HOSTING,
      ...db.env,
      HOMECORE_PLATFORM_DB__RQLITED__HTTP_PORT: new URL(svc.rqliteUrl).port,
      HOMECORE_AUTH__ADMIN_ACCESS_KEY: 'test-admin-key-0123456789',
      HOMECORE_AUTH__TOKEN_SECRET: 'test-token-secret-0123456789-0123456789',
      HOMECORE_LOGGING__LEVEL: 'silent',
      // Every inject() comes from 127.0.0.1: per-address limits would add up across a file's tests.
      // test/integration/attempt-limits.test.ts sets its own.
      ...Object.fromEntries(
        ['LOGIN', 'PASSWORD_RESET', 'REGISTRATION', 'ACCESS_REQUEST'].map((l) => [`HOMECORE_ATTEMPT_LIMITS__${l}_PER_ADDRESS__FREE`, '100000']),
      ),
      ...env,
    },
  });
  const logger = createLogger({ level: 'silent', role: 'test' });
  const engine = await createEngine(config, logger);
  await engine.migrate();
  const pool = db.pool();
  const rqlite = new RqliteClient({ url: svc.rqliteUrl, requestTimeoutMs: 5000, retryBudgetMs: 2000, logger });
  await migratePlatform(rqlite, { owner: `test-${process.pid}-${randomBytes(3).toString('hex')}`, logger });
  await new CoresRepository(rqlite).upsert({ id: config.core.id, url: config.platform.publicUrl, hosting: config.registration.hosting, available: true });
  const services = buildServices({
    config,
    logger,
    // {varDir}/secrets/keys.json, derived from the test tokenSecret as at a core's first start.
    secrets: loadSecrets(config, { create: true }),
    engine,
    rqlite,
  });
  const readiness = new Readiness({ coreState: () => ({ draining: false, failedRoles: [] }), dependencies: {}, cacheMs: 0 });
  const app = await buildApiApp(services, readiness);
  await app.ready();

  return {
    app,
    services,
    config,
    engine,
    get pool(): import('pg').Pool {
      if (pool === null) throw new Error(`this test reads PostgreSQL rows; TEST_STORAGE_ENGINE is ${TEST_ENGINE}`);
      return pool;
    },
    storedText: db.storedText,
    records: db.records,
    rqlite,
    async createUser(options = {}) {
      const username = options.username ?? randomUsername();
      const password = options.password ?? 'a-good-password';
      // One scrypt (≈ 1 s at OWASP cost) per distinct password, not per user.
      const passwordHash = await hashOnce(password);
      const { user, apiEndpoint } = await registerUser(
        services,
        {
          username,
          password,
          passwordHash,
          email: options.email ?? `${username}@example.test`,
          appId: 'test-app-id',
          hosting: null,
          language: 'en',
          invitationToken: null,
          referer: null,
          accountFields: {},
        },
        { openSession: true },
      );
      const token = decodeURIComponent(new URL(apiEndpoint ?? '').username);
      return { user, username, password, token };
    },
    async createAccess(u, a) {
      const now = Date.now() / 1000;
      const token = newToken();
      const access: Access = {
        id: newId(),
        token,
        type: a.type,
        name: a.name ?? `access-${randomBytes(4).toString('hex')}`,
        deviceName: null,
        permissions: a.permissions,
        expires: a.expires ?? null,
        lastUsed: null,
        calls: {},
        clientData: null,
        created: now,
        createdBy: a.createdBy ?? 'test',
        modified: now,
        modifiedBy: 'test',
        deleted: null,
      };
      const { token: _t, ...rest } = access;
      void _t;
      await services.stores.accesses.create(u.user.id, {
        ...rest,
        tokenHash: services.vault.lookupHash(token),
        tokenSealed: services.vault.encrypt(token),
      });
      return access;
    },
    async close() {
      await app.close();
      await services.close();
      await rqlite.close();
      await pool?.end();
      await engine.close();
      await db.drop();
      rmSync(varDir, { recursive: true, force: true });
    },
  };
}
