import { Type } from '@sinclair/typebox';
import { eventFateOnStreamDeletion } from '../../domain/stream-rules.js';
import { errors } from '../../errors/index.js';
import { authorOf, nowSeconds } from '../context.js';
import { defineMethod } from '../method.js';
import { forbidden, loadScope, refuseMaskedSubtree } from '../stream-scope.js';
import { flatStreamView } from './stream-view.js';
import { removeEventFiles } from '../events/attachments.js';
import { eventItem } from '../../notifications/messages.js';

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
      notifier.emit(user.username, 'streamsChanged', undefined, [{ kind: 'streams', stream: { id: p.id, parentId: stream.parentId } }]);
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
    const fateOf = (streamIds: string[]) => eventFateOnStreamDeletion(streamIds, inSubtree, stream.parentId, p.mergeEventsWithParent === true);
    const fates = events.map((e) => ({ id: e.id, fate: fateOf(e.streamIds) }));
    const author = authorOf(ctx);
    // All or nothing: a failure half-way must not leave events pointing at deleted streams. Each
    // kept event is rewritten atomically on its state at that moment (issue #16): a concurrent
    // events.update is kept, and one that left it only in the subtree gets it deleted after all.
    await stores.transaction(async (tx) => {
      for (const f of fates) {
        if (f.fate.action === 'deleted') continue;
        const updated = await tx.events.update(user.id, f.id, (e) => {
          const fate = fateOf(e.streamIds);
          return fate.action === 'deleted' ? e : { ...e, streamIds: fate.streamIds, modified: now, modifiedBy: author };
        });
        if (updated !== null && fateOf(updated.before.streamIds).action === 'deleted') f.fate = fateOf(updated.before.streamIds);
      }
      await tx.events.deleteMany(user.id, fates.filter((f) => f.fate.action === 'deleted').map((f) => f.id), now);
      await tx.streams.delete(user.id, subtree, now);
    });
    // After the commit: files of the events deleted for good (a failure leaves orphans, not dangling records).
    const withFiles = new Set(events.filter((e) => (e.attachments?.length ?? 0) > 0).map((e) => e.id));
    for (const f of fates) {
      if (f.fate.action === 'deleted' && withFiles.has(f.id)) await removeEventFiles(ctx, user.id, f.id);
    }
    notifier.emit(user.username, 'streamsChanged', undefined, [{ kind: 'streams', stream: { id: p.id, parentId: stream.parentId } }]);
    if (fates.length > 0) notifier.emit(user.username, 'eventsChanged', undefined, events.map(eventItem));
    return {
      streamDeletion: { id: p.id, deleted: now },
      updatedEvents: fates.map((f) => ({ id: f.id, action: f.fate.action })),
    };
  },
});
