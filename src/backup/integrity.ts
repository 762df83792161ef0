import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkEventIntegrity } from '../domain/integrity.js';
import type { Attachment } from '../domain/types.js';
import type { RqliteClient } from '../platform/rqlite-client.js';
import { mappedTo, readMappings, restoreMapping } from '../platform/user-mappings.js';
import type { StoredAccess } from '../storage/interfaces/accesses-store.js';
import type { UserDataStore } from '../storage/interfaces/user-data-store.js';
import type { UsersStore } from '../storage/interfaces/users-store.js';
import { forEachBounded } from './bounded.js';
import { hashFile } from './codec.js';
import type { ImportedUser } from './import-check.js';
import { checkSeriesPiece, type SeriesState } from './series-check.js';

export interface IntegrityDeps {
  coreId: string;
  users: UsersStore;
  userData: UserDataStore;
  /** null: the platform mapping is not checked (no platform DB reachable). */
  rqlite: RqliteClient | null;
  attachmentsDir: string;
  /** Recomputes an access's stored `integrity` (it covers the token: the caller holds the keys); absent: accesses not checked. */
  checkAccess?: (access: StoredAccess) => boolean;
  /**
   * SHA-256 (base64) of attached files by `<user>/<event>/<file>`, hashed by the caller from the very
   * bytes it just wrote (bin/restore): used instead of reading those files again. Size and presence
   * are still checked.
   */
  knownHashes?: ReadonlyMap<string, string>;
  /**
   * bin/restore: what it checked of each user as the data went in (import-check.ts), by user id.
   * Such a user is not read back event by event: the engine confirms that what it stores is what
   * was imported (UserDataStore.verifyImported: row counts and a digest of the stored text).
   */
  imported?: ReadonlyMap<string, ImportedUser>;
}

/** Users checked at once: one reads from the engine while another hashes. */
const PARALLEL_USERS = 3;

type FileRef = { userId: string; eventId: string; fileId: string };

export interface IntegrityReport {
  users: number;
  /** Events read, those carrying `integrity`, and those whose content no longer matches it. */
  checked: number;
  withIntegrity: number;
  mismatches: { userId: string; eventId: string }[];
  /** Accesses carrying `integrity` (deleted ones included) and those that no longer match it. */
  accesses: { checked: number; mismatches: { userId: string; accessId: string }[] };
  attachments: { checked: number; missing: FileRef[]; altered: FileRef[]; orphans: string[] };
  series: { pieces: number; problems: { userId: string; eventId: string; problem: string }[] };
  /** Restored users whose stored rows differ from what the restore imported (verifyImported). */
  stored: { userId: string; problem: string }[];
  platform: { checked: boolean; unmapped: string[]; elsewhere: { username: string; coreId: string }[]; orphanMappings: string[] };
  /** What --repair did: mappings added for unmapped users, orphan files removed. */
  repaired: string[];
}

/** Orphan files younger than this may belong to an upload whose event is being written: left alone. */
const ORPHAN_MIN_AGE_MS = 3_600_000;

async function sha256Base64(path: string): Promise<string> {
  return Buffer.from((await hashFile(path)).sha256, 'hex').toString('base64');
}

/** Every `<user>/<event>/<file>` under the attachments dir (the staging dir excluded). */
async function storedFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .filter((rel) => !rel.startsWith('.') && rel.split('/').length === 3);
}

/**
 * bin/integrity-check (issue #12): per user, from one snapshot (UserDataStore.exportUser, any
 * engine): event integrity, attached files (present, same size, same SHA-256 as the attachment's
 * `integrity`), series pieces in order and consistent; then the platform mapping against this core's
 * users, and files no event references. `repair` fixes only what is safe: it maps an unmapped user
 * whose username nobody else holds, and removes orphan files older than an hour.
 */
export async function checkIntegrity(deps: IntegrityDeps, repair: boolean): Promise<IntegrityReport> {
  const report: IntegrityReport = {
    users: 0, checked: 0, withIntegrity: 0, mismatches: [], accesses: { checked: 0, mismatches: [] },
    attachments: { checked: 0, missing: [], altered: [], orphans: [] },
    series: { pieces: 0, problems: [] },
    stored: [],
    platform: { checked: deps.rqlite !== null, unmapped: [], elsewhere: [], orphanMappings: [] },
    repaired: [],
  };
  const referenced = new Set<string>();
  const users = await deps.users.list();
  await forEachBounded(users, PARALLEL_USERS, (u) => checkUser(deps, u.id, report, referenced));
  for (const rel of await storedFiles(deps.attachmentsDir)) {
    if (referenced.has(rel)) continue;
    // A file of a user or event created after that user's snapshot is not an orphan: checked by age.
    const st = await stat(join(deps.attachmentsDir, rel)).catch(() => null);
    if (st === null || Date.now() - st.mtimeMs < ORPHAN_MIN_AGE_MS) continue;
    report.attachments.orphans.push(rel);
    if (repair) {
      await rm(join(deps.attachmentsDir, rel), { force: true });
      report.repaired.push(`removed orphan file ${rel}`);
    }
  }
  if (deps.rqlite !== null) await checkPlatform(deps, deps.rqlite, users.map((u) => ({ username: u.username, email: u.email })), report, repair);
  return report;
}

