import type pg from 'pg';

/**
 * Deferred index builds for a whole-core restore (issue #12, UserDataStore.beginBulkImport). Keeping
 * the events indexes up to date row by row cost more than half of a restore's database time (six
 * B-tree and three GIN secondary indexes, some partial; docs/benchmarks.md#backup-and-restore); building them once from the
 * loaded table costs a fraction of it. The definitions of the dropped indexes are kept in `core_info`
 * in the transaction that drops them, so a restore killed half way leaves a note that the next bulk
 * import, `bin/migrate` or a master start (engine.migrate) acts on: nothing is lost but speed.
 *
 * The foreign keys of those tables go the same way: checked row by row they cost PostgreSQL about
 * as much as the COPY itself (a lookup and a row lock in the referenced table per row); added back
 * NOT VALID, then validated in one pass (one join), they end as the same validated constraints.
 */
const KEY = 'bulk_import_deferred_indexes';
const FK_KEY = 'bulk_import_deferred_foreign_keys';
/** event_streams (migration 22) left to be filled from the loaded events in one pass. */
const EVENT_STREAMS_KEY = 'bulk_import_deferred_event_streams';

/** Tables whose secondary indexes a bulk import defers: the big ones. Primary keys and unique indexes stay (they refuse duplicates). */
const TABLES = ['events', 'event_versions', 'series_chunks'];

interface DeferredIndex {
  name: string;
  def: string;
}

/** A foreign key as pg_get_constraintdef gives it (`FOREIGN KEY (…) REFERENCES …`), on `table` (regclass text). */
interface DeferredForeignKey extends DeferredIndex {
  table: string;
}

/**
 * Drops the secondary indexes of TABLES when they hold no row (a core with no data yet); answers
 * false, changing nothing, when one does or when the tables stay busy for 10 s.
 */
