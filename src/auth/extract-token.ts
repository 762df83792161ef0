/** Where a request's token may come from (Pryv API §1.2), in order of preference. */
export interface TokenSources {
  authorization?: string | undefined;
  queryAuth?: string | undefined;
  formAuth?: string | undefined;
}

/**
 * `Authorization: <token>`, `Bearer <token>`, `Basic base64(<token>:)`, `?auth=`, or form `_auth`.
 * A token may be followed by a space and a caller id.
 */
export function extractToken(src: TokenSources): { token: string; callerId: string | null } | null {
  let raw: string | undefined;
  const header = src.authorization?.trim();
  if (header !== undefined && header !== '') {
    if (/^bearer\s+/i.test(header)) raw = header.replace(/^bearer\s+/i, '');
    else if (/^basic\s+/i.test(header)) {
      const decoded = Buffer.from(header.replace(/^basic\s+/i, ''), 'base64').toString('utf8');
      raw = decoded.split(':')[0];
    } else raw = header;
  } else raw = src.queryAuth ?? src.formAuth;
  if (raw === undefined) return null;
  raw = raw.trim();
  if (raw === '') return null;
  const space = raw.indexOf(' ');
  if (space === -1) return { token: raw, callerId: null };
  const callerId = raw.slice(space + 1).trim();
  return { token: raw.slice(0, space), callerId: callerId === '' ? null : callerId };
}
