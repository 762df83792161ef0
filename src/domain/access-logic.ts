import type { StreamsTree } from './streams-tree.js';
import { isStreamPermission, type Access, type Level } from './types.js';

const RANK: Record<Level, number> = { none: 0, read: 1, 'create-only': 2, contribute: 2, manage: 3 };

/**
 * What an access may do on each stream (Pryv API §2.5). The effective level on a stream is the one of
 * the nearest permission on it or its closest ancestor (a child's permission overrides its parent's,
 * upward or downward), else the `*` permission, else none. Personal accesses manage everything.
 */
export class AccessLogic {
  private readonly levels = new Map<string, Level>();
  private readonly star: Level | null;

  constructor(
    readonly access: Access,
    readonly tree: StreamsTree,
  ) {
    let star: Level | null = null;
    for (const p of access.permissions) {
      if (!isStreamPermission(p)) continue;
      if (p.streamId === '*') star = p.level;
      else this.levels.set(p.streamId, p.level);
    }
    this.star = star;
  }

  get isPersonal(): boolean {
    return this.access.type === 'personal';
  }

  /** Effective level on a stream (existing or not yet created); null = no access. */
  levelOn(streamId: string): Level | null {
    if (this.isPersonal) return 'manage';
    const chain = this.tree.has(streamId) ? this.tree.ancestry(streamId) : [streamId];
    for (const id of chain) {
      const l = this.levels.get(id);
      if (l !== undefined) return l === 'none' ? null : l;
    }
    return this.star === 'none' ? null : this.star;
  }

  canReadEvents(streamId: string): boolean {
    const l = this.levelOn(streamId);
    return l !== null && l !== 'create-only';
  }

  canCreateEvents(streamId: string): boolean {
    const l = this.levelOn(streamId);
    return l !== null && RANK[l] >= RANK.contribute;
  }

  canUpdateEvents(streamId: string): boolean {
    const l = this.levelOn(streamId);
    return l === 'contribute' || l === 'manage';
  }

  canListStream(streamId: string): boolean {
    return this.levelOn(streamId) !== null;
  }

  /** Manage a stream; `null` = the root (creating top-level streams needs manage on `*`). */
  canManageStream(streamId: string | null): boolean {
    if (this.isPersonal) return true;
    if (streamId === null) return this.star === 'manage';
    return this.levelOn(streamId) === 'manage';
  }

  /**
   * Streams below `streamId` this access may not manage (a `none` mask or a lower child grant), as
   * the topmost of each such subtree. Each one carries an explicit permission of this access (a
   * level only changes down the tree where a permission says so), so naming them reveals nothing
   * the caller does not already hold. A method acting on a whole subtree (delete, move) is refused
   * when this is not empty (issue #16).
   */
  unmanageableBelow(streamId: string): string[] {
    if (this.isPersonal) return [];
    return this.tree
      .subtree(streamId)
      .filter((id) => id !== streamId && !this.canManageStream(id))
      .filter((id) => {
        const parentId = this.tree.get(id)?.parentId ?? null;
        return parentId === null || this.canManageStream(parentId);
      });
  }

  /**
   * Ids of existing streams whose events this access may read, in no particular order. Walked down
   * from where levels are set, each stream's level carried from its parent, so an access holding a
   * few subtrees of a 10,000-stream user costs those subtrees, not an ancestry per stream (events.get
   * with no stream filter asks this on every call: docs/benchmarks.md#stream-filtered-reads).
   */
  readableStreamIds(): string[] {
    if (this.isPersonal) return this.tree.all().map((s) => s.id);
    const out: string[] = [];
    const seen = new Set<string>();
    // From a stream whose level is known; a child with a permission of its own is another start.
    const walk = (start: string, level: Level, fromRoot: boolean): void => {
      const stack: [string, Level][] = [[start, level]];
      for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
        const [id, l] = item;
        if (seen.has(id)) continue;
        seen.add(id);
        if (l !== 'none' && l !== 'create-only') out.push(id);
        for (const c of this.tree.children(id)) {
          const own = this.levels.get(c.id);
          if (own === undefined) stack.push([c.id, l]);
          else if (fromRoot) stack.push([c.id, own]);
        }
      }
    };
    if (this.star !== null && this.star !== 'none' && this.star !== 'create-only') {
      for (const root of this.tree.children(null)) walk(root.id, this.levels.get(root.id) ?? this.star, true);
      return out;
    }
    // A start that cannot read yields nothing: what below it can read has a permission of its own.
    for (const [id, level] of this.levels) if (level !== 'none' && level !== 'create-only' && this.tree.has(id)) walk(id, level, false);
    return out;
  }

  feature(name: string): 'allowed' | 'forbidden' | undefined {
    for (const p of this.access.permissions) if (!isStreamPermission(p) && p.feature === name) return p.setting;
    return undefined;
  }
}
