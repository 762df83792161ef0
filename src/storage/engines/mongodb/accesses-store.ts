import type { Access } from '../../../domain/types.js';
import type {
  AccessesStore, AccessVersion, AccessVersionDoc, AccessVersionPatch, NewStoredAccess, StoredAccess,
} from '../../interfaces/accesses-store.js';
import { DuplicateKeyError } from '../../interfaces/errors.js';
import { C, coll, decodeKey, duplicateIndex, encodeKey, isDuplicateKey, opts, snapshot, type MongoCtx } from './context.js';
import { docLock } from './cas.js';

/**
 * An access as stored. `liveKey` carries the uniqueness of live names (type + name + deviceName)
 * that PostgreSQL gets from a partial index: a deletion rewrites it to `deleted <id>`, which is
 * unique, so deleted accesses never clash. `calls` keys are method ids (`events.get`): encoded, as
 * stored field names cannot hold dots. `clientData` is JSON text (free-form keys).
 */
export interface AccessDoc extends Omit<StoredAccess, 'clientData' | 'integrity'> {
  userId: string;
  liveKey: string;
  clientData: string | null;
  integrity?: string | null;
}

/** A change of stored fields: what update() and updateVersioned() take (`integrity: null` clears it). */
type AccessChange = Partial<Omit<StoredAccess, 'integrity'>> & { integrity?: string | null };

const liveKey = (type: string, name: string, deviceName: string | null): string => JSON.stringify([type, name, deviceName ?? '']);

/** The stored form of an access (create, and bin/restore's import at its own serial). */
export function accessDoc(userId: string, a: StoredAccess): AccessDoc {
  const calls: Record<string, number> = {};
  for (const [k, v] of Object.entries(a.calls ?? {})) calls[encodeKey(k)] = v;
  return {
    ...a, integrity: a.integrity ?? null, userId, calls, clientData: a.clientData === null ? null : JSON.stringify(a.clientData),
    liveKey: a.deleted !== null ? `deleted ${a.id}` : liveKey(a.type, a.name, a.deviceName),
  };
}

export function toAccess(d: AccessDoc): StoredAccess {
  const calls: Record<string, number> = {};
  for (const [k, v] of Object.entries(d.calls ?? {})) calls[decodeKey(k)] = v;
  return {
    id: d.id, tokenHash: d.tokenHash, tokenSealed: d.tokenSealed, type: d.type, name: d.name, deviceName: d.deviceName,
    permissions: d.permissions, expires: d.expires, lastUsed: d.lastUsed, calls,
    clientData: d.clientData === null ? null : (JSON.parse(d.clientData) as Record<string, unknown>),
    created: d.created, createdBy: d.createdBy, modified: d.modified, modifiedBy: d.modifiedBy, deleted: d.deleted, serial: d.serial ?? 0,
    ...(typeof d.integrity === 'string' ? { integrity: d.integrity } : {}),
  };
}

const PATCHABLE = [
  'name', 'deviceName', 'permissions', 'expires', 'lastUsed', 'clientData', 'modified', 'modifiedBy', 'deleted',
  // bin/keys reseal (src/cli/keys/reseal.ts)
  'tokenHash', 'tokenSealed', 'integrity',
] as const;

/** `$set` fields of a patch; `liveKey` follows a name/deviceName change (given the current access). */
function setOf(patch: AccessChange, current: StoredAccess | null): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  for (const k of PATCHABLE) {
    const v = patch[k];
    if (v === undefined) continue;
    set[k] = k === 'clientData' && v !== null ? JSON.stringify(v) : v;
  }
  if (current !== null && (patch.name !== undefined || patch.deviceName !== undefined || patch.deleted !== undefined)) {
    const deleted = patch.deleted !== undefined ? patch.deleted : current.deleted;
    set['liveKey'] = deleted !== null ? `deleted ${current.id}` : liveKey(current.type, patch.name ?? current.name, patch.deviceName !== undefined ? patch.deviceName : current.deviceName);
  }
  return set;
}

export class MongoAccessesStore implements AccessesStore {
  constructor(private readonly ctx: MongoCtx) {}

  private get accesses() {
    return coll<AccessDoc>(this.ctx, C.accesses);
  }

  async create(userId: string, a: NewStoredAccess): Promise<void> {
    const doc = accessDoc(userId, { ...a, serial: 0 });
    try {
      await this.accesses.insertOne(doc, opts(this.ctx));
    } catch (err) {
      if (isDuplicateKey(err)) {
        // FerretDB's E11000 on an insert names no index: which key is taken is looked up.
        if (duplicateIndex(err, 'accesses_token') || (await this.accesses.findOne({ userId, tokenHash: a.tokenHash }, opts(this.ctx))) !== null) {
          throw new DuplicateKeyError('token');
        }
        throw new DuplicateKeyError((await this.accesses.findOne({ userId, id: a.id }, opts(this.ctx))) !== null ? 'id' : 'name');
      }
      throw err;
    }
  }

  /** Every change of an access goes under its lock (cas.ts: no compare-and-set on FerretDB). */
  private locked<T>(userId: string, id: string, fn: () => Promise<T>): Promise<T> {
    return docLock(this.ctx, `${C.accesses} ${userId} ${id}`, fn);
  }

