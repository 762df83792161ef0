import pg from 'pg';
import { sleep } from '../../../util/backoff.js';
import type { FailoverOptions } from '../../interfaces/engine-module.js';

/**
 * bin/failover: the manual, active/passive PostgreSQL failover (docs/operations.md#postgresql-failover)
 * in three steps. 1 fence: the former primary must not be writable any more (stopped, or a standby).
 * 2 promote: `pg_promote()` on the replica. 3 point and verify: nothing to repoint in homecore (its
 * pool finds the new primary among storages.postgresql.hosts), so check the new primary is writable
 * and that every core given answers /ready 200. Superuser credentials come from PGUSER/PGPASSWORD.
 */

type Out = (line: string) => void;

function client(address: string): pg.Client {
  const i = address.lastIndexOf(':');
  const c = new pg.Client({ host: address.slice(0, i), port: Number(address.slice(i + 1)), database: process.env['PGDATABASE'] ?? 'postgres', connectionTimeoutMillis: 3000 });
  c.on('error', () => undefined);
  return c;
}

async function ask<T extends pg.QueryResultRow>(address: string, sql: string): Promise<T | null> {
  const c = client(address);
  try {
    await c.connect();
    const { rows } = await c.query<T>(sql);
    return rows[0] ?? null;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function readyStatus(url: string): Promise<number> {
  try {
    return (await fetch(new URL('ready', url), { signal: AbortSignal.timeout(2000) })).status;
  } catch {
    return 0;
  }
}

/** Exit code: 0 done, 1 refused or failed (nothing changed when refused at step 1). */
export async function runFailover(o: FailoverOptions, print: Out): Promise<number> {
  const started = Date.now();
  const out: Out = (line) => print(`${line} [${((Date.now() - started) / 1000).toFixed(1)} s]`);
  if (o.hosts !== null && !o.hosts.includes(o.promote)) {
    out(`refused: ${o.promote} is not in storages.postgresql.hosts (${o.hosts.join(', ')}): homecore would never use it`);
    return 1;
  }
  if (o.formerPrimary !== null) {
    const former = await ask<{ ro: string }>(o.formerPrimary, `SELECT current_setting('transaction_read_only') AS ro`).catch(() => null);
    if (former !== null && former.ro === 'off') {
      out(`refused: the former primary ${o.formerPrimary} still accepts writes. Stop it first (pg_ctl -D … stop -m fast), or both would take writes`);
      return 1;
    }
    out(`1 fence: ${o.formerPrimary} ${former === null ? 'is down' : 'is read-only'}`);
  } else {
    out('1 fence: no --former-primary given; make sure the old primary is stopped and stays stopped');
  }
  const state = await ask<{ standby: boolean; receive: string | null; replay: string | null }>(
    o.promote,
    'SELECT pg_is_in_recovery() AS standby, pg_last_wal_receive_lsn()::text AS receive, pg_last_wal_replay_lsn()::text AS replay',
  );
  if (state === null) {
    out(`failed: ${o.promote} answered nothing`);
    return 1;
  }
  if (state.standby) {
    out(`2 promote: ${o.promote} (received WAL ${state.receive ?? '?'}, replayed ${state.replay ?? '?'})`);
    const done = await ask<{ ok: boolean }>(o.promote, 'SELECT pg_promote(true, 60) AS ok');
    if (done?.ok !== true) {
      out(`failed: pg_promote on ${o.promote} did not finish within 60 s`);
      return 1;
    }
  } else {
    out(`2 promote: ${o.promote} is already a primary`);
  }
  const now = await ask<{ ro: string }>(o.promote, `SELECT current_setting('transaction_read_only') AS ro`);
  if (now?.ro !== 'off') {
    out(`failed: ${o.promote} is still read-only after promotion`);
    return 1;
  }
  out(`3 verify: ${o.promote} is writable; homecore cores switch to it by themselves (storages.postgresql.hosts)`);
  const deadline = Date.now() + o.readyTimeoutMs;
  for (const url of o.readyUrls) {
    let status = await readyStatus(url);
    while (status !== 200 && Date.now() < deadline) {
      await sleep(250);
      status = await readyStatus(url);
    }
    out(`  ${url} /ready ${status === 0 ? 'no answer' : status}`);
    if (status !== 200) return 1;
  }
  return 0;
}
