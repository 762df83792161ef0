import type { ValidateFunction } from 'ajv';
import { compileStrict } from '../validation/validation.js';
import { errors, type ApiError } from '../errors/index.js';
import type { EventTypes } from './event-types.js';
import { seriesContent } from './event-rules.js';

/**
 * flatJSON, the high-frequency series format (Pryv API §5): `{format: "flatJSON", fields, points}`.
 * `fields` = one time column (`deltaTime`, or `timestamp` converted to it) + the leaf type's fields in
 * any order, optional ones omittable; each point is an array as long as `fields`. Stored and read
 * rows always use the holder's full field order (`deltaTime` first), `null` for absent optional values.
 */

const INVALID = Symbol('invalid');
type Coerce = (v: unknown) => unknown;

interface FieldCodec {
  name: string;
  /** A null value is refused (required fields whose type is not `null`). */
  required: boolean;
  /** The coerced value, or INVALID. */
  coerce: Coerce;
}

export interface SeriesLayout {
  elementType: string;
  /** `deltaTime`, then the leaf type's fields: the column order of stored and read rows. */
  fields: string[];
  codecs: FieldCodec[];
}

export interface ParsedPoints {
  /** In the order received (see sortPoints). */
  deltaTimes: number[];
  /** JSON text of each row in layout order. */
  rows: string[];
}

function structureError(message: string, data?: Record<string, unknown>): ApiError {
  return errors.invalidRequestStructure(message, data === undefined ? {} : { data });
}

const toNumber = (v: unknown): number | typeof INVALID => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : INVALID;
};

/** Coercion to the JSON-schema type of a field; other keywords (minimum, enum, …) checked by ajv after. */
function coercer(schema: Record<string, unknown>): Coerce {
  const base: Coerce = (() => {
    switch (schema['type']) {
      case 'number':
        return toNumber;
      case 'integer':
        return (v: unknown) => {
          const n = toNumber(v);
          return n !== INVALID && Number.isInteger(n) ? n : INVALID;
        };
      case 'string':
        return (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : INVALID);
      case 'boolean':
        return (v: unknown) => (typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : INVALID);
      case 'null':
        return (v: unknown) => (v === null ? null : INVALID);
      case 'object':
        return (v: unknown) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : INVALID);
      case 'array':
        return (v: unknown) => (Array.isArray(v) ? v : INVALID);
      default:
        return (v: unknown) => v;
    }
  })();
  const constraints = Object.keys(schema).filter((k) => k !== 'type' && k !== 'description');
  if (constraints.length === 0) return base;
  const check: ValidateFunction = compileStrict(schema);
  return (v: unknown) => {
    const c = base(v);
    return c !== INVALID && check(c) ? c : INVALID;
  };
}

/** The layout of a `series:<leaf>` holder (throws invalid-event-type for an unknown leaf). */
export function seriesLayout(types: EventTypes, holderType: string): SeriesLayout {
  const content = seriesContent(types, holderType);
  const leaf = types.schemaOf(content.elementType) ?? {};
  const props = (leaf['properties'] ?? {}) as Record<string, Record<string, unknown>>;
  // Same rule as seriesContent: an object type with properties has named fields, anything else `value`.
  const single = leaf['type'] !== 'object' || typeof leaf['properties'] !== 'object' || leaf['properties'] === null;
  const codecs = content.fields.slice(1).map((name) => {
    const schema = single ? leaf : (props[name] ?? {});
    return { name, required: content.required.includes(name) && schema['type'] !== 'null', coerce: coercer(schema) };
  });
  return { elementType: content.elementType, fields: content.fields, codecs };
}

/** Layouts are derived once per holder type. */
export class SeriesLayouts {
  private readonly cache = new Map<string, SeriesLayout>();
  constructor(private readonly types: EventTypes) {}

  of(holderType: string): SeriesLayout {
    let layout = this.cache.get(holderType);
    if (layout === undefined) {
      layout = seriesLayout(this.types, holderType);
      this.cache.set(holderType, layout);
    }
    return layout;
  }
}

