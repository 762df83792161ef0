import { Type } from '@sinclair/typebox';
import { errors } from '../../errors/index.js';
import type { Access, User } from '../../domain/types.js';
import type { RequestContext } from '../context.js';

/** The profile sets a personal access reads and writes by id (Pryv API §2.6). */
export const ProfileId = Type.Union([Type.Literal('public'), Type.Literal('private')]);

/** Changes to a profile set: keys to set, `null` deletes the key. */
export const ProfileChanges = Type.Record(Type.String({ minLength: 1 }), Type.Unknown());

export function profileCaller(ctx: RequestContext): { user: User; access: Access } {
  const { user, access } = ctx;
  if (user === null) throw errors.notFound('Unknown user');
  if (access === null) throw errors.invalidAccessToken('Missing access token.', { httpStatus: 401 });
  return { user, access };
}

/**
 * The stored id of an app access's own profile set. The reference keys it by the bare access name,
 * so an app access named "private" would read and write the private set; ours are namespaced.
 * Only app accesses have one (Pryv API §3: else 400 invalid-operation).
 */
export function appProfileId(access: Access): string {
  if (access.type !== 'app') throw errors.invalidOperation('Only app accesses have an app profile.');
  return `app:${access.name}`;
}
