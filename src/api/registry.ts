import type { TSchema } from '@sinclair/typebox';
import { ApiError, errors } from '../errors/index.js';
import { dependencyError } from './dependency-error.js';
import { BatchNotifier } from './batch-notifier.js';
import { admitCall, outcomeOf, recordCall, syncDeferred } from './call-audit.js';
import type { RequestContext } from './context.js';
import { isStreamed, type MethodDef, type Settled, type StreamedResult } from './method.js';
import { checkParams, compileParams, type CompiledParams } from '../validation/validation.js';

interface Registered {
  def: MethodDef<TSchema, unknown>;
  params: CompiledParams;
}

export type CallContext = Omit<RequestContext, 'methodId'>;

/**
 * The one table of API methods, shared by HTTP routes, batch calls and Socket.IO: the same
 * validation, the same permission gate, the same handler whatever the transport.
 */
export class MethodRegistry {
  private readonly methods = new Map<string, Registered>();
  private readonly aliases = new Map<string, string>();

  register(def: MethodDef<TSchema, unknown>): void {
    if (this.methods.has(def.id)) throw new Error(`method ${def.id} registered twice`);
    this.methods.set(def.id, { def, params: compileParams(def.params) });
  }

  alias(alias: string, id: string): void {
    this.aliases.set(alias, id);
  }

  get(id: string): MethodDef<TSchema, unknown> | undefined {
    return this.methods.get(this.aliases.get(id) ?? id)?.def;
  }

  ids(): string[] {
    return [...this.methods.keys()];
  }

  /** Runs one method; `coerce` for params parsed from a query string. Throws ApiError. */
  async call(ctx: CallContext, id: string, params: unknown, options: { coerce?: boolean } = {}): Promise<unknown> {
    const entry = this.methods.get(this.aliases.get(id) ?? id);
    if (entry === undefined) throw errors.invalidMethod(`Unknown method "${id}"`, { data: { method: id } });
    const { def } = entry;
    const p = params ?? {};
    const full: RequestContext = { ...ctx, methodId: def.id };
    // Every call of a user's data is audited and counted, refused ones too (src/api/call-audit.ts).
    let result: unknown;
    try {
      admit(full, entry, p, options.coerce === true);
      result = await def.handler(full, p);
    } catch (err) {
      await recordCall(full, def.id, p, undefined, outcomeOf(err));
      throw err;
    }
    await recordCall(full, def.id, p, result, { status: def.successStatus ?? 200, errorId: null });
    return result;
  }

  /**
   * Batch (`POST /{username}/` and socket `callBatch`): in order, each call's result or error.
   * Consecutive calls of a method with a `group` handler run together (callRun), with the results
   * of the calls one by one (docs/api.md#batch-calls-post-username).
   */
  async callBatch(ctx: CallContext, calls: unknown, maxCalls: number): Promise<{ results: unknown[] }> {
    if (!Array.isArray(calls)) throw errors.invalidRequestStructure('A batch call body must be an array of method calls.');
    if (calls.length > maxCalls) {
      throw errors.tooManyResults(`A batch may hold at most ${maxCalls} calls.`, { data: { limit: maxCalls } });
    }
    const results: unknown[] = [];
    // The writes of a batch make their audit lines durable once, before the batch answers (one
    // fdatasync, not one per call): the batch's answer is what acknowledges them.
    const deferred = { writes: 0 };
    // The lookup's streamsVersion is not reused: a batch's own stream writes come after it. Each
    // call (or run of grouped calls) reads the version again instead (as each HTTP call's user
    // lookup does), so the worker's tree is reused while it is current rather than loaded per call:
    // a batch of 1,000 calls for a user with 10,000 streams read 10 million stream rows
    // (docs/benchmarks.md#scale). The same for hasWebhooks: a call of the batch may create a webhook
    // for the calls after it.
    const { streamsVersion: _v, hasWebhooks: _w, ...outer } = ctx;
    void _v;
    void _w;
    // One notification per user and kind of change for the whole batch (batch-notifier.ts).
    const notifier = new BatchNotifier(ctx.services.notifier);
    const services = { ...ctx.services, notifier };
    const inner: CallContext = { ...outer, services, transport: ctx.transport === 'socket.io' ? 'socket.io' : 'batch', auditDeferred: deferred };
    try {
      await this.runCalls(inner, ctx, calls, results);
      if (deferred.writes > 0) await syncDeferred(inner);
    } finally {
      notifier.flush();
    }
    return { results };
  }