/** Checks the envelope only (before the holder event is known): format, fields, points arrays. */
export function checkFlatJsonShape(body: unknown, where: Record<string, unknown> = {}): { fields: string[]; points: unknown[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw structureError('The series data must be a flatJSON object.', where);
  const { format, fields, points } = body as { format?: unknown; fields?: unknown; points?: unknown };
  if (format !== 'flatJSON') throw structureError('"format" must be "flatJSON".', where);
  if (!Array.isArray(fields) || fields.length === 0 || !fields.every((f): f is string => typeof f === 'string')) {
    throw structureError('"fields" must be a non-empty array of field names.', where);
  }
  if (!Array.isArray(points)) throw structureError('"points" must be an array.', where);
  return { fields, points };
}

/**
 * Validates and converts flatJSON points for a holder: coerced values, rows in layout order,
 * `timestamp` turned into deltaTime (`eventTime` = the holder's `time`). Throws invalid-request-structure.
 */
export function parseFlatJson(body: unknown, layout: SeriesLayout, eventTime: number, where: Record<string, unknown> = {}): ParsedPoints {
  const { fields, points } = checkFlatJsonShape(body, where);
  if (new Set(fields).size !== fields.length) throw structureError('"fields" holds a name twice.', where);
  const timeFields = fields.filter((f) => f === 'deltaTime' || f === 'timestamp');
  if (timeFields.length !== 1) throw structureError('"fields" must hold exactly one of "deltaTime" or "timestamp".', where);
  const offset = timeFields[0] === 'timestamp' ? eventTime : 0;
  const timeAt = fields.indexOf(timeFields[0] ?? '');
  const unknown = fields.filter((f) => f !== timeFields[0] && !layout.codecs.some((c) => c.name === f));
  if (unknown.length > 0) throw structureError(`Unknown field(s) for ${layout.elementType}: ${unknown.join(', ')}`, { ...where, fields: unknown });
  const missing = layout.codecs.filter((c) => c.required && !fields.includes(c.name)).map((c) => c.name);
  if (missing.length > 0) throw structureError(`Missing required field(s): ${missing.join(', ')}`, { ...where, fields: missing });
  // Position of each layout column in the received points; -1 = not sent.
  const columns = layout.codecs.map((c) => fields.indexOf(c.name));
  const deltaTimes: number[] = new Array<number>(points.length);
  const rows: string[] = new Array<string>(points.length);
  for (let i = 0; i < points.length; i += 1) {
    const p = points[i];
    if (!Array.isArray(p) || p.length !== fields.length) throw structureError(`Point ${i} must be an array of ${fields.length} values.`, { ...where, point: i });
    const t = toNumber(p[timeAt]);
    const dt = t === INVALID ? Number.NaN : t - offset;
    if (!(dt >= 0)) throw structureError(`Point ${i}: the time must be a number at or after the event's time.`, { ...where, point: i, field: timeFields[0] });
    // The row's JSON text built directly (String() of a finite number is its JSON form): this loop
    // runs once per point, and a JSON.stringify of a fresh array each time costs twice as much.
    let row = `[${dt}`;
    for (let k = 0; k < columns.length; k += 1) {
      const codec = layout.codecs[k] as FieldCodec;
      const at = columns[k] ?? -1;
      const raw = at === -1 ? null : p[at];
      if (raw === null || raw === undefined) {
        if (codec.required) throw structureError(`Point ${i}: "${codec.name}" is required.`, { ...where, point: i, field: codec.name });
        row += ',null';
        continue;
      }
      const v = codec.coerce(raw);
      if (v === INVALID) throw structureError(`Point ${i}: invalid value for "${codec.name}".`, { ...where, point: i, field: codec.name });
      row += typeof v === 'number' ? `,${v}` : `,${JSON.stringify(v)}`;
    }
    deltaTimes[i] = dt;
    rows[i] = `${row}]`;
  }
  return { deltaTimes, rows };
}

/** Ascending by deltaTime, one row per deltaTime: of points sharing one, the last received wins. */
export function sortPoints(p: ParsedPoints): ParsedPoints {
  const { deltaTimes, rows } = p;
  let sorted = true;
  for (let i = 1; i < deltaTimes.length && sorted; i += 1) sorted = (deltaTimes[i] as number) > (deltaTimes[i - 1] as number);
  if (sorted) return p;
  // Array.prototype.sort is stable: equal deltaTimes keep their received order, so the last one wins.
  const order = deltaTimes.map((_, i) => i).sort((a, b) => (deltaTimes[a] as number) - (deltaTimes[b] as number));
  const out: ParsedPoints = { deltaTimes: [], rows: [] };
  for (const i of order) {
    const dt = deltaTimes[i] as number;
    const row = rows[i] as string;
    if (out.deltaTimes.length > 0 && out.deltaTimes[out.deltaTimes.length - 1] === dt) out.rows[out.rows.length - 1] = row;
    else {
      out.deltaTimes.push(dt);
      out.rows.push(row);
    }
  }
  return out;
}
