import type { ProfileStore } from '../../interfaces/profile-store.js';
import type { KeyValueStore } from '../../interfaces/key-value-store.js';
import type { MfaRecord, MfaStore } from '../../interfaces/mfa-store.js';
import type { EmailVerificationsStore, MailTemplateKey, MailTemplatePart, MailTemplatesStore } from '../../interfaces/mail-templates-store.js';
import { C, coll, isDuplicateKey, opts, type MongoCtx } from './context.js';
import { casUpdate, docLock } from './cas.js';

export class MongoProfileStore implements ProfileStore {
  constructor(private readonly ctx: MongoCtx) {}

  async get(userId: string, profileId: string): Promise<Record<string, unknown>> {
    const d = await coll(this.ctx, C.profiles).findOne({ userId, id: profileId }, opts(this.ctx));
    return typeof d?.['data'] === 'string' ? (JSON.parse(d['data']) as Record<string, unknown>) : {};
  }

  /** Keys are free-form (dots, `$`): the set is kept as JSON text and merged by compare-and-set. */
  async update(userId: string, profileId: string, changes: Record<string, unknown>): Promise<Record<string, unknown>> {
    let result: Record<string, unknown> = {};
    await casUpdate<{ data?: string }>(this.ctx, C.profiles, { userId, id: profileId }, (current) => {
      const data: Record<string, unknown> = typeof current?.data === 'string' ? (JSON.parse(current.data) as Record<string, unknown>) : {};
      for (const [k, v] of Object.entries(changes)) {
        if (v === null) delete data[k];
        else data[k] = v;
      }
      result = data;
      return { userId, id: profileId, data: JSON.stringify(data) };
    }, { insertWhenMissing: true, lockKey: `${userId} ${profileId}` });
    return result;
  }
}

interface KeyValueDoc {
  _id: string;
  value: string;
  expiresAt: number;
}

const nowSeconds = (): number => Date.now() / 1000;
const parseValue = (d: { value: string } | null): unknown | null => (d === null ? null : (JSON.parse(d.value) as unknown));

export class MongoKeyValueStore implements KeyValueStore {
  constructor(private readonly ctx: MongoCtx) {}

  private get kv() {
    return coll<KeyValueDoc>(this.ctx, C.keyValues);
  }

  async put(key: string, value: unknown, expiresAt: number): Promise<void> {
    await this.kv.updateOne({ _id: key }, { $set: { value: JSON.stringify(value), expiresAt } }, opts(this.ctx, { upsert: true }));
    await this.kv.deleteMany({ expiresAt: { $lt: nowSeconds() } }, opts(this.ctx));
  }

  /** One write: replaces an expired record, inserts when absent; a live one makes the upsert collide. */
  /** Under the key's lock (cas.ts: conditional writes are not atomic on FerretDB): of parallel callers, one stores. */
  async add(key: string, value: unknown, expiresAt: number): Promise<boolean> {
    return docLock(this.ctx, `${C.keyValues} ${key}`, async () => {
      const live = await this.kv.findOne({ _id: key, expiresAt: { $gte: nowSeconds() } }, opts(this.ctx));
      if (live !== null) return false;
      try {
        await this.kv.updateOne({ _id: key }, { $set: { value: JSON.stringify(value), expiresAt } }, opts(this.ctx, { upsert: true }));
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    });
  }

  /** Read and delete under the key's lock: at most one caller gets the value. */
  async take(key: string): Promise<unknown | null> {
    return docLock(this.ctx, `${C.keyValues} ${key}`, async () => {
      const d = await this.kv.findOne({ _id: key, expiresAt: { $gte: nowSeconds() } }, opts(this.ctx));
      if (d === null) return null;
      await this.kv.deleteOne({ _id: key }, opts(this.ctx));
      return parseValue(d);
    });
  }

  async get(key: string): Promise<unknown | null> {
    return parseValue(await this.kv.findOne({ _id: key, expiresAt: { $gte: nowSeconds() } }, opts(this.ctx)));
  }

  async delete(key: string): Promise<void> {
    await this.kv.deleteOne({ _id: key }, opts(this.ctx));
  }
}

export interface MfaDoc {
  userId: string;
  method: MfaRecord['method'];
  data: Record<string, string>;
  recoveryCodeHashes: string[];
  activatedAt: number;
  lastTotpStep: number | null;
}

export class MongoMfaStore implements MfaStore {
  constructor(private readonly ctx: MongoCtx) {}

