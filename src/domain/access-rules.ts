import { isDeepStrictEqual } from 'node:util';
import { AccessLogic } from './access-logic.js';
import { baseAccessId, sameAccess } from './access-ids.js';
import { auditGrantsBeyond, isAuditStreamId } from './audit-permissions.js';
import type { StreamsTree } from './streams-tree.js';
import { isStreamPermission, type Access, type FeaturePermission, type Level, type Permission } from './types.js';

/**
 * Rules about accesses themselves (Pryv API §2.5, §3.4): who may create or delete which access, and
 * the comparisons of `accesses.checkApp`. Pure: callers load the accesses and the streams tree.
 */

const RANK: Record<Level, number> = { none: 0, read: 1, 'create-only': 2, contribute: 2, manage: 3 };

/** Tokens a client may never choose (Pryv API §1.5). */
export const RESERVED_TOKENS: ReadonlySet<string> = new Set(['null', 'undefined', '*']);

/**
 * `createdBy` may carry a caller id after a space (`"<accessId> <callerId>"`, §1.2): the creating
 * access is the part before it, as a base id (a composite `<id>:<serial>` written by a versioned
 * caller still links to the same access, src/domain/access-ids.ts).
 */
export function creatorOf(access: Pick<Access, 'createdBy'>): string {
  const space = access.createdBy.indexOf(' ');
  return baseAccessId(space === -1 ? access.createdBy : access.createdBy.slice(0, space));
}

/** `candidate` was created by the access `creatorId` (any version of it). */
export function isCreatedBy(candidate: Pick<Access, 'createdBy'>, creatorId: string): boolean {
  return creatorOf(candidate) === baseAccessId(creatorId);
}

export function isExpired(access: Pick<Access, 'expires'>, now: number): boolean {
  return access.expires !== null && access.expires < now;
}

/** Ids of the accesses `rootId` created, directly or through its children (the delete cascade). */
export function descendantsOf(rootId: string, accesses: readonly Pick<Access, 'id' | 'createdBy'>[]): string[] {
  const out: string[] = [];
  const seen = new Set([rootId]);
  let frontier = [rootId];
  while (frontier.length > 0) {
    const next = accesses.filter((a) => !seen.has(a.id) && frontier.includes(creatorOf(a))).map((a) => a.id);
    for (const id of next) seen.add(id);
    out.push(...next);
    frontier = next;
  }
  return out;
}

/** P deletes any; any access itself unless selfRevoke is forbidden; A the ones it created. */
export function canDeleteAccess(caller: AccessLogic, target: Pick<Access, 'id' | 'createdBy'>): boolean {
  if (caller.isPersonal) return true;
  if (sameAccess(target.id, caller.access.id)) return caller.feature('selfRevoke') !== 'forbidden';
  if (caller.access.type === 'shared') return false;
  return isCreatedBy(target, caller.access.id);
}

/** P sees every access; A itself and the accesses it created. */
export function canSeeAccess(caller: Access, target: Pick<Access, 'id' | 'createdBy'>): boolean {
  if (caller.type === 'personal') return true;
  return sameAccess(target.id, caller.id) || isCreatedBy(target, caller.id);
}

/**
 * Why `caller` may not update `target`, or null when it may (§3.4 update): nobody updates a personal
 * access or itself, an app only the shared accesses it created, a shared access nothing. The new
 * values are checked separately (appCreationRefusal, the expiry rule).
 */
export function accessUpdateRefusal(caller: Access, target: Pick<Access, 'id' | 'type' | 'createdBy'>): string | null {
  if (caller.type === 'shared') return 'A shared access cannot update accesses.';
  if (target.type === 'personal') return 'Personal accesses cannot be updated.';
  if (sameAccess(target.id, caller.id)) return 'An access cannot update itself.';
  if (caller.type === 'personal') return null;
  return target.type === 'shared' && isCreatedBy(target, caller.id) ? null : 'An app access can only update the shared accesses it created.';
}

/** `granted` is more than `own` allows to pass on: above it, or anything derived from create-only. */
function exceeds(own: Level | null, granted: Level | null): boolean {
  if (granted === null || granted === 'none') return false;
  return own === null || own === 'create-only' || RANK[own] < RANK[granted];
}

