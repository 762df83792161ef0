import { randomFillSync } from 'node:crypto';

/** How a call reached the server: one HTTP request, one call of a batch, or a Socket.IO call. */
export type AuditTransport = 'http' | 'batch' | 'socket.io';

/**
 * One audit record, one JSON line (docs/operations.md#reading-the-audit-trail). It names resources
 * by id only: no params' content, so health data never ends up in the trail.
 */
export interface AuditLine {
  /** Unique (random) id; the API shows the line as the event `:_audit:<id>`. */
  id: string;
  /** Unix time in seconds (ms precision) when the call ended. */
  time: number;
  user: string;
  /** The user's id: the API reads lines by id, so a later user of the same name never sees them. */
  userId: string;
  /** The caller's access, base id (without `:<serial>`); null for public calls without a token. */
  accessId: string | null;
  method: string;
  /** Ids the call named or created (event, stream, access, webhook, file ids), at most MAX_RESOURCES. */
  resources: string[];
  /** HTTP status of the outcome (a batch call: the status its error would have had, else 200/201). */
  status: number;
  /** Error id of a refused or failed call, else null. */
  error: string | null;
  ip: string | null;
  userAgent: string | null;
  transport: AuditTransport;
}

const MAX_RESOURCES = 20;
const ID_KEYS = ['id', 'streamId', 'parentId', 'fileId', 'eventId', 'accessId'];
const ID_LIST_KEYS = ['streamIds', 'streams', 'eventIds'];

/**
 * Random bytes for ids, drawn 512 ids at a time: one `randomBytes(12)` per line was a third of the
 * trail's CPU per read (docs/benchmarks.md#audit-trail). Same randomness, fetched in bulk.
 */
const ID_BYTES = 12;
const idPool = Buffer.alloc(ID_BYTES * 512);
let idNext = idPool.length;

export function newAuditId(): string {
  if (idNext >= idPool.length) {
    randomFillSync(idPool);
    idNext = 0;
  }
  const id = idPool.toString('base64url', idNext, idNext + ID_BYTES);
  idNext += ID_BYTES;
  return id;
}

/**
 * A read does not change data: its line is buffered. Every other method (creates, updates, deletes,
 * logins, password changes…) is a write: its line is on disk before the call is acknowledged.
 */
export function isReadMethod(methodId: string): boolean {
  const action = methodId.slice(methodId.lastIndexOf('.') + 1);
  return action.startsWith('get') || action === 'checkApp';
}

function pushId(out: Set<string>, v: unknown): void {
  if (typeof v === 'string' && v.length > 0 && v.length <= 200 && out.size < MAX_RESOURCES) out.add(v);
}

function idsOfObject(out: Set<string>, o: unknown): void {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return;
  const rec = o as Record<string, unknown>;
  for (const k of ID_KEYS) pushId(out, rec[k]);
  for (const k of ID_LIST_KEYS) {
    const list = rec[k];
    if (Array.isArray(list)) for (const v of list) pushId(out, v);
    else pushId(out, list);
  }
}

/**
 * The result keys that hold one resource of the API (its id is wanted: a creation's new id). Any
 * other result (a profile, an account, a shared secret's payload) is the user's content: its `id`
 * keys are not ids of ours and must not reach the trail.
 */
const RESULT_ITEM_KEYS = ['event', 'stream', 'access', 'webhook', 'sharedSecret'];

/** Resource ids of a call: those its params name, then those of the item its result holds (creations). */
export function resourceIdsOf(params: unknown, result: unknown): string[] {
  const out = new Set<string>();
  idsOfObject(out, params);
  if (typeof result === 'object' && result !== null && !Array.isArray(result)) {
    const rec = result as Record<string, unknown>;
    for (const k of RESULT_ITEM_KEYS) idsOfObject(out, rec[k]);
  }
  return [...out];
}

/** UTC day of a Unix time in ms: `YYYY-MM-DD`, the rotation unit. */
export function utcDay(ms: number): string {
  // Every line asks: the day of the last call is kept (a Date and an ISO string per line cost more
  // than the rest of a buffered line).
  if (ms >= dayCache.start && ms < dayCache.start + DAY_MS) return dayCache.day;
  const start = Math.floor(ms / DAY_MS) * DAY_MS;
  const day = new Date(start).toISOString().slice(0, 10);
  if (Number.isFinite(start)) dayCache = { start, day };
  return day;
}

const DAY_MS = 86_400_000;
let dayCache = { start: Number.NaN, day: '' };

const FILE_RE = /^audit-(\d{4}-\d{2}-\d{2})\.([\w.-]+)\.jsonl$/;

/** `audit-YYYY-MM-DD.<tag>.jsonl`: one file per UTC day and machine (`tag`: the host name). */
export function auditFileName(day: string, tag: string): string {
  return `audit-${day}.${tag}.jsonl`;
}

/** The day of an audit file name, or null for any other file. */
export function dayOfFile(name: string): string | null {
  return FILE_RE.exec(name)?.[1] ?? null;
}

/** A host name usable in a file name. */
export function fileTag(host: string): string {
  const t = host.replace(/[^\w.-]/g, '_').replace(/^\.+/, '');
  return t.length > 0 ? t.slice(0, 100) : 'host';
}

/** Parses one line of an audit file; null for a torn or foreign line (a crash mid-write, a full disk). */
export function parseAuditLine(text: string): AuditLine | null {
  if (text.length === 0 || text[0] !== '{') return null;
  try {
    const o = JSON.parse(text) as Partial<AuditLine>;
    if (typeof o.id !== 'string' || typeof o.time !== 'number' || typeof o.user !== 'string' || typeof o.method !== 'string') return null;
    return o as AuditLine;
  } catch {
    return null;
  }
}
