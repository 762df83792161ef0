import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { Ajv } from 'ajv';
import type { Config } from '../../config/index.js';
import { asFlatTypes, EventTypes, type FlatTypes } from '../../domain/event-types.js';
import type { Logger } from '../../logging/logger.js';
import { projectRoot } from '../../util/project-root.js';

/**
 * The event types a worker validates against (`service.eventTypesSource`), read once at start:
 * null = the bundled copy; an http(s) URL or a file = that directory. Whatever goes wrong with the
 * source (unreachable, too slow, not JSON, not a flat.json, a schema ajv cannot compile) is logged
 * and the bundled copy is used: a worker never fails to start because of it.
 */
export async function loadEventTypes(config: Readonly<Config>, logger: Logger): Promise<EventTypes> {
  const source = config.service.eventTypesSource;
  if (source === null) return new EventTypes();
  const log = logger.child({ component: 'event-types' });
  try {
    const flat = await readSource(source, config.service.eventTypesTimeoutMs);
    checkCompiles(flat);
    log.info({ source, version: flat.version, types: Object.keys(flat.types).length }, 'event types loaded');
    return new EventTypes(flat);
  } catch (err) {
    log.warn({ source, err: err instanceof Error ? err.message : String(err) }, 'event types source unusable: using the bundled copy');
    return new EventTypes();
  }
}

async function readSource(source: string, timeoutMs: number): Promise<FlatTypes> {
  let text: string;
  if (/^https?:\/\//i.test(source)) {
    const res = await fetch(source, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    text = await res.text();
  } else {
    text = await readFile(isAbsolute(source) ? source : join(projectRoot(), source), 'utf8');
  }
  const flat = asFlatTypes(JSON.parse(text) as unknown);
  if (flat === null) throw new Error('not an event-type directory ({version, types: {"class/format": schema}})');
  return flat;
}

/** Every schema must compile, or content validation would fail later, on a user's request. */
function checkCompiles(flat: FlatTypes): void {
  const ajv = new Ajv({ strict: false });
  for (const [type, schema] of Object.entries(flat.types)) {
    try {
      ajv.compile(schema);
    } catch (err) {
      throw new Error(`type "${type}": ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
