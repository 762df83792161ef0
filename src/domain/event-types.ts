import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { projectRoot } from '../util/project-root.js';
import { toParamErrors, type ParamError } from '../validation/validation.js';

export interface FlatTypes {
  version: string;
  types: Record<string, object>;
}

/** The shape of a flat.json event-type directory (what `new EventTypes(flat)` needs), or null. */
export function asFlatTypes(v: unknown): FlatTypes | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const { version, types } = v as Record<string, unknown>;
  if (typeof version !== 'string' || typeof types !== 'object' || types === null || Array.isArray(types)) return null;
  const entries = Object.entries(types);
  if (!entries.every(([k, t]) => TYPE_PATTERN.test(k) && typeof t === 'object' && t !== null && !Array.isArray(t))) return null;
  return { version, types: Object.fromEntries(entries) as Record<string, object> };
}

export const TYPE_PATTERN = /^(series:)?[a-z0-9-]+\/[a-z0-9-]+$/;

/**
 * Known event types (the bundled copy of the public directory, config/event-types-flat.json): their
 * content is validated strictly, without coercion (`"70"` is not a `mass/kg`). Unknown well-formed
 * types are accepted as they are.
 */
export class EventTypes {
  readonly version: string;
  private readonly types: Record<string, object>;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly ajv = new Ajv({ allErrors: true, strict: false });

  constructor(flat?: FlatTypes) {
    const data = flat ?? (JSON.parse(readFileSync(join(projectRoot(), 'config', 'event-types-flat.json'), 'utf8')) as FlatTypes);
    this.version = data.version;
    this.types = data.types;
  }

  isKnown(type: string): boolean {
    return Object.hasOwn(this.types, type);
  }

  /** The JSON schema of a known type (series fields are derived from it). */
  schemaOf(type: string): Record<string, unknown> | null {
    return Object.hasOwn(this.types, type) ? (this.types[type] as Record<string, unknown>) : null;
  }

  /** null when valid (or unknown type), else the problems. */
  validateContent(type: string, content: unknown): ParamError[] | null {
    const schema = this.schemaOf(type);
    if (schema === null) return null;
    let validate = this.compiled.get(type);
    if (validate === undefined) {
      validate = this.ajv.compile(schema);
      this.compiled.set(type, validate);
    }
    if (validate(content === undefined ? null : content)) return null;
    return toParamErrors(validate.errors).map((e) => ({ ...e, param: 'content', path: `#/content${e.path.slice(1)}` }));
  }
}
