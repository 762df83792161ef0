import type { Access, Level, Permission, Stream } from '../../../src/domain/types.js';

export function stream(id: string, parentId: string | null = null, extra: Partial<Stream> = {}): Stream {
  return { id, name: id, parentId, clientData: null, trashed: false, created: 1, createdBy: 'a', modified: 1, modifiedBy: 'a', ...extra };
}

export function access(type: Access['type'], perms: [string, Level][] | Permission[] = []): Access {
  const permissions: Permission[] = perms.map((p) => (Array.isArray(p) ? { streamId: p[0], level: p[1] } : p));
  return {
    id: `acc-${type}`,
    token: 't',
    type,
    name: 'n',
    deviceName: null,
    permissions,
    expires: null,
    lastUsed: null,
    calls: {},
    clientData: null,
    deleted: null,
    created: 1,
    createdBy: 'a',
    modified: 1,
    modifiedBy: 'a',
  };
}

/**
 * health ── heart ── pulse
 *        └─ diary (trashed)
 * work ── notes
 * orphan (parent "gone" does not exist)
 */
export const STREAMS: Stream[] = [
  stream('health'),
  stream('heart', 'health'),
  stream('pulse', 'heart'),
  stream('diary', 'health', { trashed: true }),
  stream('work'),
  stream('notes', 'work', { name: 'Notes' }),
  stream('orphan', 'gone'),
];
