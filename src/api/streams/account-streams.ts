import { errors } from '../../errors/index.js';
import { StreamsTree } from '../../domain/streams-tree.js';
import { isSystemStreamId, systemStreamsOf } from '../../domain/system-streams.js';
import type { Access, User } from '../../domain/types.js';
import type { RequestContext } from '../context.js';
import { forbidden } from '../stream-scope.js';
import { streamView, type StreamView } from './stream-view.js';

/**
 * The account streams in `streams.get` (docs/api.md#system-streams): the whole `:_system:account`
 * tree (shown fields only) for a personal access, after the user's own root streams; for other
 * accesses, the account streams their permissions name, as top-level entries like other streams.
 * `*` never reaches them.
 */
export function accountStreamsView(ctx: RequestContext, user: User, access: Access, parentId: string | null | undefined): StreamView[] {
  const sys = systemStreamsOf(ctx.services.config);
  const tree = new StreamsTree(sys.streams(user.created));
  const listable = (id: string): boolean => sys.levelOn(access, id) !== null;
  if (parentId !== undefined && parentId !== null) {
    if (!tree.has(parentId)) {
      throw errors.unknownReferencedResource(`Unknown parent stream "${parentId}"`, { data: { parentId } });
    }
    if (!listable(parentId)) throw forbidden(`Access to stream "${parentId}" is forbidden.`);
    return tree.toNested(tree.children(parentId).map((s) => s.id), (s) => listable(s.id)).map(streamView);
  }
  const roots = tree
    .all()
    .filter((s) => listable(s.id) && (s.parentId === null || !listable(s.parentId)))
    .map((s) => s.id);
  return tree.toNested(roots, (s) => listable(s.id)).map(streamView);
}

/** `streams.get` with a `parentId` in the account namespace: answered from the account tree only. */
export function isAccountParent(parentId: string | null | undefined): parentId is string {
  return typeof parentId === 'string' && isSystemStreamId(parentId);
}

