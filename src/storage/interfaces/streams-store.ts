import type { ItemDeletion, Stream } from '../../domain/types.js';

/** What an update of a stream changes (see StreamsStore.update). */
export type StreamChanges = Partial<Pick<Stream, 'name' | 'parentId' | 'trashed'>> &
  Pick<Stream, 'modified' | 'modifiedBy'> & { clientData?: Record<string, unknown> | null };

/** The streams changed after a streams version, and how many streams the user has (see StreamsStore.changedSince). */
export interface StreamsChangedSince {
  changed: Stream[];
  count: number;
}

export interface StreamsStore {
  /** Every live stream of the user (flat; the tree is built in domain/streams-tree.ts). */
  all(userId: string): Promise<Stream[]>;
  /**
   * The user's streams created or updated in a change whose streams version (UsersStore
   * getWithStreamsVersion) is above `version`, and the user's current stream count, read together:
   * what a worker holding the tree of `version` needs to bring it up to date (src/api/stream-tree-cache.ts).
   * Deleted streams are not listed: the count shows them. Null when the user does not exist.
   * Optional: engines without streams versions keep no trees.
   */
  changedSince?(userId: string, version: number): Promise<StreamsChangedSince | null>;
  get(userId: string, id: string): Promise<Stream | null>;
  /** Throws DuplicateKeyError('id') or DuplicateKeyError('name') (sibling name clash). */
  create(userId: string, stream: Stream): Promise<void>;
  /**
   * Sets the fields given; `clientData` is merged into the stored one in the same atomic write (a
   * `null` value deletes its key, `null` as a whole clears it), so concurrent updates of one stream
   * lose nothing (issue #16). Answers the stream as stored afterwards, null when it does not exist.
   * Throws DuplicateKeyError('name') on a sibling name clash.
   */
  update(userId: string, id: string, changes: StreamChanges): Promise<Stream | null>;
  /** Deletes the streams (ids = a subtree) and records their deletions. */
  delete(userId: string, ids: string[], deleted: number): Promise<void>;
  deletionsSince(userId: string, since: number): Promise<ItemDeletion[]>;
}