export async function deferIndexes(client: pg.PoolClient): Promise<boolean> {
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL lock_timeout = '10s'`);
    // Locked before the emptiness check: no row can arrive between the check and the drops.
    await client.query(`LOCK TABLE ${TABLES.join(', ')} IN ACCESS EXCLUSIVE MODE`);
    const { rows: used } = await client.query<{ used: boolean }>(`SELECT ${TABLES.map((t) => `EXISTS (SELECT 1 FROM ${t})`).join(' OR ')} AS used`);
    if (used[0]?.used !== false) {
      await client.query('ROLLBACK');
      return false;
    }
    const { rows } = await client.query<DeferredIndex>(
      `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS def
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = ANY ($1::regclass[]) AND NOT x.indisprimary AND NOT x.indisunique
        ORDER BY i.relname`,
      [TABLES]);
    if (rows.length > 0) {
      await noteDeferred(client, KEY, rows);
      for (const r of rows) await client.query(`DROP INDEX ${quoteIdent(r.name)}`);
    }
    const { rows: fks } = await client.query<DeferredForeignKey>(
      `SELECT c.conrelid::regclass::text AS table, c.conname AS name, pg_get_constraintdef(c.oid) AS def
         FROM pg_constraint c WHERE c.conrelid = ANY ($1::regclass[]) AND c.contype = 'f' ORDER BY 1, 2`,
      [TABLES]);
    if (fks.length > 0) {
      await noteDeferred(client, FK_KEY, fks);
      for (const f of fks) await client.query(`ALTER TABLE ${f.table} DROP CONSTRAINT ${quoteIdent(f.name)}`);
    }
    // Kept row by row by its insert trigger, event_streams cost a restore half again PostgreSQL's
    // CPU (a B-tree entry per event and stream, in no order): off, and filled in one pass at the end.
    await client.query('ALTER TABLE events DISABLE TRIGGER events_streams_insert');
    await client.query('TRUNCATE event_streams');
    await client.query('ALTER TABLE event_streams DROP CONSTRAINT event_streams_pkey');
    await noteDeferred(client, EVENT_STREAMS_KEY, [true]);
    await client.query('COMMIT');
    return true;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    if ((err as { code?: string }).code === '55P03') return false; // lock_not_available: busy, import row by row
    throw err;
  }
}

/**
 * Builds every index and adds back every foreign key a bulk import deferred (none: one query), then
 * forgets the notes; answers how many. With more than one connection the index builds are shared
 * among them, as `pg_restore --jobs` does (CREATE INDEX takes a SHARE lock: builds on one table run
 * side by side): one build used one core while the other idled.
 */
export async function rebuildDeferredIndexes(client: pg.PoolClient, ...more: pg.PoolClient[]): Promise<number> {
  const clients = [client, ...more];
  // Maintenance, not a runaway query: the pool's statement_timeout (30 s by default) would stop the
  // build of one index of a core of a few million events.
  for (const c of clients) await c.query('SET statement_timeout = 0');
  try {
    // With a third connection, event_streams is filled on it beside the index builds (it reads the
    // events table, they do too: both take locks that let the other run).
    const filler = clients.length > 2 ? (clients[clients.length - 1] as pg.PoolClient) : null;
    const builders = filler === null ? clients : clients.slice(0, -1);
    const [built, filled] = await Promise.allSettled([rebuildIndexes(builders), filler === null ? Promise.resolve(0) : fillEventStreams(filler)]);
    if (built.status === 'rejected') throw built.reason;
    if (filled.status === 'rejected') throw filled.reason;
    return built.value + filled.value + (await restoreForeignKeys(client)) + (filler === null ? await fillEventStreams(client) : 0);
  } finally {
    for (const c of clients) await c.query('RESET statement_timeout').catch(() => undefined);
  }
}

/**
 * Each foreign key added NOT VALID (no scan, brief lock), then validated in one pass: a row pointing
 * nowhere fails here, loudly, and the note stays for the next try. Safe to run again after a kill.
 * After the index builds: ADD CONSTRAINT and VALIDATE take locks that conflict with CREATE INDEX's.
 */
async function restoreForeignKeys(client: pg.PoolClient): Promise<number> {
  const { rows } = await client.query<{ value: DeferredForeignKey[] }>('SELECT value FROM core_info WHERE key = $1', [FK_KEY]);
  if (rows.length === 0) return 0;
  const seen = new Set<string>();
  for (const f of rows[0]?.value ?? []) {
    if (seen.has(`${f.table}.${f.name}`)) continue;
    seen.add(`${f.table}.${f.name}`);
    // `table` is regclass text (quoted and qualified as needed); a def of a NOT VALID key ends so already.
    const table = f.table;
    const def = f.def.replace(/ NOT VALID$/, '');
    const { rows: present } = await client.query('SELECT 1 FROM pg_constraint WHERE conrelid = $1::regclass AND conname = $2', [f.table, f.name]);
    if (present.length === 0) await client.query(`ALTER TABLE ${table} ADD CONSTRAINT ${quoteIdent(f.name)} ${def} NOT VALID`);
    await client.query(`ALTER TABLE ${table} VALIDATE CONSTRAINT ${quoteIdent(f.name)}`);
  }
  await client.query('DELETE FROM core_info WHERE key = $1', [FK_KEY]);
  return seen.size;
}

/**
 * event_streams from the events as they stand, its primary key built on the filled table, and its
 * insert trigger back on, in one transaction: a run killed in between leaves the note, and the next
 * one starts again. Writers of events wait meanwhile (none writes while the trigger is off).
 */
async function fillEventStreams(client: pg.PoolClient): Promise<number> {
  const { rows } = await client.query('SELECT 1 FROM core_info WHERE key = $1', [EVENT_STREAMS_KEY]);
  if (rows.length === 0) return 0;
  await client.query('BEGIN');
  try {
    // No writer until the trigger is back on (SHARE lets the index builds run); the trigger's
    // change takes the stronger lock at the end, once the build under way has ended.
    await client.query('LOCK TABLE events IN SHARE MODE');
    await client.query(`TRUNCATE event_streams; SET LOCAL maintenance_work_mem = '256MB'`);
    // One row per stream of each event, a stream named twice once (the trigger's ON CONFLICT).
    await client.query(
      `INSERT INTO event_streams (user_id, stream_id, time, id, trashed)
         SELECT e.user_id, u.s, e.time, e.id, e.trashed FROM events e CROSS JOIN LATERAL unnest(e.stream_ids) WITH ORDINALITY AS u(s, k)
          WHERE u.s <> ALL (e.stream_ids[1:k - 1])`);
    await client.query('ALTER TABLE event_streams DROP CONSTRAINT IF EXISTS event_streams_pkey');
    await client.query('ALTER TABLE event_streams ADD CONSTRAINT event_streams_pkey PRIMARY KEY (user_id, stream_id, time, id) INCLUDE (trashed)');
    await client.query('ALTER TABLE events ENABLE TRIGGER events_streams_insert');
    await client.query('DELETE FROM core_info WHERE key = $1', [EVENT_STREAMS_KEY]);
    await client.query('COMMIT');
    return 1;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function rebuildIndexes(clients: pg.PoolClient[]): Promise<number> {
  const first = clients[0] as pg.PoolClient;
  const { rows } = await first.query<{ value: DeferredIndex[] }>('SELECT value FROM core_info WHERE key = $1', [KEY]);
  if (rows.length === 0) return 0;
  const byName = new Map((rows[0]?.value ?? []).map((d) => [d.name, d]));
  // Full indexes first, the partial ones (a scan, few rows) last: the connections end about together.
  const queue = [...byName.values()].sort((a, b) => Number(a.def.includes(' WHERE ')) - Number(b.def.includes(' WHERE ')));
  const build = async (client: pg.PoolClient): Promise<void> => {
    // Sorting in memory is what makes a bulk build cheap; this session only. Side by side, each
    // build runs alone in its session: parallel workers would only add their overhead (~15 % more
    // CPU for the same index, measured) on cores the other connections already keep busy.
    await client.query(`SET maintenance_work_mem = '256MB'`);
    if (clients.length > 1) await client.query('SET max_parallel_maintenance_workers = 0');
    // IF NOT EXISTS: a run killed after some builds starts again safely.
    for (let d = queue.shift(); d !== undefined; d = queue.shift()) await client.query(d.def.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX IF NOT EXISTS '));
    await client.query('RESET maintenance_work_mem; RESET max_parallel_maintenance_workers');
  };
  // Every connection done (none left mid-query) before the first failure is reported.
  const failed = (await Promise.allSettled(clients.map(build))).find((r) => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  await first.query('DELETE FROM core_info WHERE key = $1', [KEY]);
  return byName.size;
}

const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** Records what was dropped under `key` in core_info (appended), so a killed restore's next migrate puts it back. */
async function noteDeferred(client: pg.PoolClient, key: string, dropped: unknown[]): Promise<void> {
  await client.query(
    `INSERT INTO core_info (key, value) VALUES ($1, $2::jsonb)
       ON CONFLICT (key) DO UPDATE SET value = core_info.value || EXCLUDED.value, updated_at = now()`,
    [key, JSON.stringify(dropped)]);
}
