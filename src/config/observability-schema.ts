import { Type } from '@sinclair/typebox';

const strict = { additionalProperties: false } as const;

/** `audit`: the audit trail of API calls (docs/operations.md#reading-the-audit-trail, issue #12). */
export const AuditSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    // null = {varDir}/audit; relative = under varDir. A NAS mount in production.
    dir: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
    // Read lines (and failed calls) are buffered this long at most before they are appended.
    flushIntervalMs: Type.Integer({ minimum: 1, maximum: 60_000 }),
    // How far a successful write's line has gone when the write answers (src/audit/audit-durability.ts).
    durability: Type.Union([Type.Literal('fsync'), Type.Literal('write'), Type.Literal('buffer')]),
    // Lines written without a sync are fdatasync'ed at most this long after.
    syncIntervalMs: Type.Integer({ minimum: 10, maximum: 60_000 }),
    // Deprecated (null = use durability): true = durability fsync, false = buffer.
    syncWrites: Type.Union([Type.Boolean(), Type.Null()]),
    // Lines kept in memory while the path is unwritable (fail-open mode); older ones are dropped.
    maxBufferedLines: Type.Integer({ minimum: 100, maximum: 10_000_000 }),
    // Below this much free space on the audit path, /ready fails and writes are refused (closed).
    minFreeBytes: Type.Integer({ minimum: 0 }),
    // What calls do while the trail cannot be written: `closed` refuses them (503 audit-unavailable).
    onFailure: Type.Object(
      {
        writes: Type.Union([Type.Literal('closed'), Type.Literal('open')]),
        reads: Type.Union([Type.Literal('closed'), Type.Literal('open')]),
      },
      strict,
    ),
  },
  strict,
);

/** `metrics`: Prometheus `/metrics`, served by the master on its own port (issue #13). */
export const MetricsSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    // 0 = any free port (tests).
    port: Type.Integer({ minimum: 0, maximum: 65_535 }),
    // null = http.bindAddress when it is a loopback address, else 127.0.0.1.
    bindAddress: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
    // File holding the time of the last successful backup (src/metrics/backup-stamp.ts); null = {varDir}/backups/last-success.
    backupStampFile: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  },
  strict,
);
