/**
 * The change notifications shared by the clones of one core (issue #13, src/master/clone-changes.ts):
 * each clone appends what its workers announce, and hears the others' through its engine's database
 * (PostgreSQL: a table plus LISTEN/NOTIFY), catching up from a sequence after a reconnect.
 */
export interface ChangeFeedOptions {
  /** This process's id in the rows it writes: its own rows are never handed back to it. */
  origin: string;
  /** A row written by another clone (its `message`, as it was appended). */
  onRemote: (message: unknown) => void;
  /** Rows older than this are deleted (a notification only says "refetch": no need to keep them long). */
  retainMs?: number;
  /** A read every pollMs even without a notification: a backstop, e.g. for sequence holes. */
  pollMs?: number;
}

export interface ChangeFeed {
  /** Connects and listens; retries in the background on failure. */
  start(): Promise<void>;
  /** Queues one message for the other clones (sent in order, kept while the database is away). */
  append(message: unknown): void;
  /** Idempotent. */
  close(): Promise<void>;
}
