import { AccessLogic } from '../domain/access-logic.js';
import { StreamsTree } from '../domain/streams-tree.js';
import type { Access, User } from '../domain/types.js';
import { ApiError, errors } from '../errors/index.js';
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
  const tree = new StreamsTree(await ctx.services.stores.streams.all(user.id));
  return { user, access, tree, logic: new AccessLogic(access, tree) };
}

export function forbidden(message: string, data?: unknown): ApiError {
  return new ApiError('forbidden', message, data === undefined ? {} : { data });
}

/** DuplicateKeyError → 409 item-already-exists with the clashing key (§1.4); anything else rethrown. */
export function rethrowDuplicate(err: unknown, values: Record<string, unknown>): never {
  if (err instanceof DuplicateKeyError) {
    throw new ApiError('item-already-exists', `An item with the same ${err.key} already exists.`, {
      data: { [err.key]: values[err.key] },
    });
  }
  throw err;
}