  /** The calls of a batch, in order: each call's result or error appended to `results`. */
  private async runCalls(inner: CallContext, ctx: CallContext, calls: unknown[], results: unknown[]): Promise<void> {
    for (let at = 0; at < calls.length; ) {
      const run = this.runAt(calls, at, ctx);
      if (run !== null) {
        // Consecutive calls of a grouped method (events.create): handled together (callRun).
        at += run.params.length;
        const runCtx = await withStreamsVersion(inner, ctx).catch((err: unknown) => toApiError(err, ctx));
        if (runCtx instanceof ApiError) results.push(...run.params.map(() => ({ error: runCtx.toJSON() })));
        else results.push(...(await callRun(runCtx, run.entry, run.params)));
        continue;
      }
      const call: unknown = calls[at];
      at += 1;
      try {
        if (typeof call !== 'object' || call === null || typeof (call as { method?: unknown }).method !== 'string') {
          throw errors.invalidRequestStructure('Each batch call needs a "method" string and "params".');
        }
        const { method, params } = call as { method: string; params?: unknown };
        if (method === 'callBatch') throw errors.invalidMethod('Batches cannot be nested.');
        if (this.get(method)?.notInBatch === true) {
          throw errors.forbidden(`"${method}" cannot be called in a batch: call it on its own.`, { data: { method, reason: 'not-in-batch' } });
        }
        const callCtx = await withStreamsVersion(inner, ctx);
        results.push(await collect(await this.call(callCtx, method, params ?? {}), ctx.services.config.limits.maxResultItems));
      } catch (err) {
        results.push({ error: toApiError(err, ctx).toJSON() });
      }
    }
  }

  /**
   * The calls from `at` on that name the same method with a `group` handler (two at least): they
   * run together. Not for a multipart batch (staged files belong to one call).
   */
  private runAt(calls: unknown[], at: number, ctx: CallContext): { entry: Registered; params: unknown[] } | null {
    const first = this.groupedEntry(calls[at]);
    if (first === undefined || (ctx.uploads?.length ?? 0) > 0) return null;
    const params: unknown[] = [];
    for (let i = at; i < calls.length && this.groupedEntry(calls[i]) === first; i += 1) {
      params.push((calls[i] as { params?: unknown }).params ?? {});
    }
    return params.length > 1 ? { entry: first, params } : null;
  }

  private groupedEntry(call: unknown): Registered | undefined {
    if (typeof call !== 'object' || call === null) return undefined;
    const method = (call as { method?: unknown }).method;
    if (typeof method !== 'string') return undefined;
    const entry = this.methods.get(this.aliases.get(method) ?? method);
    return entry?.def.group !== undefined && entry.def.notInBatch !== true ? entry : undefined;
  }
}

/** What `call` checks before a method runs: audit trail writable, params, token, access type. */
function admit(full: RequestContext, entry: Registered, p: unknown, coerce: boolean): void {
  const { def } = entry;
  admitCall(full, def.id);
  checkParams(entry.params, p, coerce);
  if (def.auth !== 'public') {
    if (full.access === null) throw errors.missingToken();
    if (def.auth === 'personal' && full.access.type !== 'personal') {
      throw errors.forbidden('This method needs a personal access.');
    }
  }
  full.services.accessCache.recordCall(full, def.id);
}

