import { Type } from '@sinclair/typebox';

/**
 * Per-core settings of how events and accesses are kept (Pryv API reference: `versioning`,
 * `updates`, `integrity`; docs/config.md). In a file of their own so schema.ts stays small.
 */
const strict = { additionalProperties: false } as const;

export const VersioningSchema = Type.Object(
  {
    // Keep the previous version of an event on every update and on deletion (events.getOne includeHistory).
    forceKeepHistory: Type.Boolean(),
    // What a deleted event and its past versions keep (docs/api.md#event-history).
    deletionMode: Type.Union([Type.Literal('keep-nothing'), Type.Literal('keep-authors'), Type.Literal('keep-everything')]),
  },
  strict,
);

export const UpdatesSchema = Type.Object(
  {
    // events.update: drop read-only fields (warning in meta) instead of answering 403.
    ignoreProtectedFields: Type.Boolean(),
  },
  strict,
);

export const IntegritySchema = Type.Object(
  {
    events: Type.Boolean(),
    accesses: Type.Boolean(),
    algorithm: Type.Union([Type.Literal('sha256'), Type.Literal('sha384'), Type.Literal('sha512')]),
  },
  strict,
);
