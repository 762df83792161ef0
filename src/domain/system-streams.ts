import type { Config } from '../config/index.js';
import { isStreamPermission, type Access, type Level, type Stream } from './types.js';

/**
 * Account streams ("system streams", Pryv API reference: customer-resources/system-streams): the
 * account's fields, each exposed as one stream holding exactly one event, its current value. Built-in
 * fields carry the `:_system:` prefix, platform-defined ones `:system:`. Pure: no I/O here.
 */
export const ACCOUNT_ROOT = ':_system:account';
export const STORAGE_USED = ':_system:storageUsed';
const BUILT_IN_PREFIX = ':_system:';
const CUSTOM_PREFIX = ':system:';

/** Where a field's value lives: the user row, the computed storage figures, or the account-fields set. */
export type FieldSource = 'user' | 'storage' | 'fields';

export interface AccountField {
  /** Stream id, also the id of the field's single event. */
  id: string;
  /** Bare name: registration body key, platform unique-field name, storage key. */
  key: string;
  name: string;
  type: string;
  parentId: string;
  isUnique: boolean;
  isIndexed: boolean;
  isEditable: boolean;
  isShown: boolean;
  isRequiredInValidation: boolean;
  regexValidation: RegExp | null;
  default: string | undefined;
  source: FieldSource;
}

type FieldInput = Omit<AccountField, 'isUnique' | 'isIndexed' | 'isEditable' | 'isShown' | 'isRequiredInValidation' | 'regexValidation' | 'default'> &
  Partial<AccountField>;

function field(f: FieldInput): AccountField {
  return {
    isUnique: false,
    isIndexed: false,
    isEditable: true,
    isShown: true,
    isRequiredInValidation: false,
    regexValidation: null,
    default: undefined,
    ...f,
  };
}

const BUILT_IN: readonly AccountField[] = [
  field({ id: ':_system:language', key: 'language', name: 'Language', type: 'language/iso-639-1', parentId: ACCOUNT_ROOT, isIndexed: true, default: 'en', source: 'user' }),
  field({ id: ':_system:appId', key: 'appId', name: 'Application id', type: 'identifier/string', parentId: ACCOUNT_ROOT, isIndexed: true, isEditable: false, isShown: false, source: 'fields' }),
  field({ id: ':_system:invitationToken', key: 'invitationToken', name: 'Invitation token', type: 'token/string', parentId: ACCOUNT_ROOT, isIndexed: true, isEditable: false, isShown: false, source: 'fields' }),
  field({ id: ':_system:referer', key: 'referer', name: 'Referer', type: 'identifier/string', parentId: ACCOUNT_ROOT, isIndexed: true, isEditable: false, isShown: false, source: 'fields' }),
  field({ id: ':_system:dbDocuments', key: 'dbDocuments', name: 'DB documents', type: 'data-quantity/b', parentId: STORAGE_USED, isEditable: false, source: 'storage' }),
  field({ id: ':_system:attachedFiles', key: 'attachedFiles', name: 'Attached files', type: 'data-quantity/b', parentId: STORAGE_USED, isEditable: false, source: 'storage' }),
  // homecore needs an email for every account (registration, password reset), so this
  // platform-defined field is always declared, with the reference's default shape.
  field({ id: ':system:email', key: 'email', name: 'Email', type: 'email/string', parentId: ACCOUNT_ROOT, isUnique: true, isIndexed: true, isRequiredInValidation: true, source: 'user' }),
];

/** Names a custom field may not take (built-in keys, and keys registration bodies already use). */
const RESERVED_KEYS = new Set([...BUILT_IN.map((f) => f.key), 'account', 'storageUsed', 'username', 'password', 'passwordHash', 'hosting', 'languageCode', 'appid', 'invitationtoken']);

export type CustomFieldConfig = Config['systemStreams']['account'][number];

/** Cross-key problems of `systemStreams.account` (config load). */
export function accountFieldProblems(custom: readonly CustomFieldConfig[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const f of custom) {
    if (RESERVED_KEYS.has(f.id)) problems.push(`systemStreams.account: "${f.id}" is a built-in field name`);
    if (seen.has(f.id)) problems.push(`systemStreams.account: "${f.id}" declared twice`);
    seen.add(f.id);
    if (typeof f.regexValidation === 'string') {
      try {
        new RegExp(f.regexValidation, 'u');
      } catch {
        problems.push(`systemStreams.account: "${f.id}".regexValidation is not a valid pattern`);
      }
    }
    if (f.default !== undefined && typeof f.regexValidation === 'string' && !new RegExp(f.regexValidation, 'u').test(f.default)) {
      problems.push(`systemStreams.account: "${f.id}".default does not match its regexValidation`);
    }
  }
  return problems;
}