/**
 * A run of calls of a grouped method in a batch: each admitted as `call` admits it, the admitted
 * ones handled together by `group`, then each audited and answered in its own slot, in order, as
 * if the calls had run one by one.
 */
async function callRun(ctx: CallContext, entry: Registered, params: unknown[]): Promise<unknown[]> {
  const { def } = entry;
  const full: RequestContext = { ...ctx, methodId: def.id };
  const outcomes = new Array<Settled<unknown>>(params.length);
  const admitted: number[] = [];
  for (const [i, p] of params.entries()) {
    try {
      admit(full, entry, p, false);
      admitted.push(i);
    } catch (error) {
      outcomes[i] = { ok: false, error };
    }
  }
  if (admitted.length > 0 && def.group !== undefined) {
    let settled: Settled<unknown>[];
    try {
      settled = await def.group(full, admitted.map((i) => params[i]));
    } catch (error) {
      settled = admitted.map(() => ({ ok: false, error }));
    }
    for (const [k, i] of admitted.entries()) outcomes[i] = settled[k] ?? { ok: false, error: errors.unexpected(new Error('no outcome')) };
  }
  const results: unknown[] = [];
  for (const [i, o] of outcomes.entries()) {
    if (!o.ok) {
      await recordCall(full, def.id, params[i], undefined, outcomeOf(o.error));
      results.push({ error: toApiError(o.error, ctx).toJSON() });
      continue;
    }
    try {
      await recordCall(full, def.id, params[i], o.result, { status: def.successStatus ?? 200, errorId: null });
      results.push(o.result);
    } catch (err) {
      // As `call` answers a write whose audit line could not be written (call-audit.ts).
      results.push({ error: toApiError(err, ctx).toJSON() });
    }
  }
  return results;
}

/**
 * `inner` with the path user's streams version now, when the engine keeps one
 * (src/api/stream-tree-cache.ts): read again for each call (or run) of a batch, as the batch's own
 * stream writes come after the request's lookup.
 */
async function withStreamsVersion(inner: CallContext, ctx: CallContext): Promise<CallContext> {
  const { users } = ctx.services.stores;
  if (ctx.user === null || users.getWithStreamsVersion === undefined) return inner;
  const version = (await users.getWithStreamsVersion(ctx.user.username))?.streamsVersion;
  return version === undefined ? inner : { ...inner, streamsVersion: version };
}

/**
 * A streamed result as a plain object (batch, socket), which must fit in memory: more than
 * `maxItems` items → 413 too-many-results (HTTP clients get the same data streamed, unbounded).
 */
export async function collect(result: unknown, maxItems: number): Promise<unknown> {
  if (!isStreamed(result)) return result;
  const out: Record<string, unknown[]> = {};
  for (const a of (result as StreamedResult).arrays) {
    const items: unknown[] = [];
    // Stores may yield stored JSON text, one item or several comma-joined (written as is over
    // HTTP); batch/socket callers get objects.
    for await (const item of a.items) {
      for (const one of typeof item === 'string' ? (JSON.parse(`[${item}]`) as unknown[]) : [item]) {
        if (items.length >= maxItems) {
          throw errors.tooManyResults(`More than ${maxItems} items: use paging (skip/limit) or a plain HTTP call, which streams.`, {
            data: { limit: maxItems },
          });
        }
        items.push(one);
      }
    }
    out[a.key] = items;
  }
  return out;
}

export function toApiError(err: unknown, ctx: CallContext): ApiError {
  if (err instanceof ApiError) {
    if (err.httpStatus >= 500) ctx.services.logger.error({ err, cause: err.cause }, err.message);
    return err;
  }
  const outage = dependencyError(err);
  if (outage !== null) {
    ctx.services.logger.error({ err: (err as Error).message }, outage.message);
    return outage;
  }
  ctx.services.logger.error({ err }, 'unexpected error in method');
  return errors.unexpected(err);
}
