import { describe, expect, it } from 'vitest';
import { Backoff, CrashLoopDetector } from '../../../src/util/backoff.js';

describe('Backoff', () => {
  it('grows initial × factor^n and is capped at max', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, factor: 2 });
    expect(Array.from({ length: 7 }, () => b.next())).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
    expect(b.attempts).toBe(7);
  });

  it('rounds non-integer factors', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 10_000, factor: 1.5 });
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([100, 150, 225, 338]);
  });

  it('factor 1 is a constant delay', () => {
    const b = new Backoff({ initialMs: 250, maxMs: 1000, factor: 1 });
    expect([b.next(), b.next(), b.next()]).toEqual([250, 250, 250]);
  });

  it('starts over after a run that stayed up at least stableAfterMs', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, factor: 2 }, 5000);
    expect([b.next(10), b.next(10), b.next(4999)]).toEqual([100, 200, 400]);
    expect(b.next(5000)).toBe(100);
    expect(b.next(1)).toBe(200);
  });

  it('stableAfterMs defaults to max(maxMs, 10 s)', () => {
    const short = new Backoff({ initialMs: 100, maxMs: 1000, factor: 2 });
    short.next();
    short.next();
    expect(short.next(9_999)).toBe(400);
    expect(short.next(10_000)).toBe(100);

    const long = new Backoff({ initialMs: 100, maxMs: 30_000, factor: 2 });
    long.next();
    expect(long.next(29_999)).toBe(200);
    expect(long.next(30_000)).toBe(100);
  });

  it('reset() starts over', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, factor: 2 });
    b.next();
    b.next();
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(100);
  });
});

describe('CrashLoopDetector', () => {
  it('trips at maxExits + 1 exits within the window', () => {
    const d = new CrashLoopDetector({ maxExits: 3, windowMs: 1000 });
    expect(d.record(0)).toBe(false);
    expect(d.record(100)).toBe(false);
    expect(d.record(200)).toBe(false);
    expect(d.record(300)).toBe(true);
    expect(d.recentExits).toBe(4);
  });

  it('does not trip when exits are spread out beyond the window', () => {
    const d = new CrashLoopDetector({ maxExits: 3, windowMs: 1000 });
    for (let t = 0; t < 20_000; t += 400) expect(d.record(t)).toBe(false);
    // only the exits of the last second count
    expect(d.recentExits).toBe(3);
  });

  it('an exit exactly windowMs old no longer counts', () => {
    const d = new CrashLoopDetector({ maxExits: 2, windowMs: 1000 });
    d.record(0);
    d.record(500);
    expect(d.record(1000)).toBe(false);
    expect(d.record(1001)).toBe(true);
  });

  it('recovers once a burst has left the window', () => {
    const d = new CrashLoopDetector({ maxExits: 1, windowMs: 1000 });
    d.record(0);
    expect(d.record(10)).toBe(true);
    expect(d.record(5000)).toBe(false);
    expect(d.recentExits).toBe(1);
  });
});
