import pg from 'pg';
import type { StoredRecords } from '../fixtures.js';
import type { PgSettings } from '../../helpers/pg-database.js';

/** StoredRecords on the PostgreSQL engine's tables (src/storage/engines/postgresql/migrations). */
export function pgRecords(s: PgSettings): StoredRecords {
  const run = async <R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> => {
    const c = new pg.Client({ host: s.host, port: s.port, user: s.user, password: s.password, database: s.database });
    await c.connect();
    try {
      return (await c.query<R>(sql, params)).rows;
    } finally {
      await c.end();
    }
  };
  return {
    pendingDeliveries: (userId, webhookId) =>
      run<{ messages: string[]; sending: string[] | null }>('SELECT messages, sending FROM webhook_deliveries WHERE user_id = $1 AND webhook_id = $2', [userId, webhookId]),
    async editEventContent(userId, eventId, content) {
      await run(`UPDATE events SET doc = jsonb_set(doc::jsonb, '{content}', to_jsonb($3::text))::text WHERE user_id = $1 AND id = $2`, [userId, eventId, content]);
    },
    async editAccessPermissions(userId, accessId, permissions) {
      await run('UPDATE accesses SET permissions = $3::jsonb WHERE user_id = $1 AND id = $2', [userId, accessId, JSON.stringify(permissions)]);
    },
    async stretchSeriesChunk(userId, tMin, by) {
      await run('UPDATE series_chunks SET t_max = t_max + $3 WHERE user_id = $1 AND t_min = $2', [userId, tMin, by]);
    },
    async holdEvent(userId, eventId) {
      const c = new pg.Client({ host: s.host, port: s.port, user: s.user, password: s.password, database: s.database });
      await c.connect();
      await c.query('BEGIN');
      // NO KEY UPDATE lets the series points' foreign key check through, as a concurrent user transaction would.
      await c.query('SELECT 1 FROM events WHERE user_id = $1 AND id = $2 FOR NO KEY UPDATE', [userId, eventId]);
      const waiting = async (): Promise<number> =>
        (await run<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", []))[0]?.n ?? 0;
      return {
        async writersWaiting(n) {
          for (let i = 0; i < 500 && (await waiting()) < n; i++) await new Promise((r) => setTimeout(r, 10));
          if ((await waiting()) !== n) throw new Error(`expected ${n} writers waiting on event ${eventId}, found ${await waiting()}`);
        },
        async release() {
          try {
            await c.query('COMMIT');
          } finally {
            await c.end();
          }
        },
      };
    },
  };
}
