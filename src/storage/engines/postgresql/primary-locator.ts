import pg from 'pg';
import type { Logger } from '../../../logging/logger.js';
import type { PgSettings } from './database-password.js';

export interface PgHost {
  host: string;
  port: number;
}

/** The hosts a pool may use, in the configured order: `hosts`, or `host`/`port` when it is empty. */
export function pgHosts(settings: Pick<PgSettings, 'host' | 'port' | 'hosts'>): PgHost[] {
  if (settings.hosts.length === 0) return [{ host: settings.host, port: settings.port }];
  return settings.hosts.map((h) => {
    const i = h.lastIndexOf(':');
    return { host: h.slice(0, i), port: Number(h.slice(i + 1)) };
  });
}

export const hostName = (h: PgHost): string => `${h.host}:${h.port}`;

/**
 * No writable primary among the hosts (all down, or only standbys left before a promotion). The
 * SQLSTATE class 08 code makes it a connection failure for isUnavailable(): a 503, worth a retry.
 */
export class NoPrimaryError extends Error {
  override name = 'NoPrimaryError';
  readonly code = '08001';
}

interface Probe {
  host: PgHost;
  writable: boolean;
  detail: string;
}

/** How long a "no primary" answer is reused, so a burst of requests during a failover does not probe once each. */
const NO_PRIMARY_REUSE_MS = 250;

/**
 * Finds the writable primary among an ordered host list (libpq's `target_session_attrs=read-write`,
 * which node-postgres lacks: shared/notes/rqlite-and-ha.md §4.4). The answer is kept until a
 * connection to it fails or finds it read-only (`forget`); the next connection then probes every
 * host again, which is how the pool follows a promoted replica with no config or DNS change.
 */
export class PrimaryLocator {
  readonly hosts: PgHost[];
  private current: PgHost | null = null;
  private locating: Promise<PgHost> | null = null;
  private failedAt = 0;
  private lastFailure: NoPrimaryError | null = null;
  private readonly log: Logger;

  constructor(private readonly settings: PgSettings, logger: Logger) {
    this.hosts = pgHosts(settings);
    this.log = logger.child({ component: 'storage:pg:primary' });
  }

  /** The primary to connect to: the known one, or the first writable host found by probing. */
  primary(): Promise<PgHost> {
    if (this.hosts.length === 1) return Promise.resolve(this.hosts[0] as PgHost);
    if (this.current !== null) return Promise.resolve(this.current);
    if (this.lastFailure !== null && Date.now() - this.failedAt < NO_PRIMARY_REUSE_MS) return Promise.reject(this.lastFailure);
    this.locating ??= this.locate().finally(() => (this.locating = null));
    return this.locating;
  }

  /** `host` failed or turned out read-only: probe again on the next connection. */
  forget(host: PgHost, reason: string): void {
    if (this.current !== null && hostName(this.current) === hostName(host)) {
      this.log.warn({ host: hostName(host), reason }, 'PostgreSQL primary lost; looking for the writable host again');
      this.current = null;
    }
  }

  private async locate(): Promise<PgHost> {
    const probes = await Promise.all(this.hosts.map((h) => this.probe(h)));
    const writable = probes.filter((p) => p.writable);
    if (writable.length > 1) {
      // Split brain: a former primary restarted without being fenced. Writes go to the first one in
      // the configured order; the operator must stop the other (docs/operations.md#postgresql-failover).
      this.log.error({ writable: writable.map((p) => hostName(p.host)) }, 'several writable PostgreSQL hosts: fence the former primary');
    }
    const chosen = writable[0];
    if (chosen === undefined) {
      this.lastFailure = new NoPrimaryError(`no writable PostgreSQL primary among ${probes.map((p) => `${hostName(p.host)} (${p.detail})`).join(', ')}`);
      this.failedAt = Date.now();
      throw this.lastFailure;
    }
    this.lastFailure = null;
    this.current = chosen.host;
    this.log.info({ host: hostName(chosen.host) }, 'PostgreSQL primary found');
    return chosen.host;
  }

  private async probe(host: PgHost): Promise<Probe> {
    const s = this.settings;
    const client = new pg.Client({
      ...host,
      database: s.database,
      user: s.user,
      password: s.password,
      connectionTimeoutMillis: s.connectTimeoutMs,
      application_name: 'homecore-probe',
    });
    // A server dying mid-probe emits 'error' on the client; the failed query reports it.
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ ro: string }>(`SELECT current_setting('transaction_read_only') AS ro`);
      const writable = rows[0]?.ro === 'off';
      return { host, writable, detail: writable ? 'writable' : 'read-only' };
    } catch (err) {
      return { host, writable: false, detail: (err as Error).message };
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
