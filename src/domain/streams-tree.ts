import { LayeredMap } from '../util/layered-map.js';
import type { Stream } from './types.js';

export interface StreamNode extends Stream {
  children: StreamNode[];
}

// The collator localeCompare uses, made once: localeCompare builds one per call (a 10,000-stream sort).
const collator = new Intl.Collator();
/** Siblings' order: by name, then id. */
const byNameThenId = (a: Stream, b: Stream): number => collator.compare(a.name, b.name) || collator.compare(a.id, b.id);

/** Where `s` goes in `list` (sorted by byNameThenId): before the first sibling that sorts after it. */
function insertSorted(list: Stream[], s: Stream): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (byNameThenId(list[mid] as Stream, s) <= 0) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, s);
}

interface TreeIndexes {
  byId: LayeredMap<string, Stream>;
  childrenOf: LayeredMap<string | null, Stream[]>;
}

/** The user's streams indexed for tree questions. Pure: built from the flat list the store returns. */
export class StreamsTree {
  private readonly byId: LayeredMap<string, Stream>;
  private readonly childrenOf: LayeredMap<string | null, Stream[]>;
  /** Streams whose parent is missing, placed as roots (withChanges cannot keep that right). */
  private readonly orphans: number;

  /** `from`: indexes already built (withChanges only; `streams` is then ignored). */
  constructor(streams: readonly Stream[], from?: TreeIndexes) {
    if (from !== undefined) {
      this.byId = from.byId;
      this.childrenOf = from.childrenOf;
      this.orphans = 0;
      return;
    }
    const byId = new Map<string, Stream>();
    const childrenOf = new Map<string | null, Stream[]>();
    for (const s of streams) byId.set(s.id, s);
    let orphans = 0;
    for (const s of streams) {
      // A stream whose parent is missing is treated as a root rather than lost.
      const parent = s.parentId !== null && byId.has(s.parentId) ? s.parentId : null;
      if (parent === null && s.parentId !== null) orphans += 1;
      const list = childrenOf.get(parent) ?? [];
      list.push(s);
      childrenOf.set(parent, list);
    }
    for (const list of childrenOf.values()) list.sort(byNameThenId);
    this.byId = LayeredMap.over(byId);
    this.childrenOf = LayeredMap.over(childrenOf);
    this.orphans = orphans;
  }

  /**
   * A new tree: this one with `changed` streams added or put in place of those with their ids (a
   * rename, a move, a new stream). This tree is left as it was: it may be shared by requests in
   * flight (src/api/stream-tree-cache.ts). Costs about the square root of the stream count (the
   * indexes are layered maps) plus a copy of the child lists that change, not a sort of every
   * stream. Deletions are not applied here. Null when the result could differ from a tree built
   * from the same streams: a changed stream whose parent is not in the tree, or this tree already
   * holding one; the caller then builds it whole.
   */
  withChanges(streams: readonly Stream[]): StreamsTree | null {
    if (this.orphans > 0) return null;
    const changed = [...new Map(streams.map((s) => [s.id, s])).values()];
    const byId = this.byId.derive();
    const childrenOf = this.childrenOf.derive();
    const copied = new Set<string | null>();
    const ownList = (parent: string | null): Stream[] => {
      let list = childrenOf.get(parent);
      if (!copied.has(parent)) {
        list = list === undefined ? [] : [...list];
        childrenOf.set(parent, list);
        copied.add(parent);
      }
      return list as Stream[];
    };
    for (const s of changed) {
      const old = byId.get(s.id);
      if (old === undefined) continue;
      const list = ownList(old.parentId);
      list.splice(list.indexOf(old), 1);
    }
    for (const s of changed) byId.set(s.id, s);
    for (const s of changed) {
      if (s.parentId !== null && !byId.has(s.parentId)) return null;
      insertSorted(ownList(s.parentId), s);
    }
    return new StreamsTree([], { byId, childrenOf });
  }

  /**
   * Adds a new stream (its parent, if any, already in the tree). Only on a tree no one else holds:
   * the worker's cached trees are shared by concurrent requests and never change. A batch's run of
   * streams.create checks each call against its own copy, grown by the run's earlier streams
   * (src/api/streams/streams-create-group.ts), where the calls one by one would each load the tree.
   */
  add(s: Stream): void {
    this.byId.set(s.id, s);
    const parent = s.parentId !== null && this.byId.has(s.parentId) ? s.parentId : null;
    // A copy of the siblings: a list may be shared with the tree this one was derived from.
    const list = [...(this.childrenOf.get(parent) ?? [])];
    insertSorted(list, s);
    this.childrenOf.set(parent, list);
  }

  get(id: string): Stream | undefined {
    return this.byId.get(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** How many streams the tree holds. */
  get size(): number {
    return this.byId.size;
  }

  all(): Stream[] {
    return [...this.byId.values()];
  }

  children(id: string | null): Stream[] {
    return this.childrenOf.get(id) ?? [];
  }

  /** The stream and every descendant, parents before children. */
  subtree(id: string): string[] {
    const out: string[] = [];
    const walk = (sid: string): void => {
      out.push(sid);
      for (const c of this.children(sid)) walk(c.id);
    };
    if (this.byId.has(id)) walk(id);
    return out;
  }

  /** Self first, then parent, …, up to the root. */
  ancestry(id: string): string[] {
    const out: string[] = [];
    let cur = this.byId.get(id);
    const seen = new Set<string>();
    while (cur !== undefined && !seen.has(cur.id)) {
      seen.add(cur.id);
      out.push(cur.id);
      cur = cur.parentId === null ? undefined : this.byId.get(cur.parentId);
    }
    return out;
  }

  /** True when the stream or one of its ancestors is trashed. */
  isTrashed(id: string): boolean {
    return this.ancestry(id).some((a) => this.byId.get(a)?.trashed === true);
  }

  /** Nested API form (`children` always present), sorted by name, from `rootIds` (default: roots). */
  toNested(rootIds?: string[], include: (s: Stream) => boolean = () => true): StreamNode[] {
    const build = (s: Stream): StreamNode => ({
      ...s,
      children: this.children(s.id).filter(include).map(build),
    });
    const roots = rootIds === undefined ? this.children(null) : rootIds.map((id) => this.byId.get(id)).filter((s): s is Stream => s !== undefined);
    return roots.filter(include).map(build);
  }
}