/** One user, from one snapshot: events and their files, accesses, series pieces. */
async function checkUser(deps: IntegrityDeps, userId: string, report: IntegrityReport, referenced: Set<string>): Promise<void> {
  report.users += 1;
  const imported = deps.imported?.get(userId);
  if (imported !== undefined && deps.userData.verifyImported !== undefined && deps.checkAccess === undefined) {
    await checkImported(deps, deps.userData.verifyImported.bind(deps.userData), userId, imported, report, referenced);
    return;
  }
  const series = new Map<string, SeriesState>();
  for await (const r of deps.userData.exportUser(userId)) {
    if (r.kind === 'series') {
      report.series.pieces += 1;
      const problem = checkSeriesPiece(series, r);
      if (problem !== null) report.series.problems.push({ userId, eventId: r.eventId, problem });
      continue;
    }
    if (r.kind === 'access' && deps.checkAccess !== undefined && r.access.integrity !== undefined && r.access.integrity !== null) {
      report.accesses.checked += 1;
      if (!deps.checkAccess(r.access)) report.accesses.mismatches.push({ userId, accessId: r.access.id });
      continue;
    }
    if (r.kind !== 'event') continue;
    report.checked += 1;
    // Stored text with neither an integrity nor attachments: nothing to check, no need to parse it.
    if (r.json !== undefined && !r.json.includes('"integrity"') && !r.json.includes('"attachments"')) continue;
    const e = r.event;
    if (e.integrity !== undefined) {
      report.withIntegrity += 1;
      if (!checkEventIntegrity(e)) report.mismatches.push({ userId, eventId: e.id });
    }
    for (const a of e.attachments ?? []) await checkAttachment(deps, userId, e.id, a, report, referenced);
  }
}

/** One attached file of a stored event: present, same size, same SHA-256 as its `integrity`. */
async function checkAttachment(deps: IntegrityDeps, userId: string, eventId: string, a: Attachment, report: IntegrityReport, referenced: Set<string>): Promise<void> {
  const ref = { userId, eventId, fileId: a.id };
  const rel = `${userId}/${eventId}/${a.id}`;
  const path = join(deps.attachmentsDir, rel);
  referenced.add(rel);
  report.attachments.checked += 1;
  const st = await stat(path).catch(() => null);
  if (st === null) {
    report.attachments.missing.push(ref);
    return;
  }
  if (st.size !== a.size) report.attachments.altered.push(ref);
  else if (a.integrity !== undefined && a.integrity !== `sha256-${deps.knownHashes?.get(rel) ?? (await sha256Base64(path))}`) report.attachments.altered.push(ref);
}

/**
 * A user bin/restore just imported: the engine compares the stored events, versions and series
 * chunks with the digest of what it wrote (any difference is a problem); what the restore checked
 * of that same text as it went in stands for them: event integrity, series order, and the
 * attachments the events name (their files checked here as for any user).
 */
async function checkImported(deps: IntegrityDeps, verify: NonNullable<UserDataStore['verifyImported']>, userId: string, u: ImportedUser, report: IntegrityReport, referenced: Set<string>): Promise<void> {
  for (const problem of await verify(userId, u.digest)) report.stored.push({ userId, problem });
  report.checked += u.digest.event?.rows ?? 0;
  report.withIntegrity += u.withIntegrity;
  for (const eventId of u.mismatches) report.mismatches.push({ userId, eventId });
  report.series.pieces += u.seriesPieces;
  for (const p of u.seriesProblems) report.series.problems.push({ userId, ...p });
  for (const { eventId, attachment } of u.attachments) await checkAttachment(deps, userId, eventId, attachment, report, referenced);
}

async function checkPlatform(deps: IntegrityDeps, rqlite: RqliteClient, users: { username: string; email: string }[], report: IntegrityReport, repair: boolean): Promise<void> {
  const here = new Set(await mappedTo(rqlite, deps.coreId));
  const known = new Map((await readMappings(rqlite, users.map((u) => u.username))).map((m) => [m.username, m]));
  for (const u of users) {
    if (here.has(u.username)) continue;
    const m = known.get(u.username);
    if (m !== undefined) {
      report.platform.elsewhere.push({ username: u.username, coreId: m.coreId });
      continue;
    }
    report.platform.unmapped.push(u.username);
    if (repair && (await restoreMapping(rqlite, deps.coreId, { username: u.username, coreId: deps.coreId, createdAt: Date.now(), fields: { email: u.email.toLowerCase() } }))) {
      report.repaired.push(`mapped ${u.username} to ${deps.coreId}`);
    }
  }
  const local = new Set(users.map((u) => u.username));
  report.platform.orphanMappings = [...here].filter((name) => !local.has(name)).sort();
}

/** Problems a repair left (or, without --repair, found). */
export function problemCount(r: IntegrityReport): number {
  const repairedFiles = r.repaired.filter((x) => x.startsWith('removed orphan')).length;
  const repairedMaps = r.repaired.filter((x) => x.startsWith('mapped')).length;
  return r.mismatches.length + r.stored.length + r.accesses.mismatches.length + r.attachments.missing.length + r.attachments.altered.length + r.attachments.orphans.length - repairedFiles
    + r.series.problems.length + r.platform.unmapped.length - repairedMaps + r.platform.elsewhere.length + r.platform.orphanMappings.length;
}
