import { Type } from '@sinclair/typebox';
import { newId } from '../../auth/crypto.js';
import { checkParent, checkStreamId, hasSiblingNamed } from '../../domain/stream-rules.js';
import type { Stream } from '../../domain/types.js';
import { errors } from '../../errors/index.js';
import { authorOf, nowSeconds } from '../context.js';
import { defineMethod } from '../method.js';
import { forbidden, loadScope, rethrowDuplicate } from '../stream-scope.js';
import { ClientDataSchema } from '../shared-schemas.js';
import { streamView } from './stream-view.js';

export default defineMethod({
  id: 'streams.create',
  auth: 'access',
  successStatus: 201,
  params: Type.Object(
    {
      id: Type.Optional(Type.String({ minLength: 1 })),
      name: Type.String({ minLength: 1 }),
      parentId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
      clientData: Type.Optional(ClientDataSchema),
      trashed: Type.Optional(Type.Boolean()),
      // Read-only; clients echoing a stream back may send it (§2.4).
      children: Type.Optional(Type.Array(Type.Unknown())),
    },
    { additionalProperties: false },
  ),
  async handler(ctx, p) {
    const { user, tree, logic } = await loadScope(ctx);
    const parentId = p.parentId ?? null;
    checkParent(tree, parentId);
    if (!logic.canManageStream(parentId)) throw forbidden(parentId === null ? 'Creating root streams is forbidden.' : `Managing stream "${parentId}" is forbidden.`);
    const id = p.id === undefined ? newId() : checkStreamId(p.id);
    if (tree.has(id)) throw errors.itemAlreadyExists(`A stream with id "${id}" already exists.`, { data: { id } });
    if (hasSiblingNamed(tree, parentId, p.name)) {
      throw errors.itemAlreadyExists(`A sibling stream is already named "${p.name}".`, { data: { name: p.name } });
    }
    const now = nowSeconds();
    const author = authorOf(ctx);
    const stream: Stream = {
      id,
      name: p.name,
      parentId,
      clientData: p.clientData ?? null,
      trashed: p.trashed ?? false,
      created: now,
      createdBy: author,
      modified: now,
      modifiedBy: author,
    };
    await ctx.services.stores.streams.create(user.id, stream).catch((err: unknown) => rethrowDuplicate(err, { id, name: p.name }));
    ctx.services.notifier.emit(user.username, 'streamsChanged', undefined, [{ kind: 'streams', stream: { id, parentId } }], { webhooks: ctx.hasWebhooks });
    return { stream: streamView({ ...stream, children: [] }) };
  },
});
