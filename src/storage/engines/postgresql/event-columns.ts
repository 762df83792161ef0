import type { Event } from '../../../domain/types.js';

/**
 * The columns of `events` derived from the event (migration 20, event-columns-migration.ts), as
 * the writers supply them: what `event_stream_keys(user_id, stream_ids)`, `doc::jsonb -> 'content'`
 * and `doc::jsonb -> 'clientData'` would give, without PostgreSQL parsing the whole doc. JSON text
 * for the jsonb ones; null (SQL NULL) for a field the doc lacks, `'null'` (jsonb null) for a null one.
 */
export interface EventColumns {
  streamKeys: string[];
  content: string | null;
  clientData: string | null;
}

/** A jsonb column's text: null (SQL NULL) for a field the doc lacks. */
export const jsonb = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

export function streamKeys(userId: string, streamIds: readonly string[]): string[] {
  return streamIds.map((s) => `${userId} ${s}`);
}

export function eventColumns(userId: string, e: Event): EventColumns {
  return { streamKeys: streamKeys(userId, e.streamIds), content: jsonb(e.content), clientData: jsonb(e.clientData) };
}
