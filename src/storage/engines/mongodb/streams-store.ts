import type { ItemDeletion, Stream } from '../../../domain/types.js';
import { DuplicateKeyError } from '../../interfaces/errors.js';
import type { StreamChanges, StreamsStore } from '../../interfaces/streams-store.js';
import { C, coll, duplicateIndex, isDuplicateKey, opts, snapshot, type MongoCtx } from './context.js';
import { casUpdate, docLock } from './cas.js';

/**
 * One document per stream id, live or deleted: a deletion turns the stream into its deletion record
 * in one single-document write (atomic on FerretDB too), so there is no moment where a stream is gone
 * but not recorded as deleted, or the reverse. `siblingKey` (parent + name) carries the unique
 * sibling-name rule for live streams; a deletion rewrites it to `deleted <id>` (no partial index on
 * FerretDB). `clientData` is JSON text (free-form keys), merged under the stream's lock (cas.ts).
 */
export interface StreamDoc {
  userId: string;
  id: string;
  parentId: string | null;
  name: string;
  siblingKey: string;
  clientData: string | null;
  trashed: boolean;
  created: number;
  createdBy: string;
  modified: number;
  modifiedBy: string;
  deleted: number | null;
  rev: number;
}

export const siblingKey = (parentId: string | null, name: string): string => JSON.stringify([parentId ?? '', name]);

export const toStream = (d: StreamDoc): Stream => ({
  id: d.id, name: d.name, parentId: d.parentId,
  clientData: d.clientData === null ? null : (JSON.parse(d.clientData) as Record<string, unknown>),
  trashed: d.trashed, created: d.created, createdBy: d.createdBy, modified: d.modified, modifiedBy: d.modifiedBy,
});

/** The stored form of a live stream (create, and bin/restore's import). */
export const streamDoc = (userId: string, s: Stream): StreamDoc => ({
  userId, id: s.id, parentId: s.parentId, name: s.name, siblingKey: siblingKey(s.parentId, s.name),
  clientData: s.clientData === null ? null : JSON.stringify(s.clientData), trashed: s.trashed,
  created: s.created, createdBy: s.createdBy, modified: s.modified, modifiedBy: s.modifiedBy, deleted: null, rev: 1,
});

function duplicate(err: unknown): DuplicateKeyError {
  return new DuplicateKeyError(duplicateIndex(err, 'streams_sibling_name') ? 'name' : 'id');
}

export class MongoStreamsStore implements StreamsStore {
  constructor(private readonly ctx: MongoCtx) {}

  private get streams() {
    return coll<StreamDoc>(this.ctx, C.streams);
  }

  async all(userId: string): Promise<Stream[]> {
    return (await this.streams.find({ userId, deleted: null }, opts(this.ctx)).toArray()).map(toStream);
  }

  async get(userId: string, id: string): Promise<Stream | null> {
    const d = await this.streams.findOne({ userId, id, deleted: null }, opts(this.ctx));
    return d === null ? null : toStream(d);
  }

  async create(userId: string, s: Stream): Promise<void> {
    const doc = streamDoc(userId, s);
    await snapshot(this.ctx, C.streams, { userId, id: s.id });
    try {
      // A copy: the driver adds `_id` to the document it inserts.
      await this.streams.insertOne({ ...doc }, opts(this.ctx));
      return;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // FerretDB's E11000 on an insert names no index: a taken id is looked up.
      if ((await this.streams.findOne({ userId, id: s.id }, opts(this.ctx, { projection: { _id: 1 } }))) === null) throw new DuplicateKeyError('name');
    }
    // The id is taken: by a deletion record, a re-created id replaces it (no longer a deletion).
    await docLock(this.ctx, `${C.streams} ${userId} ${s.id}`, async () => {
      try {
        const res = await this.streams.replaceOne({ userId, id: s.id, deleted: { $ne: null } }, doc, opts(this.ctx));
        if (res.matchedCount === 0) throw new DuplicateKeyError('id');
      } catch (err) {
        if (isDuplicateKey(err)) throw duplicate(err);
        throw err;
      }
    });
  }

  async update(userId: string, id: string, changes: StreamChanges): Promise<Stream | null> {
    try {
      const res = await casUpdate<StreamDoc>(this.ctx, C.streams, { userId, id, deleted: null }, (d) => {
        if (d === null) return null;
        const set: Partial<StreamDoc> = {};
        if (changes.name !== undefined) set.name = changes.name;
        if (changes.parentId !== undefined) set.parentId = changes.parentId;
        if (changes.trashed !== undefined) set.trashed = changes.trashed;
        set.modified = changes.modified;
        set.modifiedBy = changes.modifiedBy;
        set.siblingKey = siblingKey(set.parentId !== undefined ? set.parentId : d.parentId, set.name ?? d.name);
        const cd = changes.clientData;
        if (cd === null) set.clientData = null;
        else if (cd !== undefined) {
          const merged: Record<string, unknown> = d.clientData === null ? {} : (JSON.parse(d.clientData) as Record<string, unknown>);
          for (const [k, v] of Object.entries(cd)) {
            if (v === null) delete merged[k];
            else merged[k] = v;
          }
          set.clientData = JSON.stringify(merged);
        }
        return set;
      }, { lockKey: `${userId} ${id}` });
      return res === null ? null : toStream(res.after as StreamDoc);
    } catch (err) {
      if (isDuplicateKey(err)) throw duplicate(err);
      throw err;
    }
  }

  /**
   * `ids` is a subtree, root first (domain/streams-tree.ts). Deepest first, one atomic document
   * write each: a deletion that dies half-way leaves a smaller subtree under the same, still
   * trashed, root, which is what streams.delete finds and finishes when called again.
   */
  async delete(userId: string, ids: string[], deleted: number): Promise<void> {
    for (const id of [...ids].reverse()) {
      await docLock(this.ctx, `${C.streams} ${userId} ${id}`, async () => {
        await snapshot(this.ctx, C.streams, { userId, id });
        await this.streams.updateOne({ userId, id, deleted: null }, { $set: { deleted, siblingKey: `deleted ${id}`, clientData: null } }, opts(this.ctx));
      });
    }
  }

  async deletionsSince(userId: string, since: number): Promise<ItemDeletion[]> {
    const docs = await this.streams.find({ userId, deleted: { $gt: since } }, opts(this.ctx, { projection: { id: 1, deleted: 1 } })).sort({ deleted: 1 }).toArray();
    return docs.map((d) => ({ id: d.id, deleted: Number(d.deleted) }));
  }
}