/** The account fields of a configuration (built-in first, then custom in config order). */
export class SystemStreams {
  readonly fields: readonly AccountField[];
  private readonly byId = new Map<string, AccountField>();

  constructor(custom: readonly CustomFieldConfig[]) {
    const extra = custom.map((c) =>
      field({
        id: `${CUSTOM_PREFIX}${c.id}`,
        key: c.id,
        name: c.name,
        type: c.type,
        parentId: ACCOUNT_ROOT,
        isUnique: c.isUnique ?? false,
        isIndexed: c.isIndexed ?? false,
        isEditable: c.isEditable ?? true,
        isShown: c.isShown ?? true,
        isRequiredInValidation: c.isRequiredInValidation ?? false,
        // Anchored: the whole value must match.
        regexValidation: typeof c.regexValidation === 'string' ? new RegExp(`^(?:${c.regexValidation})$`, 'u') : null,
        default: c.default,
        source: 'fields',
      }),
    );
    this.fields = [...BUILT_IN, ...extra];
    for (const f of this.fields) this.byId.set(f.id, f);
  }

  field(streamId: string): AccountField | undefined {
    return this.byId.get(streamId);
  }

  /** Container streams (`:_system:account`, `:_system:storageUsed`) hold no event. */
  isContainer(streamId: string): boolean {
    return streamId === ACCOUNT_ROOT || streamId === STORAGE_USED;
  }

  /** Any id of the account tree, containers and hidden fields included. */
  isAccountStream(streamId: string): boolean {
    return this.isContainer(streamId) || this.byId.has(streamId);
  }

  /** Shown fields: the only ones the API reads, writes or grants. */
  shown(): AccountField[] {
    return this.fields.filter((f) => f.isShown);
  }

  customFields(): AccountField[] {
    return this.fields.filter((f) => f.id.startsWith(CUSTOM_PREFIX) && f.key !== 'email');
  }

  /** The account tree as streams (shown fields only), `created` at the account's creation. */
  streams(created: number): Stream[] {
    const base = { clientData: null, trashed: false, created, createdBy: 'system', modified: created, modifiedBy: 'system' };
    const containers: Stream[] = [
      { id: ACCOUNT_ROOT, name: 'Account', parentId: null, ...base },
      { id: STORAGE_USED, name: 'Storage used', parentId: ACCOUNT_ROOT, ...base },
    ];
    return [...containers, ...this.shown().map((f) => ({ id: f.id, name: f.name, parentId: f.parentId, ...base }))];
  }

  /** Ids from `streamId` up to the root of the account tree. */
  ancestry(streamId: string): string[] {
    const chain: string[] = [];
    let id: string | null = streamId;
    while (id !== null && chain.length < 4) {
      chain.push(id);
      id = id === ACCOUNT_ROOT ? null : id === STORAGE_USED ? ACCOUNT_ROOT : (this.byId.get(id)?.parentId ?? null);
    }
    return chain;
  }

  /** Shown fields at or below `streamId` (an account stream id). */
  fieldsUnder(streamId: string): AccountField[] {
    return this.shown().filter((f) => this.ancestry(f.id).includes(streamId));
  }

  /**
   * Level of an access on an account stream. Personal accesses: `manage`. Others: only what a
   * permission on the stream or one of its account ancestors grants; `*` never reaches the account
   * (the implicit `none` on `:_system:account` of every non-personal access). Null = no access.
   */
  levelOn(access: Access, streamId: string): Level | null {
    if (access.type === 'personal') return 'manage';
    const explicit = new Map<string, Level>();
    for (const p of access.permissions) if (isStreamPermission(p)) explicit.set(p.streamId, p.level);
    for (const id of this.ancestry(streamId)) {
      const l = explicit.get(id);
      if (l !== undefined) return l === 'none' ? null : l;
    }
    return null;
  }

  canRead(access: Access, streamId: string): boolean {
    const l = this.levelOn(access, streamId);
    return l !== null && l !== 'create-only';
  }

  canWrite(access: Access, streamId: string): boolean {
    const l = this.levelOn(access, streamId);
    return l === 'contribute' || l === 'manage';
  }
}

const cache = new WeakMap<object, SystemStreams>();

/** The account fields of a (frozen) configuration, built once per process. */
export function systemStreamsOf(config: Readonly<Config>): SystemStreams {
  let s = cache.get(config.systemStreams);
  if (s === undefined) {
    s = new SystemStreams(config.systemStreams.account);
    cache.set(config.systemStreams, s);
  }
  return s;
}

/** True for ids in the reserved account namespaces (`:_system:…`, `:system:…`). */
export function isSystemStreamId(id: string): boolean {
  return id.startsWith(BUILT_IN_PREFIX) || id.startsWith(CUSTOM_PREFIX);
}
