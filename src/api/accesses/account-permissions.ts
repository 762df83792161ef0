import { errors, type ApiError } from '../../errors/index.js';
import { isSystemStreamId, systemStreamsOf } from '../../domain/system-streams.js';
import { malformedAuditPermission } from '../../domain/audit-permissions.js';
import { isStreamPermission, type Access, type Level, type Permission } from '../../domain/types.js';
import type { Services } from '../context.js';

const RANK: Record<Level, number> = { none: 0, read: 1, 'create-only': 2, contribute: 2, manage: 3 };
/** Levels an access may hold on account streams: above `contribute` is refused, as in the reference. */
const ACCOUNT_LEVELS: readonly Level[] = ['none', 'read', 'contribute'];

function bad(message: string, streamId: string): ApiError {
  return errors.invalidParametersFormat(message, {
    data: [{ code: 'invalid-account-permission', message, path: '#/permissions', param: 'permissions', streamId }],
  });
}

/**
 * Permissions on account streams (docs/api.md#system-streams), for accesses.create / update: the
 * stream must be a shown account stream (400 otherwise, hidden fields included), the level `none`,
 * `read` or `contribute`, and a non-personal creator may grant no more than it holds there itself
 * (its `*` never counts: 403).
 */
export function checkAccountPermissions(services: Services, creator: Access, permissions: readonly Permission[]): void {
  // Audit streams (docs/api.md#audit-trail): only `:_audit:access-<id>` at level read can be granted.
  const audit = malformedAuditPermission(permissions);
  if (audit !== null) {
    throw errors.invalidParametersFormat(`"${audit.streamId}" (${audit.level}) cannot be granted: audit streams are granted as ":_audit:access-<access id>" at level "read" only.`, {
      data: [{ code: 'invalid-audit-permission', message: 'only ":_audit:access-<id>" at level read', path: '#/permissions', param: 'permissions', streamId: audit.streamId }],
    });
  }
  const sys = systemStreamsOf(services.config);
  for (const p of permissions) {
    if (!isStreamPermission(p) || !isSystemStreamId(p.streamId)) continue;
    const f = sys.field(p.streamId);
    if (!sys.isContainer(p.streamId) && (f === undefined || !f.isShown)) {
      throw bad(`"${p.streamId}" is not an account stream apps can be granted.`, p.streamId);
    }
    if (!ACCOUNT_LEVELS.includes(p.level)) throw bad(`Level "${p.level}" cannot be granted on the account stream "${p.streamId}" (none, read or contribute).`, p.streamId);
    if (creator.type === 'personal' || p.level === 'none') continue;
    const own = sys.levelOn(creator, p.streamId);
    if (own === null || own === 'create-only' || RANK[own] < RANK[p.level]) {
      throw errors.forbidden(`Your access token has insufficient permissions on the account stream "${p.streamId}".`, { data: { streamId: p.streamId } });
    }
  }
}
