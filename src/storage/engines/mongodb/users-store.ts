import type { User } from '../../../domain/types.js';
import { DuplicateKeyError } from '../../interfaces/errors.js';
import type { UsersStore } from '../../interfaces/users-store.js';
import { docLock } from './cas.js';
import { C, coll, isDuplicateKey, opts, PER_USER, type MongoCtx } from './context.js';
import { dropUserCollections, ensureUserCollections, ucoll } from './user-collections.js';

export interface UserDoc extends User {
  /** lower(email): the unique index of addresses (no collation indexes on FerretDB). */
  emailKey: string;
}

export const toUser = (d: User): User => ({
  id: d.id, username: d.username, email: d.email, language: d.language, passwordHash: d.passwordHash, created: d.created, modified: d.modified,
});

const PATCHABLE = new Set(['email', 'language', 'passwordHash', 'modified']);

export class MongoUsersStore implements UsersStore {
  constructor(private readonly ctx: MongoCtx) {}

  private get users() {
    return coll<UserDoc>(this.ctx, C.users);
  }

  /** The user's own collections (user-collections.ts) first: a user document always has them. */
  async create(u: User): Promise<void> {
    await ensureUserCollections(this.ctx.db, u.id);
    try {
      await this.users.insertOne({ ...toUser(u), emailKey: u.email.toLowerCase() }, opts(this.ctx));
    } catch (err) {
      // FerretDB's E11000 on an insert names no index: which key is taken is looked up.
      if (isDuplicateKey(err)) throw new DuplicateKeyError((await this.users.findOne({ username: u.username }, opts(this.ctx))) === null ? 'email' : 'username');
      throw err;
    }
  }

  async getByUsername(username: string): Promise<User | null> {
    const d = await this.users.findOne({ username }, opts(this.ctx));
    return d === null ? null : toUser(d);
  }

  async getById(id: string): Promise<User | null> {
    const d = await this.users.findOne({ id }, opts(this.ctx));
    return d === null ? null : toUser(d);
  }

  async update(id: string, patch: Partial<Pick<User, 'email' | 'language' | 'passwordHash' | 'modified'>>): Promise<void> {
    const set: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(patch)) if (PATCHABLE.has(k) && v !== undefined) set[k] = v;
    if (patch.email !== undefined) set['emailKey'] = patch.email.toLowerCase();
    if (Object.keys(set).length === 0) return;
    // Under the user's lock: FerretDB writes a whole document back, so two updates of different
    // fields at once could lose one (cas.ts).
    await docLock(this.ctx, `${C.users} ${id}`, async () => {
      try {
        await this.users.updateOne({ id }, { $set: set }, opts(this.ctx));
      } catch (err) {
        if (isDuplicateKey(err)) throw new DuplicateKeyError('email');
        throw err;
      }
    });
  }

  async list(): Promise<User[]> {
    return (await this.users.find({}, opts(this.ctx)).sort({ username: 1 }).toArray()).map(toUser);
  }

  /**
   * The user's rows first, the user last: a cascade that dies half-way leaves the user in place, so
   * running it again finishes it (no orphans without a user to find them by).
   */
  async deleteCascade(id: string): Promise<void> {
    await dropUserCollections(this.ctx.db, id);
    for (const name of PER_USER) await coll(this.ctx, name).deleteMany({ userId: id }, opts(this.ctx));
    await this.users.deleteOne({ id }, opts(this.ctx));
  }

  /** Bytes of the user's stored documents, counted as their JSON text (no $bsonSize on FerretDB). */
  async storageUsed(id: string): Promise<{ dbDocuments: number; attachedFiles: number }> {
    let docs = 0;
    let files = 0;
    for (const name of [C.accesses, C.profiles, C.streams]) {
      for await (const d of coll(this.ctx, name).find({ userId: id, deleted: null }, opts(this.ctx, { projection: { _id: 0 } }))) {
        docs += Buffer.byteLength(JSON.stringify(d));
      }
    }
    const events = ucoll(this.ctx, 'events', id).find({ userId: id, deleted: null }, opts(this.ctx, { projection: { doc: 1, attachedBytes: 1 } }));
    for await (const e of events) {
      docs += typeof e['doc'] === 'string' ? Buffer.byteLength(e['doc']) : 0;
      files += typeof e['attachedBytes'] === 'number' ? e['attachedBytes'] : 0;
    }
    return { dbDocuments: docs, attachedFiles: files };
  }
}
