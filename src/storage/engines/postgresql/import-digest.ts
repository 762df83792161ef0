import { hash } from 'node:crypto';
import type pg from 'pg';
import type { DigestedKind, ImportDigest } from '../../interfaces/user-data-store.js';

/**
 * The digest of what an import stored (issue #12, bin/restore's integrity check): per bulk kind,
 * the row count and two sums modulo 2³² of the halves of each row's MD5 (of the stored text, as
 * UTF-8), so the order rows are written or read in does not matter. PostgreSQL computes the same
 * from the stored rows (verifyPgImport): a row altered, lost or added on the way shows. MD5 as a
 * checksum against accidental change, as the file SHA-256s of the manifest guard the backup itself.
 */
export class DigestSums {
  private readonly sums = new Map<DigestedKind, { rows: number; hi: number; lo: number }>();

  add(kind: DigestedKind, text: string | Buffer): void {
    const h = hash('md5', text, 'buffer');
    let s = this.sums.get(kind);
    if (s === undefined) {
      s = { rows: 0, hi: 0, lo: 0 };
      this.sums.set(kind, s);
    }
    s.rows += 1;
    s.hi = (s.hi + h.readUInt32BE(0)) % 0x1_0000_0000;
    s.lo = (s.lo + h.readUInt32BE(4)) % 0x1_0000_0000;
  }

  result(): ImportDigest {
    const out: ImportDigest = {};
    for (const [kind, s] of this.sums) out[kind] = { rows: s.rows, digest: digestText(s.hi, s.lo) };
    return out;
  }
}

const digestText = (hi: number, lo: number): string => `${hi.toString(16).padStart(8, '0')}${lo.toString(16).padStart(8, '0')}`;

/** The stored text each kind's digest covers. */
const STORED: Readonly<Record<DigestedKind, { table: string; text: string }>> = {
  'event': { table: 'events', text: 'doc' },
  'event-version': { table: 'event_versions', text: 'doc' },
  'series': { table: 'series_chunks', text: 'points' },
};

/** The user's stored rows against `digest`, computed by PostgreSQL: the differences, none when equal. */
export async function verifyPgImport(client: pg.PoolClient, userId: string, digest: ImportDigest): Promise<string[]> {
  const problems: string[] = [];
  for (const kind of Object.keys(STORED) as DigestedKind[]) {
    const { table, text } = STORED[kind];
    // bit(32)::bigint reads the 8 hex digits unsigned; sum() of bigint is numeric: no overflow.
    const { rows } = await client.query<{ n: string; hi: string; lo: string }>(
      `SELECT count(*) AS n,
              coalesce(sum(('x' || substr(h, 1, 8))::bit(32)::bigint), 0) % 4294967296 AS hi,
              coalesce(sum(('x' || substr(h, 9, 8))::bit(32)::bigint), 0) % 4294967296 AS lo
         FROM (SELECT md5(${text}) AS h FROM ${table} WHERE user_id = $1) r`, [userId]);
    const row = rows[0];
    const stored = { rows: Number(row?.n ?? 0), digest: digestText(Number(row?.hi ?? 0), Number(row?.lo ?? 0)) };
    const want = digest[kind] ?? { rows: 0, digest: digestText(0, 0) };
    if (stored.rows !== want.rows) problems.push(`${table}: ${stored.rows} rows stored, ${want.rows} imported`);
    else if (stored.digest !== want.digest) problems.push(`${table}: stored text differs from what was imported (digest ${stored.digest}, imported ${want.digest})`);
  }
  return problems;
}
