import { auditDurabilityOf } from '../audit/audit-durability.js';
import { isReadMethod, newAuditId, resourceIdsOf, type AuditLine } from '../audit/audit-line.js';
import { baseAccessId } from '../domain/access-ids.js';
import { ApiError, errors } from '../errors/index.js';
import type { RequestContext } from './context.js';
import { dependencyError } from './dependency-error.js';

/** How a call ended, as its answer will say it. */
export interface CallOutcome {
  status: number;
  errorId: string | null;
}

/** The status and error id a thrown error becomes (src/api/registry.ts toApiError), without logging it. */
export function outcomeOf(err: unknown): CallOutcome {
  if (err instanceof ApiError) return { status: err.httpStatus, errorId: err.id };
  const outage = dependencyError(err);
  if (outage !== null) return { status: outage.httpStatus, errorId: outage.id };
  return { status: 500, errorId: 'unexpected-error' };
}

/**
 * Refuses a call before it runs while the audit trail cannot be written and `audit.onFailure`
 * says closed for its kind (writes by default): 503 audit-unavailable, nothing changed.
 */
export function admitCall(ctx: RequestContext, methodId: string): void {
  const audit = ctx.services.audit;
  if (audit === null || ctx.user === null || audit.writable) return;
  const rule = ctx.services.config.audit.onFailure;
  const read = isReadMethod(methodId);
  if ((read ? rule.reads : rule.writes) === 'closed') {
    throw errors.auditUnavailable('The audit trail cannot be written: this call is refused until it can. Retry later.', {
      data: { method: methodId, applied: false },
    });
  }
}

function lineOf(ctx: RequestContext, methodId: string, params: unknown, result: unknown, outcome: CallOutcome): AuditLine | null {
  if (ctx.user === null) return null;
  return {
    id: newAuditId(),
    time: Date.now() / 1000,
    user: ctx.user.username,
    userId: ctx.user.id,
    accessId: ctx.access === null ? null : baseAccessId(ctx.access.id),
    method: methodId,
    resources: resourceIdsOf(params, outcome.errorId === null ? result : undefined),
    status: outcome.status,
    error: outcome.errorId,
    ip: ctx.clientAddress ?? null,
    userAgent: ctx.userAgent ?? null,
    transport: ctx.transport ?? 'http',
  };
}

/**
 * Records one call in the audit trail and the metrics. A successful write's line is in the file
 * (`audit.durability` write, the default) or on disk (fsync) before this resolves (the answer waits
 * for it); if it cannot be, the change is made but the call answers 503 audit-unavailable
 * (`data.applied: true`) in closed mode, so no write is ever acknowledged without its line. Reads and
 * refused calls are buffered (docs/operations.md#reading-the-audit-trail).
 */
export async function recordCall(ctx: RequestContext, methodId: string, params: unknown, result: unknown, outcome: CallOutcome): Promise<void> {
  const { services } = ctx;
  const transport = ctx.transport ?? 'http';
  services.metrics.calls.inc({ method_id: methodId, status: String(outcome.status), transport });
  if (outcome.errorId !== null) services.metrics.callErrors.inc({ method_id: methodId, error_id: outcome.errorId, transport });
  const audit = services.audit;
  const line = audit === null ? null : lineOf(ctx, methodId, params, result, outcome);
  if (audit === null || line === null) return;
  if (outcome.errorId !== null || isReadMethod(methodId)) {
    audit.append(line);
    services.metrics.auditLines.inc({ outcome: 'buffered' });
    return;
  }
  const durability = auditDurabilityOf(services.config.audit);
  if (services.config.audit.onFailure.writes === 'open' || durability === 'buffer') {
    // Fail-open, or durability buffer: the answer does not wait; lines that cannot be written wait in memory.
    audit.append(line);
    services.metrics.auditLines.inc({ outcome: 'buffered' });
    return;
  }
  if (ctx.auditDeferred !== undefined) {
    // A call of a batch: durable with the others at the batch's end (syncDeferred).
    audit.append(line);
    ctx.auditDeferred.writes += 1;
    return;
  }
  try {
    await (durability === 'fsync' ? audit.appendDurable(line) : audit.appendWritten(line));
    services.metrics.auditLines.inc({ outcome: durability === 'fsync' ? 'durable' : 'written' });
  } catch (err) {
    services.metrics.auditLines.inc({ outcome: 'lost' });
    // The line goes to the log instead, so the change stays traceable.
    services.logger.error({ component: 'audit', auditLine: line, err: (err as Error).message }, 'write applied but its audit line could not be written');
    throw notDurable(methodId);
  }
}

function notDurable(methodId: string): ApiError {
  return errors.auditUnavailable('The change was applied, but the audit trail could not record it: the call is not acknowledged. Check the audit path.', {
    data: { method: methodId, applied: true },
  });
}

/** The end of a batch with writes: every line appended so far is in the file (or on disk, fsync) before it answers. */
export async function syncDeferred(ctx: Pick<RequestContext, 'services' | 'user' | 'auditDeferred'>): Promise<void> {
  const { audit, metrics, logger } = ctx.services;
  const writes = ctx.auditDeferred?.writes ?? 0;
  if (audit === null || writes === 0) return;
  const fsync = auditDurabilityOf(ctx.services.config.audit) === 'fsync';
  try {
    await audit.sync(fsync);
    metrics.auditLines.inc({ outcome: fsync ? 'durable' : 'written' }, writes);
  } catch (err) {
    metrics.auditLines.inc({ outcome: 'lost' }, writes);
    logger.error({ component: 'audit', user: ctx.user?.username, writes, err: (err as Error).message }, 'batch writes applied but their audit lines could not be written');
    throw notDurable('callBatch');
  }
}
