import { Type, type Static } from '@sinclair/typebox';
import { MailSchema, MfaSchema } from './mail-mfa-schema.js';
import { SharedSecretsSchema } from './shared-secrets-schema.js';
import { IntegritySchema, UpdatesSchema, VersioningSchema } from './data-settings-schema.js';
import { AccountFieldSchema } from './account-field-schema.js';
import { BackupSchema } from './backup-schema.js';
import { AuditSchema, MetricsSchema } from './observability-schema.js';

/**
 * The whole configuration, validated once at start (see load.ts).
 * Every key is documented in config/default.yml; keep both in step.
 * `additionalProperties: false` everywhere so a misspelt key is an error, not a silent default.
 */
const strict = { additionalProperties: false } as const;

/** One attempt limit (src/storage/interfaces/attempts-store.ts AttemptPolicy). */
const AttemptPolicySchema = Type.Object(
  {
    free: Type.Integer({ minimum: 1, maximum: 100_000 }),
    baseDelaySeconds: Type.Number({ minimum: 0.001, maximum: 86_400 }),
    maxDelaySeconds: Type.Number({ minimum: 0.001, maximum: 86_400 }),
    forgetAfterSeconds: Type.Number({ minimum: 1, maximum: 30 * 86_400 }),
  },
  { additionalProperties: false },
);

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const Ms = Type.Integer({ minimum: 0 });

export const BackoffSchema = Type.Object(
  {
    initialMs: Type.Integer({ minimum: 1 }),
    maxMs: Type.Integer({ minimum: 1 }),
    factor: Type.Number({ minimum: 1 }),
  },
  strict,
);

