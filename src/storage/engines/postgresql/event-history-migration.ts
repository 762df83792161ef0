import type { PgMigration } from './schema.js';

/**
 * Event history (config `versioning`, docs/api.md#event-history): past versions of an event, one row
 * each, kept under the event's id (`head_id`) and ordered by insertion (`version`). No foreign key to
 * `events`: with deletionMode keep-authors / keep-everything the versions outlive their event. A
 * deletion record may keep part or all of the event (`doc`, NULL = only `{id, deleted}`).
 * In a file of its own so schema.ts stays under 300 lines; 12 is this branch's version number.
 */
export const EVENT_HISTORY_MIGRATION: PgMigration = {
  version: 12,
  name: 'event-history',
  sql: `
    CREATE TABLE event_versions (
      user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      head_id text NOT NULL,
      version bigint GENERATED ALWAYS AS IDENTITY,
      doc text NOT NULL,
      PRIMARY KEY (user_id, head_id, version)
    );
    ALTER TABLE event_deletions ADD COLUMN doc text;
  `,
};
