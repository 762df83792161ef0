import type { Readable } from 'node:stream';
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import type { Logger } from '../logging/logger.js';
import { Backoff, sleep } from '../util/backoff.js';
import { PlatformDbAmbiguousError, PlatformDbError, PlatformDbFatalError, PlatformDbUnavailableError } from './errors.js';
import { interpretResponse, type QueryResult, type Row, type Statement, type WriteResult } from './response.js';

export type ReadLevel = 'none' | 'weak' | 'linearizable' | 'strong';

/** Client certificate for an rqlited run with `-http-verify-client` (multi mode). */
export interface RqliteTls {
  ca: string;
  cert: string;
  key: string;
  /** Name checked against the server certificate (the core id: rqlited's certificate names it). */
  servername: string;
}

export interface RqliteClientOptions {
  /** e.g. http://127.0.0.1:4001 (https:// with `tls`) — the local sidecar, always on loopback. */
  url: string;
  tls?: RqliteTls | undefined;
  /** Basic-auth credential of rqlited's `-auth` file; never logged. */
  auth?: { username: string; password: string } | undefined;
  requestTimeoutMs: number;
  /** Idempotent calls meeting "unavailable" are retried with backoff within this budget. */
  retryBudgetMs: number;
  logger: Logger;
}

export interface WriteOptions {
  /** All statements applied atomically, or none. */
  transaction?: boolean;
  /** Only idempotent writes are retried after an unavailable / ambiguous failure. */
  idempotent?: boolean;
}

/**
 * rqlite HTTP API client: parameterized statements only, every failure shape mapped to a typed
 * error (response.ts), bounded retries for idempotent work.
 */
export class RqliteClient {
  private readonly pool: Pool;
  private readonly log: Logger;
  private readonly headers: Record<string, string>;

  constructor(private readonly options: RqliteClientOptions) {
    const tls = options.tls;
    this.pool = new Pool(options.url, {
      connections: 8,
      pipelining: 1,
      ...(tls === undefined ? {} : { connect: { ca: tls.ca, cert: tls.cert, key: tls.key, servername: tls.servername, rejectUnauthorized: true } }),
    });
    this.log = options.logger.child({ component: 'platform:rqlite' });
    const a = options.auth;
    this.headers = a === undefined ? {} : { authorization: `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}` };
  }

  async execute(statements: Statement[], options: WriteOptions = {}): Promise<WriteResult[]> {
    const query = options.transaction === true ? '?transaction' : '';
    const call = (): Promise<WriteResult[]> => this.post(`/db/execute${query}`, statements, 'write');
    return options.idempotent === true ? this.withRetry(call) : call();
  }

  /** Reads are idempotent: always retried within the budget. */
  async query(statements: Statement[], level: ReadLevel = 'weak'): Promise<QueryResult[]> {
    return this.withRetry(async () => {
      const results = await this.post(`/db/query?associative&level=${level}`, statements, 'read');
      return results.map((r) => ({ rows: (r as { rows?: Row[] }).rows ?? [] }));
    });
  }

  async queryRows(sql: string, params: (string | number | boolean | null)[] = [], level: ReadLevel = 'weak'): Promise<Row[]> {
    const [first] = await this.query([[sql, ...params]], level);
    return first?.rows ?? [];
  }

  /**
   * GET /readyz: true only when this node knows a reachable leader and its store is ready.
   * `answered`: the local rqlited answered at all (false: down, hung, unreachable).
   */
  async isReady(timeoutMs: number): Promise<{ ok: boolean; detail: string; answered: boolean }> {
    try {
      const res = await this.request('GET', '/readyz', timeoutMs);
      return { ok: res.status === 200, detail: res.text.trim().replaceAll('\n', ' '), answered: true };
    } catch (err) {
      return { ok: false, detail: (err as Error).message, answered: false };
    }
  }

  /**
   * isReady, asked a second time when the first probe got no answer at all: one stall of a loaded
   * rqlited (a /readyz past 500 ms was seen under the test suite's load) is not an outage. A stopped
   * rqlited still fails within two timeouts, a dead one (connection refused) at once, twice.
   */
  async isReadyAskedTwice(timeoutMs: number): Promise<{ ok: boolean; detail: string; answered: boolean }> {
    const first = await this.isReady(timeoutMs);
    return first.answered ? first : this.isReady(timeoutMs);
  }

  /** A raw call to the rqlite HTTP API (`/nodes`, `/status`, `/remove`…), for cluster management. */
  async request(method: Dispatcher.HttpMethod, path: string, timeoutMs: number, body?: unknown): Promise<{ status: number; text: string }> {
    const res = await this.pool.request({
      method,
      path,
      headers: { ...this.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.statusCode, text: await res.body.text() };
  }

  /** GET `path` as a byte stream (`/db/backup`); a non-200 answer is an error. */
  async download(path: string, timeoutMs: number): Promise<Readable> {
    const res = await this.pool.request({ method: 'GET', path, headers: this.headers, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    if (res.statusCode !== 200) throw new PlatformDbError(`GET ${path}: HTTP ${res.statusCode} ${(await res.body.text()).slice(0, 200)}`);
    return res.body;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async post(path: string, body: Statement[], kind: 'read' | 'write'): Promise<WriteResult[]> {
    const timeout = this.options.requestTimeoutMs;
    let status: number;
    let parsed: unknown;
    try {
      const res = await this.pool.request({
        method: 'POST',
        path,
        headers: { ...this.headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        headersTimeout: timeout,
        bodyTimeout: timeout,
        signal: AbortSignal.timeout(timeout),
      });
      status = res.statusCode;
      const text = await res.body.text();
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    } catch (err) {
      throw this.transportError(err, kind);
    }
    return interpretResponse(status, parsed, kind);
  }

  private transportError(err: unknown, kind: 'read' | 'write'): PlatformDbError {
    const code = (err as { code?: string }).code ?? '';
    // Refused: the request never reached rqlited, so even a write was not applied.
    if (code === 'ECONNREFUSED' || err instanceof undiciErrors.ClientDestroyedError) {
      return new PlatformDbUnavailableError(`rqlite unreachable: ${code || (err as Error).message}`);
    }
    if (kind === 'read') return new PlatformDbUnavailableError(`rqlite read failed: ${(err as Error).message}`);
    // Timeout or reset after sending: the write may have been applied. The ambiguous class (not an
    // "unavailable" one patched with ambiguous=true) so callers' `instanceof PlatformDbAmbiguousError`
    // sees it, as it does for rqlite's own 200 + "leadership lost while committing log".
    return new PlatformDbAmbiguousError(`rqlite write outcome unknown: ${(err as Error).message}`);
  }

  private async withRetry<T>(call: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.options.retryBudgetMs;
    const backoff = new Backoff({ initialMs: 50, maxMs: 1000, factor: 2 });
    for (;;) {
      try {
        return await call();
      } catch (err) {
        if (!(err instanceof PlatformDbError) || !err.retriable || err instanceof PlatformDbFatalError) throw err;
        const delay = backoff.next();
        if (Date.now() + delay > deadline) throw err;
        this.log.debug({ err: err.message, delay }, 'retrying platform DB call');
        await sleep(delay);
      }
    }
  }
}