  private async one(filter: Record<string, unknown>): Promise<StoredAccess | null> {
    const d = await this.accesses.findOne(filter, opts(this.ctx));
    return d === null ? null : toAccess(d);
  }

  findByTokenHash(userId: string, tokenHash: string): Promise<StoredAccess | null> {
    return this.one({ userId, tokenHash });
  }

  getById(userId: string, id: string): Promise<StoredAccess | null> {
    return this.one({ userId, id });
  }

  async list(userId: string, options: { includeDeletions?: boolean } = {}): Promise<StoredAccess[]> {
    const filter = options.includeDeletions === true ? { userId } : { userId, deleted: null };
    return (await this.accesses.find(filter, opts(this.ctx)).sort({ created: 1, id: 1 }).toArray()).map(toAccess);
  }

  findByName(userId: string, type: Access['type'], name: string, deviceName: string | null): Promise<StoredAccess | null> {
    return this.one({ userId, liveKey: liveKey(type, name, deviceName) });
  }

  async update(userId: string, id: string, patch: Partial<StoredAccess>): Promise<void> {
    await this.locked(userId, id, async () => {
      const current = await this.getById(userId, id);
      const set = setOf(patch, current);
      if (current === null || Object.keys(set).length === 0) return;
      await snapshot(this.ctx, C.accesses, { userId, id });
      try {
        await this.accesses.updateOne({ userId, id }, { $set: set }, opts(this.ctx));
      } catch (err) {
        if (isDuplicateKey(err)) throw new DuplicateKeyError('name');
        throw err;
      }
    });
  }

  /**
   * Under the access's lock, the compare-and-set on `serial`. The past version is written first
   * (keyed by its serial, replaced by a later try), then the access: a crash in between leaves the
   * access at its old serial, and history() hides an entry at the live serial.
   */
  async updateVersioned(userId: string, id: string, expectedSerial: number, patch: AccessVersionPatch, previous: { doc: AccessVersionDoc; replaced: number }): Promise<StoredAccess | null> {
    return this.locked(userId, id, async () => {
      const current = await this.getById(userId, id);
      if (current === null || current.serial !== expectedSerial || current.deleted !== null) return null;
      const set: Record<string, unknown> = { ...setOf(patch, current), serial: expectedSerial + 1 };
      // Before anything is written: a name clash refuses the update with nothing kept.
      const clash = set['liveKey'] === undefined ? null : await this.accesses.findOne({ userId, liveKey: String(set['liveKey']), id: { $ne: id } }, opts(this.ctx));
      if (clash !== null) throw new DuplicateKeyError('name');
      await snapshot(this.ctx, C.accessHistory, { userId, id, serial: expectedSerial });
      await coll(this.ctx, C.accessHistory).updateOne(
        { userId, id, serial: expectedSerial },
        { $set: { doc: JSON.stringify(previous.doc), replaced: previous.replaced } },
        opts(this.ctx, { upsert: true }),
      );
      await snapshot(this.ctx, C.accesses, { userId, id });
      try {
        await this.accesses.updateOne({ userId, id }, { $set: set }, opts(this.ctx));
      } catch (err) {
        if (isDuplicateKey(err)) throw new DuplicateKeyError('name');
        throw err;
      }
      return this.getById(userId, id);
    });
  }

  async history(userId: string, id: string): Promise<AccessVersion[]> {
    const docs = await coll(this.ctx, C.accessHistory).find({ userId, id }, opts(this.ctx)).sort({ serial: -1 }).toArray();
    const live = await this.getById(userId, id);
    // An entry at the live serial is one written by an update that never happened (crash, lost race).
    return docs
      .filter((d) => live === null || Number(d['serial']) < live.serial)
      .map((d) => ({ serial: Number(d['serial']), doc: JSON.parse(String(d['doc'])) as AccessVersionDoc, replaced: Number(d['replaced']) }));
  }

  async markDeleted(userId: string, ids: string[], deleted: number): Promise<void> {
    // One document at a time (each atomic): liveKey becomes unique per access.
    for (const id of ids) {
      await this.locked(userId, id, async () => {
        await snapshot(this.ctx, C.accesses, { userId, id });
        await this.accesses.updateOne({ userId, id, deleted: null }, { $set: { deleted, liveKey: `deleted ${id}` } }, opts(this.ctx));
      });
    }
  }

  /** Under the access's lock: concurrent flushes from several workers add up. */
  async recordUsage(userId: string, id: string, lastUsed: number, calls: Record<string, number>): Promise<void> {
    await this.locked(userId, id, async () => {
      const d = await this.accesses.findOne({ userId, id }, opts(this.ctx, { projection: { calls: 1, lastUsed: 1 } }));
      if (d === null) return;
      const sum: Record<string, number> = { ...(d.calls ?? {}) };
      for (const [k, v] of Object.entries(calls)) sum[encodeKey(k)] = (sum[encodeKey(k)] ?? 0) + v;
      await this.accesses.updateOne({ _id: d._id }, { $set: { calls: sum, lastUsed: Math.max(d.lastUsed ?? 0, lastUsed) } }, opts(this.ctx));
    });
  }
}
