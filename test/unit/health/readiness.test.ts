import { describe, expect, it, vi } from 'vitest';
import { Readiness, type ReadinessSources } from '../../../src/health/readiness.js';
import type { CoreState } from '../../../src/notifications/ipc.js';
import type { DependencyHealth } from '../../../src/storage/interfaces/storage-engine.js';

/** A controllable clock and dependency checks that count their calls. */
function setup(overrides: Partial<ReadinessSources> = {}, cacheMs = 1000) {
  let clock = 10_000;
  const state: CoreState = { draining: false, failedRoles: [] };
  const calls = { pg: 0, rqlite: 0 };
  const results: { pg: DependencyHealth; rqlite: DependencyHealth } = {
    pg: { ok: true, detail: 'writable' },
    rqlite: { ok: true, detail: 'leader ok' },
  };
  const readiness = new Readiness({
    coreState: () => state,
    dependencies: {
      pg: async () => {
        calls.pg += 1;
        return results.pg;
      },
      rqlite: async () => {
        calls.rqlite += 1;
        return results.rqlite;
      },
    },
    cacheMs,
    now: () => clock,
    ...overrides,
  });
  return { readiness, state, calls, results, advance: (ms: number) => (clock += ms) };
}

describe('Readiness', () => {
  it('is ready when every check passes, and lists them all', async () => {
    const { readiness } = setup();
    const r = await readiness.report();
    expect(r.ready).toBe(true);
    expect(Object.keys(r.checks).sort()).toEqual(['draining', 'pg', 'rqlite', 'workers']);
    expect(r.checks['pg']).toEqual({ ok: true, detail: 'writable' });
  });

  it('caches dependency results for cacheMs, then checks again', async () => {
    const { readiness, calls, results, advance } = setup();
    await readiness.report();
    results.pg = { ok: false, detail: 'down' };
    advance(500);
    expect((await readiness.report()).ready).toBe(true); // cached
    advance(499);
    expect((await readiness.report()).ready).toBe(true);
    expect(calls).toEqual({ pg: 1, rqlite: 1 });
    advance(1);
    const r = await readiness.report();
    expect(calls).toEqual({ pg: 2, rqlite: 2 });
    expect(r.ready).toBe(false);
    expect(r.checks['pg']).toEqual({ ok: false, detail: 'down' });
  });

  it('concurrent polls share one in-flight check', async () => {
    let release: () => void = () => undefined;
    let calls = 0;
    const { readiness } = setup({
      dependencies: {
        slow: () => {
          calls += 1;
          return new Promise<DependencyHealth>((r) => (release = () => r({ ok: true, detail: 'fine' })));
        },
      },
    });
    const polls = Array.from({ length: 20 }, () => readiness.report());
    await vi.waitFor(() => expect(calls).toBe(1));
    const late = readiness.report(); // arrives while the check is still running
    release();
    polls.push(late);
    const reports = await Promise.all(polls);
    expect(calls).toBe(1);
    expect(reports.every((r) => r.ready)).toBe(true);
  });

  it('cacheMs 0 checks on every poll', async () => {
    const { readiness, calls } = setup({}, 0);
    await readiness.report();
    await readiness.report();
    expect(calls.pg).toBe(2);
  });

  it('draining turns not-ready at once, even with a cached OK', async () => {
    const { readiness, state, calls } = setup();
    expect((await readiness.report()).ready).toBe(true);
    state.draining = true;
    const r = await readiness.report();
    expect(r.ready).toBe(false);
    expect(r.checks['draining']?.ok).toBe(false);
    expect(r.checks['pg']?.ok).toBe(true);
    expect(calls.pg).toBe(1);
  });

  it('is not ready while the core is starting (not yet flagged available), then ready', async () => {
    const { readiness, state } = setup();
    state.starting = true;
    const r = await readiness.report();
    expect(r.ready).toBe(false);
    expect(r.checks['draining']).toEqual({ ok: false, detail: 'core is starting: not yet flagged available for placement' });
    state.starting = false;
    expect((await readiness.report()).ready).toBe(true);
  });

  it('crash-looping roles make it not ready and are named', async () => {
    const { readiness, state } = setup();
    state.failedRoles = ['hfs', 'previews'];
    const r = await readiness.report();
    expect(r.ready).toBe(false);
    expect(r.checks['workers']).toEqual({ ok: false, detail: 'crash-looping roles: hfs, previews' });
  });

  it('a rejecting check becomes ok:false with its message; the others still run', async () => {
    const { readiness, calls } = setup({
      dependencies: {
        pg: async () => {
          throw new Error('connect ECONNREFUSED 127.0.0.1:5433');
        },
        rqlite: async () => {
          calls.rqlite += 1;
          return { ok: true, detail: 'leader ok' };
        },
      },
    });
    const r = await readiness.report();
    expect(r.ready).toBe(false);
    expect(r.checks['pg']).toEqual({ ok: false, detail: 'connect ECONNREFUSED 127.0.0.1:5433' });
    expect(r.checks['rqlite']?.ok).toBe(true);
  });

  it('a check that throws synchronously is contained the same way', async () => {
    const { readiness } = setup({
      dependencies: {
        pg: () => {
          throw new Error('pool is closed');
        },
      },
    });
    const r = await readiness.report();
    expect(r.ready).toBe(false);
    expect(r.checks['pg']).toEqual({ ok: false, detail: 'pool is closed' });
  });

  it('a failed result is cached too (no stampede while a database is down)', async () => {
    const { readiness, calls, results, advance } = setup();
    results.rqlite = { ok: false, detail: 'no leader' };
    await readiness.report();
    advance(100);
    await readiness.report();
    expect(calls.rqlite).toBe(1);
  });
});

describe('Readiness backstop timeout', () => {
  it('reports a check that never settles as failed instead of hanging /ready', async () => {
    const { Readiness } = await import('../../../src/health/readiness.js');
    const r = new Readiness({
      coreState: () => ({ draining: false, failedRoles: [] }),
      dependencies: { stuck: () => new Promise(() => undefined) },
      cacheMs: 0,
      checkTimeoutMs: 50,
    });
    const started = Date.now();
    const report = await r.report();
    expect(report.ready).toBe(false);
    expect(report.checks['stuck']?.detail).toContain('no answer within 50 ms');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
