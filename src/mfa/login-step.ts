import type { Services } from '../api/context.js';
import type { User } from '../domain/types.js';
import { openMfaSession } from './mfa-state.js';

/**
 * auth.login with MFA active for the user: instead of a token, an mfaToken for mfa.challenge and
 * mfa.verify (reference: "Login with MFA"; 200, not the reference's 302: the SDK needs a 2xx).
 * null when the platform has MFA off or the user has not activated it.
 */
export async function mfaLoginStep(services: Services, user: User, appId: string): Promise<{ mfaToken: string; mfaMethod: string } | null> {
  if (!services.config.mfa.enabled) return null;
  const record = await services.stores.mfa.get(user.id);
  if (record === null) return null;
  const { token } = await openMfaSession(services, { kind: 'login', userId: user.id, method: record.method, appId });
  return { mfaToken: token, mfaMethod: record.method };
}
