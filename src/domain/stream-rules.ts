import { errors } from '../errors/index.js';
import type { StreamsTree } from './streams-tree.js';

/** Ids a client may never use (Pryv API §1.5). */
const RESERVED_IDS = new Set(['null', 'undefined', '*']);

/**
 * Client-chosen stream ids are slugified: whitespace runs become `-`, characters outside the URL
 * unreserved set (RFC 3986 §2.3) are dropped. Case is kept.
 */
export function slugifyStreamId(raw: string): string {
  return raw
    .trim()
    .replace(/\s+/g, '-')
    .replace(/[^A-Za-z0-9\-._~]/g, '');
}

/** The id to store for a client-supplied stream id, or 400 invalid-item-id. */
export function checkStreamId(raw: string): string {
  if (RESERVED_IDS.has(raw)) throw errors.invalidItemId(`"${raw}" is not a valid stream id.`, { data: { id: raw } });
  // `:`-prefixed ids belong to system streams and stores (§1.5).
  if (raw.startsWith(':')) throw errors.invalidItemId(`Stream ids starting with ":" are reserved.`, { data: { id: raw } });
  const id = slugifyStreamId(raw);
  if (id.length === 0 || id.length > 100) throw errors.invalidItemId(`"${raw}" is not a valid stream id.`, { data: { id: raw } });
  return id;
}

/** True when a sibling (same parent) other than `exceptId` already has `name`. */
export function hasSiblingNamed(tree: StreamsTree, parentId: string | null, name: string, exceptId?: string): boolean {
  return tree.children(parentId).some((s) => s.name === name && s.id !== exceptId);
}

/** A parent to attach a stream (or event) to must exist and not be trashed. */
export function checkParent(tree: StreamsTree, parentId: string | null): void {
  if (parentId === null) return;
  const parent = tree.get(parentId);
  if (parent === undefined) {
    throw errors.unknownReferencedResource(`Unknown parent stream "${parentId}"`, { data: { parentId } });
  }
  if (tree.isTrashed(parentId)) {
    throw errors.invalidOperation(`The parent stream "${parentId}" is in the trash.`, { data: { trashedReference: 'parentId' } });
  }
}

/** Moving `id` under `newParentId` must not create a cycle. */
export function checkMove(tree: StreamsTree, id: string, newParentId: string | null): void {
  if (newParentId === null) return;
  if (newParentId === id || tree.subtree(id).includes(newParentId)) {
    throw errors.invalidOperation('A stream cannot be moved under itself or one of its descendants.', { data: { parentId: newParentId } });
  }
}

/** What happens to one event when a stream subtree is deleted (§3.3 mergeEventsWithParent). */
export type EventFate =
  | { action: 'mergedToParent'; streamIds: string[] }
  | { action: 'updatedStreamIds'; streamIds: string[] }
  | { action: 'deleted' };

export function eventFateOnStreamDeletion(streamIds: string[], subtree: ReadonlySet<string>, parentId: string | null, merge: boolean): EventFate {
  const kept = streamIds.filter((s) => !subtree.has(s));
  if (merge) {
    if (parentId === null) throw errors.invalidOperation('Events of a root stream cannot be merged into a parent.');
    // In place: the parent takes the position of the first subtree id.
    return { action: 'mergedToParent', streamIds: [...new Set(streamIds.map((s) => (subtree.has(s) ? parentId : s)))] };
  }
  return kept.length === 0 ? { action: 'deleted' } : { action: 'updatedStreamIds', streamIds: kept };
}
