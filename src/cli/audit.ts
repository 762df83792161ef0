import { auditDirOf } from '../audit/audit-dir.js';
import { readAuditLines, type AuditFilter } from '../audit/audit-reader.js';
import type { Config } from '../config/index.js';

export const AUDIT_USAGE = `Usage: bin/audit [--user NAME] [--from TIME] [--to TIME] [--access ID] [--method ID] [--dir DIR] [--config FILE]

Prints the audit trail's lines (one JSON object per line, oldest first) that match every filter
given. TIME is an ISO date or date-time (2026-12-01, 2026-12-01T10:00:00Z) or Unix seconds;
--from defaults to 24 hours before --to, --to to now. Reads audit.dir (docs/operations.md#reading-the-audit-trail).

Options:
  --user NAME      one user's calls
  --from TIME      from this time (inclusive)
  --to TIME        up to this time (inclusive; a date alone means its whole day)
  --access ID      calls made with this access (base id)
  --method ID      calls of this method id (events.get, streams.create, series.add…)
  --dir DIR        read this directory instead of audit.dir
  -c, --config FILE  override file, merged over config/default.yml
  -h, --help       this text`;

export interface AuditCliOptions {
  user?: string;
  from?: string;
  to?: string;
  access?: string;
  method?: string;
  dir?: string;
}

/** Unix seconds of a CLI time; `end`: a bare date means the end of that day. Throws on nonsense. */
export function parseCliTime(text: string, end: boolean): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const ms = Date.parse(dateOnly ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(ms)) throw new Error(`not a time: "${text}" (ISO date or date-time, or Unix seconds)`);
  return ms / 1000 + (dateOnly && end ? 86_400 - 0.001 : 0);
}

/** Writes the matching lines to `out`; resolves with how many there were. */
export async function runAuditCli(config: Readonly<Config>, o: AuditCliOptions, out: (line: string) => void): Promise<number> {
  const to = o.to === undefined ? Date.now() / 1000 : parseCliTime(o.to, true);
  const from = o.from === undefined ? to - 86_400 : parseCliTime(o.from, false);
  const filter: AuditFilter = { from, to };
  if (o.user !== undefined) filter.user = o.user;
  if (o.access !== undefined) filter.accessIds = [o.access];
  if (o.method !== undefined) filter.methods = [o.method];
  let n = 0;
  for await (const line of readAuditLines(o.dir ?? auditDirOf(config), filter)) {
    out(JSON.stringify(line));
    n += 1;
  }
  return n;
}
