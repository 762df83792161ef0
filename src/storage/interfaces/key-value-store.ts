/** Small expiring records on the core database (password-reset tokens, …). */
export interface KeyValueStore {
  put(key: string, value: unknown, expiresAt: number): Promise<void>;
  /** Reads and deletes in one step: at most one caller gets the value (single-use tokens). */
  take(key: string): Promise<unknown | null>;
  get(key: string): Promise<unknown | null>;
  delete(key: string): Promise<void>;
}
