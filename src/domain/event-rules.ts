import { errors } from '../errors/index.js';
import type { EventTypes } from './event-types.js';
import type { StreamsTree } from './streams-tree.js';

const SERIES = 'series:';

export const isSeriesType = (type: string): boolean => type.startsWith(SERIES);

/** Order-preserving duplicate removal (§2.1: duplicate stream ids are dropped). */
export function uniqueIds(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

/** Every stream must exist (400 unknown-referenced-resource); those in `mustBeLive` must not be trashed. */
export function checkEventStreams(tree: StreamsTree, streamIds: readonly string[], mustBeLive: readonly string[] = streamIds): void {
  const unknown = streamIds.filter((id) => !tree.has(id));
  if (unknown.length > 0) {
    throw errors.unknownReferencedResource(`Unknown stream(s): ${unknown.join(', ')}`, { data: { streamIds: unknown } });
  }
  const trashed = mustBeLive.filter((id) => tree.get(id)?.trashed === true);
  if (trashed.length > 0) {
    throw errors.invalidOperation(`Stream(s) in the trash: ${trashed.join(', ')}`, { data: { trashedReference: 'streamIds' } });
  }
}

/** Content the server sets on a `series:<leaf>` event: one `deltaTime` field, then the leaf's fields. */
export function seriesContent(types: EventTypes, type: string): { elementType: string; fields: string[]; required: string[] } {
  const leaf = type.slice(SERIES.length);
  const schema = types.schemaOf(leaf);
  if (schema === null) throw errors.invalidEventType(`Unknown series element type "${leaf}".`, { data: { type } });
  const props = schema['properties'];
  if (schema['type'] === 'object' && typeof props === 'object' && props !== null) {
    const required = Array.isArray(schema['required']) ? (schema['required'] as unknown[]).filter((r): r is string => typeof r === 'string') : [];
    return { elementType: leaf, fields: ['deltaTime', ...Object.keys(props)], required: ['deltaTime', ...required] };
  }
  return { elementType: leaf, fields: ['deltaTime', 'value'], required: ['deltaTime', 'value'] };
}

/**
 * The content (and forced duration) an event of `type` gets (§2.3). `content` is undefined when the
 * client did not send one. Series events take no content from clients.
 */
export function resolveContent(types: EventTypes, type: string, content: unknown): { content: unknown; duration?: number } {
  if (isSeriesType(type)) {
    if (content !== undefined) {
      throw errors.invalidParametersFormat('Series events take no content: the server sets it.', [
        { code: 'series-content', message: 'content is not allowed on series events', path: '#/content', param: 'content' },
      ]);
    }
    return { content: seriesContent(types, type), duration: 0 };
  }
  const problems = types.validateContent(type, content);
  if (problems !== null) throw errors.invalidParametersFormat(`The content does not match the event type "${type}".`, problems);
  return { content };
}

/** A type change may not cross between normal and series events (§2.3). */
export function checkTypeChange(from: string, to: string): void {
  if (isSeriesType(from) !== isSeriesType(to)) {
    throw errors.invalidOperation('An event cannot change between a normal and a series type.', { data: { type: to } });
  }
}

/** clientData update: keys merge, a `null` value deletes its key; `null` as a whole clears it. */
export function mergeClientData(
  base: Record<string, unknown> | null | undefined,
  patch: Record<string, unknown> | null,
): Record<string, unknown> | null {
  if (patch === null) return null;
  const out: Record<string, unknown> = { ...(base ?? {}) };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}
