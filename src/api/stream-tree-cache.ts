import { StreamsTree } from '../domain/streams-tree.js';
import type { Stream } from '../domain/types.js';
import type { StreamsStore } from '../storage/interfaces/streams-store.js';

interface Entry {
  version: number;
  tree: StreamsTree;
}

/** What the cache reads a user's streams through: the store's `all` and, when it has it, `changedSince`. */
export type StreamSource = Pick<StreamsStore, 'all' | 'changedSince'>;

/**
 * Each user's stream tree, kept by one worker while the user's streams version (returned by the
 * user lookup every request makes: UsersStore.getWithStreamsVersion) is the one it was loaded
 * under (issue #10). The version changes in the same transaction as every change to the user's
 * streams, so a change made through another worker or clone is seen by the next request without
 * any message between workers. A tree loaded after the version was read is at least as new as that
 * version: reusing it for the same version, or for an older one a request read before, never shows
 * a request an older tree than it would have loaded. The streams are frozen: a tree is shared by
 * concurrent requests.
 *
 * When the version moved on, the tree is brought up to date from the streams changed since the
 * version it holds (StreamsStore.changedSince), not loaded whole: on a user with 10,000 streams a
 * rename then costs a few rows, not 10,000 (streams-delta-migration.ts). Whatever that cannot
 * apply exactly (a deletion, seen as a count that does not match) loads the whole tree.
 */
export class StreamTreeCache {
  private readonly entries = new Map<string, Entry>();
  /** Trees loaded whole, brought up to date from their changes, and answered from memory (metrics, tests). */
  loads = 0;
  refreshes = 0;
  hits = 0;

  constructor(private readonly maxUsers: number) {}

  /** The tree for `version`; `version` undefined (batch, socket, an engine without versions): always loaded. */
  async tree(userId: string, version: number | undefined, source: StreamSource): Promise<StreamsTree> {
    if (version === undefined || this.maxUsers === 0) {
      this.loads += 1;
      return new StreamsTree(await source.all(userId));
    }
    const held = this.entries.get(userId);
    if (held !== undefined && held.version >= version) {
      this.hits += 1;
      return held.tree;
    }
    const tree = (held === undefined ? null : await this.refreshed(userId, held, source)) ?? (await this.loaded(userId, source));
    // A load that started before a newer one finished must not put an older version back.
    const now = this.entries.get(userId);
    if (now === undefined || now.version <= version) {
      this.entries.delete(userId);
      this.entries.set(userId, { version, tree });
      // Map order is insertion order: the first key is the least recently loaded user.
      if (this.entries.size > this.maxUsers) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
    }
    return tree;
  }

  private async loaded(userId: string, source: StreamSource): Promise<StreamsTree> {
    this.loads += 1;
    return new StreamsTree(frozen(await source.all(userId)));
  }

  /** `held` brought up to date from the changes since its version; null when that cannot be exact. */
  private async refreshed(userId: string, held: Entry, source: StreamSource): Promise<StreamsTree | null> {
    if (source.changedSince === undefined) return null;
    const since = await source.changedSince(userId, held.version);
    if (since === null) return null;
    const tree = since.changed.length === 0 ? held.tree : held.tree.withChanges(frozen(since.changed));
    // More streams than the user has: one was deleted (or the user replaced) since `held`.
    if (tree === null || tree.size !== since.count) return null;
    this.refreshes += 1;
    return tree;
  }

  clear(): void {
    this.entries.clear();
  }
}

function frozen(streams: Stream[]): Stream[] {
  for (const s of streams) Object.freeze(s);
  return streams;
}
