import type { Readable } from 'node:stream';
import type { RqliteClient } from './rqlite-client.js';
import type { Statement } from './response.js';

/** A user's rows of the platform DB: home core and platform-wide unique fields (issue #12 backups). */
export interface UserMapping {
  username: string;
  coreId: string;
  createdAt: number;
  fields: Record<string, string>;
}

const IN_CHUNK = 200;

/** The mappings of `usernames` (confirmed registrations only), read at linearizable level. */
export async function readMappings(rqlite: RqliteClient, usernames: string[]): Promise<UserMapping[]> {
  const out: UserMapping[] = [];
  for (let i = 0; i < usernames.length; i += IN_CHUNK) {
    const names = usernames.slice(i, i + IN_CHUNK);
    const marks = names.map(() => '?').join(',');
    const [users, fields] = await rqlite.query([
      [`SELECT username, core_id, created_at FROM users WHERE pending = 0 AND username IN (${marks})`, ...names],
      [`SELECT field, value, username FROM unique_fields WHERE username IN (${marks})`, ...names],
    ], 'linearizable');
    const byUser = new Map<string, Record<string, string>>();
    for (const f of fields?.rows ?? []) {
      const name = String(f.username);
      byUser.set(name, { ...(byUser.get(name) ?? {}), [String(f.field)]: String(f.value) });
    }
    for (const u of users?.rows ?? []) {
      const username = String(u.username);
      out.push({ username, coreId: String(u.core_id), createdAt: Number(u.created_at), fields: byUser.get(username) ?? {} });
    }
  }
  return out;
}

/** Mappings of `coreId` (every user the platform sends to this core). */
export async function mappedTo(rqlite: RqliteClient, coreId: string): Promise<string[]> {
  const rows = await rqlite.queryRows('SELECT username FROM users WHERE core_id = ? AND pending = 0', [coreId], 'linearizable');
  return rows.map((r) => String(r.username));
}

/**
 * Points `m.username` at `coreId` (restore: the user now lives here) with its unique fields, in one
 * transaction. Refused (false, nothing written) when a unique value belongs to another username.
 */
export async function restoreMapping(rqlite: RqliteClient, coreId: string, m: UserMapping): Promise<boolean> {
  return (await restoreMappings(rqlite, coreId, [m])).length === 0;
}

/**
 * restoreMapping for several users: one linearizable read and one transaction (one Raft commit) for
 * them all, so a restore pays two rqlite round trips per batch of users instead of per user.
 * Returns the usernames refused, for which nothing is written:
 * a unique value belongs to another username, or to a user earlier in `ms`.
 */
export async function restoreMappings(rqlite: RqliteClient, coreId: string, ms: readonly UserMapping[]): Promise<string[]> {
  const claims = ms.flatMap((m) => Object.entries(m.fields).map(([field, value]) => ({ username: m.username, field, value })));
  const owners = claims.length === 0 ? [] : await rqlite.query(claims.map((c) =>
    ['SELECT username FROM unique_fields WHERE field = ? AND value = ? AND username <> ?', c.field, c.value, c.username]), 'linearizable');
  const refused = new Set(claims.filter((_c, i) => (owners[i]?.rows.length ?? 0) > 0).map((c) => c.username));
  const claimedBy = new Map<string, string>();
  for (const c of claims) {
    const key = `${c.field}\0${c.value}`;
    const earlier = claimedBy.get(key);
    if (earlier !== undefined && earlier !== c.username) refused.add(c.username);
    else if (!refused.has(c.username)) claimedBy.set(key, c.username);
  }
  const accepted = ms.filter((m) => !refused.has(m.username));
  if (accepted.length > 0) {
    await rqlite.execute([
      ...accepted.flatMap((m): Statement[] => [
        [`INSERT INTO users (username, core_id, created_at, pending) VALUES (?, ?, ?, 0)
          ON CONFLICT (username) DO UPDATE SET core_id = excluded.core_id, pending = 0, reg_id = NULL`, m.username, coreId, m.createdAt],
        ...Object.entries(m.fields).map(([field, value]): Statement =>
          ['INSERT INTO unique_fields (field, value, username) VALUES (?, ?, ?) ON CONFLICT (field, value) DO NOTHING', field, value, m.username]),
      ]),
      ['UPDATE cores SET user_count = (SELECT count(*) FROM users WHERE core_id = cores.id)'],
      ['UPDATE cache_epochs SET epoch = epoch + 1 WHERE scope = ?', 'users'],
    ], { transaction: true, idempotent: true });
  }
  return ms.filter((m) => refused.has(m.username)).map((m) => m.username);
}

/** The whole platform DB as a SQLite file, from rqlite's own backup endpoint (`GET /db/backup`). */
export function platformBackup(rqlite: RqliteClient, timeoutMs: number): Promise<Readable> {
  return rqlite.download('/db/backup', timeoutMs);
}