  private get mfa() {
    return coll<MfaDoc>(this.ctx, C.mfa);
  }

  async get(userId: string): Promise<MfaRecord | null> {
    const d = await this.mfa.findOne({ userId }, opts(this.ctx));
    return d === null ? null : { method: d.method, data: d.data, recoveryCodeHashes: d.recoveryCodeHashes, activatedAt: d.activatedAt };
  }

  async activate(userId: string, r: MfaRecord): Promise<void> {
    const set = { method: r.method, data: r.data, recoveryCodeHashes: r.recoveryCodeHashes, activatedAt: r.activatedAt, lastTotpStep: null };
    await this.mfa.updateOne({ userId }, { $set: set }, opts(this.ctx, { upsert: true }));
  }

  /** Under the user's MFA lock: replaced only while `data` still equals `expected` (keys in any order). */
  async replaceData(userId: string, expected: Record<string, string>, data: Record<string, string>): Promise<boolean> {
    const canonical = (o: Record<string, string>): string => JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]]));
    return docLock(this.ctx, `${C.mfa} ${userId}`, async () => {
      const d = await this.mfa.findOne({ userId }, opts(this.ctx));
      if (d === null || canonical(d.data) !== canonical(expected)) return false;
      await this.mfa.updateOne({ userId }, { $set: { data } }, opts(this.ctx));
      return true;
    });
  }

  async deactivate(userId: string): Promise<boolean> {
    return (await this.mfa.deleteOne({ userId }, opts(this.ctx))).deletedCount === 1;
  }

  /** Under the user's MFA lock: of two requests with the same code, exactly one gets through. */
  async useTotpStep(userId: string, step: number): Promise<boolean> {
    return docLock(this.ctx, `${C.mfa} ${userId}`, async () => {
      const d = await this.mfa.findOne({ userId }, opts(this.ctx));
      if (d === null || (d.lastTotpStep !== null && d.lastTotpStep >= step)) return false;
      await this.mfa.updateOne({ userId }, { $set: { lastTotpStep: step } }, opts(this.ctx));
      return true;
    });
  }
}

interface TemplateDoc extends MailTemplateKey {
  source: string;
  updatedAt: number;
}

export class MongoMailTemplatesStore implements MailTemplatesStore {
  constructor(private readonly ctx: MongoCtx) {}

  private get templates() {
    return coll<TemplateDoc>(this.ctx, C.mailTemplates);
  }

  async list(): Promise<(MailTemplateKey & { length: number; updatedAt: number })[]> {
    const docs = await this.templates.find({}, opts(this.ctx)).sort({ kind: 1, language: 1, part: 1 }).toArray();
    return docs.map((d) => ({ kind: d.kind, language: d.language, part: d.part as MailTemplatePart, length: [...d.source].length, updatedAt: d.updatedAt }));
  }

  async get(key: MailTemplateKey): Promise<string | null> {
    return (await this.templates.findOne({ kind: key.kind, language: key.language, part: key.part }, opts(this.ctx)))?.source ?? null;
  }

  async put(key: MailTemplateKey, source: string): Promise<void> {
    const filter = { kind: key.kind, language: key.language, part: key.part };
    await this.templates.updateOne(filter, { $set: { source, updatedAt: nowSeconds() } }, opts(this.ctx, { upsert: true }));
  }

  async delete(key: MailTemplateKey): Promise<boolean> {
    return (await this.templates.deleteOne({ kind: key.kind, language: key.language, part: key.part }, opts(this.ctx))).deletedCount === 1;
  }
}

export class MongoEmailVerificationsStore implements EmailVerificationsStore {
  constructor(private readonly ctx: MongoCtx) {}

  async get(userId: string): Promise<{ email: string; verifiedAt: number } | null> {
    const d = await coll(this.ctx, C.emailVerifications).findOne({ userId }, opts(this.ctx));
    return d === null ? null : { email: String(d['email']), verifiedAt: Number(d['verifiedAt']) };
  }

  async markVerified(userId: string, email: string, verifiedAt: number): Promise<void> {
    await coll(this.ctx, C.emailVerifications).updateOne({ userId }, { $set: { email, verifiedAt } }, opts(this.ctx, { upsert: true }));
  }
}
