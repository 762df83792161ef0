import { Type } from '@sinclair/typebox';
import { eventFateOnStreamDeletion } from '../../domain/stream-rules.js';
import { errors } from '../../errors/index.js';
import { authorOf, nowSeconds } from '../context.js';
import { defineMethod } from '../method.js';
import { forbidden, loadScope, refuseMaskedSubtree } from '../stream-scope.js';
import { flatStreamView } from './stream-view.js';
import { removeEventFiles } from '../events/attachments.js';

/**
 * First call trashes; on a trashed stream, deletes it with its descendants and applies the
 * mergeEventsWithParent rules to the events referencing them (Pryv API §3.3).
 */
export default defineMethod({
  id: 'streams.delete',
  auth: 'access',
  params: Type.Object({
    id: Type.String({ minLength: 1 }),
    mergeEventsWithParent: Type.Optional(Type.Boolean()),
  }, { additionalProperties: false }),
  async handler(ctx, p) {
    const { user, tree, logic } = await loadScope(ctx);
    const { stores, notifier } = ctx.services;
    const stream = tree.get(p.id);
    if (stream === undefined) throw errors.unknownResource('stream', p.id);
    if (!logic.canManageStream(p.id)) throw forbidden(`Managing stream "${p.id}" is forbidden.`);
    const now = nowSeconds();
    if (!stream.trashed) {
      const patch = { trashed: true, modified: now, modifiedBy: authorOf(ctx) };
      await stores.streams.update(user.id, p.id, patch);
      notifier.emit(user.username, 'streamsChanged');
      return { stream: flatStreamView({ ...stream, ...patch }) };
    }
    refuseMaskedSubtree(logic, p.id, 'Deleting');
    const subtree = tree.subtree(p.id);
    const events = await stores.events.withStreams(user.id, subtree);
    if (events.length > 0 && p.mergeEventsWithParent === undefined) {
      throw errors.invalidParametersFormat('Events reference this stream: "mergeEventsWithParent" is required.', [
        { code: 'required', message: 'mergeEventsWithParent is required', path: '#/mergeEventsWithParent', param: 'mergeEventsWithParent' },
      ]);
    }
    const inSubtree = new Set(subtree);
    const fates = events.map((e) => ({ e, fate: eventFateOnStreamDeletion(e.streamIds, inSubtree, stream.parentId, p.mergeEventsWithParent === true) }));
    const author = authorOf(ctx);
    // All or nothing: a failure half-way must not leave events pointing at deleted streams.
    await stores.transaction(async (tx) => {
      await tx.events.deleteMany(user.id, fates.filter((f) => f.fate.action === 'deleted').map((f) => f.e.id), now);
      for (const { e, fate } of fates) {
        if (fate.action !== 'deleted') await tx.events.replace(user.id, { ...e, streamIds: fate.streamIds, modified: now, modifiedBy: author });
      }
      await tx.streams.delete(user.id, subtree, now);
    });
    // After the commit: files of the events deleted for good (a failure leaves orphans, not dangling records).
    for (const { e, fate } of fates) {
      if (fate.action === 'deleted' && (e.attachments?.length ?? 0) > 0) await removeEventFiles(ctx, user.id, e.id);
    }
    notifier.emit(user.username, 'streamsChanged');
    if (fates.length > 0) notifier.emit(user.username, 'eventsChanged');
    return {
      streamDeletion: { id: p.id, deleted: now },
      updatedEvents: fates.map(({ e, fate }) => ({ id: e.id, action: fate.action })),
    };
  },
});