export const ConfigSchema = Type.Object(
  {
    // ── per-core ──────────────────────────────────────────────────────────
    core: Type.Object(
      {
        id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
        url: Type.Union([Type.String({ format: 'uri' }), Type.Null()]),
        // Public IPv4: certificate SAN and DNS answers. Required in multi mode (null = not published).
        ip: Type.Union([Type.String({ minLength: 2 }), Type.Null()]),
        // How often the master refreshes this core's `available` flag from its readiness checks.
        availabilityIntervalMs: Type.Integer({ minimum: 100 }),
        // Clones of one core (docs/operations.md#clones-of-one-core): this clone's id, unique among the
        // core's clones; it names the clone's rqlited node and turns on cross-clone change delivery.
        cloneId: Type.Union([Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,30}$' }), Type.Null()]),
      },
      strict,
    ),
    http: Type.Object(
      {
        bindAddress: Type.String({ minLength: 1 }),
        apiPort: Port,
        hfsPort: Port,
        previewsPort: Port,
        bodyLimitBytes: Type.Integer({ minimum: 1024 }),
        requestTimeoutMs: Ms,
      },
      strict,
    ),
    cluster: Type.Object(
      {
        apiWorkers: Type.Integer({ minimum: 1, maximum: 64 }),
        hfsWorkers: Type.Integer({ minimum: 0, maximum: 64 }),
        previewsWorker: Type.Boolean(),
        restartBackoff: BackoffSchema,
        crashLoop: Type.Object(
          { maxExits: Type.Integer({ minimum: 1 }), windowMs: Type.Integer({ minimum: 1 }) },
          strict,
        ),
        drainMs: Ms,
        shutdownTimeoutMs: Type.Integer({ minimum: 100 }),
        uvThreadpoolSize: Type.Integer({ minimum: 4, maximum: 1024 }),
        scryptConcurrency: Type.Integer({ minimum: 1, maximum: 64 }),
        scryptNice: Type.Integer({ minimum: 0, maximum: 19 }),
        streamTreeCacheUsers: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
        workerMemory: Type.Object(
          {
            // 0 = V8's defaults (src/master/worker-memory.ts).
            heapGrowingPercent: Type.Integer({ minimum: 0, maximum: 400 }),
            maxSemiSpaceMb: Type.Integer({ minimum: 0, maximum: 256 }),
            mallocArenaMax: Type.Integer({ minimum: 0, maximum: 64 }),
          },
          strict,
        ),
        connectionQueue: Type.Object(
          { maxConnections: Type.Integer({ minimum: 1, maximum: 100_000 }), timeoutMs: Type.Integer({ minimum: 100 }) },
          strict,
        ),
      },
      strict,
    ),
    paths: Type.Object({ varDir: Type.String({ minLength: 1 }) }, strict),
    storages: Type.Object(
      {
        engine: Type.Union([Type.Literal('postgresql'), Type.Literal('mongodb')]),
        postgresql: Type.Object(
          {
            embedded: Type.Boolean(),
            host: Type.String({ minLength: 1 }),
            port: Port,
            // Ordered "host:port" list of a primary and its replicas (external only, issue #13):
            // the pool connects to the first writable one. [] = host and port above.
            hosts: Type.Array(Type.String({ pattern: '^[^:\\s]+:[0-9]{1,5}$' }), { maxItems: 16 }),
            database: Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]{0,62}$' }),
            user: Type.String({ minLength: 1 }),
            // null: generated at first start (embedded only), src/storage/engines/postgresql/database-password.ts.
            password: Type.Union([Type.String(), Type.Null()]),
            poolSize: Type.Integer({ minimum: 1, maximum: 500 }),
            connectTimeoutMs: Ms,
            statementTimeoutMs: Ms,
            // Embedded only: the server's shared_buffers in MB; null = PostgreSQL's default (128 MB).
            sharedBuffersMb: Type.Union([Type.Integer({ minimum: 16, maximum: 1_048_576 }), Type.Null()]),
            // Embedded only: the server's io_method (PostgreSQL 18); null = PostgreSQL's default (worker). Default sync (config/default.yml).
            ioMethod: Type.Union([Type.Literal('worker'), Type.Literal('sync'), Type.Null()]),
          },
          strict,
        ),
        mongodb: Type.Object(
          {
            // null: the master runs FerretDB itself (src/storage/engines/mongodb/ferretdb.ts).
            url: Type.Union([Type.String({ pattern: '^mongodb(\\+srv)?://' }), Type.Null()]),
            database: Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_-]{0,62}$' }),
            poolSize: Type.Integer({ minimum: 1, maximum: 500 }),
            connectTimeoutMs: Ms,
            ferretdb: Type.Object(
              { binary: Type.Union([Type.String({ minLength: 1 }), Type.Null()]), port: Port, debugPort: Port },
              strict,
            ),
          },
          strict,
        ),
      },
      strict,
    ),
    // Rolling upgrades (docs/operations.md#rolling-upgrade): false = this process never migrates the
    // user-data database; it refuses to start on a schema it cannot serve (run bin/migrate first).
    migrations: Type.Object({ autoRun: Type.Boolean() }, strict),
    platformDb: Type.Object(
      {
        rqlited: Type.Object(
          {
            binary: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
            httpPort: Port,
            raftAddress: Type.String({ pattern: '^[^:]+:[0-9]{1,5}$' }),
            // Address peers reach our Raft port on; null = raftAddress (must be set when that binds 0.0.0.0).
            raftAdvertisedAddress: Type.Union([Type.String({ pattern: '^[^:]+:[0-9]{1,5}$' }), Type.Null()]),
            // Raft addresses of existing members, used only while the rqlite data dir is empty (first join).
            join: Type.Array(Type.String({ pattern: '^[^:]+:[0-9]{1,5}$' })),
            // Join as a non-voter (read replica); promote with `bin/bootstrap.js promote-core`.
            nonVoter: Type.Boolean(),
            readyTimeoutMs: Type.Integer({ minimum: 100 }),
            restartBackoff: BackoffSchema,
            // true: the master does not start rqlited; it uses the one already at 127.0.0.1:httpPort.
            external: Type.Boolean(),
          },
          strict,
        ),
        requestTimeoutMs: Type.Integer({ minimum: 50 }),
        retryBudgetMs: Ms,
        // Per-process cache of user → core and cores lookups, flushed through polled cache epochs.
        cache: Type.Object(
          { pollMs: Type.Integer({ minimum: 100, maximum: 3000 }), ttlMs: Type.Integer({ minimum: 0, maximum: 60_000 }) },
          strict,
        ),
        // Mutual TLS between cores (Raft port) and to the local rqlite HTTP API; required in multi mode.
        tls: Type.Object(
          {
            caFile: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
            certFile: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
            keyFile: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
            verifyClient: Type.Literal(true),
          },
          strict,
        ),
      },
      strict,
    ),
    health: Type.Object(
      {
        cacheMs: Type.Integer({ minimum: 0, maximum: 1000 }),
        checkTimeoutMs: Type.Integer({ minimum: 10 }),
        platformDbLeaderGraceMs: Type.Integer({ minimum: 0 }),
      },
      strict,
    ),
    logging: Type.Object(
      {
        level: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
        ),
        requests: Type.Union([Type.Literal('off'), Type.Literal('errors'), Type.Literal('all')]),
      },
      strict,
    ),
    attachments: Type.Object(
      {
        dir: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
        maxSizeBytes: Type.Integer({ minimum: 1 }),
        maxFilesPerRequest: Type.Integer({ minimum: 1, maximum: 1000 }),
      },
      strict,
    ),
    previews: Type.Object(
      {
        cacheDir: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
        cacheMaxAgeSeconds: Type.Integer({ minimum: 60 }),
        cleanupIntervalSeconds: Type.Integer({ minimum: 60 }),
        maxInputBytes: Type.Integer({ minimum: 1024 }),
        maxInputPixels: Type.Integer({ minimum: 1 }),
        timeoutMs: Type.Integer({ minimum: 100 }),
      },
      strict,
    ),
    series: Type.Object(
      {
        maxPointsPerRequest: Type.Integer({ minimum: 1 }),
        maxPointsPerRead: Type.Integer({ minimum: 1 }),
        metadataUpdateDelayMs: Type.Integer({ minimum: 0 }),
      },
      strict,
    ),
    webhooks: Type.Object(
      {
        minIntervalMs: Type.Integer({ minimum: 0 }),
        maxRetries: Type.Integer({ minimum: 0 }),
        runsSize: Type.Integer({ minimum: 1 }),
        requestTimeoutMs: Type.Integer({ minimum: 100 }),
        retryBaseDelayMs: Type.Integer({ minimum: 1 }),
        allowedHosts: Type.Array(Type.String({ minLength: 1 })),
        maxPerAccess: Type.Integer({ minimum: 1 }),
      },
      strict,
    ),
    versioning: VersioningSchema,
    updates: UpdatesSchema,
    integrity: IntegritySchema,
    // ── platform-wide (identical on every core) ──────────────────────────
    auth: Type.Object(
      {
        adminAccessKey: Type.Union([Type.String({ minLength: 16 }), Type.Null()]),
        tokenSecret: Type.Union([Type.String({ minLength: 32 }), Type.Null()]),
        sessionMaxAgeSeconds: Type.Integer({ minimum: 60 }),
        trustedApps: Type.String(),
        passwordResetTtlSeconds: Type.Integer({ minimum: 60 }),
        passwordMinLength: Type.Integer({ minimum: 6, maximum: 100 }),
        accessCacheMs: Type.Integer({ minimum: 0, maximum: 1000 }),
        userDeletionBy: Type.Array(Type.Union([Type.Literal('adminKey'), Type.Literal('personalToken')]), { minItems: 1, uniqueItems: true }),
      },
      strict,
    ),
    // Failed logins and per-address request limits (issue #16, docs/api.md#limits).
    attemptLimits: Type.Object(
      {
        loginPerUsername: AttemptPolicySchema,
        loginPerAddress: AttemptPolicySchema,
        passwordResetPerAddress: AttemptPolicySchema,
        registrationPerAddress: AttemptPolicySchema,
        accessRequestPerAddress: AttemptPolicySchema,
        mfaPerUsername: AttemptPolicySchema,
        mfaSmsPerUser: AttemptPolicySchema,
      },
      strict,
    ),
    access: Type.Object(
      {
        defaultAuthUrl: Type.String({ minLength: 1 }),
        trustedAuthUrls: Type.Array(Type.String({ minLength: 1 })),
        requestTtlSeconds: Type.Integer({ minimum: 60 }),
      },
      strict,
    ),
    registration: Type.Object(
      {
        reservedUsernames: Type.Array(Type.String()),
        invitationTokens: Type.Union([Type.Array(Type.String({ minLength: 1 })), Type.Null(), Type.Literal('open'), Type.Literal('closed')]),
        hosting: Type.String({ minLength: 1 }),
        hostingName: Type.String({ minLength: 1 }),
        region: Type.String({ minLength: 1 }),
        zone: Type.String({ minLength: 1 }),
        // A reservation never confirmed by its home core (placing core died) is released after this.
        pendingTtlMs: Type.Integer({ minimum: 10_000 }),
      },
      strict,
    ),
    limits: Type.Object(
      {
        batchMaxCalls: Type.Integer({ minimum: 1, maximum: 100_000 }),
        queryMaxBytes: Type.Integer({ minimum: 256 }),
        maxResultItems: Type.Integer({ minimum: 1 }),
      },
      strict,
    ),
    platform: Type.Object(
      {
        mode: Type.Union([Type.Literal('single'), Type.Literal('multi')]),
        dnsLess: Type.Boolean(),
        domain: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
        publicUrl: Type.String({ format: 'uri' }),
      },
      strict,
    ),
    dns: Type.Object(
      {
        enabled: Type.Boolean(),
        bindAddress: Type.String({ minLength: 1 }),
        port: Port,
        ttlSeconds: Type.Integer({ minimum: 0, maximum: 86_400 }),
        // Largest number of A records in one answer (keeps UDP answers small).
        maxAnswers: Type.Integer({ minimum: 1, maximum: 64 }),
        // SOA RNAME, as a mailbox: hostmaster@example.com.
        hostmaster: Type.Union([Type.String({ minLength: 3 }), Type.Null()]),
        staticRecords: Type.Array(
          Type.Object(
            {
              name: Type.String({ minLength: 1 }),
              type: Type.Union([Type.Literal('A'), Type.Literal('CNAME'), Type.Literal('TXT')]),
              value: Type.String({ minLength: 1 }),
            },
            strict,
          ),
        ),
      },
      strict,
    ),
    // Custom account fields (docs/api.md#system-streams), the same on every core.
    systemStreams: Type.Object({ account: Type.Array(AccountFieldSchema, { maxItems: 50 }) }, strict),
    service: Type.Object(
      {
        name: Type.String({ minLength: 1 }),
        serial: Type.String({ minLength: 1 }),
        home: Type.String(),
        support: Type.String(),
        terms: Type.String(),
        eventTypes: Type.String(),
        // null = this core's own assets (www/assets/); a URL = an index.json hosted elsewhere.
        assetsUrl: Type.Union([Type.String({ format: 'uri' }), Type.Null()]),
        // GET /reg/apps: the apps linked to this service, by app id (free-form fields).
        apps: Type.Record(Type.String({ pattern: '^[a-zA-Z0-9._-]{1,100}$' }), Type.Record(Type.String(), Type.Unknown())),
        // Where the server reads event types from at boot: null = the bundled copy; a URL or a file.
        eventTypesSource: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
        eventTypesTimeoutMs: Type.Integer({ minimum: 100, maximum: 60_000 }),
      },
      strict,
    ),
    mail: MailSchema, mfa: MfaSchema, sharedSecrets: SharedSecretsSchema,
    backup: BackupSchema,
    audit: AuditSchema, metrics: MetricsSchema,
  },
  strict,
);

export type Config = Static<typeof ConfigSchema>;
