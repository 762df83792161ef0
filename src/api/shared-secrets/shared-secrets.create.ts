import { Type } from '@sinclair/typebox';
import { newId } from '../../auth/crypto.js';
import { baseAccessId } from '../../domain/access-ids.js';
import { AccessLogic } from '../../domain/access-logic.js';
import { StreamsTree } from '../../domain/streams-tree.js';
import { hashRandomHalf, mintRandomHalf, publicView, validateCreate, type SharedSecretRecord, type SignatureType } from '../../domain/shared-secrets.js';
import { errors, sharedSecretErrors } from '../../errors/index.js';
import { nowSeconds } from '../context.js';
import { defineMethod } from '../method.js';
import { checkEnabled, savePayload, saveRecord } from './records.js';

/**
 * Reference: "Create shared secret" (`POST /shared-secrets`). Fields are optional in the schema so
 * that a missing one is refused with the reference's own `data.id` (shared-secret-invalid-title, …).
 */
export default defineMethod({
  id: 'sharedSecrets.create',
  auth: 'access',
  successStatus: 201,
  params: Type.Object(
    {
      ttl: Type.Optional(Type.Number()),
      title: Type.Optional(Type.String({ maxLength: 1000 })),
      onConsumed: Type.Optional(Type.Object({ message: Type.Optional(Type.String({ maxLength: 4096 })), returnUrl: Type.Optional(Type.String({ maxLength: 2048 })) }, { additionalProperties: false })),
      secret: Type.Optional(Type.Unknown()),
      signature: Type.Optional(Type.Object({ type: Type.Optional(Type.String()), value: Type.Optional(Type.String({ maxLength: 1024 })) }, { additionalProperties: false })),
      keyHash: Type.Optional(Type.String({ maxLength: 64 })),
    },
    { additionalProperties: false },
  ),
  async handler(ctx, p) {
    checkEnabled(ctx.services);
    const { user, access } = ctx;
    if (user === null || access === null) throw errors.missingToken();
    if (access.type !== 'personal' && new AccessLogic(access, new StreamsTree([])).feature('secretSharing') === 'forbidden') throw sharedSecretErrors.forbidden();
    const invalid = validateCreate(p, ctx.services.config.sharedSecrets);
    if (invalid !== null) throw sharedSecretErrors.invalid(invalid.id, invalid.message);
    const now = nowSeconds();
    const id = newId();
    const half = p.keyHash === undefined ? mintRandomHalf() : null;
    const signature = p.signature === undefined ? undefined : { type: p.signature.type as SignatureType, value: p.signature.value ?? '' };
    const record: SharedSecretRecord = {
      id,
      keyHash: half === null ? (p.keyHash ?? '') : hashRandomHalf(half),
      title: p.title ?? '',
      onConsumed: { message: p.onConsumed?.message ?? '', ...(p.onConsumed?.returnUrl === undefined ? {} : { returnUrl: p.onConsumed.returnUrl }) },
      ...(signature === undefined ? {} : { signatureType: signature.type }),
      accessId: baseAccessId(access.id),
      expires: now + (p.ttl ?? 0),
      statusHistory: [{ status: 'pending', time: now }],
    };
    await savePayload(ctx.services, user.id, record, { secret: p.secret, ...(signature === undefined ? {} : { signature }) });
    await saveRecord(ctx.services, user.id, record);
    const view = publicView(record, now);
    return { sharedSecret: half === null ? view : { ...view, key: `${id}.${half}` } };
  },
});
