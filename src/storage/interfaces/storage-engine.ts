import type { EngineName } from './engine-module.js';

export interface DependencyHealth {
  ok: boolean;
  detail: string;
}

/**
 * What every user-data engine (PostgreSQL, MongoDB) offers the core itself: schema lifecycle,
 * ownership and health. Resource stores (streams, events, …) get interfaces of their own.
 * test/conformance/storage-engine.test.ts is the contract every engine must pass (test/conformance/engines.ts).
 */
export interface StorageEngine {
  readonly name: EngineName;
  /** Applies pending migrations once across processes; returns the versions applied. */
  migrate(): Promise<number[]>;
  /** Highest applied migration (0 = none). */
  schemaVersion(): Promise<number>;
  /** The version this code needs. */
  readonly requiredSchemaVersion: number;
  /**
   * Why this release cannot serve the database (schema behind its code, or a `min_app_version` above
   * this release: docs/operations.md#rolling-upgrade), or null.
   */
  incompatibility(): Promise<string | null>;
  /** Throws `incompatibility()` as an error (the master refuses to start). */
  assertServable(): Promise<void>;
  /** The lowest homecore version the database's schema allows (null: no such record yet). */
  minAppVersion(): Promise<string | null>;
  /** Marks the database as owned by `coreId`; throws if another core owns it. */
  claim(coreId: string): Promise<void>;
  /** Answers within `timeoutMs`: reachable, writable (not a read-only replica), schema up to date. */
  health(timeoutMs: number): Promise<DependencyHealth>;
  /** This process's connections to the database, by state (the metrics' pool gauges). */
  poolStats(): { total: number; idle: number; waiting: number };
  /** Idempotent. */
  close(): Promise<void>;
}
