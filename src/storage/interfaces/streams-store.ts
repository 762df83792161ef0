import type { ItemDeletion, Stream } from '../../domain/types.js';

export interface StreamsStore {
  /** Every live stream of the user (flat; the tree is built in domain/streams-tree.ts). */
  all(userId: string): Promise<Stream[]>;
  get(userId: string, id: string): Promise<Stream | null>;
  /** Throws DuplicateKeyError('id') or DuplicateKeyError('name') (sibling name clash). */
  create(userId: string, stream: Stream): Promise<void>;
  update(userId: string, id: string, patch: Partial<Stream>): Promise<void>;
  /** Deletes the streams (ids = a subtree) and records their deletions. */
  delete(userId: string, ids: string[], deleted: number): Promise<void>;
  deletionsSince(userId: string, since: number): Promise<ItemDeletion[]>;
}
