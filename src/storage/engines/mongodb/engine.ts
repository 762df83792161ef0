import { MongoClient, type Db } from 'mongodb';
import type { Logger } from '../../../logging/logger.js';
import type { DependencyHealth, StorageEngine } from '../../interfaces/storage-engine.js';
import type { Stores } from '../../interfaces/stores.js';
import type { EventsStorePolicy } from '../../interfaces/events-store.js';
import { claimDatabase, migrateMongo, MONGO_SCHEMA_VERSION, readSchemaVersion } from './migrations.js';
import { createMongoStores } from './stores.js';
import { C } from './context.js';
import { appVersion } from '../../../util/app-version.js';

/** Dotted numeric versions (`1.10.0` > `1.9.2`); missing parts count as 0. */
function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

export interface MongoSettings {
  /** `mongodb://…`: an external server, or the embedded FerretDB on loopback (mongo-settings.ts). */
  url: string;
  database: string;
  poolSize?: number;
  connectTimeoutMs?: number;
}

interface HelloReply {
  isWritablePrimary?: boolean;
  ismaster?: boolean;
  setName?: string;
  msg?: string;
}

/** The user-data engine on a MongoDB-wire server: FerretDB 1.24 (embedded default) or MongoDB. */
export class MongoEngine implements StorageEngine {
  readonly name = 'mongodb' as const;
  readonly requiredSchemaVersion = MONGO_SCHEMA_VERSION;
  readonly client: MongoClient;
  readonly db: Db;
  private readonly healthClient: MongoClient;
  private txSupport: Promise<boolean> | null = null;
  /** Attempt locks this process was refused by (attempts-store.ts), shared by its stores. */
  private readonly knownLocks = new Map<string, number>();

  constructor(
    settings: MongoSettings,
    private readonly logger: Logger,
  ) {
    const common = { appName: 'homecore', serverSelectionTimeoutMS: settings.connectTimeoutMs ?? 5000, connectTimeoutMS: settings.connectTimeoutMs ?? 5000 };
    this.client = new MongoClient(settings.url, { ...common, maxPoolSize: settings.poolSize ?? 10 });
    this.db = this.client.db(settings.database);
    // Health checks get their own connection so a busy main pool cannot fail /ready.
    this.healthClient = new MongoClient(settings.url, { ...common, maxPoolSize: 1, serverSelectionTimeoutMS: 1000 });
  }

  migrate(): Promise<number[]> {
    return migrateMongo(this.db, this.logger);
  }

  schemaVersion(): Promise<number> {
    return readSchemaVersion(this.db);
  }

  claim(coreId: string): Promise<void> {
    return claimDatabase(this.db, coreId);
  }

  /** `min_app_version` in `coreInfo`: no migration of this engine sets one yet. */
  async minAppVersion(): Promise<string | null> {
    const d = await this.db.collection<{ _id: string; value: string }>(C.coreInfo).findOne({ _id: 'min_app_version' });
    return d?.value ?? null;
  }

  async incompatibility(): Promise<string | null> {
    const version = await readSchemaVersion(this.db);
    if (version < this.requiredSchemaVersion) {
      return `schema version ${version} < required ${this.requiredSchemaVersion}: run bin/migrate (or start one core with migrations.autoRun: true)`;
    }
    const min = await this.minAppVersion();
    if (min !== null && compareVersions(appVersion(), min) < 0) {
      return `this homecore ${appVersion()} cannot serve this database: its schema needs homecore ≥ ${min}`;
    }
    return null;
  }

  async assertServable(): Promise<void> {
    const why = await this.incompatibility();
    if (why !== null) throw new Error(`MongoDB ${this.db.databaseName}: ${why}`);
  }

  /** The driver does not expose its pool's counters: reported as empty (docs/mongodb.md). */
  poolStats(): { total: number; idle: number; waiting: number } {
    return { total: 0, idle: 0, waiting: 0 };
  }

  /**
   * Multi-document transactions exist on replica sets and sharded clusters only, and never on
   * FerretDB 1.x (which reports neither a set name nor `isdbgrid`).
   */
  supportsTransactions(): Promise<boolean> {
    const admin = this.db.admin();
    this.txSupport ??= Promise.all([admin.command({ hello: 1 }), admin.command({ buildInfo: 1 })])
      .then(([r, build]) => {
        const hello = r as HelloReply;
        // FerretDB can be told to report a replica set name (--repl-set-name), transactions or not.
        if ('ferretdbVersion' in build) return false;
        return hello.setName !== undefined || hello.msg === 'isdbgrid';
      })
      .catch(() => {
        this.txSupport = null;
        return false;
      });
    return this.txSupport;
  }

  /** Every store on this engine; transactions are used when the server has them. */
  stores(eventsPolicy?: EventsStorePolicy): Stores {
    return createMongoStores({ db: this.db }, {
      client: this.client, transactions: () => this.supportsTransactions(), knownLocks: this.knownLocks, ...(eventsPolicy === undefined ? {} : { eventsPolicy }),
    });
  }

  async health(timeoutMs: number): Promise<DependencyHealth> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<DependencyHealth>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
    });
    const check = (async (): Promise<DependencyHealth> => {
      const db = this.healthClient.db(this.db.databaseName);
      const hello = (await db.admin().command({ hello: 1 })) as HelloReply;
      if (hello.isWritablePrimary === false || hello.ismaster === false) return { ok: false, detail: 'not writable (secondary)' };
      const version = await readSchemaVersion(db);
      if (version < this.requiredSchemaVersion) return { ok: false, detail: `schema version ${version} < required ${this.requiredSchemaVersion}` };
      return { ok: true, detail: 'writable' };
    })().catch((err: Error) => ({ ok: false, detail: err.message }));
    try {
      return await Promise.race([check, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private closing: Promise<void> | null = null;

  close(): Promise<void> {
    this.closing ??= Promise.all([this.client.close(), this.healthClient.close()]).then(() => undefined);
    return this.closing;
  }
}
