import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { loadScope } from '../stream-scope.js';
import { ClientDataSchema } from '../shared-schemas.js';
import { streamView } from './stream-view.js';
import { createStream } from './stream-create.js';

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
    const scope = await loadScope(ctx);
    const { user } = scope;
    const stream = await createStream(ctx, scope, p);
    const { id, parentId } = stream;
    ctx.services.notifier.emit(user.username, 'streamsChanged', undefined, [{ kind: 'streams', stream: { id, parentId } }], { webhooks: ctx.hasWebhooks });
    return { stream: streamView({ ...stream, children: [] }) };
  },
});
