/** Change notifications (Pryv API §6): what happened to whose data. They carry no data themselves. */
export type ChangeKind = 'eventsChanged' | 'streamsChanged' | 'accessesChanged' | 'accessUpdated';

export interface ChangeMessage {
  username: string;
  change: ChangeKind;
  /** accessUpdated: `{type: 'access-updated', accessId, serial}`. */
  payload?: Record<string, unknown>;
}

export function isChangeMessage(m: unknown): m is ChangeMessage {
  if (typeof m !== 'object' || m === null) return false;
  const c = m as { username?: unknown; change?: unknown };
  return typeof c.username === 'string' && ['eventsChanged', 'streamsChanged', 'accessesChanged', 'accessUpdated'].includes(String(c.change));
}
