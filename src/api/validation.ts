import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { TSchema } from '@sinclair/typebox';
import { errors } from '../errors/index.js';

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

export function compileParams(schema: TSchema): CompiledParams {
  return { strict: strictAjv.compile(schema), coercing: coercingAjv.compile(schema) };
}

/** Validates (and, for query strings, coerces) in place; throws invalid-parameters-format. */
export function checkParams(compiled: CompiledParams, params: unknown, coerce: boolean): void {
  const validate = coerce ? compiled.coercing : compiled.strict;
  if (!validate(params)) {
    throw errors.invalidParametersFormat('The parameters format is invalid.', toParamErrors(validate.errors));
  }
}

/** A standalone validator (event content, service settings). */
export function compileStrict(schema: object): ValidateFunction {
  return strictAjv.compile(schema);
}
