/**
 * Who may register (Pryv API §4.2, `registration.invitationTokens`): `null` or `"open"` = anybody,
 * `"closed"` or `[]` = nobody (admin creation excepted), a list = holders of one of its tokens.
 */
export type InvitationSetting = readonly string[] | null | 'open' | 'closed';

export function invitationAccepted(setting: InvitationSetting, token: string | null | undefined): boolean {
  if (setting === null || setting === 'open') return true;
  if (setting === 'closed') return false;
  return typeof token === 'string' && setting.includes(token);
}
