import type { Static } from '@sinclair/typebox';
import { newId } from '../../auth/crypto.js';
import { checkParent, checkStreamId, hasSiblingNamed } from '../../domain/stream-rules.js';
import type { Stream } from '../../domain/types.js';
import { errors } from '../../errors/index.js';
import { authorOf, nowSeconds, type RequestContext } from '../context.js';
import { forbidden, rethrowDuplicate, type StreamScope } from '../stream-scope.js';
import type streamsCreate from './streams.create.js';

export type CreateStreamParams = Static<(typeof streamsCreate)['params']>;

/**
 * streams.create's checks against `scope` and its write, shared by the method (streams.create.ts)
 * and a batch's run of creates (streams-create-group.ts), which checks each call against its own
 * copy of the tree with the run's earlier streams added. Answers the stream written.
 */
export async function createStream(ctx: RequestContext, scope: StreamScope, p: CreateStreamParams): Promise<Stream> {
  const { user, tree, logic } = scope;
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
  return stream;
}
