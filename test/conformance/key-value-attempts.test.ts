import { describe, expect, it } from 'vitest';
import type { AttemptPolicy } from '../../src/storage/interfaces/attempts-store.js';
import { engines } from './engines.js';
import { freshStores } from './items.js';

/** KeyValueStore (expiring, single-use records) and AttemptsStore (attempt counters) against every engine. */
const now = (): number => Date.now() / 1000;

describe.each(engines)('key-value store: $name', (fixture) => {
  const s = freshStores(fixture);

  it('put, get, delete; put replaces; any JSON value', async () => {
    const kv = s.get().keyValue;
    await kv.put('k1', { a: [1, 'x', null], b: true }, now() + 60);
    expect(await kv.get('k1')).toEqual({ a: [1, 'x', null], b: true });
    await kv.put('k1', 'second', now() + 60);
    expect(await kv.get('k1')).toBe('second');
    await kv.delete('k1');
    expect(await kv.get('k1')).toBeNull();
    expect(await kv.get('never')).toBeNull();
    await kv.delete('never');
  });

  it('an expired record is gone for get and take', async () => {
    const kv = s.get().keyValue;
    await kv.put('old', 1, now() - 1);
    expect(await kv.get('old')).toBeNull();
    expect(await kv.take('old')).toBeNull();
  });

  it('add stores only when absent or expired', async () => {
    const kv = s.get().keyValue;
    expect(await kv.add('a1', 'first', now() + 60)).toBe(true);
    expect(await kv.add('a1', 'second', now() + 60)).toBe(false);
    expect(await kv.get('a1')).toBe('first');
    await kv.put('a2', 'stale', now() - 1);
    expect(await kv.add('a2', 'fresh', now() + 60)).toBe(true);
    expect(await kv.get('a2')).toBe('fresh');
  });

  it('of concurrent adds of one key exactly one stores; of concurrent takes exactly one gets the value', async () => {
    const kv = s.get().keyValue;
    const added = await Promise.all(Array.from({ length: 10 }, (_, i) => kv.add('race', i, now() + 60)));
    expect(added.filter(Boolean)).toHaveLength(1);
    const taken = await Promise.all(Array.from({ length: 10 }, () => kv.take('race')));
    expect(taken.filter((v) => v !== null)).toEqual([added.indexOf(true)]);
    expect(await kv.get('race')).toBeNull();
  });
});

describe.each(engines)('attempts store: $name', (fixture) => {
  const s = freshStores(fixture);
  const policy: AttemptPolicy = { free: 3, baseDelaySeconds: 10, maxDelaySeconds: 25, forgetAfterSeconds: 600 };

  it('counts attempts; reaching `free` locks for base · 2^(n − free), capped; a locked key is not counted', async () => {
    const at = s.get().attempts;
    const t = 1_000_000;
    expect(await at.reserve('k', policy, t)).toEqual({ allowed: true, attempts: 1 });
    expect(await at.reserve('k', policy, t + 1)).toEqual({ allowed: true, attempts: 2 });
    expect(await at.reserve('k', policy, t + 2)).toEqual({ allowed: true, attempts: 3 });
    expect(await at.reserve('k', policy, t + 3)).toEqual({ allowed: false, retryAfterSeconds: 9 });
    expect(await at.reserve('k', policy, t + 12)).toEqual({ allowed: true, attempts: 4 });
    expect(await at.reserve('k', policy, t + 13)).toEqual({ allowed: false, retryAfterSeconds: 19 });
    expect(await at.reserve('k', policy, t + 32)).toEqual({ allowed: true, attempts: 5 });
    // 10 · 2² = 40, capped at 25.
    expect(await at.reserve('k', policy, t + 33)).toEqual({ allowed: false, retryAfterSeconds: 24 });
  });

  it('release takes an attempt back and lifts the lock below `free`; clear forgets; idle keys start again', async () => {
    const at = s.get().attempts;
    const t = 2_000_000;
    for (let i = 0; i < 3; i += 1) await at.reserve('r', policy, t);
    expect((await at.reserve('r', policy, t + 1)).allowed).toBe(false);
    await at.release('r', policy);
    expect(await at.reserve('r', policy, t + 2)).toEqual({ allowed: true, attempts: 3 });
    await at.clear('r');
    expect(await at.reserve('r', policy, t + 3)).toEqual({ allowed: true, attempts: 1 });
    expect(await at.reserve('r', policy, t + 3 + 601)).toEqual({ allowed: true, attempts: 1 });
  });

  it('parallel attempts each get their own count: a burst cannot slip through together', async () => {
    const at = s.get().attempts;
    const t = 3_000_000;
    const outcomes = await Promise.all(Array.from({ length: 12 }, () => at.reserve('burst', { ...policy, free: 5 }, t)));
    const allowed = outcomes.filter((o) => o.allowed);
    expect(allowed.map((o) => (o.allowed ? o.attempts : 0)).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    expect(outcomes.filter((o) => !o.allowed)).toHaveLength(7);
  });
});
