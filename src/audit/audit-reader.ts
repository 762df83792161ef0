import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { dayOfFile, parseAuditLine, utcDay, type AuditLine } from './audit-line.js';

/** Which lines to read: one user's (or everyone's), in a time range, optionally of one access or method. */
export interface AuditFilter {
  /** Username; absent = every user (operators' CLI only). */
  user?: string;
  /** User id (the API: a username may be taken again after a deletion). */
  userId?: string;
  /** Unix seconds, inclusive. */
  from: number;
  /** Unix seconds, inclusive. */
  to: number;
  /** Base access ids; absent = any. */
  accessIds?: string[];
  /** Method ids; absent = any. */
  methods?: string[];
  /** Any further test (the API's stream selectors). */
  predicate?: (l: AuditLine) => boolean;
  /** Newest first (events.get's default order). */
  descending?: boolean;
}

/** The audit files of each UTC day in [fromDay, toDay], days in the order asked. */
async function filesByDay(dir: string, fromDay: string, toDay: string, descending: boolean): Promise<[string, string[]][]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const byDay = new Map<string, string[]>();
  for (const name of names) {
    const day = dayOfFile(name);
    if (day === null || day < fromDay || day > toDay) continue;
    byDay.set(day, [...(byDay.get(day) ?? []), join(dir, name)]);
  }
  const days = [...byDay.keys()].sort();
  if (descending) days.reverse();
  return days.map((d) => [d, byDay.get(d) ?? []]);
}

function matches(l: AuditLine, f: AuditFilter): boolean {
  if (f.user !== undefined && l.user !== f.user) return false;
  if (f.userId !== undefined && l.userId !== f.userId) return false;
  if (l.time < f.from || l.time > f.to) return false;
  if (f.accessIds !== undefined && (l.accessId === null || !f.accessIds.includes(l.accessId))) return false;
  if (f.methods !== undefined && !f.methods.includes(l.method)) return false;
  return f.predicate === undefined || f.predicate(l);
}

/**
 * The lines that match, in time order, read day by day: a day's files (one per machine) are read
 * whole, filtered, then sorted, so memory holds one day's matching lines at most. Torn lines (a
 * crash or a full disk mid-write) are skipped.
 */
export async function* readAuditLines(dir: string, f: AuditFilter): AsyncGenerator<AuditLine> {
  if (f.to < f.from) return;
  const fromDay = utcDay(Math.max(0, f.from) * 1000);
  const toDay = utcDay(Math.min(f.to, 253_402_300_799) * 1000);
  const descending = f.descending === true;
  for (const [, files] of await filesByDay(dir, fromDay, toDay, descending)) {
    const day: AuditLine[] = [];
    for (const file of files) {
      const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
      for await (const text of rl) {
        const l = parseAuditLine(text);
        if (l !== null && matches(l, f)) day.push(l);
      }
    }
    day.sort((a, b) => (descending ? b.time - a.time : a.time - b.time));
    yield* day;
  }
}
