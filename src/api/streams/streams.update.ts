import { Type } from '@sinclair/typebox';
import { checkMove, checkParent, hasSiblingNamed } from '../../domain/stream-rules.js';
import type { StreamChanges } from '../../storage/interfaces/streams-store.js';
import { errors } from '../../errors/index.js';
import { authorOf, nowSeconds } from '../context.js';
import { defineMethod } from '../method.js';
import { forbidden, loadScope, refuseMaskedSubtree, rethrowDuplicate } from '../stream-scope.js';
import { ClientDataSchema } from '../shared-schemas.js';
import { flatStreamView } from './stream-view.js';
import { PROTECTED_STREAM_FIELDS, protectedFieldsSchema, withoutProtectedFields } from '../protected-fields.js';

export default defineMethod({
  id: 'streams.update',
  auth: 'access',
  params: Type.Object({
    id: Type.String({ minLength: 1 }),
    update: Type.Object(
      {
        name: Type.Optional(Type.String({ minLength: 1 })),
        parentId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
        clientData: Type.Optional(ClientDataSchema),
        trashed: Type.Optional(Type.Boolean()),
        ...protectedFieldsSchema(PROTECTED_STREAM_FIELDS),
      },
      { additionalProperties: false },
    ),
  }),
  async handler(ctx, p) {
    const { user, tree, logic } = await loadScope(ctx);
    const current = tree.get(p.id);
    if (current === undefined) throw errors.unknownResource('stream', p.id);
    if (!logic.canManageStream(p.id)) throw forbidden(`Managing stream "${p.id}" is forbidden.`);
    const u = withoutProtectedFields(ctx, p.id, p.update, PROTECTED_STREAM_FIELDS);
    const parentId = u.parentId === undefined ? current.parentId : u.parentId;
    if (parentId !== current.parentId) {
      if (parentId === p.id) throw errors.invalidOperation('A stream cannot be its own parent.', { data: { parentId } });
      checkParent(tree, parentId);
      checkMove(tree, p.id, parentId);
      if (!logic.canManageStream(parentId)) throw forbidden('Moving the stream under this parent is forbidden.');
      // A move changes what every other access inherits below it: not for streams the caller cannot manage.
      refuseMaskedSubtree(logic, p.id, 'Moving');
    }
    const name = u.name ?? current.name;
    if ((name !== current.name || parentId !== current.parentId) && hasSiblingNamed(tree, parentId, name, p.id)) {
      throw errors.itemAlreadyExists(`A sibling stream is already named "${name}".`, { data: { name } });
    }
    // Only what was sent is written, clientData merged by the store: concurrent updates keep each other's changes.
    const changes: StreamChanges = { modified: nowSeconds(), modifiedBy: authorOf(ctx) };
    if (u.name !== undefined) changes.name = u.name;
    if (u.parentId !== undefined) changes.parentId = u.parentId;
    if (u.clientData !== undefined) changes.clientData = u.clientData;
    if (u.trashed !== undefined) changes.trashed = u.trashed;
    const updated = await ctx.services.stores.streams.update(user.id, p.id, changes).catch((err: unknown) => rethrowDuplicate(err, { id: p.id, name }));
    if (updated === null) throw errors.unknownResource('stream', p.id);
    ctx.services.notifier.emit(user.username, 'streamsChanged', undefined, [
      { kind: 'streams', stream: { id: p.id, parentId: current.parentId } },
      { kind: 'streams', stream: { id: p.id, parentId: updated.parentId } },
    ], { webhooks: ctx.hasWebhooks });
    return { stream: flatStreamView(updated) };
  },
});
