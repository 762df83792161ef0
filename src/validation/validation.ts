import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { TSchema } from '@sinclair/typebox';
import { errors } from '../errors/index.js';
import { assertSafeInput } from './input-limits.js';

const addFormats = addFormatsModule.default;

/** Body, batch and socket params: no coercion (a `"70"` is not a number). */
const strictAjv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
/** GET query strings: strings become numbers/booleans, single values become 1-item arrays. */
const coercingAjv = new Ajv({ allErrors: true, strict: false, useDefaults: true, coerceTypes: 'array' });
addFormats(strictAjv);
addFormats(coercingAjv);

export interface ParamError {
  code: string;
  message: string;
  path: string;
  param: string;
}

export function toParamErrors(list: ErrorObject[] | null | undefined): ParamError[] {
  return (list ?? []).map((e) => {
    const missing = (e.params as { missingProperty?: string; additionalProperty?: string });
    const param = missing.missingProperty ?? missing.additionalProperty ?? e.instancePath.split('/')[1] ?? '';
    const message = e.keyword === 'additionalProperties' ? `unknown parameter "${param}"` : (e.message ?? 'invalid');
    return { code: e.keyword, message, path: `#${e.instancePath}`, param };
  });
}

export interface CompiledParams {
  strict: ValidateFunction;
  coercing: ValidateFunction;
}

/**
 * The schema with every integer bounded to ±(2^53 − 1) unless it says otherwise: larger integers
 * lose precision in JavaScript and overflow PostgreSQL's bigint (issue #16, numbers bounded before
 * they reach storage). Copies: TypeBox schemas are shared.
 */
export function boundIntegers(schema: unknown, seen = new Map<object, unknown>()): unknown {
  if (typeof schema !== 'object' || schema === null) return schema;
  const known = seen.get(schema);
  if (known !== undefined) return known;
  if (Array.isArray(schema)) {
    const out: unknown[] = [];
    seen.set(schema, out);
    for (const item of schema) out.push(boundIntegers(item, seen));
    return out;
  }
  const out: Record<string, unknown> = {};
  seen.set(schema, out);
  for (const [k, v] of Object.entries(schema)) out[k] = boundIntegers(v, seen);
  const types = out['type'];
  if (types === 'integer' || (Array.isArray(types) && types.includes('integer'))) {
    if (out['maximum'] === undefined && out['exclusiveMaximum'] === undefined) out['maximum'] = Number.MAX_SAFE_INTEGER;
    if (out['minimum'] === undefined && out['exclusiveMinimum'] === undefined) out['minimum'] = -Number.MAX_SAFE_INTEGER;
  }
  return out;
}

/**
 * Each validator is compiled at its first use: compiling all of them when the registry is built
 * took a sixth of an API worker's start (test/unit/api/params-compile.test.ts compiles them all).
 */
export function compileParams(schema: TSchema): CompiledParams {
  const bounded = boundIntegers(schema) as object;
  let strict: ValidateFunction | null = null;
  let coercing: ValidateFunction | null = null;
  return {
    get strict(): ValidateFunction {
      strict ??= strictAjv.compile(bounded);
      return strict;
    },
    get coercing(): ValidateFunction {
      coercing ??= coercingAjv.compile(bounded);
      return coercing;
    },
  };
}

/**
 * Validates (and, for query strings, coerces) in place; throws invalid-parameters-format. The input
 * rules (input-limits.ts) come first, for every transport: HTTP, batch calls, Socket.IO.
 */
export function checkParams(compiled: CompiledParams, params: unknown, coerce: boolean): void {
  assertSafeInput(params);
  const validate = coerce ? compiled.coercing : compiled.strict;
  if (!validate(params)) {
    throw errors.invalidParametersFormat('The parameters format is invalid.', toParamErrors(validate.errors));
  }
  // Coercion turns "1e999" into Infinity after the type check: look again.
  if (coerce) assertSafeInput(params);
}

/** A standalone validator (event content, service settings). */
export function compileStrict(schema: object): ValidateFunction {
  return strictAjv.compile(schema);
}
