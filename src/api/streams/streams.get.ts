import { Type } from '@sinclair/typebox';
import type { Stream } from '../../domain/types.js';
import { errors } from '../../errors/index.js';
import { defineMethod } from '../method.js';
import { forbidden, loadScope } from '../stream-scope.js';
import { streamView } from './stream-view.js';
import { accountStreamsView, isAccountParent } from './account-streams.js';

export default defineMethod({
  id: 'streams.get',
  auth: 'access',
  params: Type.Object({
    parentId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    state: Type.Optional(Type.Union([Type.Literal('default'), Type.Literal('all')])),
    includeDeletionsSince: Type.Optional(Type.Number()),
  }, { additionalProperties: false }),
  async handler(ctx, p) {
    const { user, tree, logic, access } = await loadScope(ctx);
    if (isAccountParent(p.parentId)) return { streams: accountStreamsView(ctx, user, access, p.parentId) };
    const visible = (s: Stream): boolean => (p.state === 'all' || !s.trashed) && logic.canListStream(s.id);
    let roots: string[];
    if (p.parentId !== undefined && p.parentId !== null) {
      if (!tree.has(p.parentId)) {
        throw errors.unknownReferencedResource(`Unknown parent stream "${p.parentId}"`, { data: { parentId: p.parentId } });
      }
      if (!logic.canListStream(p.parentId)) throw forbidden(`Access to stream "${p.parentId}" is forbidden.`);
      roots = tree.children(p.parentId).map((s) => s.id);
    } else if (logic.isPersonal) {
      roots = tree.children(null).map((s) => s.id);
    } else {
      // Non-personal accesses see, as top-level entries, each listable stream whose parent they cannot list (§3.3).
      roots = tree
        .all()
        .filter((s) => logic.canListStream(s.id) && (s.parentId === null || !tree.has(s.parentId) || !logic.canListStream(s.parentId)))
        .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
        .map((s) => s.id);
    }
    const streams = tree.toNested(roots, visible).map(streamView);
    if (p.parentId === undefined || p.parentId === null) streams.push(...accountStreamsView(ctx, user, access, null));
    if (p.includeDeletionsSince === undefined) return { streams };
    return { streams, streamDeletions: await ctx.services.stores.streams.deletionsSince(user.id, p.includeDeletionsSince) };
  },
});
