import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { API_MODULES } from '../../../src/api/modules.js';
import { compileParams } from '../../../src/validation/validation.js';

/**
 * The registry compiles each method's params validators lazily, at the method's first call (faster
 * worker start): a schema ajv rejects must still fail here, not on a user's first request.
 */
describe('method params schemas', () => {
  const defs = API_MODULES.flatMap((m) => m.methods);

  it.each(defs.map((d) => [d.id, d] as const))('%s compiles, strict and coercing', (_id, def) => {
    const compiled = compileParams(def.params);
    expect(typeof compiled.strict).toBe('function');
    expect(typeof compiled.coercing).toBe('function');
    // Compiled once: the second read is the same function.
    expect(compiled.strict).toBe(compiled.strict);
  });

  it('a schema ajv cannot compile fails at the first read', () => {
    const broken = compileParams(Type.Unsafe({ type: 'object', properties: { a: { type: 'no-such-type' } } }));
    expect(() => broken.strict).toThrow();
  });
});
