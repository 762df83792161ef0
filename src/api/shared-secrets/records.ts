import type { SharedSecretPayload, SharedSecretRecord } from '../../domain/shared-secrets.js';
import { sharedSecretErrors } from '../../errors/index.js';
import type { Services } from '../context.js';

/**
 * Where shared secrets live: two records of the core's key-value store (its PostgreSQL), per user.
 * The payload expires with the item and is taken (read and deleted in one statement) when redeemed,
 * so of concurrent redemptions exactly one gets it; the record (status, never the secret) stays
 * `sharedSecrets.keepRecordSeconds` longer for sharedSecrets.getOne.
 */
const recordKey = (userId: string, id: string): string => `shared-secret:${userId}:${id}`;
const payloadKey = (userId: string, id: string): string => `shared-secret-payload:${userId}:${id}`;

export function checkEnabled(services: Services): void {
  if (!services.config.sharedSecrets.enabled) throw sharedSecretErrors.disabled();
}

function recordExpiry(services: Services, r: SharedSecretRecord): number {
  return r.expires + services.config.sharedSecrets.keepRecordSeconds;
}

export async function saveRecord(services: Services, userId: string, r: SharedSecretRecord): Promise<void> {
  await services.stores.keyValue.put(recordKey(userId, r.id), r, recordExpiry(services, r));
}

export async function savePayload(services: Services, userId: string, r: SharedSecretRecord, p: SharedSecretPayload): Promise<void> {
  await services.stores.keyValue.put(payloadKey(userId, r.id), p, r.expires);
}

export async function loadRecord(services: Services, userId: string, id: string): Promise<SharedSecretRecord | null> {
  return (await services.stores.keyValue.get(recordKey(userId, id))) as SharedSecretRecord | null;
}

export async function peekPayload(services: Services, userId: string, id: string): Promise<SharedSecretPayload | null> {
  return (await services.stores.keyValue.get(payloadKey(userId, id))) as SharedSecretPayload | null;
}

/** Takes the payload: at most one caller gets it; null once taken, scrubbed or expired. */
export async function takePayload(services: Services, userId: string, id: string): Promise<SharedSecretPayload | null> {
  return (await services.stores.keyValue.take(payloadKey(userId, id))) as SharedSecretPayload | null;
}
