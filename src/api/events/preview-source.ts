import type { PreviewSource } from '../../previews/previews.js';
import { errors } from '../../errors/index.js';
import type { RequestContext } from '../context.js';
import { forbidden, loadScope } from '../stream-scope.js';

/** Only these events have previews (Pryv API §7); any other type → 204. */
const PREVIEW_TYPE = 'picture/attached';

/**
 * The file to preview for event `eventId`, once the caller may read the event; null when the event
 * is not a picture (204).
 */
export async function previewSource(ctx: RequestContext, eventId: string): Promise<PreviewSource | null> {
  const { user, logic } = await loadScope(ctx);
  const event = await ctx.services.stores.events.get(user.id, eventId);
  if (event === null) throw errors.unknownResource('event', eventId);
  if (!event.streamIds.some((s) => logic.canReadEvents(s))) throw forbidden(`Reading event "${eventId}" is forbidden.`);
  if (event.type !== PREVIEW_TYPE) return null;
  const attachment = event.attachments?.[0];
  if (attachment === undefined) throw errors.corruptedData('A picture/attached event without an attached file.', { reason: 'no-attachment' });
  return { userId: user.id, eventId: event.id, modified: event.modified, source: ctx.services.attachments.pathOf(user.id, event.id, attachment.id) };
}
