import type { Static, TSchema } from '@sinclair/typebox';
import type { RequestContext } from './context.js';

/**
 * Who may call a method before its own rules run:
 * - `public`: no token needed (login, password reset, service info);
 * - `access`: every valid access of the path user may call it; the handler applies the per-stream rules;
 * - `personal`: personal accesses only (403 forbidden for others).
 */
export type MethodAuth = 'public' | 'access' | 'personal';

export interface MethodDef<P extends TSchema = TSchema, R = unknown> {
  /** Pryv method id, e.g. `streams.create`. Also used by batch calls and Socket.IO. */
  id: string;
  /** JSON Schema of the params (TypeBox). Unknown keys are refused unless the schema allows them. */
  params: P;
  auth: MethodAuth;
  /**
   * Refused inside batch calls (HTTP and Socket.IO): login, account and password methods. A batch
   * would otherwise run hundreds of password guesses in one request, with any token (issue #16).
   */
  notInBatch?: true;
  /** HTTP status of a success (201 for creations). */
  successStatus?: number;
  handler: (ctx: RequestContext, params: Static<P>) => Promise<R>;
  /**
   * Consecutive calls of this method in one batch, handled together (events.create: one write for
   * the run, issue #10). Each call is admitted first as on its own (params, access); `group` gets
   * the admitted ones and answers each one's outcome, in order, exactly as `handler` would have
   * answered them one after the other. Absent: the calls of a batch run one by one.
   */
  group?: (ctx: RequestContext, calls: Static<P>[]) => Promise<Settled<R>[]>;
}

/** One call's outcome inside a group: its result, or what it threw. */
export type Settled<R> = { ok: true; result: R } | { ok: false; error: unknown };

/** Type-preserving helper so each method file reads `export default defineMethod({...})`. */
export function defineMethod<P extends TSchema, R>(def: MethodDef<P, R>): MethodDef<P, R> {
  return def;
}

/**
 * A result streamed to HTTP clients (events.get): `head` keys first, then each array key written
 * item by item. Batch and socket calls collect it into a plain object. An item is an object, or
 * JSON text written as is: one item, or several comma-joined (a store's run of events).
 */
export interface StreamedResult {
  kind: 'streamed';
  arrays: { key: string; items: AsyncIterable<unknown> }[];
}

export function isStreamed(r: unknown): r is StreamedResult {
  return typeof r === 'object' && r !== null && (r as { kind?: unknown }).kind === 'streamed';
}
