import { type ApiError, errors } from '../errors/index.js';

/**
 * Rules every input passes once, whatever the route or transport (#16 "the long tail"): path
 * segments, query strings, JSON bodies (HTTP, batch calls, multipart `event` parts, Socket.IO
 * params). They keep out what PostgreSQL, JSON serialization or the call stack cannot take, so bad
 * input is a 400 and never a 500. Listed in docs/api.md "Input limits".
 */
export const INPUT_LIMITS = {
  /** Nesting of objects and arrays (the top value is depth 1). */
  maxDepth: 64,
  /** Keys of one object. */
  maxKeysPerObject: 1000,
} as const;

/** NUL (PostgreSQL text and jsonb refuse it) and UTF-16 surrogates without their pair (not valid Unicode). */
const BAD_CHAR = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const isBadString = (s: string): boolean => BAD_CHAR.test(s);

const stringError = (path: string): ApiError =>
  errors.invalidParametersFormat('Strings may not contain NUL characters or unpaired UTF-16 surrogates.', [
    { code: 'invalid-string', message: 'NUL character or unpaired surrogate', path, param: path.split('/')[1] ?? '' },
  ]);

const numberError = (path: string): ApiError =>
  errors.invalidParametersFormat('Numbers must be finite.', [{ code: 'invalid-number', message: 'not a finite number', path, param: path.split('/')[1] ?? '' }]);

const structureError = (message: string, limit: number, path: string): ApiError =>
  errors.invalidRequestStructure(message, { data: { limit, path } });

/** JSON-pointer-ish path segment (shown in errors only; the key itself may be the bad string). */
const seg = (key: string): string => (isBadString(key) ? '<invalid key>' : key.replace(/~/g, '~0').replace(/\//g, '~1'));

/** A container still to look into; its path is built only when an error needs it. */
interface Pending {
  v: object;
  depth: number;
  parent: Pending | null;
  key: string;
}

const pathOf = (root: string, p: Pending | null, last?: string): string => {
  const parts: string[] = last === undefined ? [] : [last];
  for (let at = p; at !== null; at = at.parent) if (at.parent !== null || at.key !== '') parts.push(at.key);
  return [root, ...parts.reverse()].join('/');
};

/** A scalar's problem, or null. */
function checkScalar(v: unknown, root: string, parent: Pending | null, key?: string): ApiError | null {
  if (typeof v === 'string') return isBadString(v) ? stringError(pathOf(root, parent, key)) : null;
  if (typeof v === 'number') return Number.isFinite(v) ? null : numberError(pathOf(root, parent, key));
  return null;
}

/**
 * Throws the API error for the first rule `value` breaks: a bad string (values and keys) or a
 * non-finite number → invalid-parameters-format; too deep or too many keys → invalid-request-structure.
 * Iterative (a 100,000-level document costs no stack), and scalars are checked in place (a series
 * body of a million numbers allocates nothing per number). Buffers (raw bodies) are not looked into.
 */
export function assertSafeInput(value: unknown, root = '#'): void {
  const top = checkScalar(value, root, null);
  if (top !== null) throw top;
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value)) return;
  const stack: Pending[] = [{ v: value, depth: 1, parent: null, key: '' }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { v, depth } = item;
    if (depth > INPUT_LIMITS.maxDepth) {
      throw structureError(`Objects and arrays may be nested at most ${INPUT_LIMITS.maxDepth} levels deep.`, INPUT_LIMITS.maxDepth, pathOf(root, item));
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const child: unknown = v[i];
        if (typeof child === 'object' && child !== null) stack.push({ v: child, depth: depth + 1, parent: item, key: String(i) });
        else {
          const problem = checkScalar(child, root, item, String(i));
          if (problem !== null) throw problem;
        }
      }
      continue;
    }
    const keys = Object.keys(v);
    if (keys.length > INPUT_LIMITS.maxKeysPerObject) {
      throw structureError(`An object may have at most ${INPUT_LIMITS.maxKeysPerObject} keys.`, INPUT_LIMITS.maxKeysPerObject, pathOf(root, item));
    }
    for (const k of keys) {
      if (isBadString(k)) throw stringError(pathOf(root, item, seg(k)));
      const child: unknown = (v as Record<string, unknown>)[k];
      if (typeof child === 'object' && child !== null) {
        if (!Buffer.isBuffer(child)) stack.push({ v: child, depth: depth + 1, parent: item, key: seg(k) });
      } else {
        const problem = checkScalar(child, root, item, seg(k));
        if (problem !== null) throw problem;
      }
    }
  }
}

/** Every key and value of a raw query string (`a=1&b=2`), decoded as the routes decode it. */
export function assertSafeQuery(search: string): void {
  for (const [k, v] of new URLSearchParams(search)) {
    if (isBadString(k)) throw stringError('#/<invalid key>');
    if (isBadString(v)) throw stringError(`#/${seg(k)}`);
  }
}
