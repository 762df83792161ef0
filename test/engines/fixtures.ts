import { availableEngines } from '../../src/storage/engine-registry.js';
import type { EngineName } from '../../src/storage/interfaces/engine-module.js';

/** What the engine-parameterized suites need from the run's server of an engine. */
export type ServerInfo = Record<string, string>;

/**
 * One engine's test fixture (test/engines/<name>/fixture.ts). A server that cannot be started or
 * reached throws, which fails the run: an engine of the build is never skipped.
 */
export interface EngineTestFixture {
  name: EngineName;
  /**
   * Global setup, once per integration run (test/helpers/global-setup.ts): starts the engine's test
   * server and says how to reach it. Absent when test/helpers/test-services.ts already runs it
   * (PostgreSQL: every integration test uses it).
   */
  startServer?(varDir: string): Promise<{ info: ServerInfo; stop: () => Promise<void> }>;
  /** A fresh, empty database: the `HOMECORE_*` variables pointing a configuration at it, and its drop. */
  freshDatabase(server: ServerInfo | undefined): Promise<FreshDatabase>;
}

export interface FreshDatabase {
  env: Record<string, string>;
  drop: () => Promise<void>;
  /**
   * Every record the database holds, as text (rows or documents, one a line): for the tests that
   * check a secret is stored nowhere in clear, whatever the engine's layout.
   */
  storedText: () => Promise<string>;
  /** Reads and edits of stored records that no store offers (test/engines/<name>/records.ts). */
  records: StoredRecords;
}

/**
 * What a few tests do to the stored records behind the stores' back, in each engine's own layout:
 * edits an operator (or an attacker) with database access could make, for bin/integrity-check, and
 * the webhook delivery queue, which the stores only claim and release.
 */
export interface StoredRecords {
  /** The pending delivery of a webhook: none, or one with its waiting and in-flight messages. */
  pendingDeliveries(userId: string, webhookId: string): Promise<{ messages: string[]; sending: string[] | null }[]>;
  /** Sets `content` in an event's stored JSON, its integrity left as it was. */
  editEventContent(userId: string, eventId: string, content: string): Promise<void>;
  /** Sets an access's stored permissions, its integrity left as it was. */
  editAccessPermissions(userId: string, accessId: string, permissions: unknown[]): Promise<void>;
  /** Moves the end of the series chunk of an event that starts at `tMin` by `by` (overlapping the next). */
  stretchSeriesChunk(userId: string, tMin: number, by: number): Promise<void>;
  /**
   * Holds the write lock of an event as a concurrent writer would (PostgreSQL: its row, FOR NO KEY
   * UPDATE in an open transaction; MongoDB: its lock document), until `release`. `writersWaiting(n)`
   * resolves once n writers wait on it (PostgreSQL counts them; FerretDB shows no waiters, so there
   * it lets a settle time pass per writer).
   */
  holdEvent(userId: string, eventId: string): Promise<{ writersWaiting(n: number): Promise<void>; release(): Promise<void> }>;
}

/**
 * One line per engine (docs/architecture.md#storage-engines-the-registry). An engine of the registry
 * without its line here fails the run.
 */
const FIXTURES: Partial<Record<EngineName, () => Promise<{ fixture: EngineTestFixture }>>> = {
  postgresql: () => import('./postgresql/fixture.js'),
  mongodb: () => import('./mongodb/fixture.js'),
};

/** The fixtures of every engine present in this build (src/storage/engine-registry.ts). */
export async function engineFixtures(): Promise<EngineTestFixture[]> {
  const names = await availableEngines();
  const missing = names.filter((n) => FIXTURES[n] === undefined);
  if (missing.length > 0) {
    throw new Error(`engine(s) ${missing.join(', ')} of src/storage/engine-registry.ts without a line in FIXTURES of test/engines/fixtures.ts`);
  }
  const fixtures: EngineTestFixture[] = [];
  for (const n of names) {
    const load = FIXTURES[n];
    if (load !== undefined) fixtures.push((await load()).fixture);
  }
  return fixtures;
}

/** Global setup: the servers of the engines that start their own; stops them all on failure. */
export async function startEngineServers(varDir: string): Promise<{ info: Partial<Record<EngineName, ServerInfo>>; stop: () => Promise<void> }> {
  const info: Partial<Record<EngineName, ServerInfo>> = {};
  const stops: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    for (const f of await engineFixtures()) {
      if (f.startServer === undefined) continue;
      const server = await f.startServer(varDir);
      stops.push(server.stop);
      info[f.name] = server.info;
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { info, stop };
}
