import pg from 'pg';
import type { Logger } from '../../../logging/logger.js';
import type { ChangeFeed as ChangeFeedContract, ChangeFeedOptions } from '../../interfaces/change-feed.js';
import type { PgSettings } from './database-password.js';
import { ChangeSequence } from '../../../notifications/change-sequence.js';
import { Backoff } from '../../../util/backoff.js';

export const CHANGES_CHANNEL = 'homecore_changes';
const READ_BATCH = 500;
const MAX_QUEUE = 10_000;

export type { ChangeFeedOptions };

/**
 * Cross-clone change delivery over PostgreSQL (issue #13, table clone_changes): `append` inserts a
 * row and NOTIFYs its seq in the same statement, so the notification is sent only on commit;
 * another clone's feed LISTENs, reads the rows past its position and hands them to `onRemote`. The
 * LISTEN connection is reopened after any loss (database restart, network) with backoff, and the
 * first read after it catches up from the position, so nothing written meanwhile is missed. Appends
 * that fail are kept (in order, up to 10 000) and sent again on the next attempt.
 */
export class ChangeFeed implements ChangeFeedContract {
  private readonly log: Logger;
  private readonly pool: pg.Pool;
  private readonly sequence = new ChangeSequence();
  private listener: pg.Client | null = null;
  private readonly backoff = new Backoff({ initialMs: 100, maxMs: 2000, factor: 2 }, 5000);
  private readonly queue: unknown[] = [];
  private flushing: Promise<void> | null = null;
  private reading: Promise<void> | null = null;
  private readAgain = false;
  private timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private started = false;
  private lastPrune = 0;
  /** Times the LISTEN connection was (re)opened: 1 after start. */
  connects = 0;

  constructor(
    private readonly settings: PgSettings,
    logger: Logger,
    private readonly options: ChangeFeedOptions,
  ) {
    this.log = logger.child({ component: 'clone-changes' });
    this.pool = new pg.Pool({
      host: settings.host, port: settings.port, database: settings.database, user: settings.user, password: settings.password,
      max: 2, connectionTimeoutMillis: 2000, idleTimeoutMillis: 30_000, application_name: 'homecore-changes',
    });
    this.pool.on('error', (err) => this.log.debug({ err: err.message }, 'idle change-feed connection failed'));
  }

  /** Connects and LISTENs; the position starts at the table's current end. Retries in the background on failure. */
  async start(): Promise<void> {
    const { rows } = await this.pool.query<{ seq: string }>('SELECT coalesce(max(seq), 0) AS seq FROM clone_changes');
    this.sequence.startAt(Number(rows[0]?.seq ?? 0));
    this.started = true;
    await this.connect();
    const poll = setInterval(() => this.read(), this.options.pollMs ?? 5000);
    poll.unref();
    this.timers.add(poll);
  }

  /** Queues a message for the other clones; sent at once when the database answers. */
  append(message: unknown): void {
    if (this.closed) return;
    if (this.queue.length >= MAX_QUEUE) {
      this.queue.shift();
      this.log.warn('change queue full: the oldest undelivered change was dropped');
    }
    this.queue.push(message);
    this.flush();
  }

  get position(): number {
    return this.sequence.position;
  }

  get pending(): number {
    return this.queue.length;
  }

  private flush(): void {
    if (this.flushing !== null || this.closed) return;
    let failed = false;
    this.flushing = this.sendQueued()
      .catch((err: Error) => {
        failed = true;
        this.log.warn({ err: err.message, pending: this.queue.length }, 'could not publish changes to the other clones; retrying');
        this.later(() => this.flush(), this.backoff.next());
      })
      .finally(() => {
        this.flushing = null;
        // Appended during the last statement (e.g. the trim): sent now, not at the next append.
        if (!failed && this.queue.length > 0) this.flush();
      });
  }

  private async sendQueued(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const batch = this.queue.slice(0, 100);
      await this.pool.query(
        `WITH c AS (INSERT INTO clone_changes (origin, message) SELECT $1, m FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(m, i) ORDER BY i RETURNING seq)
         SELECT pg_notify($3, max(seq)::text) FROM c`,
        [this.options.origin, JSON.stringify(batch), CHANGES_CHANNEL],
      );
      this.queue.splice(0, batch.length);
    }
    if (Date.now() - this.lastPrune > 60_000) {
      this.lastPrune = Date.now();
      const retain = this.options.retainMs ?? 600_000;
      await this.pool.query(`DELETE FROM clone_changes WHERE created_at < now() - $1 * interval '1 millisecond'`, [retain]);
    }
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const s = this.settings;
    const client = new pg.Client({
      host: s.host, port: s.port, database: s.database, user: s.user, password: s.password,
      connectionTimeoutMillis: 2000, application_name: 'homecore-listen', keepAlive: true,
    });
    let lost = false;
    const onLost = (why: string): void => {
      if (lost || this.closed) return;
      lost = true;
      this.listener = null;
      client.end().catch(() => undefined);
      const delay = this.backoff.next();
      this.log.warn({ why, retryInMs: delay }, 'change listener lost its connection; reconnecting');
      this.later(() => void this.connect(), delay);
    };
    client.on('error', (err) => onLost(err.message));
    client.on('end', () => onLost('connection ended'));
    client.on('notification', (n) => {
      if (n.channel === CHANGES_CHANNEL) this.read();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (err) {
      onLost((err as Error).message);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
    this.backoff.reset();
    this.connects += 1;
    if (this.connects > 1) this.log.info('change listener reconnected: catching up');
    // Whatever was written while nobody listened, and appends that failed meanwhile.
    this.read();
    this.flush();
  }

  /** Reads the rows past the position (coalesced: one read at a time, one more if asked meanwhile). */
  private read(): void {
    if (!this.started || this.closed) return;
    if (this.reading !== null) {
      this.readAgain = true;
      return;
    }
    this.reading = this.readRows()
      .catch((err: Error) => this.log.debug({ err: err.message }, 'could not read changes (the next notification or poll retries)'))
      .finally(() => {
        this.reading = null;
        if (this.readAgain) {
          this.readAgain = false;
          this.read();
        }
      });
  }

  private async readRows(): Promise<void> {
    // From the oldest open hole at first; then past each batch, so a full batch is never read twice.
    let from = this.sequence.readFrom();
    for (;;) {
      const { rows } = await this.pool.query<{ seq: string; origin: string; message: unknown }>(
        'SELECT seq, origin, message FROM clone_changes WHERE seq > $1 ORDER BY seq LIMIT $2',
        [from, READ_BATCH],
      );
      for (const row of rows) {
        from = Number(row.seq);
        if (!this.sequence.accept(from)) continue;
        if (row.origin === this.options.origin) continue;
        try {
          this.options.onRemote(row.message);
        } catch (err) {
          this.log.error({ err: (err as Error).message }, 'change delivery failed');
        }
      }
      if (rows.length < READ_BATCH || this.closed) return;
    }
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  /** Sends what is queued (best effort, 2 s at most), then closes both connections. */
  async close(): Promise<void> {
    if (this.queue.length > 0 && this.flushing === null) this.flush();
    await Promise.race([this.flushing, new Promise((r) => setTimeout(r, 2000).unref())]);
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.reading;
    await this.listener?.end().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }
}
