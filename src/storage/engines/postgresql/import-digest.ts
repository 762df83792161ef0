import { hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type pg from 'pg';
import type { DigestedKind, ImportDigest } from '../../interfaces/user-data-store.js';

/**
 * The digest of what an import stored (issue #12, bin/restore's integrity check): per bulk kind, the
 * row count, the sum of the rows' byte lengths and the sum modulo 2³² of a checksum of each row's
 * stored text (as UTF-8), so the order rows are written or read in does not matter. PostgreSQL
 * computes the same from the stored rows (verifyPgImport): a row altered, cut, lost or added on the
 * way shows. The checksum is CRC-32 where the server has `crc32()` (PostgreSQL 18+: a tenth of the
 * CPU of MD5 on our side), else the first 32 bits of MD5: against accidental change, as the
 * manifest's SHA-256 of every file guards the backup itself.
 */
export type DigestAlgorithm = 'crc32' | 'md5';

export class DigestSums {
  private readonly sums = new Map<DigestedKind, { rows: number; bytes: number; sum: number }>();
  private readonly checksum: (data: string | Buffer) => number;

  constructor(readonly algorithm: DigestAlgorithm) {
    this.checksum = algorithm === 'crc32' ? crc32 : (data) => hash('md5', data, 'buffer').readUInt32BE(0);
  }

  add(kind: DigestedKind, text: string | Buffer): void {
    let s = this.sums.get(kind);
    if (s === undefined) {
      s = { rows: 0, bytes: 0, sum: 0 };
      this.sums.set(kind, s);
    }
    s.rows += 1;
    s.bytes += typeof text === 'string' ? Buffer.byteLength(text) : text.length;
    s.sum = (s.sum + this.checksum(text)) % 0x1_0000_0000;
  }

  result(): ImportDigest {
    const out: ImportDigest = {};
    for (const [kind, s] of this.sums) out[kind] = { rows: s.rows, digest: digestText(this.algorithm, s.bytes, s.sum) };
    return out;
  }
}

const digestText = (algorithm: DigestAlgorithm, bytes: number, sum: number): string => `${algorithm}:${bytes}:${sum.toString(16).padStart(8, '0')}`;

/** crc32() exists from PostgreSQL 18 on (an external server may be older). */
export async function digestAlgorithm(client: pg.PoolClient): Promise<DigestAlgorithm> {
  const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  return Number(rows[0]?.v ?? 0) >= 180000 ? 'crc32' : 'md5';
}

/** The stored text each kind's digest covers. */
const STORED: Readonly<Record<DigestedKind, { table: string; text: string }>> = {
  'event': { table: 'events', text: 'doc' },
  'event-version': { table: 'event_versions', text: 'doc' },
  'series': { table: 'series_chunks', text: 'points' },
};

const CHECKSUM_SQL: Readonly<Record<DigestAlgorithm, (text: string) => string>> = {
  crc32: (text) => `crc32(convert_to(${text}, 'UTF8'))`,
  // bit(32)::bigint reads the 8 hex digits unsigned.
  md5: (text) => `('x' || left(md5(${text}), 8))::bit(32)::bigint`,
};

/** The user's stored rows against `digest`, computed by PostgreSQL: the differences, none when equal. */
export async function verifyPgImport(client: pg.PoolClient, userId: string, digest: ImportDigest): Promise<string[]> {
  const problems: string[] = [];
  for (const kind of Object.keys(STORED) as DigestedKind[]) {
    const { table, text } = STORED[kind];
    const want = digest[kind];
    const algorithm: DigestAlgorithm = want?.digest.startsWith('md5:') === true ? 'md5' : 'crc32';
    // sum() of bigint is numeric: no overflow.
    const { rows } = await client.query<{ n: string; bytes: string; sum: string }>(
      `SELECT count(*) AS n, coalesce(sum(octet_length(${text})), 0) AS bytes, coalesce(sum(${CHECKSUM_SQL[algorithm](text)}), 0) % 4294967296 AS sum
         FROM ${table} WHERE user_id = $1`, [userId]);
    const row = rows[0];
    const stored = { rows: Number(row?.n ?? 0), digest: digestText(algorithm, Number(row?.bytes ?? 0), Number(row?.sum ?? 0)) };
    const expected = want ?? { rows: 0, digest: digestText(algorithm, 0, 0) };
    if (stored.rows !== expected.rows) problems.push(`${table}: ${stored.rows} rows stored, ${expected.rows} imported`);
    else if (stored.digest !== expected.digest) problems.push(`${table}: the stored text differs from what was imported (${stored.digest}, imported ${expected.digest})`);
  }
  return problems;
}
