/** API data shapes (Pryv API §2). Timestamps are float seconds since the epoch. */

export type AccessType = 'personal' | 'app' | 'shared';
export type Level = 'none' | 'read' | 'create-only' | 'contribute' | 'manage';
export const LEVELS: readonly Level[] = ['none', 'read', 'create-only', 'contribute', 'manage'];

export interface StreamPermission {
  streamId: string;
  level: Level;
}
export interface FeaturePermission {
  feature: string;
  setting: 'allowed' | 'forbidden';
}
export type Permission = StreamPermission | FeaturePermission;

export function isStreamPermission(p: Permission): p is StreamPermission {
  return 'streamId' in p;
}

export interface Tracking {
  created: number;
  createdBy: string;
  modified: number;
  modifiedBy: string;
}

export interface Access extends Tracking {
  /** Stored with the access when config `integrity.accesses` is on (docs/api.md#integrity). */
  integrity?: string;
  id: string;
  token: string;
  type: AccessType;
  name: string;
  deviceName: string | null;
  permissions: Permission[];
  expires: number | null;
  lastUsed: number | null;
  calls: Record<string, number>;
  clientData: Record<string, unknown> | null;
  deleted: number | null;
}

export interface Stream extends Tracking {
  id: string;
  name: string;
  parentId: string | null;
  clientData: Record<string, unknown> | null;
  trashed: boolean;
}

export interface Attachment {
  id: string;
  fileName: string;
  type: string;
  size: number;
  readToken?: string;
  integrity?: string;
}

export interface Event extends Tracking {
  id: string;
  streamIds: string[];
  type: string;
  time: number;
  duration: number | null | undefined;
  content: unknown;
  description: string | null | undefined;
  clientData: Record<string, unknown> | null | undefined;
  attachments: Attachment[] | undefined;
  trashed: boolean;
  /** `EVENT:0:sha256-…` when `integrity.events` is on (src/domain/integrity.ts). */
  integrity?: string;
}

export interface ItemDeletion {
  id: string;
  deleted: number;
}

export interface User {
  id: string;
  username: string;
  email: string;
  language: string;
  passwordHash: string;
  created: number;
  modified: number;
}
