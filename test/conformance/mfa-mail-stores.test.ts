import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stores } from '../../src/storage/interfaces/stores.js';
import type { MfaRecord } from '../../src/storage/interfaces/mfa-store.js';
import { engines, type EngineDatabase } from './engines.js';

/** The MfaStore, MailTemplatesStore and EmailVerificationsStore contracts (src/storage/interfaces/), run against every engine. */
const record = (extra: Partial<MfaRecord> = {}): MfaRecord => ({
  method: 'totp',
  data: { secretSealed: 'sealed-secret' },
  recoveryCodeHashes: ['h1', 'h2'],
  activatedAt: 1700000000.5,
  ...extra,
});

describe.each(engines)('MfaStore and MailTemplatesStore: $name', (fixture) => {
  let db: EngineDatabase;
  let stores: Stores;
  const users = ['mfa-user-1', 'mfa-user-2', 'mfa-user-3', 'mfa-user-4'];
  beforeAll(async () => {
    db = await fixture.freshDatabase();
    stores = await db.openStores();
    for (const id of users) await stores.users.create({ id, username: `${id}x`, email: `${id}@example.test`, language: 'en', passwordHash: 'x', created: 1, modified: 1 });
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it('get: null before activation; activate stores the record as given; a second activate replaces it', async () => {
    const [u] = users as [string];
    expect(await stores.mfa.get(u)).toBeNull();
    await stores.mfa.activate(u, record());
    expect(await stores.mfa.get(u)).toEqual(record());
    const sms = record({ method: 'sms', data: { phone: '41790000000', message: 'Code {{ code }}' }, recoveryCodeHashes: ['h3'] });
    await stores.mfa.activate(u, sms);
    expect(await stores.mfa.get(u)).toEqual(sms);
  });

  it('deactivate: true once, then false; other users keep theirs', async () => {
    const [, a, b] = users as [string, string, string];
    await stores.mfa.activate(a, record());
    await stores.mfa.activate(b, record());
    expect(await stores.mfa.deactivate(a)).toBe(true);
    expect(await stores.mfa.deactivate(a)).toBe(false);
    expect(await stores.mfa.get(a)).toBeNull();
    expect(await stores.mfa.get(b)).toEqual(record());
  });

  it('useTotpStep: each step once, never an older one; concurrent uses of one step: exactly one wins; activate starts over', async () => {
    const u = users[3] as string;
    expect(await stores.mfa.useTotpStep(u, 10)).toBe(false);
    await stores.mfa.activate(u, record());
    expect(await stores.mfa.useTotpStep(u, 10)).toBe(true);
    expect(await stores.mfa.useTotpStep(u, 10)).toBe(false);
    expect(await stores.mfa.useTotpStep(u, 9)).toBe(false);
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => stores.mfa.useTotpStep(u, 11)));
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    await stores.mfa.activate(u, record());
    expect(await stores.mfa.useTotpStep(u, 5)).toBe(true);
  });

  it('a user deletion removes the record', async () => {
    const id = 'mfa-user-gone';
    await stores.users.create({ id, username: 'mfa-user-gone', email: 'gone@example.test', language: 'en', passwordHash: 'x', created: 1, modified: 1 });
    await stores.mfa.activate(id, record());
    await stores.users.deleteCascade(id);
    expect(await stores.mfa.get(id)).toBeNull();
  });

  it('email verifications: null before, then the last address marked; removed with the user', async () => {
    const id = 'mfa-user-verify';
    await stores.users.create({ id, username: 'mfa-user-verify', email: 'v@example.test', language: 'en', passwordHash: 'x', created: 1, modified: 1 });
    expect(await stores.emailVerifications.get(id)).toBeNull();
    await stores.emailVerifications.markVerified(id, 'v@example.test', 100.5);
    expect(await stores.emailVerifications.get(id)).toEqual({ email: 'v@example.test', verifiedAt: 100.5 });
    await stores.emailVerifications.markVerified(id, 'w@example.test', 200);
    expect(await stores.emailVerifications.get(id)).toEqual({ email: 'w@example.test', verifiedAt: 200 });
    await stores.users.deleteCascade(id);
    expect(await stores.emailVerifications.get(id)).toBeNull();
  });

  it('mail templates: put, get, list with lengths, replace, delete once', async () => {
    const key = { kind: 'welcome', language: 'fr', part: 'subject' as const };
    expect(await stores.mailTemplates.get(key)).toBeNull();
    await stores.mailTemplates.put(key, 'Bienvenue, {{ username }}');
    await stores.mailTemplates.put({ ...key, part: 'text' }, 'Texte');
    expect(await stores.mailTemplates.get(key)).toBe('Bienvenue, {{ username }}');
    expect(await stores.mailTemplates.get({ ...key, language: 'en' })).toBeNull();
    await stores.mailTemplates.put(key, 'Salut');
    expect(await stores.mailTemplates.get(key)).toBe('Salut');
    const list = await stores.mailTemplates.list();
    expect(list.map(({ updatedAt: _u, ...rest }) => rest)).toEqual([
      { kind: 'welcome', language: 'fr', part: 'subject', length: 5 },
      { kind: 'welcome', language: 'fr', part: 'text', length: 5 },
    ]);
    expect(list.every((t) => t.updatedAt > 0)).toBe(true);
    expect(await stores.mailTemplates.delete(key)).toBe(true);
    expect(await stores.mailTemplates.delete(key)).toBe(false);
    expect(await stores.mailTemplates.get(key)).toBeNull();
  });
});
