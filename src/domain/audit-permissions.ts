import { baseAccessId } from './access-ids.js';
import { isStreamPermission, type Access, type Permission } from './types.js';

/**
 * Who may read whose audit lines (docs/api.md#audit-trail), as Pryv.io v2 rules it: a personal
 * access reads every line of its user; any other access reads the lines of its own calls (unless
 * `{feature: selfAudit, setting: forbidden}`) and those of each access `X` it holds
 * `{streamId: ":_audit:access-X", level: "read"}` on. Such a permission is the only one accepted
 * under `:_audit:`; a personal access grants it for any access, another access only for accesses
 * whose lines it reads itself. The `*` permission never reaches audit streams. Pure.
 */

export const AUDIT_PREFIX = ':_audit:';
const ACCESS_STREAM_PREFIX = `${AUDIT_PREFIX}access-`;

export function isAuditStreamId(streamId: string): boolean {
  return streamId.startsWith(AUDIT_PREFIX);
}

/** The base id of the access `:_audit:access-<id>` names; null for any other stream id. */
export function auditedAccessOf(streamId: string): string | null {
  if (!streamId.startsWith(ACCESS_STREAM_PREFIX) || streamId.length === ACCESS_STREAM_PREFIX.length) return null;
  return baseAccessId(streamId.slice(ACCESS_STREAM_PREFIX.length));
}

export function auditStreamOfAccess(accessId: string): string {
  return `${ACCESS_STREAM_PREFIX}${baseAccessId(accessId)}`;
}

function selfAuditForbidden(access: Pick<Access, 'permissions'>): boolean {
  return access.permissions.some((p) => !isStreamPermission(p) && p.feature === 'selfAudit' && p.setting === 'forbidden');
}

/** `all` for a personal access; else the base ids of the accesses whose lines `access` may read (maybe none). */
export function readableAuditAccesses(access: Pick<Access, 'type' | 'id' | 'permissions'>): 'all' | Set<string> {
  if (access.type === 'personal') return 'all';
  const out = new Set<string>();
  if (!selfAuditForbidden(access)) out.add(baseAccessId(access.id));
  for (const p of access.permissions) {
    // Only `read` can be granted now; a higher level stored before that rule still means read.
    if (!isStreamPermission(p) || p.level === 'none' || p.level === 'create-only') continue;
    const audited = auditedAccessOf(p.streamId);
    if (audited !== null) out.add(audited);
  }
  return out;
}

/** The first `:_audit:` stream permission of `permissions` that is malformed: not `:_audit:access-<id>` at level `read`. */
export function malformedAuditPermission(permissions: readonly Permission[]): { streamId: string; level: string } | null {
  for (const p of permissions) {
    if (!isStreamPermission(p) || !isAuditStreamId(p.streamId)) continue;
    if (auditedAccessOf(p.streamId) === null || p.level !== 'read') return { streamId: p.streamId, level: p.level };
  }
  return null;
}

/** The `:_audit:access-…` streams of `permissions` that `granter` could not read itself (so may not grant). */
export function auditGrantsBeyond(granter: Pick<Access, 'type' | 'id' | 'permissions'>, permissions: readonly Permission[]): string[] {
  const readable = readableAuditAccesses(granter);
  if (readable === 'all') return [];
  const out: string[] = [];
  for (const p of permissions) {
    if (!isStreamPermission(p) || p.level === 'none') continue;
    const audited = auditedAccessOf(p.streamId);
    if (audited !== null && !readable.has(audited)) out.push(p.streamId);
  }
  return out;
}
