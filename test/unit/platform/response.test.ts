import { describe, expect, it } from 'vitest';
import {
  PlatformDbAmbiguousError,
  PlatformDbConstraintError,
  PlatformDbError,
  PlatformDbFatalError,
  PlatformDbStatementError,
  PlatformDbUnavailableError,
} from '../../../src/platform/errors.js';
import { interpretResponse } from '../../../src/platform/response.js';

/** The error interpretResponse throws (fails the test if it returns). */
function thrown(status: number, body: unknown, kind: 'read' | 'write'): PlatformDbError {
  try {
    interpretResponse(status, body, kind);
  } catch (err) {
    expect(err).toBeInstanceOf(PlatformDbError);
    return err as PlatformDbError;
  }
  throw new Error(`expected interpretResponse(${status}) to throw`);
}

describe('interpretResponse: success', () => {
  it('returns the results of a 200 read', () => {
    const body = { results: [{ types: { id: 'integer', name: 'text' }, rows: [{ id: 1, name: 'a' }, { id: 2, name: 'b' }] }] };
    expect(interpretResponse(200, body, 'read')).toEqual(body.results);
  });

  it('returns write results with rows_affected / last_insert_id', () => {
    const body = { results: [{ last_insert_id: 3, rows_affected: 1 }, { rows_affected: 0 }] };
    expect(interpretResponse(200, body, 'write')).toEqual(body.results);
  });

  it('an empty result list of a successful call is fine', () => {
    expect(interpretResponse(200, { results: [] }, 'write')).toEqual([]);
  });

  it('an empty error string is not an error', () => {
    expect(interpretResponse(200, { results: [{ rows: [] }], error: '' }, 'read')).toEqual([{ rows: [] }]);
  });
});

describe('interpretResponse: 200 with a top-level error (rqlite notes §0.1)', () => {
  it.each(['stale read', 'store not ready', 'not leader', 'context deadline exceeded', 'leadership lost while committing log'])(
    'a read failing with "%s" is unavailable, never empty rows',
    (error) => {
      const err = thrown(200, { results: [], error }, 'read');
      expect(err).toBeInstanceOf(PlatformDbUnavailableError);
      expect(err.retriable).toBe(true);
      expect(err.ambiguous).toBe(false);
      expect(err.message).toContain(error);
    },
  );

  it('a write failing with "leadership lost while committing log" is ambiguous', () => {
    const err = thrown(200, { results: [], error: 'leadership lost while committing log' }, 'write');
    expect(err).toBeInstanceOf(PlatformDbAmbiguousError);
    expect(err.ambiguous).toBe(true);
    expect(err.retriable).toBe(true);
  });

  it.each(['context deadline exceeded', 'timeout waiting for apply', 'store not open'])('a write failing with "%s" is ambiguous', (error) => {
    expect(thrown(200, { results: [], error }, 'write')).toBeInstanceOf(PlatformDbAmbiguousError);
  });

  it('a write refused with "not leader" was not applied: unavailable, not ambiguous', () => {
    const err = thrown(200, { results: [], error: 'not leader' }, 'write');
    expect(err).toBeInstanceOf(PlatformDbUnavailableError);
    expect(err.ambiguous).toBe(false);
  });
});

describe('interpretResponse: HTTP status', () => {
  it.each(['read', 'write'] as const)('503 is unavailable and retriable (%s)', (kind) => {
    const err = thrown(503, 'leader not found', kind);
    expect(err).toBeInstanceOf(PlatformDbUnavailableError);
    expect(err.retriable).toBe(true);
    expect(err.message).toContain('leader not found');
  });

  it('408 (queued write wait timeout) is ambiguous', () => {
    expect(thrown(408, '', 'write')).toBeInstanceOf(PlatformDbAmbiguousError);
  });

  it('other 5xx: unavailable for a read, ambiguous for a write', () => {
    expect(thrown(500, 'boom', 'read')).toBeInstanceOf(PlatformDbUnavailableError);
    expect(thrown(502, 'bad gateway', 'write')).toBeInstanceOf(PlatformDbAmbiguousError);
  });

  it.each([400, 401, 403, 404, 405])('%i is fatal and never retried', (status) => {
    for (const kind of ['read', 'write'] as const) {
      const err = thrown(status, 'invalid JSON body', kind);
      expect(err).toBeInstanceOf(PlatformDbFatalError);
      expect(err.retriable).toBe(false);
      expect(err.ambiguous).toBe(false);
    }
  });

  it('keeps error bodies short in messages', () => {
    expect(thrown(400, 'x'.repeat(5000), 'read').message.length).toBeLessThan(300);
  });
});

describe('interpretResponse: malformed answers are fatal', () => {
  it.each([
    ['no results key', {}],
    ['results not an array', { results: {} }],
    ['a plain-text body', 'hello'],
    ['null', null],
  ])('%s', (_name, body) => {
    const err = thrown(200, body, 'read');
    expect(err).toBeInstanceOf(PlatformDbFatalError);
    expect(err.retriable).toBe(false);
  });
});

describe('interpretResponse: per-statement errors', () => {
  it('a UNIQUE violation is a constraint error carrying the statement index', () => {
    const err = thrown(200, { results: [{ rows_affected: 1 }, { error: 'UNIQUE constraint failed: users.username' }] }, 'write');
    expect(err).toBeInstanceOf(PlatformDbConstraintError);
    expect((err as PlatformDbConstraintError).statementIndex).toBe(1);
    expect(err.retriable).toBe(false);
  });

  it('a composite PRIMARY KEY violation is a constraint error too', () => {
    const err = thrown(200, { results: [{ error: 'UNIQUE constraint failed: unique_fields.field, unique_fields.value' }] }, 'write');
    expect(err).toBeInstanceOf(PlatformDbConstraintError);
    expect((err as PlatformDbConstraintError).statementIndex).toBe(0);
  });

  it.each([
    'no such table: nope',
    'near "SELEC": syntax error',
    'attempt to write a readonly database',
    // not "value taken": registration must not answer "username already exists" for these
    'FOREIGN KEY constraint failed',
    'NOT NULL constraint failed: users.core_id',
    'CHECK constraint failed: id = 1',
  ])('"%s" is a statement error, not a constraint error', (error) => {
    const err = thrown(200, { results: [{ rows_affected: 1 }, { rows_affected: 1 }, { error }] }, 'write');
    expect(err).toBeInstanceOf(PlatformDbStatementError);
    expect(err).not.toBeInstanceOf(PlatformDbConstraintError);
    expect((err as PlatformDbStatementError).statementIndex).toBe(2);
    expect(err.retriable).toBe(false);
  });

  it('a statement that met "not leader" is unavailable', () => {
    expect(thrown(200, { results: [{ error: 'not leader' }] }, 'read')).toBeInstanceOf(PlatformDbUnavailableError);
  });
});