/**
 * Stream permissions of `permissions` that `app` could not grant: a level above its own effective
 * level on that stream, or any level derived from a create-only grant. `none` only narrows.
 */
export function exceedingStreamPermissions(app: AccessLogic, permissions: readonly Permission[]): string[] {
  const out: string[] = [];
  for (const p of permissions) {
    // Audit streams follow their own rule (auditGrantsBeyond), never `*`.
    if (isStreamPermission(p) && !isAuditStreamId(p.streamId) && exceeds(app.levelOn(p.streamId), p.level)) out.push(p.streamId);
  }
  return out;
}

/**
 * The streams an access with `permissions` would get more on than `app` has, through inheritance:
 * `app` grants `read` on A but holds `none` (or a lower level) on A/secret, while the new access
 * would read A/secret through its `read` on A (issue #16). Answers the topmost stream of each such
 * subtree, which always carries one of the two accesses' own permissions. A mask on a stream that
 * does not exist yet must be carried as such: where it will be created is not known.
 */
export function revealedMasks(app: AccessLogic, permissions: readonly Permission[]): string[] {
  if (app.isPersonal) return [];
  const tree = app.tree;
  const candidate = new AccessLogic({ ...app.access, type: 'shared', permissions: [...permissions] }, tree);
  const offends = (id: string): boolean => exceeds(app.levelOn(id), candidate.levelOn(id));
  const out = tree.all().filter((s) => offends(s.id) && (s.parentId === null || !tree.has(s.parentId) || !offends(s.parentId))).map((s) => s.id);
  const streamPerms = permissions.filter(isStreamPermission).filter((p) => !isAuditStreamId(p.streamId));
  const own = new Map(streamPerms.map((p) => [p.streamId, p.level]));
  const granted = streamPerms.map((p) => p.level);
  for (const p of app.access.permissions) {
    if (!isStreamPermission(p) || p.streamId === '*' || tree.has(p.streamId) || isAuditStreamId(p.streamId)) continue;
    const carried = own.get(p.streamId);
    const reachable = carried === undefined ? granted : [carried];
    if (reachable.some((l) => exceeds(p.level, l))) out.push(p.streamId);
  }
  return [...new Set(out)].sort();
}

/**
 * Ids of `children` (the live accesses an app created) that the app, once narrowed to `app`'s
 * permissions and `expires`, could not have created: §3.4 refuses such an update (offendingChildren).
 */
export function orphanedChildren(app: AccessLogic, expires: number | null, children: readonly Pick<Access, 'id' | 'permissions' | 'expires'>[]): string[] {
  const exceeding = (c: Pick<Access, 'permissions'>): boolean =>
    exceedingStreamPermissions(app, c.permissions).length > 0 || revealedMasks(app, c.permissions).length > 0 || auditGrantsBeyond(app.access, c.permissions).length > 0;
  return children
    .filter((c) => exceeding(c) || (expires !== null && (c.expires === null || c.expires > expires)))
    .map((c) => c.id);
}

/** Why an access may not be created or given some permissions; `data` goes into the 403. */
export interface Refusal {
  message: string;
  data?: { maskedStreams: string[] };
}

/**
 * Why an app access may not create `candidate`, or null when it may (§3.4): only shared accesses,
 * with at least one stream permission, each at most the app's own effective level on that stream
 * and never derived from a create-only grant; no stream reachable through them on which the app
 * itself has less (its `none` masks must be carried, issue #16); feature permissions no weaker
 * than the app's own. A `none` entry only narrows, so it is always acceptable.
 */
