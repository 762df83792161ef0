import { Type } from '@sinclair/typebox';
import { currentStatus, hashRandomHalf, parseKey, sameString, withStatus, type SharedSecretRecord } from '../../domain/shared-secrets.js';
import { sharedSecretErrors } from '../../errors/index.js';
import { nowSeconds, type Services } from '../context.js';
import { defineMethod } from '../method.js';
import { checkEnabled, loadRecord, peekPayload, saveRecord, takePayload } from './records.js';

async function discard(services: Services, userId: string, r: SharedSecretRecord, info: string, now: number): Promise<void> {
  if ((await takePayload(services, userId, r.id)) !== null) await saveRecord(services, userId, withStatus(r, 'discarded', now, info));
}

/**
 * Reference: "Redeem shared secret" (`POST /shared-secrets/retrieve`), without a token: the key is
 * the credential, in the body so that it never lands in an access log. Succeeds once; an unknown,
 * malformed or wrong key gets one uniform 404 that touches nothing.
 */
export default defineMethod({
  id: 'sharedSecrets.retrieve',
  auth: 'public',
  notInBatch: true,
  params: Type.Object(
    {
      key: Type.Optional(Type.String({ maxLength: 256 })),
      signature: Type.Optional(Type.Object({ type: Type.Optional(Type.String({ maxLength: 32 })), payload: Type.Optional(Type.String({ maxLength: 1024 })) }, { additionalProperties: false })),
    },
    { additionalProperties: false },
  ),
  async handler(ctx, p) {
    const { services, user } = ctx;
    checkEnabled(services);
    const parsed = parseKey(p.key);
    const record = user === null || parsed === null ? null : await loadRecord(services, user.id, parsed.id);
    if (user === null || parsed === null || record === null || !sameString(hashRandomHalf(parsed.half), record.keyHash)) throw sharedSecretErrors.unknownKey();
    if (currentStatus(record) !== 'pending') throw sharedSecretErrors.unavailable(record.onConsumed);
    const now = nowSeconds();
    if (now > record.expires) {
      await discard(services, user.id, record, 'expired', now);
      throw sharedSecretErrors.unavailable(record.onConsumed);
    }
    if (record.signatureType !== undefined) {
      // A missing proof is refused without burning the item; a wrong one discards it.
      if (p.signature?.payload === undefined) throw sharedSecretErrors.unavailable(record.onConsumed);
      const stored = await peekPayload(services, user.id, record.id);
      const expected = stored?.signature;
      if (expected === undefined || p.signature.type !== expected.type || !sameString(p.signature.payload, expected.value)) {
        await discard(services, user.id, record, 'signature-mismatch', now);
        throw sharedSecretErrors.unavailable(record.onConsumed);
      }
    }
    const payload = await takePayload(services, user.id, record.id);
    if (payload === null) throw sharedSecretErrors.unavailable(record.onConsumed);
    await saveRecord(services, user.id, withStatus(record, 'consumed', now));
    return { secret: payload.secret };
  },
});
