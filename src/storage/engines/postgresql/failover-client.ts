import pg from 'pg';
import { WriteOutcomeUnknownError } from '../../interfaces/errors.js';
import { hostName, type PgHost, type PrimaryLocator } from './primary-locator.js';
import { isLostConnection, isUnavailable } from './unavailable.js';

/** A host that answered but is read-only (a standby, or `default_transaction_read_only`): never written to. */
export class ReadOnlyHostError extends Error {
  override name = 'ReadOnlyHostError';
  // read_only_sql_transaction: isUnavailable() counts it as "cannot serve now" (503).
  readonly code = '25006';
}

/** Statements that change nothing, so losing the connection during one of them loses no write. */
const READ_ONLY = /^\s*(SELECT|SHOW|BEGIN|START\s+TRANSACTION|ROLLBACK|ABORT|SET|RESET|FETCH|CLOSE|DECLARE|DISCARD|LISTEN|UNLISTEN)\b/i;
/** …unless the SELECT calls one of these, which write. */
const WRITING_FUNCTIONS = /\b(pg_notify|nextval|setval|pg_advisory_xact_lock|pg_advisory_lock)\s*\(/i;
const COMMIT = /^\s*(COMMIT|END)\b/i;
const BEGIN = /^\s*(BEGIN|START\s+TRANSACTION)\b/i;
const ROLLBACK = /^\s*(ROLLBACK|ABORT)\b/i;
/** PostgreSQL's warning when a COMMIT stopped waiting for the synchronous standby (cancel, statement_timeout). */
const SYNC_WAIT_CANCELED = /canceling wait for synchronous replication/i;

type Callback = (err: Error | null | undefined, result?: unknown) => void;

/** What the patterns above say of a statement's text. */
interface Kind {
  /** Changes nothing (READ_ONLY and no WRITING_FUNCTIONS). */
  readOnly: boolean;
  commit: boolean;
  begin: boolean;
  rollback: boolean;
}

/**
 * Kinds of the texts seen (a pool runs a few dozen distinct statements): the regular expressions
 * ran on every statement, a per-query cost on the hot path (issue #10). Bounded: emptied when full.
 */
const kinds = new Map<string, Kind>();
const KINDS_MAX = 1000;

function kindOf(text: string): Kind {
  const known = kinds.get(text);
  if (known !== undefined) return known;
  const kind = { readOnly: READ_ONLY.test(text) && !WRITING_FUNCTIONS.test(text), commit: COMMIT.test(text), begin: BEGIN.test(text), rollback: ROLLBACK.test(text) };
  if (kinds.size >= KINDS_MAX) kinds.clear();
  kinds.set(text, kind);
  return kind;
}

function statementText(arg: unknown): string | null {
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'object' && arg !== null && typeof (arg as { text?: unknown }).text === 'string') return (arg as { text: string }).text;
  return null;
}

function isSubmittable(arg: unknown): boolean {
  return typeof arg === 'object' && arg !== null && typeof (arg as { submit?: unknown }).submit === 'function';
}

/**
 * The pg.Client class of a pool that follows its primary (pool.ts): each new connection goes to
 * the locator's primary and is checked writable before use; a lost or read-only host is forgotten
 * so the next connection finds the promoted replica. Queries are watched for writes whose outcome
 * a lost connection leaves unknown (a COMMIT, or a write outside a transaction): those fail with
 * WriteOutcomeUnknownError, never success, and are never retried here.
 */
