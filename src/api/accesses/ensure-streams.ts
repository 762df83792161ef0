import { errors } from '../../errors/index.js';
import { checkStreamId } from '../../domain/stream-rules.js';
import type { StreamsTree } from '../../domain/streams-tree.js';
import type { Stream, User } from '../../domain/types.js';
import type { RequestedPermission } from '../../domain/access-rules.js';
import { DuplicateKeyError } from '../../storage/interfaces/errors.js';
import { authorOf, nowSeconds, type RequestContext } from '../context.js';

/**
 * App authorization (Pryv API §3.4): when a personal access creates an access whose stream
 * permissions carry `defaultName`, each missing stream is created at the root under that name and
 * each trashed one is restored. Returns true when a stream changed.
 */
export async function ensurePermissionStreams(ctx: RequestContext, user: User, tree: StreamsTree, permissions: readonly RequestedPermission[]): Promise<boolean> {
  const { streams } = ctx.services.stores;
  const now = nowSeconds();
  const author = authorOf(ctx);
  let changed = false;
  for (const p of permissions) {
    // `:`-prefixed ids are system/store streams (§1.5): granted as is, never created here.
    if (!('streamId' in p) || p.defaultName === undefined || p.streamId === '*' || p.streamId.startsWith(':')) continue;
    const existing = tree.get(p.streamId);
    if (existing !== undefined) {
      if (!existing.trashed) continue;
      await streams.update(user.id, existing.id, { trashed: false, modified: now, modifiedBy: author });
      changed = true;
      continue;
    }
    if (checkStreamId(p.streamId) !== p.streamId) {
      throw errors.invalidRequestStructure(`Cannot create stream "${p.streamId}" for this access: forbidden character(s) in its id.`, {
        data: { streamId: p.streamId },
      });
    }
    const stream: Stream = {
      id: p.streamId,
      name: p.defaultName,
      parentId: null,
      clientData: null,
      trashed: false,
      created: now,
      createdBy: author,
      modified: now,
      modifiedBy: author,
    };
    try {
      await streams.create(user.id, stream);
      changed = true;
    } catch (err) {
      if (!(err instanceof DuplicateKeyError)) throw err;
      // Same id created meanwhile: the permission is satisfied. Same root name, another id: a clash.
      if (err.key === 'name') {
        throw errors.itemAlreadyExists(`A root stream named "${p.defaultName}" already exists with another id.`, {
          data: { name: p.defaultName },
        });
      }
    }
  }
  return changed;
}
