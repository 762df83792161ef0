import { newId } from '../../auth/crypto.js';
import { readTokenFor } from '../../auth/read-token.js';
import type { Attachment, Event } from '../../domain/types.js';
import { errors } from '../../errors/index.js';
import type { RequestContext } from '../context.js';
import type { FileBody } from '../../util/file-body.js';
import { forbidden, loadScope } from '../stream-scope.js';

/**
 * Attachments as events.* methods handle them (Pryv API §2.2, §3.2): files staged by the HTTP layer
 * (ctx.uploads) are moved in place under fresh ids, and events go out with a `readToken` per file
 * for the calling access.
 */

/** Moves the request's staged uploads under `eventId`; their attachment records (none without uploads). */
export async function commitUploads(ctx: RequestContext, userId: string, eventId: string): Promise<Attachment[]> {
  const added: Attachment[] = [];
  try {
    for (const u of ctx.uploads ?? []) {
      const a: Attachment = { id: newId(), fileName: u.fileName, type: u.type, size: u.size, integrity: `sha256-${u.sha256}` };
      await ctx.services.attachments.commit(u, userId, eventId, a.id);
      added.push(a);
    }
  } catch (err) {
    await removeFiles(ctx, userId, eventId, added);
    throw err;
  }
  return added;
}

/** Best effort: files left behind are orphans (wasted space), not wrong data. */
export async function removeFiles(ctx: RequestContext, userId: string, eventId: string, attachments: readonly Attachment[]): Promise<void> {
  for (const a of attachments) {
    await ctx.services.attachments.remove(userId, eventId, a.id).catch((err: unknown) => {
      ctx.services.logger.warn({ err, eventId, fileId: a.id }, 'could not remove an attached file');
    });
  }
}

/** An event deleted for good: its files and previews (best effort, logged); kept under deletionMode keep-everything. */
export async function removeEventFiles(ctx: RequestContext, userId: string, eventId: string): Promise<void> {
  // The reference removes them only in the modes whose deletion record drops `attachments`.
  if (ctx.services.config.versioning.deletionMode === 'keep-everything') return;
  await ctx.services.attachments.removeEvent(userId, eventId).catch((err: unknown) => {
    ctx.services.logger.warn({ err, eventId }, 'could not remove the files of a deleted event');
  });
}

/** The event as the caller sees it: each attachment with the caller's read token. */
export function withReadTokens(ctx: RequestContext, event: Event): Event {
  const { access } = ctx;
  if (access === null || event.attachments === undefined || event.attachments.length === 0) return event;
  const vault = ctx.services.vault;
  return { ...event, attachments: event.attachments.map((a) => ({ ...a, readToken: readTokenFor(vault, access, a.id) })) };
}

/** Same for a stored JSON doc (events.get): parsed only when it has attachments. */
export function docWithReadTokens(ctx: RequestContext, doc: string, hasAttachments: boolean): string {
  if (!hasAttachments || ctx.access === null) return doc;
  return JSON.stringify(withReadTokens(ctx, JSON.parse(doc) as Event));
}

/**
 * events.getAttachment (§3.2): the file of an event the caller may read. The file id must be one of
 * the event's attachments, so the path is built from stored ids only, never from the URL.
 */
export async function openAttachment(ctx: RequestContext, eventId: string, fileId: string): Promise<{ attachment: Attachment } & FileBody> {
  const { user, logic } = await loadScope(ctx);
  const event = await ctx.services.stores.events.get(user.id, eventId);
  if (event === null) throw errors.unknownResource('event', eventId);
  if (!event.streamIds.some((s) => logic.canReadEvents(s))) throw forbidden(`Reading event "${eventId}" is forbidden.`);
  const attachment = event.attachments?.find((a) => a.id === fileId);
  if (attachment === undefined) throw errors.unknownResource('attachment', fileId);
  const file = await ctx.services.attachments.open(user.id, event.id, attachment.id);
  if (file === null) {
    ctx.services.logger.error({ eventId, fileId }, 'attached file missing on disk');
    throw errors.unknownResource('attachment', fileId);
  }
  return { attachment, ...file };
}