export function failoverClientClass(locator: PrimaryLocator): typeof pg.Client {
  return class FailoverClient extends pg.Client {
    private target: PgHost | null = null;
    private inTransaction = false;
    private syncWaitCanceled = false;
    /** An ambiguous statement (see watched) is on the wire. */
    private ambiguousInFlight = false;

    constructor(config?: string | pg.ClientConfig) {
      super(config);
      this.on('notice', (n) => {
        if (SYNC_WAIT_CANCELED.test(n.message ?? '')) this.syncWaitCanceled = true;
      });
      const query = this.query.bind(this) as (...args: unknown[]) => unknown;
      (this as { query: unknown }).query = (...args: unknown[]): unknown => this.watched(query, args);
    }

    override connect(): Promise<pg.Client>;
    override connect(callback: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): void;
    override connect(callback?: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): Promise<pg.Client> | undefined {
      const done = this.connectToPrimary();
      if (callback === undefined) return done;
      // pg-pool calls back with (err) only; a null error means connected.
      const cb = callback as (err: Error | null, c?: pg.Client) => void;
      done.then((c) => cb(null, c), (err: Error) => cb(err));
      return undefined;
    }

    private async connectToPrimary(): Promise<pg.Client> {
      const target = await locator.primary();
      // pg-pool's connection timeout destroyed the socket while the locator probed: give up as it did.
      if (this.connection.stream.destroyed) throw new Error('Connection terminated due to connection timeout');
      this.target = target;
      this.host = target.host;
      this.port = target.port;
      try {
        await super.connect();
      } catch (err) {
        locator.forget(target, (err as Error).message);
        throw err;
      }
      const { rows } = await super.query<{ ro: string }>(`SELECT current_setting('transaction_read_only') AS ro`);
      if (rows[0]?.ro !== 'off') {
        locator.forget(target, 'read-only');
        await this.end().catch(() => undefined);
        throw new ReadOnlyHostError(`PostgreSQL host ${hostName(target)} is read-only (a standby?): not used for writes`);
      }
      return this;
    }

    /**
     * A lost connection is also emitted as 'error', before the query's own callback: pg-pool's
     * pool.query() rejects with that one, so it must carry the same verdict.
     */
    override emit(event: string | symbol, ...args: unknown[]): boolean {
      const err = args[0];
      if (event === 'error' && this.ambiguousInFlight && isLostConnection(err)) {
        this.ambiguousInFlight = false;
        if (this.target !== null) locator.forget(this.target, (err as Error).message);
        return super.emit(event, new WriteOutcomeUnknownError(err));
      }
      return super.emit(event, ...args);
    }

    private watched(query: (...args: unknown[]) => unknown, args: unknown[]): unknown {
      const text = statementText(args[0]);
      if (text === null || isSubmittable(args[0])) return query(...args);
      const kind = kindOf(text);
      const ambiguous = kind.commit || (!this.inTransaction && !kind.readOnly);
      this.syncWaitCanceled = false;
      this.ambiguousInFlight = ambiguous;
      const settle = (err: unknown): unknown => {
        this.ambiguousInFlight = false;
        if (kind.begin && err === undefined) this.inTransaction = true;
        if (kind.commit || kind.rollback) this.inTransaction = false;
        if (err === undefined) {
          if (ambiguous && this.syncWaitCanceled) {
            return new WriteOutcomeUnknownError(new Error('committed on the primary but not confirmed by the synchronous standby'));
          }
          return undefined;
        }
        if (!isUnavailable(err)) return err;
        if (this.target !== null) locator.forget(this.target, (err as Error).message);
        if (!isLostConnection(err)) return err;
        // The transaction cannot commit any more (the server rolls back a transaction whose
        // connection died before COMMIT), so only `ambiguous` statements leave the outcome unknown.
        this.inTransaction = false;
        return ambiguous ? new WriteOutcomeUnknownError(err) : err;
      };
      const last = args.length - 1;
      const callback = args[last];
      if (typeof callback === 'function') {
        const cb = callback as Callback;
        args[last] = (err: Error | null | undefined, result?: unknown): void => {
          const outcome = settle(err ?? undefined);
          if (outcome === undefined) cb(err, result);
          else cb(outcome as Error, result);
        };
        return query(...args);
      }
      const result = query(...args);
      if (!(result instanceof Promise)) return result;
      return result.then(
        (value: unknown) => {
          const outcome = settle(undefined);
          if (outcome !== undefined) throw outcome;
          return value;
        },
        (err: unknown) => {
          throw settle(err);
        },
      );
    }
  };
}
