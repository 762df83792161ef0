import type { Services } from '../context.js';
import { newId, newToken } from '../../auth/crypto.js';
import { toAccess } from '../../auth/authenticate.js';
import type { Access, User } from '../../domain/types.js';
import { storedAccessIntegrity } from '../accesses/shared.js';

/**
 * The personal access (login session) of `user` for `appId`: a live, unexpired session of the same
 * app is reused (same token), otherwise a new one is created. Personal accesses are named after the
 * app and created by `system`.
 */
export async function openSession(services: Services, user: User, appId: string): Promise<Access> {
  const { accesses } = services.stores;
  const now = Date.now() / 1000;
  const existing = await accesses.findByName(user.id, 'personal', appId, null);
  if (existing !== null) {
    const idle = now - Math.max(existing.lastUsed ?? 0, existing.created);
    if (idle <= services.config.auth.sessionMaxAgeSeconds) {
      await accesses.update(user.id, existing.id, { lastUsed: now });
      return toAccess(services, { ...existing, lastUsed: now });
    }
    // Expired: retire it so the name is free for the new session.
    await accesses.markDeleted(user.id, [existing.id], now);
  }
  const token = newToken();
  const access: Access = {
    id: newId(),
    token,
    type: 'personal',
    name: appId,
    deviceName: null,
    permissions: [],
    expires: null,
    lastUsed: now,
    calls: {},
    clientData: null,
    created: now,
    createdBy: 'system',
    modified: now,
    modifiedBy: 'system',
    deleted: null,
  };
  const { token: _t, ...rest } = access;
  void _t;
  const stored = { ...rest, tokenHash: services.vault.lookupHash(token), tokenSealed: services.vault.encrypt(token), serial: 0 };
  const integrity = storedAccessIntegrity(services.config, stored, token);
  await accesses.create(user.id, integrity === null ? stored : { ...stored, integrity });
  services.notifier.emit(user.username, 'accessesChanged');
  return access;
}
