import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isRunning, startCore, type CoreProcess } from '../helpers/core-process.js';

/**
 * The master supervises what it started: crashed workers and rqlited come back, a crash-looping role
 * is given up on and reported by /ready (docs/operations.md). Needs a build: `tsc -p tsconfig.json`.
 */

interface ReadyBody { status: string; failing: { check: string; detail: string }[] }

let current: CoreProcess | null = null;
async function core(env: Record<string, string> = {}): Promise<CoreProcess> {
  current = await startCore({ env });
  await current.waitReady(60_000);
  return current;
}

afterEach(async () => {
  await current?.kill();
  current = null;
});

// One core at a time: each forks ~8 processes on a 2-core machine.
describe('master supervision', { concurrent: false, shuffle: false }, () => {
  it('re-forks an API worker killed with SIGKILL', { timeout: 120_000 }, async () => {
    const c = await core();
    const before = c.workerPids().api;
    expect(before).toHaveLength(2);
    const victim = before[0] ?? 0;
    // An upload the killed worker had staged long ago, and one that may still be in flight (issue #16).
    const staging = join(c.varDir, 'attachments', '.staging');
    mkdirSync(staging, { recursive: true });
    writeFileSync(join(staging, 'stale'), 'left by a crashed worker');
    writeFileSync(join(staging, 'young'), 'an upload in flight');
    const longAgo = new Date(Date.now() - 3 * 3600_000);
    utimesSync(join(staging, 'stale'), longAgo, longAgo);

    process.kill(victim, 'SIGKILL');
    const after = await c.waitFor('a new API worker (2 again)', () => {
      const api = c.workerPids().api;
      return api.length === 2 && !api.includes(victim) ? api : null;
    }, 20_000);
    const fresh = after.find((p) => !before.includes(p));
    expect(fresh).toBeDefined();
    // The new worker really serves (it logs so once the master may hand it connections).
    await c.waitFor('the new worker to be ready', () => c.entries().some((e) => e['pid'] === fresh && e['msg'] === 'worker ready'), 20_000);
    await c.waitReady(20_000);
    expect(isRunning(victim)).toBe(false);
    expect(c.entries().some((e) => e['msg'] === 'worker exited; re-forking' && e['childPid'] === victim), c.tail()).toBe(true);
    // The replacement swept the stale staging file before listening, and left the young one.
    expect(readdirSync(staging)).toEqual(['young']);
  });

  it('restarts rqlited killed with SIGKILL; /ready is 503 meanwhile and 200 again after', { timeout: 150_000 }, async () => {
    // A 1 s restart delay keeps rqlited down longer than the 1 s readiness cache, so the 503 is seen.
    const c = await core({ HOMECORE_PLATFORM_DB__RQLITED__RESTART_BACKOFF__INITIAL_MS: '1000' });
    const old = c.rqlitedPid();
    expect(old).not.toBeNull();

    process.kill(old ?? 0, 'SIGKILL');
    const down = await c.waitFor('/ready = 503', async () => {
      const r = await c.status(c.ports.api, '/ready');
      return r.status === 503 ? (r.body as ReadyBody) : null;
    }, 10_000);
    expect(down.failing.map((f) => f.check)).toContain('platformDb');
    const fresh = await c.waitFor('a new rqlited', () => {
      const pid = c.rqlitedPid();
      return pid !== null && pid !== old ? pid : null;
    }, 15_000);
    expect(isRunning(old ?? 0)).toBe(false);
    await c.waitReady(30_000);
    expect(c.rqlitedPid()).toBe(fresh);
  });

  it('stops re-forking a crash-looping role, logs it as fatal, /ready 503 while /health stays 200', { timeout: 150_000 }, async () => {
    const maxExits = 3;
    const c = await core({
      HOMECORE_CLUSTER__CRASH_LOOP__MAX_EXITS: String(maxExits),
      HOMECORE_CLUSTER__CRASH_LOOP__WINDOW_MS: '60000',
      HOMECORE_CLUSTER__RESTART_BACKOFF__INITIAL_MS: '100',
      HOMECORE_CLUSTER__RESTART_BACKOFF__MAX_MS: '800',
    });
    // A crash loop = more than maxExits exits in the window: kill each re-forked previews worker.
    const killed: number[] = [];
    for (let i = 0; i <= maxExits; i++) {
      const pid = await c.waitFor(`previews worker #${i + 1}`, () => c.workerPids().previews.find((p) => !killed.includes(p)), 15_000, 50);
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    }

    const fatal = await c.waitFor('a fatal log line naming previews', () =>
      c.entries().find((e) => e['level'] === 60 && e['workerRole'] === 'previews'), 10_000);
    expect(String(fatal['msg'])).toMatch(/crash-looping/);
    const ready = await c.waitFor('/ready = 503 on the API port', async () => {
      const r = await c.status(c.ports.api, '/ready');
      return r.status === 503 ? (r.body as ReadyBody) : null;
    }, 15_000);
    expect(ready.failing).toContainEqual({ check: 'workers', detail: expect.stringContaining('previews') });

    // No re-fork: with backoff capped at 800 ms one would have happened well within 3 s.
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      expect(c.workerPids().previews, c.tail()).toEqual([]);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(killed.filter(isRunning)).toEqual([]);
    const pids = c.workerPids();
    expect({ api: pids.api.length, hfs: pids.hfs.length }).toEqual({ api: 2, hfs: 1 });
    for (const port of [c.ports.api, c.ports.hfs]) {
      expect((await c.status(port, '/health')).status, `/health on ${port}`).toBe(200);
      expect((await c.status(port, '/ready')).status, `/ready on ${port}`).toBe(503);
    }
    expect(c.exit).toBeNull();
  });
});
