import { type ApiError, errors } from '../../errors/index.js';
import { resolveContent } from '../../domain/event-rules.js';
import { systemStreamsOf, type AccountField } from '../../domain/system-streams.js';
import type { Event, User } from '../../domain/types.js';
import { UniqueFieldTakenError } from '../../platform/platform-db.js';
import { DuplicateKeyError } from '../../storage/interfaces/errors.js';
import type { Services } from '../context.js';
import { EMAIL } from '../users/registration-params.js';

/**
 * Account field values and their change metadata. Email and language stay in the user row (as
 * before); the other fields and the metadata of all of them live in one profile set of the user,
 * `account:fields`, which no profile method can name (those take `public`, `private`, `app:…`).
 */
export const ACCOUNT_FIELDS_SET = 'account:fields';

/** Bound on one field's value (as JSON): account fields are short identifiers, not documents. */
const MAX_VALUE_CHARS = 4096;

interface FieldRecord {
  value?: unknown;
  time: number;
  created: number;
  createdBy: string;
  modifiedBy: string;
}

function recordOf(raw: unknown): FieldRecord | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  if (typeof r['time'] !== 'number' || typeof r['created'] !== 'number') return null;
  return {
    value: r['value'],
    time: r['time'],
    created: r['created'],
    createdBy: typeof r['createdBy'] === 'string' ? r['createdBy'] : 'system',
    modifiedBy: typeof r['modifiedBy'] === 'string' ? r['modifiedBy'] : 'system',
  };
}

function eventOf(f: AccountField, content: unknown, meta: Pick<FieldRecord, 'time' | 'created' | 'createdBy' | 'modifiedBy'>): Event {
  return {
    id: f.id,
    streamIds: [f.id],
    type: f.type,
    time: meta.time,
    duration: undefined,
    content,
    description: undefined,
    clientData: undefined,
    attachments: undefined,
    trashed: false,
    created: meta.created,
    createdBy: meta.createdBy,
    modified: meta.time,
    modifiedBy: meta.modifiedBy,
  };
}

/** The events of the given fields (a field without a value has no event). */
export async function readAccountEvents(services: Services, user: User, fields: readonly AccountField[]): Promise<Event[]> {
  if (fields.length === 0) return [];
  const set = await services.stores.profile.get(user.id, ACCOUNT_FIELDS_SET);
  const storage = fields.some((f) => f.source === 'storage') ? await services.stores.users.storageUsed(user.id) : null;
  const now = Date.now() / 1000;
  const events: Event[] = [];
  for (const f of fields) {
    const rec = recordOf(set[f.key]);
    const meta = rec ?? { time: user.created, created: user.created, createdBy: 'system', modifiedBy: 'system' };
    if (f.source === 'user') events.push(eventOf(f, f.key === 'email' ? user.email : user.language, meta));
    else if (f.source === 'storage' && storage !== null) {
      const value = f.key === 'dbDocuments' ? storage.dbDocuments : storage.attachedFiles;
      events.push(eventOf(f, value, { ...meta, time: now }));
    } else if (rec !== null && rec.value !== undefined && rec.value !== null) events.push(eventOf(f, rec.value, rec));
  }
  return events;
}

function invalidValue(f: AccountField, message: string): ApiError {
  return errors.invalidParametersFormat(message, [{ code: `${f.key}-invalid`, message, path: '#/content', param: 'content' }]);
}

/** Content rules of a field: its event type's schema, then string rules (email, language, regex, unique). */
export function checkFieldValue(services: Services, f: AccountField, content: unknown): unknown {
  if (content === undefined || content === null) throw invalidValue(f, `The content of "${f.id}" is required.`);
  if (JSON.stringify(content).length > MAX_VALUE_CHARS) throw invalidValue(f, `The content of "${f.id}" is too large (at most ${MAX_VALUE_CHARS} characters as JSON).`);
  const resolved = resolveContent(services.eventTypes, f.type, content).content;
  const mustBeString = f.source === 'user' || f.isUnique || f.regexValidation !== null;
  if (mustBeString && typeof resolved !== 'string') throw invalidValue(f, `The content of "${f.id}" must be a string.`);
  if (typeof resolved === 'string') {
    if (f.key === 'email' && !EMAIL.test(resolved)) throw invalidValue(f, 'email is not a valid email address.');
    if (f.key === 'language' && (resolved.length < 1 || resolved.length > 5)) throw invalidValue(f, 'language must be 1–5 characters.');
    if (f.regexValidation !== null && !f.regexValidation.test(resolved)) throw invalidValue(f, `The content of "${f.id}" does not match its format.`);
  }
  return resolved;
}

