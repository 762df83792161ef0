import type { Stream } from './types.js';

export interface StreamNode extends Stream {
  children: StreamNode[];
}

/** The user's streams indexed for tree questions. Pure: built from the flat list the store returns. */
export class StreamsTree {
  private readonly byId = new Map<string, Stream>();
  private readonly childrenOf = new Map<string | null, Stream[]>();

  constructor(streams: readonly Stream[]) {
    for (const s of streams) this.byId.set(s.id, s);
    for (const s of streams) {
      // A stream whose parent is missing is treated as a root rather than lost.
      const parent = s.parentId !== null && this.byId.has(s.parentId) ? s.parentId : null;
      const list = this.childrenOf.get(parent) ?? [];
      list.push(s);
      this.childrenOf.set(parent, list);
    }
    for (const list of this.childrenOf.values()) list.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
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
    const list = this.childrenOf.get(parent) ?? [];
    const at = list.findIndex((c) => (s.name.localeCompare(c.name) || s.id.localeCompare(c.id)) < 0);
    list.splice(at === -1 ? list.length : at, 0, s);
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
