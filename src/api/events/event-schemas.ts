import { Type } from '@sinclair/typebox';
import { ClientDataSchema } from '../shared-schemas.js';

/** Server-minted cuid2 shape, or the legacy `c` + 24 form SDK clients send (Pryv API §1.5). */
export const EventIdSchema = Type.String({ pattern: '^([a-z][a-z0-9]{23}|c[a-z0-9-]{24})$' });
export const EventTypeSchema = Type.String({ pattern: '^(series:)?[a-z0-9-]+/[a-z0-9-]+$' });
/** events.get `types` also accepts `class/*`. */
export const EventTypeFilterSchema = Type.String({ pattern: '^(series:)?[a-z0-9-]+/([a-z0-9-]+|\\*)$' });
export const StreamIdsSchema = Type.Array(Type.String({ minLength: 1 }), { minItems: 1 });
/** Absent or 0 = point event, > 0 = period, null = running (§2.1). */
export const DurationSchema = Type.Union([Type.Number({ minimum: 0 }), Type.Null()]);

/** The event fields a client may write (create, update). */
export const WritableEventFields = {
  streamIds: StreamIdsSchema,
  type: EventTypeSchema,
  time: Type.Number(),
  duration: DurationSchema,
  content: Type.Unknown(),
  description: Type.Union([Type.String(), Type.Null()]),
  clientData: ClientDataSchema,
  trashed: Type.Boolean(),
};

/** Read-only fields: sending them in an update is 403 forbidden rather than an unknown field (§3.2). */
export const PROTECTED_EVENT_FIELDS = ['id', 'attachments', 'integrity', 'created', 'createdBy', 'modified', 'modifiedBy'] as const;