/** Platform-wide value of a unique field: emails compare case-insensitively, others exactly. */
export function uniqueValue(f: AccountField, value: string): string {
  return f.key === 'email' ? value.toLowerCase() : value;
}

export function fieldTaken(f: AccountField, value: unknown): ApiError {
  return errors.itemAlreadyExists(`That ${f.key} is already taken.`, { data: { [f.key]: value } });
}

/**
 * Sets a field's value as `author`: reserves a unique value platform-wide first (and gives it back
 * if the local write fails), then writes it where the field lives. Returns the field's new event.
 */
export async function writeAccountField(services: Services, user: User, f: AccountField, content: unknown, author: string): Promise<Event> {
  const value = checkFieldValue(services, f, content);
  const [previous] = await readAccountEvents(services, user, [f]);
  const reserve = f.isUnique && typeof value === 'string' && (previous === undefined || previous.content !== value);
  if (reserve) {
    try {
      await services.platform.changeUniqueField(user.username, f.key, uniqueValue(f, value));
    } catch (err) {
      if (err instanceof UniqueFieldTakenError) throw fieldTaken(f, value);
      throw err;
    }
  }
  const now = Date.now() / 1000;
  const rec: FieldRecord = { time: now, created: previous?.created ?? now, createdBy: previous?.createdBy ?? author, modifiedBy: author };
  try {
    if (f.source === 'user') {
      const v = String(value);
      await services.stores.users.update(user.id, f.key === 'email' ? { email: v, modified: now } : { language: v, modified: now });
    }
    await services.stores.profile.update(user.id, ACCOUNT_FIELDS_SET, { [f.key]: f.source === 'user' ? rec : { ...rec, value } });
  } catch (err) {
    if (reserve && previous !== undefined && typeof previous.content === 'string') {
      await services.platform.changeUniqueField(user.username, f.key, uniqueValue(f, previous.content)).catch((e: Error) => {
        services.logger.error({ err: e.message, username: user.username, field: f.key }, 'could not restore a unique account field after a failed write');
      });
    }
    if (err instanceof DuplicateKeyError) throw fieldTaken(f, value);
    throw err;
  }
  return eventOf(f, value, rec);
}

/** Values of the fields kept in the account-fields set, written once at registration. */
export async function storeRegistrationFields(services: Services, user: User, values: Record<string, string>): Promise<void> {
  const fields = systemStreamsOf(services.config).fields.filter((f) => f.source === 'fields' && values[f.key] !== undefined);
  if (fields.length === 0) return;
  const at = user.created;
  const changes = Object.fromEntries(fields.map((f) => [f.key, { value: values[f.key], time: at, created: at, createdBy: 'system', modifiedBy: 'system' }]));
  await services.stores.profile.update(user.id, ACCOUNT_FIELDS_SET, changes);
}

/**
 * Indexed fields kept in the account-fields set (appId, invitation token, referer, indexed custom
 * fields), hidden ones included: what `GET /system/admin/users` adds to each user.
 */
export async function indexedFieldValues(services: Services, user: User): Promise<Record<string, unknown>> {
  const indexed = systemStreamsOf(services.config).fields.filter((f) => f.isIndexed && f.source === 'fields');
  const set = await services.stores.profile.get(user.id, ACCOUNT_FIELDS_SET);
  const out: Record<string, unknown> = {};
  for (const f of indexed) {
    const rec = recordOf(set[f.key]);
    if (rec !== null && rec.value !== undefined) out[f.key] = rec.value;
  }
  return out;
}

/**
 * Records that user-row fields (`email`, `language`) changed outside their events (`account.update`),
 * so their events' `modified` moves and `events.get` with `modifiedSince` sees the change.
 */
export async function recordUserFieldChange(services: Services, user: User, keys: readonly ('email' | 'language')[], author: string): Promise<void> {
  if (keys.length === 0) return;
  const set = await services.stores.profile.get(user.id, ACCOUNT_FIELDS_SET);
  const now = Date.now() / 1000;
  const changes: Record<string, FieldRecord> = {};
  for (const key of keys) {
    const rec = recordOf(set[key]);
    changes[key] = { time: now, created: rec?.created ?? user.created, createdBy: rec?.createdBy ?? 'system', modifiedBy: author };
  }
  await services.stores.profile.update(user.id, ACCOUNT_FIELDS_SET, changes);
}
