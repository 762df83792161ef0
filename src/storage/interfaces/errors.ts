/** Small typed errors engines throw; API methods map them to ApiError. */
export class DuplicateKeyError extends Error {
  override name = 'DuplicateKeyError';
  constructor(readonly key: string) {
    super(`duplicate ${key}`);
  }
}
