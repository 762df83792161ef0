export interface ProfileStore {
  get(userId: string, profileId: string): Promise<Record<string, unknown>>;
  /** Sets the given keys; a null value deletes that key. Returns the new profile set. */
  update(userId: string, profileId: string, changes: Record<string, unknown>): Promise<Record<string, unknown>>;
}
