import { StreamsTree } from '../domain/streams-tree.js';
import type { Stream } from '../domain/types.js';

interface Entry {
  version: number;
  tree: StreamsTree;
}

/**
 * Each user's stream tree, kept by one worker while the user's streams version (returned by the
 * user lookup every request makes: UsersStore.getWithStreamsVersion) is the one it was loaded
 * under (issue #10). The version changes in the same transaction as every change to the user's
 * streams, so a change made through another worker or clone is seen by the next request without
 * any message between workers. A tree loaded after the version was read is at least as new as that
 * version: reusing it for the same version never shows a request an older tree than it would have
 * loaded. The streams are frozen: a tree is shared by concurrent requests.
 */
export class StreamTreeCache {
  private readonly entries = new Map<string, Entry>();
  /** Trees loaded from the store, and answered from memory (metrics, tests). */
  loads = 0;
  hits = 0;

  constructor(private readonly maxUsers: number) {}

  /** The tree for `version`; `version` undefined (batch, socket, an engine without versions): always loaded. */
  async tree(userId: string, version: number | undefined, load: () => Promise<Stream[]>): Promise<StreamsTree> {
    if (version === undefined || this.maxUsers === 0) {
      this.loads += 1;
      return new StreamsTree(await load());
    }
    const hit = this.entries.get(userId);
    if (hit !== undefined && hit.version === version) {
      this.hits += 1;
      return hit.tree;
    }
    this.loads += 1;
    const tree = new StreamsTree((await load()).map((s) => Object.freeze(s)));
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

  clear(): void {
    this.entries.clear();
  }
}
