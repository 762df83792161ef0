import { auditDirOf } from '../../audit/audit-dir.js';
import type { AuditLine } from '../../audit/audit-line.js';
import { readAuditLines } from '../../audit/audit-reader.js';
import { baseAccessId } from '../../domain/access-ids.js';
import { parseStreamsParam, resolveTypes } from '../../domain/events-query.js';
import { AUDIT_PREFIX, auditStreamOfAccess, readableAuditAccesses } from '../../domain/audit-permissions.js';
import { errors } from '../../errors/index.js';
import { nowSeconds, type RequestContext } from '../context.js';
import type { StreamedResult } from '../method.js';
import type { AccountEventsParams } from './account-events.js';
import { caller } from './account-events.js';

/**
 * `events.get` on the audit streams, as Pryv.io v2 exposes them (docs/api.md#audit-trail): `:_audit:`
 * (every line the caller may see), `:_audit:access-<accessId>`, `:_audit:action-<methodId>`. Who
 * reads whose lines: src/domain/audit-permissions.ts. Lines come from the files of the audit trail
 * (src/audit/), not from the database.
 */
export const AUDIT_EVENT_TYPE = 'audit-log/pryv-api';
const DAY = 24 * 3600;

type Selector = { kind: 'all' } | { kind: 'access'; id: string } | { kind: 'action'; id: string };

function selectorOf(streamId: string): Selector {
  const rest = (streamId.endsWith('!') ? streamId.slice(0, -1) : streamId).slice(AUDIT_PREFIX.length);
  if (rest === '') return { kind: 'all' };
  if (rest.startsWith('access-') && rest.length > 7) return { kind: 'access', id: baseAccessId(rest.slice(7)) };
  if (rest.startsWith('action-') && rest.length > 7) return { kind: 'action', id: rest.slice(7) };
  throw errors.unknownReferencedResource(`Unknown audit stream "${streamId}": use ":_audit:", ":_audit:access-<id>" or ":_audit:action-<method id>".`, {
    data: { streams: [streamId] },
  });
}

function selects(s: Selector, l: AuditLine): boolean {
  return s.kind === 'all' || (s.kind === 'access' ? l.accessId === s.id : l.method === s.id);
}

/** The event a line is shown as (the audit-log/pryv-api type of the Pryv.io event types). */
export function auditEventOf(l: AuditLine): Record<string, unknown> {
  const streamIds = [...(l.accessId === null ? [] : [`${AUDIT_PREFIX}access-${l.accessId}`]), `${AUDIT_PREFIX}action-${l.method}`];
  const content: Record<string, unknown> = {
    source: { name: l.transport, ip: l.ip, userAgent: l.userAgent },
    action: l.method,
    status: l.status,
    resources: l.resources,
  };
  if (l.error !== null) content['error'] = { id: l.error };
  return { id: `${AUDIT_PREFIX}${l.id}`, streamIds, time: l.time, type: AUDIT_EVENT_TYPE, content, created: l.time, createdBy: 'system', modified: l.time, modifiedBy: 'system' };
}

function typeWanted(types: string[] | undefined): boolean {
  const t = resolveTypes(types);
  return t === null || t.exact.includes(AUDIT_EVENT_TYPE) || t.prefixes.some((p) => AUDIT_EVENT_TYPE.startsWith(p));
}

async function* limited(lines: AsyncGenerator<AuditLine>, skip: number, limit: number | null): AsyncGenerator<Record<string, unknown>> {
  let i = 0;
  for await (const l of lines) {
    i += 1;
    if (i <= skip) continue;
    if (limit !== null && i > skip + limit) break;
    yield auditEventOf(l);
  }
}

async function* none(): AsyncGenerator<never> {}

/** The audit answer of `events.get`, or null when its streams are not audit streams. */
export function auditEventsQuery(ctx: RequestContext, p: AccountEventsParams): StreamedResult | null {
  const queries = parseStreamsParam(p.streams);
  if (queries === null) return null;
  const ids = queries.flatMap((q) => [...q.any, ...q.all, ...q.not]);
  if (!ids.some((id) => id.startsWith(AUDIT_PREFIX))) return null;
  if (!ids.every((id) => id.startsWith(AUDIT_PREFIX)) || queries.some((q) => q.all.length > 0 || q.not.length > 0)) {
    throw errors.invalidRequestStructure('Invalid streams query: audit streams (":_audit:…") are listed as stream ids on their own, not mixed with other streams nor in "all"/"not".');
  }
  const { user, access } = caller(ctx);
  const selectors = ids.map(selectorOf);
  const readable = readableAuditAccesses(access);
  if (readable === 'all') return answer(ctx, p, user.id, (l) => selectors.some((s) => selects(s, l)));
  if (readable.size === 0) {
    throw errors.forbidden('This access may not read any audit trail (selfAudit: forbidden, and no ":_audit:access-…" permission).', { data: { feature: 'selfAudit' } });
  }
  for (const s of selectors) {
    if (s.kind === 'access' && !readable.has(s.id)) {
      throw errors.forbidden('This access may not read the audit trail of that access: it needs read on its ":_audit:access-…" stream.', { data: { streamId: auditStreamOfAccess(s.id) } });
    }
  }
  // `:_audit:` and `:_audit:action-…` are narrowed to the lines of the accesses it may read.
  return answer(ctx, p, user.id, (l) => l.accessId !== null && readable.has(l.accessId) && selectors.some((s) => selects(s, l)));
}

function answer(ctx: RequestContext, p: AccountEventsParams, userId: string, predicate: (l: AuditLine) => boolean): StreamedResult {
  const now = nowSeconds();
  let from = p.fromTime ?? null;
  let to = p.toTime ?? null;
  let limit = p.limit ?? null;
  if (from === null && to !== null) from = to - DAY;
  if (from !== null && to === null) to = now;
  if (p.fromTime === undefined && p.toTime === undefined && limit === null) limit = 20;
  const since = p.modifiedSince;
  const empty = p.state === 'trashed' || p.running === true || !typeWanted(p.types);
  const lines = readAuditLines(auditDirOf(ctx.services.config), {
    userId,
    from: from ?? 0,
    to: to ?? now,
    descending: p.sortAscending !== true,
    predicate: since === undefined ? predicate : (l) => l.time > since && predicate(l),
  });
  const arrays: StreamedResult['arrays'] = [{ key: 'events', items: empty ? none() : limited(lines, p.skip ?? 0, limit) }];
  if (p.includeDeletions === true && p.modifiedSince !== undefined) arrays.push({ key: 'eventDeletions', items: none() });
  return { kind: 'streamed', arrays };
}
