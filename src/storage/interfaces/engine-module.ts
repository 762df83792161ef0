import type { Config } from '../../config/index.js';
import type { Logger } from '../../logging/logger.js';
import type { EventsStorePolicy } from './events-store.js';
import type { StorageEngine } from './storage-engine.js';
import type { ChangeFeed, ChangeFeedOptions } from './change-feed.js';
import type { Stores } from './stores.js';

/** `storages.engine`: the names the registry knows (src/storage/engine-registry.ts). */
export type EngineName = Config['storages']['engine'];

/** An engine opened on the configured database: its life cycle and its stores. */
export interface UserDataEngine extends StorageEngine {
  /** The resource stores over this engine's connections (one set per process is enough). */
  stores(eventsPolicy?: EventsStorePolicy): Stores;
}

/**
 * A database server the master runs for its engine on this machine (the embedded PostgreSQL, the
 * embedded FerretDB): a supervised sidecar, restarted if it dies. The master starts it with rqlited,
 * stops it last, and kills `pid` on a forced exit.
 */
export interface EngineServer {
  /** Resolves once the server accepts connections with the configured credentials and database. */
  start(): Promise<void>;
  /** Idempotent; waits for what start() left running. */
  stop(): Promise<void>;
  readonly pid: number | undefined;
}

export interface FailoverOptions {
  /** host:port of the replica to promote. */
  promote: string;
  /** host:port of the former primary, checked to be fenced (not writable) first. */
  formerPrimary: string | null;
  /** Cores' /ready URLs that must answer 200 after the promotion. */
  readyUrls: string[];
  /** The configured host list, checked to include the promoted server (null: no config given). */
  hosts: string[] | null;
  readyTimeoutMs: number;
}

export interface OpenOptions {
  /** Connections of the main pool (default: the engine's configured size). */
  poolSize?: number;
}

/**
 * What one engine directory (src/storage/engines/<name>/index.ts) exports as `engine`. Nothing
 * outside that directory knows an engine otherwise: the master, workers, CLIs and tests reach it
 * through the registry by `storages.engine` (docs/architecture.md#storage-engines).
 */
export interface EngineModule {
  readonly name: EngineName;
  /**
   * Master, before its workers start: makes what connections need and is generated once (the
   * embedded server's password into {varDir}/secrets). Synchronous and idempotent.
   */
  prepare(config: Readonly<Config>): void;
  /** Master: the embedded server to supervise, or null when the configuration names an external one. */
  provision(config: Readonly<Config>, logger: Logger): EngineServer | null;
  /**
   * The clones' shared change feed on this engine's database (core.cloneId set). Absent: the engine
   * cannot serve clones, and the master refuses to start one.
   */
  openChangeFeed?(config: Readonly<Config>, logger: Logger, options: ChangeFeedOptions): ChangeFeed;
  /**
   * bin/failover's fence, promote and verify on this engine's servers (docs/operations.md#postgresql-failover).
   * Absent: the engine has no manual failover procedure. Exit code 0 done, 1 refused or failed.
   */
  failover?(options: FailoverOptions, out: (line: string) => void): Promise<number>;
  /** Connects to the configured database (lazily: nothing is awaited until first use). */
  open(config: Readonly<Config>, logger: Logger, options?: OpenOptions): UserDataEngine;
}