export function appCreationRefusal(app: AccessLogic, candidate: { type: Access['type']; permissions: readonly Permission[] }): Refusal | null {
  if (candidate.type !== 'shared') return { message: 'An app access can only create shared accesses.' };
  const exceeding = exceedingStreamPermissions(app, candidate.permissions)[0];
  if (exceeding !== undefined) return { message: `The requested level on stream "${exceeding}" exceeds this access's own.` };
  const audit = auditGrantsBeyond(app.access, candidate.permissions)[0];
  if (audit !== undefined) return { message: `This access does not read the audit trail "${audit}" itself, so it cannot grant it.` };
  const masked = revealedMasks(app, candidate.permissions);
  if (masked.length > 0) {
    const list = masked.map((id) => `"${id}"`).join(', ');
    return {
      message: `The requested permissions would reach stream(s) ${list}, on which this access has less (e.g. "none"): give the new access the same permissions on them.`,
      data: { maskedStreams: masked },
    };
  }
  for (const p of candidate.permissions) {
    if (!isStreamPermission(p) && !featureAllowed(app, p)) {
      return { message: `The feature permission "${p.feature}: ${p.setting}" cannot be granted by this access.` };
    }
  }
  return candidate.permissions.some(isStreamPermission) ? null : { message: 'An app access can only create accesses with stream permissions.' };
}

function featureAllowed(app: AccessLogic, p: FeaturePermission): boolean {
  const own = app.feature(p.feature);
  switch (p.feature) {
    case 'selfRevoke':
      return own !== 'forbidden' || p.setting === 'forbidden';
    case 'selfAudit':
      return own === undefined || own === p.setting;
    case 'secretSharing':
      // Accepted either way; inheritPermissions() then enforces the app's own `forbidden`.
      return true;
    default:
      return false;
  }
}

/** The permissions to store for an access created by `creator`: its `secretSharing: forbidden` passes down. */
export function inheritPermissions(creator: AccessLogic, permissions: Permission[]): Permission[] {
  if (creator.isPersonal || creator.feature('secretSharing') !== 'forbidden') return permissions;
  return [
    ...permissions.filter((p) => isStreamPermission(p) || p.feature !== 'secretSharing'),
    { feature: 'secretSharing', setting: 'forbidden' },
  ];
}

function permissionKey(p: Permission): string {
  return isStreamPermission(p) ? `s\0${p.streamId}\0${p.level}` : `f\0${p.feature}\0${p.setting}`;
}

/** checkApp: the same permission pairs (order-free) and the same clientData (absent = null). */
export function accessMatchesRequest(
  access: Pick<Access, 'permissions' | 'clientData'>,
  requested: readonly Permission[],
  clientData: Record<string, unknown> | undefined,
): boolean {
  const a = access.permissions.map(permissionKey).sort();
  const r = requested.map(permissionKey).sort();
  return isDeepStrictEqual(a, r) && isDeepStrictEqual(access.clientData ?? null, clientData ?? null);
}

export interface RequestedStreamPermission {
  streamId: string;
  level: Level;
  defaultName?: string;
  name?: string;
}
export type RequestedPermission = RequestedStreamPermission | FeaturePermission;

/** The stored pair of a requested permission: `defaultName` / `name` only drive app authorization. */
export function toStoredPermission(p: RequestedPermission): Permission {
  return 'streamId' in p ? { streamId: p.streamId, level: p.level } : { feature: p.feature, setting: p.setting };
}

/**
 * checkApp's `checkedPermissions`: existing streams get `name` = their real name (defaultName
 * dropped); missing ones keep a `defaultName`, suffixed ` (1)`, ` (2)`… when a root stream already
 * has that name, in which case `adjusted` is true (→ the top-level `error`).
 */
export function checkPermissions(tree: StreamsTree, requested: readonly RequestedPermission[]): { checked: RequestedPermission[]; adjusted: boolean } {
  const taken = new Set(tree.children(null).map((s) => s.name));
  let adjusted = false;
  const checked = requested.map((p): RequestedPermission => {
    if (!('streamId' in p)) return { ...p };
    const { defaultName, name: _n, ...base } = p;
    void _n;
    if (p.streamId === '*') return base;
    const existing = tree.get(p.streamId);
    if (existing !== undefined) return { ...base, name: existing.name };
    const wanted = defaultName ?? p.streamId;
    let candidate = wanted;
    for (let n = 1; taken.has(candidate); n++) candidate = `${wanted} (${n})`;
    if (candidate !== wanted) adjusted = true;
    taken.add(candidate);
    return { ...base, defaultName: candidate };
  });
  return { checked, adjusted };
}
