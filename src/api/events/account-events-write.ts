import { type ApiError, errors } from '../../errors/index.js';
import { isSystemStreamId, systemStreamsOf, type AccountField } from '../../domain/system-streams.js';
import type { Event } from '../../domain/types.js';
import { readAccountEvents, writeAccountField } from '../account/account-fields.js';
import { authorOf, type RequestContext } from '../context.js';
import { forbidden } from '../stream-scope.js';
import { caller, shownField } from './account-events.js';
import { PROTECTED_EVENT_FIELDS } from './event-schemas.js';

/**
 * Writes of account events (docs/api.md#system-streams). Each shown account field has exactly one
 * event, its current value: `events.create` in a field's stream sets the value (the event keeps its
 * id, the field's stream id), `events.update` changes it, `events.delete` is refused.
 */

/** The editable field a write targets, with the caller's right to write it checked. */
function writableField(ctx: RequestContext, streamId: string, notFound: () => ApiError): AccountField {
  const { access } = caller(ctx);
  const sys = systemStreamsOf(ctx.services.config);
  if (sys.isContainer(streamId)) {
    throw errors.invalidOperation(`"${streamId}" holds no event of its own: write to one of its fields.`, { data: { streamId } });
  }
  const f = shownField(sys, streamId, notFound);
  if (!sys.canWrite(access, f.id)) throw forbidden(`Writing to the account stream "${f.id}" is forbidden.`, { streamIds: [f.id] });
  if (!f.isEditable) throw errors.invalidOperation('This account field cannot be modified.', { data: { streamId: f.id } });
  return f;
}

function unknownStream(id: string): ApiError {
  return errors.unknownReferencedResource(`Unknown stream(s): ${id}`, { data: { streamIds: [id] } });
}

function notify(ctx: RequestContext): void {
  if (ctx.user !== null) ctx.services.notifier.emit(ctx.user.username, 'eventsChanged');
}

export interface AccountCreateParams {
  streamIds: string[];
  type: string;
  content?: unknown;
  [key: string]: unknown;
}

/** `events.create` naming an account stream; null when it names none. */
export async function createAccountEvent(ctx: RequestContext, p: AccountCreateParams): Promise<{ event: Event } | null> {
  const ids = [...new Set(p.streamIds)];
  if (!ids.some(isSystemStreamId)) return null;
  if (ids.length > 1) {
    throw errors.invalidOperation('An account event belongs to exactly one account stream.', { data: { streamIds: ids } });
  }
  const f = writableField(ctx, ids[0] ?? '', () => unknownStream(ids[0] ?? ''));
  if ((ctx.uploads?.length ?? 0) > 0) throw errors.invalidOperation('Account events carry no attachments.', { data: { streamId: f.id } });
  const { user } = caller(ctx);
  const event = await writeAccountField(ctx.services, user, f, p.content, authorOf(ctx));
  notify(ctx);
  return { event };
}

export interface AccountUpdate {
  streamIds?: string[];
  type?: string;
  content?: unknown;
  [key: string]: unknown;
}

/** `events.update` of an account event: only `content` changes (`type` is the field's). */
export async function updateAccountEvent(ctx: RequestContext, id: string, u: AccountUpdate): Promise<{ event: Event }> {
  const refused = PROTECTED_EVENT_FIELDS.filter((k) => u[k] !== undefined);
  if (refused.length > 0) throw forbidden(`Read-only field(s) cannot be updated: ${refused.join(', ')}`, { fields: refused });
  const f = writableField(ctx, id, () => errors.unknownResource('event', id));
  if (u.streamIds !== undefined && (u.streamIds.length !== 1 || u.streamIds[0] !== f.id)) {
    throw errors.invalidOperation('The stream of an account event cannot change.', { data: { streamIds: u.streamIds } });
  }
  const others = Object.keys(u).filter((k) => u[k] !== undefined && !['streamIds', 'type', 'content'].includes(k));
  if (others.length > 0) throw errors.invalidOperation(`Only the content of an account event can change (not ${others.join(', ')}).`, { data: { fields: others } });
  const { user } = caller(ctx);
  if (u.content === undefined) {
    const [current] = await readAccountEvents(ctx.services, user, [f]);
    if (current === undefined) throw errors.unknownResource('event', id);
    return { event: current };
  }
  const event = await writeAccountField(ctx.services, user, f, u.content, authorOf(ctx));
  notify(ctx);
  return { event };
}

/** `events.delete` of an account event: account fields cannot be deleted (400 after the access checks). */
export function deleteAccountEvent(ctx: RequestContext, id: string): never {
  const { access } = caller(ctx);
  const sys = systemStreamsOf(ctx.services.config);
  const f = shownField(sys, id, () => errors.unknownResource('event', id));
  if (!sys.canWrite(access, f.id)) throw forbidden(`Deleting event "${id}" is forbidden.`);
  throw errors.invalidOperation('Account events cannot be deleted; update their content instead.', { data: { streamId: f.id } });
}
