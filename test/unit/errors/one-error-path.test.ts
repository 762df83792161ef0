import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ApiError, ERROR_STATUS, errors } from '../../../src/errors/index.js';

/** One error path (issue #9): errors are made by the factory in src/errors/, nowhere else. */
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name);
    if (d.isDirectory()) return tsFiles(path);
    return d.name.endsWith('.ts') ? [path] : [];
  });
}

const sources = tsFiles(SRC)
  .filter((f) => !f.startsWith(join(SRC, 'errors')))
  .map((f) => ({ file: f.slice(SRC.length + 1), text: readFileSync(f, 'utf8') }));

describe('one error path', () => {
  it('makes no ApiError outside src/errors/', () => {
    expect(sources.filter((s) => s.text.includes('new ApiError(')).map((s) => s.file)).toEqual([]);
  });

  it('writes no error body by hand', () => {
    expect(sources.filter((s) => /error:\s*\{\s*id:/.test(s.text)).map((s) => s.file)).toEqual([]);
  });

  it('has a status for the register-service ids', () => {
    expect(errors.unknownUser('someone').httpStatus).toBe(404);
    expect(errors.unknownUser('someone').toJSON()).toEqual({ id: 'unknown-user', message: 'Unknown user "someone"' });
    expect(errors.unknownEmail().toJSON()).toEqual({ id: 'unknown-email', message: 'Unknown email' });
    expect(errors.unknownAccessKey('k').httpStatus).toBe(400);
    expect(errors.invalidParameters('bad', { data: [1] }).toJSON()).toEqual({ id: 'invalid-parameters', message: 'bad', data: [1] });
  });

  it('gives every id-named factory the id and its status', () => {
    const e = errors.itemAlreadyExists('taken', { data: { name: 'x' } });
    expect(e).toBeInstanceOf(ApiError);
    expect([e.id, e.httpStatus, e.data]).toEqual(['item-already-exists', ERROR_STATUS['item-already-exists'], { name: 'x' }]);
    expect(errors.invalidAccessToken('gone', { httpStatus: 403 }).httpStatus).toBe(403);
  });
});
