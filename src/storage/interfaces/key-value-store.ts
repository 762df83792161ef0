/** Small expiring records on the core database (password-reset tokens, …). */
export interface KeyValueStore {
  put(key: string, value: unknown, expiresAt: number): Promise<void>;
  /** Stores the record only if the key is absent (or expired): true when this caller stored it. */
  add(key: string, value: unknown, expiresAt: number): Promise<boolean>;
  /** Reads and deletes in one step: at most one caller gets the value (single-use tokens). */
  take(key: string): Promise<unknown | null>;
  get(key: string): Promise<unknown | null>;
  delete(key: string): Promise<void>;
}
