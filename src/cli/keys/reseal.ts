import type { Config } from '../../config/index.js';
import type { TokenVault } from '../../auth/crypto.js';
import type { Logger } from '../../logging/logger.js';
import type { KeyName } from '../../secrets/key-ring.js';
import { createEngine } from '../../storage/engine-registry.js';
import type { Stores } from '../../storage/interfaces/stores.js';

/** The names whose keys made stored data; `reseal` redoes it under their current keys. */
export const RESEALABLE: readonly KeyName[] = ['token-lookup', 'token-sealing', 'webhook-secrets'];

export interface ResealReport {
  users: number;
  /** Values found under an older key, per name. */
  old: Record<string, number>;
  /** Values rewritten under the current key. */
  resealed: Record<string, number>;
}

/**
 * Every stored value a resealable key made, through the storage interface: each access's token hash
 * and sealed token, each webhook's sealed secret, each TOTP secret. With `write`, each one not under
 * the current key is made again under it (one row at a time: the core keeps serving, and an access
 * is found by either hash meanwhile; TOTP secrets by compare-and-set). Short-lived sealed values (access-request grants in the platform
 * DB, MFA sessions) are not rewritten: they expire on their own.
 */
export async function reseal(stores: Stores, vault: TokenVault, write: boolean): Promise<ResealReport> {
  const old: Record<string, number> = Object.fromEntries(RESEALABLE.map((n) => [n, 0]));
  const resealed: Record<string, number> = Object.fromEntries(RESEALABLE.map((n) => [n, 0]));
  const count = (name: KeyName, stale: boolean): boolean => {
    if (stale) old[name] = (old[name] ?? 0) + 1;
    return stale;
  };
  const done = (name: KeyName): void => {
    resealed[name] = (resealed[name] ?? 0) + 1;
  };
  const users = await stores.users.list();
  for (const user of users) {
    for (const a of await stores.accesses.list(user.id, { includeDeletions: true })) {
      const staleHash = count('token-lookup', !vault.isCurrent('token-lookup', a.tokenHash));
      const staleSeal = count('token-sealing', !vault.isCurrent('token-sealing', a.tokenSealed));
      if (!write || !(staleHash || staleSeal)) continue;
      const token = vault.decrypt(a.tokenSealed);
      await stores.accesses.update(user.id, a.id, { tokenHash: vault.lookupHash(token), tokenSealed: vault.encrypt(token) });
      if (staleHash) done('token-lookup');
      if (staleSeal) done('token-sealing');
    }
    for (const w of await stores.webhooks.list(user.id)) {
      if (!count('webhook-secrets', !vault.isCurrent('webhook-secrets', w.secretSealed)) || !write) continue;
      const secretSealed = vault.seal('webhook-secrets', vault.unseal('webhook-secrets', w.secretSealed));
      await stores.webhooks.update(user.id, w.id, { secretSealed, modified: w.modified, modifiedBy: w.modifiedBy });
      done('webhook-secrets');
    }
    const mfa = await stores.mfa.get(user.id);
    const totp = mfa?.data['secretSealed'];
    if (mfa === null || totp === undefined || !count('token-sealing', !vault.isCurrent('token-sealing', totp)) || !write) continue;
    // Compare-and-set: a factor changed meanwhile was sealed under the current key already.
    if (await stores.mfa.replaceData(user.id, mfa.data, { ...mfa.data, secretSealed: vault.encrypt(vault.decrypt(totp)) })) done('token-sealing');
  }
  return { users: users.length, old, resealed };
}

/** `reseal` on this core's user-data database (its own connection, closed after). */
export async function resealCore(config: Readonly<Config>, logger: Logger, vault: TokenVault, write: boolean): Promise<ResealReport> {
  const engine = await createEngine(config, logger, { poolSize: 1 });
  try {
    return await reseal(engine.stores(), vault, write);
  } finally {
    await engine.close();
  }
}
