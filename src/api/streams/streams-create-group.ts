import { AccessLogic } from '../../domain/access-logic.js';
import type { Stream } from '../../domain/types.js';
import { StreamsTree } from '../../domain/streams-tree.js';
import type { RequestContext } from '../context.js';
import type { Settled } from '../method.js';
import { loadScope, type StreamScope } from '../stream-scope.js';
import { createStream, type CreateStreamParams } from './stream-create.js';
import { streamView } from './stream-view.js';

type Created = Settled<{ stream: ReturnType<typeof streamView> }>;

/**
 * A run of consecutive streams.create calls of one batch (issue #10, docs/benchmarks.md#scale):
 * each call is checked and written as streams.create does it, in order, but against one copy of the
 * user's tree that grows with the run's own streams, instead of loading the whole tree again for
 * every call (each write changes the streams version): seeding N streams in batch calls read N²/2
 * stream rows. A stream another request writes meanwhile is caught by the database's own keys
 * (duplicate id or sibling name: 409, as the method answers a race between its check and its
 * write). Clients and webhooks hear of the run's streams once.
 */
export async function createStreamsTogether(ctx: RequestContext, calls: readonly CreateStreamParams[]): Promise<Created[]> {
  const out: Created[] = [];
  const written: Stream[] = [];
  let run: StreamScope | undefined;
  for (const p of calls) {
    try {
      run ??= await ownCopy(ctx);
      const stream = await createStream(ctx, run, p);
      run.tree.add(stream);
      written.push(stream);
      out.push({ ok: true, result: { stream: streamView({ ...stream, children: [] }) } });
    } catch (error) {
      out.push({ ok: false, error });
    }
  }
  if (run !== undefined && written.length > 0) {
    const items = written.map((s) => ({ kind: 'streams' as const, stream: { id: s.id, parentId: s.parentId } }));
    ctx.services.notifier.emit(run.user.username, 'streamsChanged', undefined, items);
  }
  return out;
}

/** The scope with a tree of the run's own (the cached one is shared) and an access logic on it. */
async function ownCopy(ctx: RequestContext): Promise<StreamScope> {
  const scope = await loadScope(ctx);
  // Derived, not rebuilt: a copy costs about √(streams) (StreamsTree.withChanges).
  const tree = scope.tree.withChanges([]) ?? new StreamsTree(scope.tree.all());
  return { ...scope, tree, logic: new AccessLogic(scope.access, tree) };
}
