import { Type } from '@sinclair/typebox';
import { baseAccessId } from '../../domain/access-ids.js';
import { hashRandomHalf, parseKey, publicView, sameString } from '../../domain/shared-secrets.js';
import { errors, sharedSecretErrors } from '../../errors/index.js';
import { nowSeconds } from '../context.js';
import { defineMethod } from '../method.js';
import { checkEnabled, loadRecord } from './records.js';

/**
 * Reference: "Get shared secret status" (`POST /shared-secrets/status`): never consumes, never
 * shows the secret; for the creating access or a personal one (anyone else: the uniform 404).
 */
export default defineMethod({
  id: 'sharedSecrets.getOne',
  auth: 'access',
  params: Type.Object({ key: Type.Optional(Type.String({ maxLength: 256 })) }, { additionalProperties: false }),
  async handler(ctx, p) {
    const { services, user, access } = ctx;
    checkEnabled(services);
    if (user === null || access === null) throw errors.missingToken();
    const parsed = parseKey(p.key);
    const record = parsed === null ? null : await loadRecord(services, user.id, parsed.id);
    if (parsed === null || record === null || !sameString(hashRandomHalf(parsed.half), record.keyHash)) throw sharedSecretErrors.unknownKey();
    if (access.type !== 'personal' && record.accessId !== baseAccessId(access.id)) throw sharedSecretErrors.unknownKey();
    return { sharedSecret: publicView(record, nowSeconds()) };
  },
});
