import { AccessLogic } from '../domain/access-logic.js';
import type { StreamsTree } from '../domain/streams-tree.js';
import type { Access, User } from '../domain/types.js';
import { type ApiError, errors } from '../errors/index.js';
import { DuplicateKeyError } from '../storage/interfaces/errors.js';
import type { RequestContext } from './context.js';

/** The caller, the path user's streams and what the caller may do on them: loaded once per call. */
export interface StreamScope {
  user: User;
  access: Access;
  tree: StreamsTree;
  logic: AccessLogic;
}

export async function loadScope(ctx: RequestContext): Promise<StreamScope> {
  const { user, access } = ctx;
  if (user === null) throw errors.unknownResource('user');
  if (access === null) throw errors.missingToken();
  const tree = await ctx.services.streamTrees.tree(user.id, ctx.streamsVersion, ctx.services.stores.streams);
  return { user, access, tree, logic: new AccessLogic(access, tree) };
}

export function forbidden(message: string, data?: unknown): ApiError {
  return errors.forbidden(message, data === undefined ? {} : { data });
}

/**
 * A method acting on the whole subtree of `streamId` (delete, move) needs manage on every stream of
 * it: a `none` mask (or a lower grant) below refuses it with 403 forbidden, naming the masked
 * streams, which are the caller's own permissions (AccessLogic.unmanageableBelow, issue #16).
 */
export function refuseMaskedSubtree(logic: AccessLogic, streamId: string, action: 'Deleting' | 'Moving'): void {
  const masked = logic.unmanageableBelow(streamId);
  if (masked.length === 0) return;
  throw forbidden(`${action} stream "${streamId}" is forbidden: this access cannot manage the stream(s) ${masked.map((id) => `"${id}"`).join(', ')} below it.`, {
    maskedStreams: masked,
  });
}

/** DuplicateKeyError → 409 item-already-exists with the clashing key (§1.4); anything else rethrown. */
export function rethrowDuplicate(err: unknown, values: Record<string, unknown>): never {
  if (err instanceof DuplicateKeyError) {
    throw errors.itemAlreadyExists(`An item with the same ${err.key} already exists.`, {
      data: { [err.key]: values[err.key] },
    });
  }
  throw err;
}
