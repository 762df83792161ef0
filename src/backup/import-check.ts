import { checkEventIntegrity } from '../domain/integrity.js';
import type { Attachment, Event } from '../domain/types.js';
import type { ImportDigest, UserDataRecord } from '../storage/interfaces/user-data-store.js';
import { checkSeriesPiece, type SeriesState } from './series-check.js';
import { EVENT_LINE } from './user-lines.js';

/**
 * What bin/restore checked of one user's data as it went into the engine (issue #12): the integrity
 * of each event carrying one, the attachments the events name, series pieces in order. With the
 * engine's digest of what it stored (verifyImported), the integrity check that follows the restore
 * needs no second read of every event (integrity.ts).
 */
export interface ImportedUser {
  digest: ImportDigest;
  withIntegrity: number;
  /** Ids of events whose content does not match their `integrity`. */
  mismatches: string[];
  attachments: { eventId: string; attachment: Attachment }[];
  seriesPieces: number;
  seriesProblems: { eventId: string; problem: string }[];
}

const NEWLINE = 0x0a;
/** Only lines naming one of these are parsed (as keys: inside a JSON string the quotes would be escaped). */
const NEEDLES = [Buffer.from('"integrity"'), Buffer.from('"attachments"')];

export class ImportCheck {
  readonly user: ImportedUser = { digest: {}, withIntegrity: 0, mismatches: [], attachments: [], seriesPieces: 0, seriesProblems: [] };
  private readonly series = new Map<string, SeriesState>();

  event(e: Event): void {
    if (e.integrity !== undefined) {
      this.user.withIntegrity += 1;
      if (!checkEventIntegrity(e)) this.user.mismatches.push(e.id);
    }
    for (const attachment of e.attachments ?? []) this.user.attachments.push({ eventId: e.id, attachment });
  }

  /** Complete event lines (user-lines.ts): only those naming an integrity or attachments are parsed. */
  eventLines(run: Buffer): void {
    const seen = new Set<number>();
    for (const needle of NEEDLES) {
      for (let at = run.indexOf(needle); at !== -1; at = run.indexOf(needle, at + 1)) {
        const start = run.lastIndexOf(NEWLINE, at) + 1;
        if (seen.has(start)) continue;
        seen.add(start);
        const end = run.indexOf(NEWLINE, at);
        this.event(JSON.parse(run.toString('utf8', start + EVENT_LINE.length, end - 1)) as Event);
      }
    }
  }

  record(r: UserDataRecord): void {
    if (r.kind === 'event') this.event(r.event);
    if (r.kind !== 'series') return;
    this.user.seriesPieces += 1;
    const problem = checkSeriesPiece(this.series, r);
    if (problem !== null) this.user.seriesProblems.push({ eventId: r.eventId, problem });
  }
}
